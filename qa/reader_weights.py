"""A span reader's weights in one of two forms, and the folder of full weights every backend reads.

Full: `config.json` + `model.safetensors` in the reader folder (the fast MiniLM reader ships so, 45 MB).
Compact: `reader.json` names a pre-trained encoder fetched on first use (`index.encoders`) and the folder holds
only a LoRA adapter and the span head (`adapter_config.json`, `adapter_model.safetensors`, a few MB): a 110M
encoder fine-tuned in full would be 220 MB a version, too large to keep in git for every version. The compact
form is merged into full weights once, into `<cache>/readers/<key>/` (key: the adapter and the base's pinned
hash), locked and moved into place whole, so PyTorch and the ONNX export read one ordinary model folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from index.onnx_models import locked
from index.packaged_models import DONE, Progress, models_cache

READER_META = "reader.json"  # the compact form's record: {"form": "lora", "base": NAME, "base_sha256": ...}
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
MERGE_RECIPE = "merge-2"  # in the merged folder's key: weights merged by an older recipe are merged again
SOURCE_KEY = "source-key"  # in a merged folder: the key of the compact weights it was made from
PREFIX = "base_model.model."  # PEFT's name for the wrapped model in adapter keys
ORIGINAL = ".original_module."  # PEFT's copy of a module kept whole, as it was before training: not merged


def is_compact(model_dir: Path) -> bool:
    """Whether `model_dir` holds a compact reader (an adapter on a fetched base) rather than full weights."""
    return (model_dir / READER_META).is_file() and not (model_dir / "model.safetensors").is_file()


def has_weights(model_dir: Path) -> bool:
    """Whether `model_dir` holds reader weights in either form."""
    return (model_dir / "model.safetensors").is_file() or is_compact(model_dir)


def reader_meta(model_dir: Path) -> dict:
    """The compact reader's record (`reader.json`); empty for full weights."""
    f = model_dir / READER_META
    return json.loads(f.read_text()) if f.is_file() else {}


def compact_key(model_dir: Path) -> str:
    """16 hex digits of sha256 over the merge recipe, `reader.json` and the adapter files: names the merged folder."""
    h = hashlib.sha256(MERGE_RECIPE.encode())
    for name in (READER_META, *ADAPTER_FILES):
        h.update(name.encode())
        with open(model_dir / name, "rb") as f:
            while block := f.read(1 << 22):
                h.update(block)
    return h.hexdigest()[:16]


def full_weights(model_dir: Path, cache: str | Path | None = None, progress: Progress | None = None) -> Path:
    """A folder with `config.json`, `model.safetensors` and the tokenizer for the reader in `model_dir`:
    `model_dir` itself for full weights, else the compact form merged into the cache (once)."""
    if not is_compact(model_dir):
        return model_dir
    key = compact_key(model_dir)
    root = models_cache(cache) / "readers"
    target = root / key
    if (target / DONE).is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    with locked(root / f".{key}.lock"):
        if not (target / DONE).is_file():
            work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=root))
            try:
                merge_adapter(model_dir, work / key, cache, progress)
                (work / key / SOURCE_KEY).write_text(key + "\n")
                (work / key / DONE).write_text(key + "\n")
                if target.exists():
                    shutil.rmtree(target)
                os.replace(work / key, target)
            finally:
                shutil.rmtree(work, ignore_errors=True)
    return target


def merge_adapter(
    model_dir: Path, out: Path, cache: str | Path | None = None, progress: Progress | None = None
) -> None:
    """Write the base encoder with the LoRA adapter of `model_dir` merged in, and its span head, to `out`.

    The merge is done here, from the adapter's tensors, not by PEFT: PEFT's loading of the modules an adapter
    keeps whole has changed between its versions (0.22 ignores the LayerNorms and span head that 0.21 saved,
    which leaves a random head), so one release's adapter must not depend on the PEFT installed."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer
    from transformers.utils import logging as tlog

    from index.encoders import encoder_folder

    meta = reader_meta(model_dir)
    base = encoder_folder(str(meta.get("base", "")), cache, progress)
    if progress:
        progress(f"merging the reader adapter of {model_dir} into {meta.get('base')}")
    verbosity = tlog.get_verbosity()
    tlog.set_verbosity_error()  # the base has no span head yet: the adapter brings it
    try:
        model = AutoModelForQuestionAnswering.from_pretrained(base, dtype=torch.float32)
    finally:
        tlog.set_verbosity(verbosity)
    state = merged_state(model.state_dict(), model_dir)
    model.load_state_dict(state)
    model.eval()
    model.save_pretrained(out, safe_serialization=True)
    tok_src = model_dir if (model_dir / "tokenizer.json").is_file() else base
    AutoTokenizer.from_pretrained(tok_src).save_pretrained(out)


def lora_scale(config: dict, module: str) -> float:
    """The factor on `B @ A` for `module`: lora_alpha / r (over sqrt(r) with rsLoRA), per-module patterns first."""
    r = _pattern(config.get("rank_pattern") or {}, module, config.get("r", 8))
    alpha = _pattern(config.get("alpha_pattern") or {}, module, config.get("lora_alpha", r))
    return float(alpha) / (float(r) ** 0.5 if config.get("use_rslora") else float(r))


def _pattern(patterns: dict, module: str, default: float) -> float:
    for key, value in patterns.items():
        if module == key or module.endswith("." + key):
            return float(value)
    return float(default)


def merged_state(base_state: dict, model_dir: Path) -> dict:
    """The base model's tensors with the adapter in `model_dir` applied: each LoRA layer's weight plus its
    scaled `B @ A`, the biases and whole-kept modules (LayerNorms, span head) replaced by the adapter's.
    Refuses an adapter holding a tensor that lands nowhere, so a format change fails loudly, not silently."""
    import torch
    from safetensors.torch import load_file

    config = json.loads((model_dir / ADAPTER_FILES[0]).read_text())
    if config.get("use_dora"):
        raise ValueError(f"{model_dir}: DoRA adapters are not supported: train a plain LoRA adapter")
    tensors = {
        k.removeprefix(PREFIX).replace(".default.", "."): v.float()
        for k, v in load_file(str(model_dir / ADAPTER_FILES[1])).items()
        if ORIGINAL not in k
    }
    used: set[str] = set()

    def take(*names: str) -> torch.Tensor | None:
        """The first of `names` the adapter holds; every one it holds counts as used (PEFT may save a
        whole-kept module under two names)."""
        found = [n for n in names if n in tensors]
        used.update(found)
        return tensors[found[0]] if found else None

    out = {}
    for key, value in base_state.items():
        module, _, param = key.rpartition(".")
        new = take(f"{module}.modules_to_save.{param}", f"{module}.base_layer.{param}", key)
        a, b = take(f"{module}.lora_A.{param}"), take(f"{module}.lora_B.{param}")
        if a is not None and b is not None:
            new = value.float() + lora_scale(config, module) * (b @ a)
        if new is not None and new.shape != value.shape:
            raise ValueError(f"{model_dir}: adapter tensor for {key} has shape {tuple(new.shape)}, "
                             f"the base {tuple(value.shape)}")  # fmt: skip
        out[key] = value if new is None else new.to(value.dtype)
    if unused := sorted(set(tensors) - used):
        raise ValueError(f"{model_dir}: the adapter holds tensors this base has no place for: {unused[:3]}")
    return out
