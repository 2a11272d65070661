"""ONNX Runtime int8 models built by this project from its own weights, and the record that says when to use them.

A BERT model folder (`config.json` + `model.safetensors`: the span reader or the packaged all-MiniLM-L6-v2) is
exported once with `torch.onnx.export` and its weights quantised to int8 (`quantize_dynamic`, per channel; the
feed-forward outputs whose outliers cost most accuracy stay fp32: the first layer's for BERT, every layer's for
MPNet, as `recipe_for` says), into
`<cache>/<key>/<kind>-int8.onnx`, where `key` hashes the weights, the config and the export recipe: changed
weights get a new file, and a finished file is never rewritten. Exports are written to a temporary file and
moved into place (`os.replace`) under a lock, so concurrent processes neither clash nor read half a file. Only
the export imports torch and transformers; running a cached model needs ONNX Runtime and numpy only.

The *backend record* (`backends.json` beside the reader weights, written by `bench/bench_backends.py`) holds the
measured accuracy and speed of each backend for given weights; `auto` picks ONNX only when the record, for
these very weights, shows it at least as accurate (within the tolerances below) and faster.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    import onnxruntime

log = logging.getLogger(__name__)

Kind = Literal["reader", "embedder"]
T = TypeVar("T")
BACKENDS = ("auto", "torch", "onnx")
DEFAULT_CACHE = Path("~/.cache/articleqa/onnx")


@dataclass(frozen=True)
class Recipe:
    """How an architecture is exported: `name` goes into the cache key (a changed recipe: a new file), `keep_fp32`
    matches the MatMul nodes left in fp32 (the rest become int8)."""

    name: str
    keep_fp32: str  # a regular expression searched in each MatMul node's name
    unsigned_weights: bool = False  # uint8 weights (u8u8 kernels) instead of int8 (u8s8)


# BERT (the MiniLM reader and embedder): the first layer's FFN output only; int8 there moved answers and vectors.
RECIPE = Recipe("torch-onnx-opset17+int8-dynamic-per-channel+fp32-layer0-ffn-out-v2", r"layer\.0/output/dense/MatMul$")
# MPNet: every layer's FFN output (a third of the matrix work). With the first layer's only, int8 cost the MPNet
# reader 2.5 forced F1 on 300 SQuAD dev questions (87.40 against PyTorch's 89.94); with all twelve it reads
# 90.58, at about the same speed as all-int8 (`bench/bench_backends.py`). Its weights are uint8: on a CPU without
# VNNI (AVX2 only), ONNX Runtime's u8s8 kernel adds pairs of products in int16 and saturates, and MPNet's value
# and FFN-input weights, scaled per channel to fill int8, saturate it: int8 logits correlated 0.24 with PyTorch's
# on such a machine, uint8 0.998 (u8u8 has no such step; int8 with `reduce_range` 0.997).
RECIPES = {
    "mpnet": Recipe(
        "torch-onnx-opset17+uint8-dynamic-per-channel+fp32-every-ffn-out-v2",
        r"layer\.\d+/output/dense/MatMul$",
        unsigned_weights=True,
    )
}
OPSET = 17
READER_F1_TOLERANCE = 0.5  # ONNX's forced SQuAD F1 may be at most this far below PyTorch's
EMBEDDER_MIN_COSINE = 0.99  # the mean cosine between ONNX and PyTorch embeddings must be at least this


def check_backend(name: str, what: str = "backend") -> str:
    """`name` lower-cased when it is one of `auto`, `torch`, `onnx`; a ValueError naming `what` otherwise."""
    n = (name or "auto").strip().lower()
    if n not in BACKENDS:
        raise ValueError(f"{what} must be one of {', '.join(BACKENDS)} (got {name!r})")
    return n


def cache_root(root: str | Path | None = None) -> Path:
    """The folder ONNX models are cached in: `root`, or `~/.cache/articleqa/onnx`."""
    return Path(root or DEFAULT_CACHE).expanduser()


def recipe_for(model_dir: Path) -> Recipe:
    """The export recipe of the architecture in `model_dir` (its config's `model_type`; BERT's by default)."""
    try:
        kind = json.loads((model_dir / "config.json").read_text()).get("model_type")
    except (OSError, ValueError):
        kind = None
    return RECIPES.get(str(kind), RECIPE)


def weights_key(model_dir: Path) -> str:
    """16 hex digits of sha256 over the export recipe, `config.json` and `model.safetensors` of `model_dir`
    (for weights merged from a compact reader, over the recipe and that reader's own key: a merge need not
    give the same bytes on every CPU, the compact files do)."""
    h = hashlib.sha256(recipe_for(model_dir).name.encode())
    source = model_dir / "source-key"
    if source.is_file():
        h.update(source.read_bytes())
        return h.hexdigest()[:16]
    for name in ("config.json", "model.safetensors"):
        h.update(name.encode())
        with open(model_dir / name, "rb") as f:
            while block := f.read(1 << 22):
                h.update(block)
    return h.hexdigest()[:16]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created if need be) for the duration of the block (POSIX; none elsewhere)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: the atomic replace alone keeps files whole
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def onnx_model(kind: Kind, model_dir: Path, cache: str | Path | None = None, key: str | None = None) -> Path:
    """The cached int8 ONNX model of the weights in `model_dir`, exported (once, under a lock) if missing."""
    key = key or weights_key(model_dir)
    folder = cache_root(cache) / key
    target = folder / f"{kind}-int8.onnx"
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with locked(folder / ".lock"):
        if not target.exists():  # another process may have built it while this one waited
            export_int8(kind, model_dir, target)
            (folder / f"{kind}-source.json").write_text(
                json.dumps({"source": str(model_dir), "recipe": recipe_for(model_dir).name, "key": key}, indent=2)
                + "\n"
            )
    return target


def takes_token_types(model: Any) -> bool:
    """Whether a transformers model reads token type ids (BERT does; MPNet has none)."""
    import inspect

    return "token_type_ids" in inspect.signature(model.forward).parameters


def _module(kind: Kind, model_dir: Path) -> tuple[Any, list[str]]:
    """The fp32 PyTorch module to trace, (ids[, types], mask) -> (start, end logits) or the last hidden
    state, and the names of the inputs it takes."""
    import torch
    from transformers import AutoModel, AutoModelForQuestionAnswering
    from transformers.utils import logging as tlog

    tlog.set_verbosity_error()
    tlog.disable_progress_bar()
    loader = AutoModelForQuestionAnswering if kind == "reader" else AutoModel
    model = loader.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager").eval()
    names = INPUT_NAMES if takes_token_types(model) else [n for n in INPUT_NAMES if n != "token_type_ids"]

    class Traced(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs):  # noqa: D102
            out = self.model(**dict(zip(names, inputs)))
            return (out.start_logits, out.end_logits) if kind == "reader" else out.last_hidden_state

    return Traced(), names


def output_names(kind: Kind) -> list[str]:
    """The names of the exported model's outputs."""
    return ["start_logits", "end_logits"] if kind == "reader" else ["last_hidden_state"]


