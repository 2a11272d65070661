"""Benchmark: the fast reader alone, a strong reader alone, and cascades of the two (issue 31's item 5).

    python bench/bench_cascade.py --strong checkpoints/mpnet/chunk3 [--questions 200] [--keep 1,2] [--output F]

Open mode over the 2,067 paragraphs of SQuAD 1.1 dev, each a document (one index, built here), a seeded sample
of dev questions; each question's top 5 passages are read by every configuration as the service reads them
(in stages, `qa.reader.Staging`), the configurations taking turns per question so that the machine's load
falls on all alike. Per configuration: forced and served F1, the share of questions answered, and the reading
time (p50, p95, mean ms per question; take them on an otherwise idle machine). Figures go under the "cascade"
key of the output (default bench/results.json).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.bench_floor import SQUAD_DEV, build_index  # noqa: E402
from bench.common import pct, save_results  # noqa: E402


def main() -> None:
    from index.backends import open_store
    from qa.cascade import CascadeReader
    from qa.offline.squad import best_over_golds, load_squad
    from qa.pipeline import make_embedder, make_reader
    from qa.reader import Staging, read_in_stages
    from qa.retriever import HybridRetriever
    from qa.settings import Settings
    from qa.span_reader import SpanReader

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--strong", type=Path, required=True, help="the strong reader's weights (full or compact)")
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--keep", default="1,2", help="the cascades' passages per stage, comma-separated")
    ap.add_argument("--index", type=Path, default=None, help="an index of SQuAD dev's paragraphs to reuse")
    ap.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    args = ap.parse_args()

    settings = Settings.from_env()
    embedder = make_embedder(settings)
    store = open_store(args.index or build_index("squad"), embedder)
    retriever = HybridRetriever(store, embedder)

    fast = make_reader("span", embedder, settings)
    strong = make_reader("span", embedder, settings.with_(reader_dir=args.strong))
    assert isinstance(fast, SpanReader) and isinstance(strong, SpanReader)
    fast.warm_up()
    strong.warm_up()
    readers: dict[str, SpanReader | CascadeReader] = {"fast": fast, "strong": strong}
    for k in (int(x) for x in args.keep.split(",") if x.strip()):
        readers[f"cascade-keep{k}"] = CascadeReader(fast, strong, keep=k)
    staging = Staging()
    questions = random.Random(11).sample(load_squad(SQUAD_DEV), args.questions)
    figures = ("forced", "served", "answered", "ms")
    rows: dict[str, dict[str, list[float]]] = {n: {k: [] for k in figures} for n in readers}
    for q in questions:
        hits = retriever.retrieve(q.question, 5)
        for name, reader in readers.items():
            t = time.perf_counter()
            cands = read_in_stages(partial(reader.candidates, q.question), hits, staging)
            rows[name]["ms"].append(1000 * (time.perf_counter() - t))
            best = max(cands, key=lambda a: a.score, default=None)
            f1 = best_over_golds(best.text, q.answers)[1] if best else 0.0
            answered = bool(best and best.score >= reader.threshold)
            rows[name]["forced"].append(f1)
            rows[name]["served"].append(f1 if answered else 0.0)
            rows[name]["answered"].append(float(answered))
    store.close()
    out: dict = {
        "questions": len(questions),
        "strong": str(args.strong),
        "backends": {"fast": fast.active_backend, "strong": strong.active_backend},
        "thresholds": {"fast": fast.threshold, "strong": strong.threshold},
        "command": "python bench/bench_cascade.py " + " ".join(sys.argv[1:]),
    }
    for name, r in rows.items():
        out[name] = {
            "forced_f1": round(100 * statistics.mean(r["forced"]), 2),
            "served_f1": round(100 * statistics.mean(r["served"]), 2),
            "answered_pct": round(100 * statistics.mean(r["answered"]), 1),
            "read_ms_p50": round(statistics.median(r["ms"]), 1),
            "read_ms_p95": round(pct(r["ms"], 95), 1),
            "read_ms_mean": round(statistics.mean(r["ms"]), 1),
        }
        print(name, out[name], flush=True)
    save_results(args.output, out, "cascade")


if __name__ == "__main__":
    main()
