"""Schemathesis over the whole API (every operation, `--checks all`), against a real server on 127.0.0.1 over a
private copy of the seed index (the fuzzer posts and deletes documents). Any server error, undocumented status,
response off its schema, schema-valid request rejected or schema-violating request accepted fails the test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FAST_READER, run_server

pytestmark = pytest.mark.slow


def test_schemathesis_finds_nothing(seed_index_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(seed_index_dir, index)
    st = Path(sys.executable).parent / "schemathesis"
    with run_server(index, env={**FAST_READER, "QA_API_KEY": "", "QA_MAX_QUEUE": "64"}) as base:
        r = subprocess.run(
            [str(st), "--config-file", str(Path(__file__).with_name("schemathesis.toml")),  # see that file
             "run", f"{base}/openapi.json", "--checks", "all", "--max-examples", "25", "--seed", "7",
             "--request-timeout", "60", "--workers", "1"],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-2000:]
    assert "passed" in r.stdout