INPUT_NAMES = ["input_ids", "token_type_ids", "attention_mask"]


def export_fp32(kind: Kind, model_dir: Path, path: Path) -> list[str]:
    """Export the model in `model_dir` to an fp32 ONNX graph at `path` (dynamic batch and length); returns the
    names of its inputs (no token types for an encoder without them)."""
    import torch

    ids = torch.tensor([[101, 2054, 2003, 1029, 102, 2023, 2003, 1037, 3793, 1012, 102]], dtype=torch.long)
    types = torch.tensor([[0] * 5 + [1] * 6], dtype=torch.long)
    mask = torch.ones_like(ids)
    module, names = _module(kind, model_dir)
    dummy = {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}
    axes = {n: {0: "batch", 1: "length"} for n in [*names, *output_names(kind)]}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module,
            tuple(dummy[n] for n in names),
            str(path),
            dynamo=False,
            opset_version=OPSET,
            input_names=names,
            output_names=output_names(kind),
            dynamic_axes=axes,
            do_constant_folding=True,
        )
    return names


def export_int8(kind: Kind, model_dir: Path, target: Path) -> None:
    """Export the model in `model_dir` to ONNX (fp32, dynamic batch and length), quantise its weights to int8,
    and move the result to `target` in one step."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.warning("building the ONNX int8 %s from %s into %s (once)", kind, model_dir, target.parent)
    work = Path(tempfile.mkdtemp(prefix=f".{kind}-", dir=target.parent))
    try:
        fp32 = work / "fp32.onnx"
        export_fp32(kind, model_dir, fp32)
        quantised = work / "int8.onnx"
        root = logging.getLogger()
        level = root.level
        root.setLevel(logging.ERROR)  # the quantiser advises pre-processing on the root logger: not needed here
        recipe = recipe_for(model_dir)
        try:
            quantize_dynamic(
                fp32,
                quantised,
                weight_type=QuantType.QUInt8 if recipe.unsigned_weights else QuantType.QInt8,
                per_channel=True,
                nodes_to_exclude=kept_fp32(fp32, recipe),
            )
        finally:
            root.setLevel(level)
        os.replace(quantised, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def kept_fp32(path: Path, recipe: Recipe = RECIPE) -> list[str]:
    """The MatMul nodes of the fp32 graph at `path` that stay fp32 (`recipe.keep_fp32`)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    keep = re.compile(recipe.keep_fp32)
    return [n.name for n in graph.node if n.op_type == "MatMul" and keep.search(n.name)]


