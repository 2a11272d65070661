"""A wheel built from the tracked files carries every file the code reads at run time: the shipped readers,
the list data, the web pages."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_wheel_holds_every_tracked_file_of_the_packages(tmp_path):
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    tracked = [f for f in listed.stdout.splitlines() if (ROOT / f).is_file()]
    src = tmp_path / "src"  # a clean copy: no build/ or egg-info left by an earlier build to hide a gap
    for f in tracked:
        if f.split("/")[0] in ("index", "qa", "api") or "/" not in f:
            (src / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, src / f)
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    [wheel] = (tmp_path / "dist").glob("articleqa-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package_files = [f for f in tracked if f.split("/")[0] in ("index", "qa", "api") and "/" in f]
    assert "qa/models/strong/adapter_model.safetensors" in package_files and "api/static/index.html" in package_files
    assert [f for f in package_files if f not in names] == []
