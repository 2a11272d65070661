"""Benchmark: reading the top passages in stages (the top 2, the rest only when unsure) against reading all 5.

The second stage skips passages more than `Staging.gap` below the best first passage's cosine; the same staging
without that gap is read too, so that the gap's own effect shows in one run.

    python bench/bench_staging.py [--questions 1000] [--output bench/results.json]

Open mode over the 2,067 paragraphs of SQuAD 1.1 dev, each a document (the index built here with the default
embedder), a seeded sample of dev questions: for each, the top 5 passages are read every way by the reader
`auto` picks. Figures go under the "staging" key of bench/results.json: forced and served F1 of each way, the
share of questions the first stage answered surely, and the reading time (median and mean ms per question;
take them on an otherwise idle machine).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.bench_floor import SQUAD_DEV, build_index  # noqa: E402
from bench.common import save_results  # noqa: E402


def main() -> None:
    from index.backends import open_store
    from qa.offline.squad import best_over_golds, load_squad
    from qa.pipeline import make_embedder, make_reader
    from qa.reader import Staging, read_in_stages
    from qa.retriever import HybridRetriever
    from qa.settings import Settings

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=int, default=1000)
    ap.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    args = ap.parse_args()

    settings = Settings.from_env()
    embedder = make_embedder(settings)
    store = open_store(build_index("squad"), embedder)
    retriever = HybridRetriever(store, embedder)
    reader = make_reader("", embedder, settings)
    reader.warm_up()
    staging = Staging()
    ways = {"all": None, "staged": staging, "staged_without_gap": Staging(gap=float("inf"))}
    questions = random.Random(11).sample(load_squad(SQUAD_DEV), args.questions)
    figures: dict[str, dict[str, list[float]]] = {w: {"forced": [], "served": [], "ms": []} for w in ways}
    early = 0
    for q in questions:
        hits = retriever.retrieve(q.question, 5)
        for way, stages in ways.items():
            calls: list[int] = []

            def read(hs, question=q.question, calls=calls):
                calls.append(len(hs))
                return reader.candidates(question, hs)  # type: ignore[attr-defined]

            t = time.perf_counter()
            cands = read_in_stages(read, hits, stages)
            figures[way]["ms"].append(1000 * (time.perf_counter() - t))
            best = max(cands, key=lambda a: a.score, default=None)
            f1 = best_over_golds(best.text, q.answers)[1] if best else 0.0
            figures[way]["forced"].append(f1)
            figures[way]["served"].append(f1 if best and best.score >= reader.threshold else 0.0)
            if stages is staging:
                early += len(calls) == 1 and len(hits) > staging.first
    store.close()
    out: dict = {"questions": len(questions), "first": staging.first, "sure": staging.sure, "gap": staging.gap}
    out["reader_backend"] = getattr(reader, "active_backend", None)
    for way, f in figures.items():
        out[way] = {
            "forced_f1": round(100 * statistics.mean(f["forced"]), 2),
            "served_f1": round(100 * statistics.mean(f["served"]), 2),
            "read_ms_p50": round(statistics.median(f["ms"]), 1),
            "read_ms_mean": round(statistics.mean(f["ms"]), 1),
        }
    out["answered_in_first_stage_pct"] = round(100 * early / len(questions), 1)
    print(out)
    save_results(args.output, out, "staging")


if __name__ == "__main__":
    main()