def cpu_count() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def session(path: Path, threads: int = 0, spin: bool = False) -> onnxruntime.InferenceSession:
    """An ONNX Runtime CPU session for `path`: all graph optimisations, `threads` intra-op threads (0: all cores);
    `spin`: its threads busy-wait between the steps of a run (faster alone, but they take the cores from
    whatever runs next)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads or cpu_count()
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    # The reader's and the embedder's sessions take turns on the same cores: the embedder's spinning threads
    # slowed the reader that runs right after it (in-process `ask` on the seed: 91.7 ms with both spinning,
    # 67.2 ms with neither), so only the reader, the last model a question runs, may spin.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


# ---- the backend record -----------------------------------------------------------------------------
def read_record(path: Path | None) -> dict[str, Any]:
    """The backend record at `path`; empty when there is none or it is unreadable."""
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def onnx_wins(kind: Kind, record: dict[str, Any], key: str) -> bool:
    """Whether `record` shows ONNX int8 good enough and faster for `kind` with the weights of `key`.

    reader: forced F1 within `READER_F1_TOLERANCE` of PyTorch's and fewer ms per `predict`; embedder: mean
    cosine to PyTorch's vectors at least `EMBEDDER_MIN_COSINE` and fewer ms per question.
    """
    entry = record.get(kind)
    if not isinstance(entry, dict) or entry.get("weights") != key:
        return False
    try:
        torch_fig, onnx_fig = entry["torch"], entry["onnx"]
        if kind == "reader":
            good = float(onnx_fig["f1"]) >= float(torch_fig["f1"]) - READER_F1_TOLERANCE
            return good and float(onnx_fig["ms_per_predict"]) < float(torch_fig["ms_per_predict"])
        good = float(entry["cosine_mean"]) >= EMBEDDER_MIN_COSINE
        return good and float(onnx_fig["ms_per_question"]) < float(torch_fig["ms_per_question"])
    except (KeyError, TypeError, ValueError):
        return False


def load_backend(
    requested: str, kind: Kind, model_dir: Path, record: Path | None, load_onnx: Callable[[str | None], T]
) -> tuple[str, T | None]:
    """(`torch` or `onnx`, the ONNX model when that is the choice): `resolve_backend`, then `load_onnx(key)`.
    When loading fails, `auto` falls back to PyTorch with a warning; an explicit `onnx` raises."""
    choice, key = resolve_backend(requested, kind, model_dir, record)
    if choice != "onnx":
        return choice, None
    try:
        return "onnx", load_onnx(key)
    except Exception as err:
        if check_backend(requested) != "auto":
            raise
        log.warning("ONNX %s unavailable (%s): running it on PyTorch", kind, err)
        return "torch", None


def resolve_backend(requested: str, kind: Kind, model_dir: Path, record: Path | None) -> tuple[str, str | None]:
    """(`torch` or `onnx`, the weights key when it was computed) for a requested `auto`/`torch`/`onnx`:
    `auto` is ONNX only when the record at `record` says ONNX wins for these weights and ONNX Runtime is
    installed."""
    requested = check_backend(requested)
    if requested != "auto":
        return requested, None
    rec = read_record(record)
    if not rec.get(kind):
        return "torch", None
    key = weights_key(model_dir)
    if not onnx_wins(kind, rec, key):
        return "torch", key
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        log.warning("backend record prefers ONNX for the %s but onnxruntime is not installed: using PyTorch", kind)
        return "torch", key
    return "onnx", key
