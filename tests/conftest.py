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


@pytest.fixture(scope="session")
def embedder():
    from index.embedder import Embedder

    e = Embedder()
    e.warm_up()
    return e


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
def run_server(index_dir: Path, env: dict[str, str] | None = None, timeout: float = 120) -> Iterator[str]:
    """Start `qa serve` on 127.0.0.1 in a subprocess; yield its base URL; stop it afterwards."""
    port = free_port()
    full_env = {**os.environ, "QA_INDEX_DIR": str(index_dir), **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--quiet"],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early: {proc.stderr.read().decode()[-2000:]}")
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
