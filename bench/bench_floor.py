"""Benchmark: warm single-client `POST /ask` beside the raw floor, on the seed article and on SQuAD dev paragraphs.

    python bench/bench_floor.py [--squad-questions 100] [--repeats 10] [--output bench/results.json]

For each corpus (the seed article; the 2,067 paragraphs of SQuAD 1.1 dev as documents) a real `qa serve` runs
on 127.0.0.1 with the backends `auto` picks; one client sends warm requests one at a time (seed: its six
questions, `--repeats` times; SQuAD: a seeded sample of `--squad-questions` dev questions, once each after a
warm-up). In the same run, the same questions go through the *floor*: what a hand-written pipeline with the
same models does at the least (sentence-transformers encode of the question, exact FAISS inner-product search
over the same passage vectors, one PyTorch forward of the reader over the top-5 passages' windows, argmax
start/end per window). Figures go under the "floor" key of bench/results.json: p50/p95 of each, the ratio of
the p50s (goal: at most 0.5), and the seed list question's p50 beside the single-answer questions' p50.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.bench_load import QUESTIONS as SEED_QUESTIONS  # noqa: E402
from bench.bench_load import start_server  # noqa: E402
from bench.common import Floor, pct, save_results  # noqa: E402

SQUAD_DEV = ROOT.parent / "shared" / "data" / "squad-v1.1-dev.json"
LIST_QUESTION = "Which countries are ready to send peacekeepers?"


def p50_p95(xs: list[float]) -> dict:
    return {"p50_ms": round(1000 * statistics.median(xs), 1), "p95_ms": round(1000 * pct(xs, 95), 1)}


def build_index(corpus: str) -> Path:
    """A fresh index of the corpus, built with the default (auto) embedder."""
    from index.backends import open_store
    from index.documents import Document, load_documents
    from index.embedder import Embedder
    from qa.offline.squad import load_squad
    from qa.pipeline import make_embedder

    index = Path(tempfile.mkdtemp(prefix=f"qa-bench-floor-{corpus}-")) / "index"
    emb: Embedder = make_embedder()
    store = open_store(index, emb)
    if corpus == "seed":
        store.add(load_documents([ROOT / "seeds"]))
    else:
        docs: dict[str, Document] = {}
        for q in load_squad(SQUAD_DEV):
            docs.setdefault(q.context, Document(text=q.context, title=q.title))
        store.add(list(docs.values()))
    store.close()
    return index


def served(base: str, questions: list[str], repeats: int) -> list[float]:
    """Seconds per warm `POST /ask`, one request at a time."""
    lat = []
    with httpx.Client(base_url=base, timeout=120) as c:
        for q in questions[:10]:
            c.post("/ask", json={"question": q, "top_k": 5}).raise_for_status()
        for _ in range(repeats):
            for q in questions:
                t = time.perf_counter()
                c.post("/ask", json={"question": q, "top_k": 5}).raise_for_status()
                lat.append(time.perf_counter() - t)
    return lat


def bench_corpus(corpus: str, questions: list[str], repeats: int, port: int) -> dict:
    index = build_index(corpus)
    proc = start_server(index, port, 1)
    try:
        ask = served(f"http://127.0.0.1:{port}", questions, repeats)
        out: dict = {"questions": len(questions), "repeats": repeats, "ask": p50_p95(ask)}
        if corpus == "seed":
            lists = served(f"http://127.0.0.1:{port}", [LIST_QUESTION], repeats)
            singles = served(f"http://127.0.0.1:{port}", [q for q in questions if q != LIST_QUESTION], repeats)
            out["list_question_p50_ms"] = round(1000 * statistics.median(lists), 1)
            out["single_questions_p50_ms"] = round(1000 * statistics.median(singles), 1)
            out["list_vs_single"] = round(statistics.median(lists) / statistics.median(singles), 2)
        health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).json()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    floor = Floor(index)
    out["floor"] = p50_p95(floor.times(questions, repeats))
    out["ask_vs_floor_p50"] = round(out["ask"]["p50_ms"] / out["floor"]["p50_ms"], 2)
    out["backends"] = {k: v for k, v in health.items() if "backend" in k}
    print(corpus, json.dumps(out), flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--squad-questions", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    args = ap.parse_args()
    from qa.offline.squad import load_squad

    squad_qs = [q.question for q in random.Random(7).sample(load_squad(SQUAD_DEV), args.squad_questions)]
    results = {
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seed": bench_corpus("seed", list(SEED_QUESTIONS), args.repeats, 8795),
        "squad_dev_paragraphs": bench_corpus("squad", squad_qs, 1, 8796),
    }
    save_results(args.output, results, "floor")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
