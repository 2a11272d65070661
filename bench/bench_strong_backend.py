"""Warm `ask` on the seed with the cascade's strong reader on ONNX against PyTorch, in one process, taking turns.

Usage: python bench/bench_strong_backend.py [--rounds 10]

Two pipelines over one index of the seed corpus differ only in the strong reader's backend (the fast reader and
the embedder as `auto` picks them); each question is asked of both, the order alternating by round, so both see
the same machine. Prints p50 / p95 of each in ms. Run on an idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from index.backends import open_store
from index.documents import load_documents
from index.embedder import Embedder
from qa.cascade import CascadeReader
from qa.pipeline import QAPipeline, make_reader
from qa.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Who is the Belgian Prime Minister?",
    "Which countries are ready to send peacekeepers?",
    "Where did the Coalition of the Willing meet?",
    "Who dismissed the Franco-British initiative?",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    index = Path(tempfile.mkdtemp(prefix="qa-strong-backend-")) / "index"
    emb = Embedder()
    store = open_store(index, emb)
    store.add(load_documents([ROOT / "seeds"]))
    pipes = {}
    for backend in ("onnx", "torch"):
        reader = make_reader("cascade", emb, Settings.from_env())
        assert isinstance(reader, CascadeReader)
        reader.strong.backend = backend  # before it loads: the strong reader's backend only
        reader.warm_up()
        pipes[backend] = QAPipeline(store, emb, reader)
    for q in QUESTIONS:
        for p in pipes.values():
            p.ask(q)
    times: dict[str, list[float]] = {b: [] for b in pipes}
    for r in range(args.rounds):
        order = list(pipes) if r % 2 == 0 else list(pipes)[::-1]
        for q in QUESTIONS:
            for b in order:
                t = time.perf_counter()
                pipes[b].ask(q)
                times[b].append(1000 * (time.perf_counter() - t))
    for b, v in times.items():
        v.sort()
        print(f"strong reader on {b}: p50 {statistics.median(v):.1f} ms, p95 {v[int(0.95 * len(v)) - 1]:.1f} ms")
    store.close()


if __name__ == "__main__":
    main()
