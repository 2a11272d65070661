"""Shared fixtures: the real embedding model, a real index of the seed corpus, a real uvicorn server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED_DATA = ROOT.parent / "shared" / "data"
ARTIFACTS = ROOT / "tests" / "artifacts"
# For servers whose tests check access, limits or the API's contract rather than reading: the fast reader alone
# starts and answers several times quicker; the default cascade is what the `server` fixture and the reader tests use.
FAST_READER = {"QA_READER": "span"}


@pytest.fixture(scope="session")
def embedder():
    from index.embedder import Embedder

    e = Embedder()
    e.warm_up()
    return e


@pytest.fixture(scope="session", autouse=True)
def strong_reader_ready(embedder) -> None:
    """Fetch the MPNet base, merge the shipped strong reader and build its ONNX model once, before any test starts
    a server (whose start would otherwise include the first fetch and export): the default reader made as the
    service makes it. A failed fetch leaves the fast reader (with its warning) to the tests of the default."""
    from qa.pipeline import make_reader
    from qa.settings import Settings

    make_reader("auto", embedder, Settings.from_env())


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory, embedder) -> Path:
    """An index of the seed corpus, built once per test session."""
    from index.backends import open_store
    from index.documents import load_documents

    d = tmp_path_factory.mktemp("seed-index") / "index"
    store = open_store(d, embedder)
    store.add(load_documents([SEEDS]))
    store.close()
    return d


@pytest.fixture(scope="session")
def seed_pipeline(seed_index_dir, embedder):
    """A warmed-up pipeline over the seed index (the default reader)."""
    from qa.pipeline import QAPipeline
    from qa.settings import Settings

    return QAPipeline.open(Settings(index_dir=seed_index_dir), embedder=embedder)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate a server subprocess, killing it when it does not stop within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def run_server(
    index_dir: Path,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    host: str = "127.0.0.1",
    log: Path | None = None,
) -> Iterator[str]:
    """Start `qa serve` in a subprocess bound to `host` (`0.0.0.0`: a public bind, still reached through
    127.0.0.1); yield its base URL; stop it afterwards. With `log`, its stderr (access log included) goes there.
    Every test client comes from 127.0.0.1, so the rate limit is off unless `env` sets one."""
    port = free_port()
    full_env = {**os.environ, "QA_INDEX_DIR": str(index_dir), "QA_RATE_LIMIT": "off", **(env or {})}
    full_env.pop("QA_HOST", None)  # `qa serve --host` is what sets it
    quiet = [] if log else ["--quiet"]
    err = log.open("w") if log else None
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "serve", "--host", host, "--port", str(port), *quiet],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=err or subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                said = log.read_text() if log else proc.stderr.read().decode()
                raise RuntimeError(f"server exited early: {said[-2000:]}")
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise RuntimeError("server did not start in time")
            time.sleep(0.3)
        yield base
    finally:
        stop_process(proc)
        if err:
            err.close()


@pytest.fixture(scope="session")
def server(seed_index_dir) -> Iterator[str]:
    """Base URL of a real uvicorn server over the seed index, shared by the session (no API key)."""
    with run_server(seed_index_dir, env={"QA_API_KEY": ""}) as base:
        yield base


@pytest.fixture(scope="session")
def server_factory(seed_index_dir) -> Callable:
    """Start another server with extra environment: `with server_factory({"QA_API_KEY": "k"}) as url:`."""

    def start(env: dict[str, str] | None = None):
        return run_server(seed_index_dir, env=env)

    return start
