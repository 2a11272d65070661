"""Filters inside retrieval: 2,000 SQuAD dev paragraphs as documents with synthetic dates and sources, and filters
that keep 1% of them (one source of 100; a few days of a year).

- only allowed: every passage a filtered search returns is of an allowed document (share, over questions about
  the whole corpus);
- recall@5 within the allowed set: a question about an allowed paragraph, retrieved (top 5) with the filter
  from the full index, against the same question over an index built from the allowed paragraphs alone
  (the same ranking is the aim: identical top-5 lists are counted too);
- latency: `QAPipeline.ask` p50 with and without the filter (in process: retrieval and reading), the same
  over HTTP (`POST /ask` of a real `qa serve` on 127.0.0.1 over the same index), and retrieval alone.

    python bench/bench_filters.py [--squad ../shared/data/squad-v1.1-dev.json] [--paragraphs 2000] [--output F]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import pct, save_results  # noqa: E402
from index.backends import open_store  # noqa: E402
from index.documents import Document  # noqa: E402
from index.filters import DocFilter  # noqa: E402
from qa.offline.squad import load_squad  # noqa: E402
from qa.pipeline import QAPipeline, make_embedder, make_reader  # noqa: E402
from qa.retriever import HybridRetriever  # noqa: E402
from qa.settings import Settings  # noqa: E402

SOURCES = 100


def corpus(squad: Path, n: int) -> tuple[list[Document], dict[int, list]]:
    """n paragraphs as documents (dated over 2024, one of 100 sources each) and the questions of each."""
    questions: dict[int, list] = {}
    texts: dict[int, tuple[str, str]] = {}
    for q in load_squad(squad):
        if q.paragraph_index < n:
            questions.setdefault(q.paragraph_index, []).append(q)
            texts[q.paragraph_index] = (q.title, q.context)
    docs = [
        Document(
            text=texts[i][1],
            title=texts[i][0].replace("_", " "),
            date=(date(2024, 1, 1) + timedelta(days=(i * 37) % 366)).isoformat(),
            external_id=f"p{i}",
            meta={"site": f"Outlet {i % SOURCES}", "section": f"s{i % 7}"},
        )
        for i in sorted(texts)
    ]
    return docs, questions


def http_asks(index: Path, questions: list[str], filters: dict) -> dict:
    """p50/p90 ms of warm `POST /ask` with and without `filters` (alternating) on a real server over `index`."""
    import httpx

    from bench.bench_load import start_server

    port = 8795
    proc = start_server(index, port, 1)
    times: dict[str, list[float]] = {"filtered": [], "unfiltered": []}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as c:
            for q in questions[:2]:  # warm
                c.post("/ask", json={"question": q}).raise_for_status()
            for q in questions:
                for cond, body in (("filtered", {"filters": filters}), ("unfiltered", {})):
                    t = time.perf_counter()
                    c.post("/ask", json={"question": q, "top_k": 5, **body}).raise_for_status()
                    times[cond].append(time.perf_counter() - t)
    finally:
        proc.terminate()
        proc.wait(30)
    return {
        "p50_ms": {c: round(1000 * pct(v, 50), 1) for c, v in times.items()},
        "p90_ms": {c: round(1000 * pct(v, 90), 1) for c, v in times.items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--squad", type=Path, default=ROOT.parent / "shared" / "data" / "squad-v1.1-dev.json")
    ap.add_argument("--paragraphs", type=int, default=2000)
    ap.add_argument("--asks", type=int, default=60, help="questions timed through the whole pipeline, per condition")
    ap.add_argument("--output", type=Path, default=None)
    args = ap.parse_args()
    docs, questions = corpus(args.squad, args.paragraphs)
    embedder = make_embedder(Settings())
    work = Path(tempfile.mkdtemp(prefix="bench-filters-"))
    t0 = time.perf_counter()
    full = open_store(work / "full", embedder)
    full.add(docs)
    build_s = time.perf_counter() - t0
    filters = {
        "one source of 100": DocFilter.parse({"sources": ["outlet 7"]}),
        "4 days of 2024": DocFilter.parse({"since": "2024-06-01", "until": "2024-06-04"}),
    }
    rng = random.Random(0)
    results: dict = {"paragraphs": len(docs), "passages": full.stats().passages, "build_s": round(build_s, 1)}
    for name, f in filters.items():
        allowed = [d for d in docs if f.matches(d.id, d.external_id, d.date, d.url, d.meta)]
        allowed_ids = {d.id for d in allowed}
        sub = open_store(work / f"sub-{len(results)}", embedder)
        sub.add(allowed)
        filtered = HybridRetriever(full, embedder)
        alone = HybridRetriever(sub, embedder)
        inside = [q for d in allowed for q in questions[int(d.external_id[1:])]]
        anywhere = rng.sample([q for qs in questions.values() for q in qs], 200)
        only = [all(h.passage.document_id in allowed_ids for h in filtered.retrieve(q.question, 5, within=f))
                for q in anywhere]  # fmt: skip
        gold = {q.id: next(d.id for d in allowed if d.text == q.context) for q in inside}
        filtered.retrieve(anywhere[0].question, 5)  # warm, unfiltered
        t = time.perf_counter()
        filtered.retrieve(anywhere[0].question, 5, within=DocFilter.parse({**{"meta": {"cold": "x"}}}))
        cold_miss_ms = 1000 * (time.perf_counter() - t)  # a filter seen for the first time (its scope found by SQL)
        rec_f, rec_a, same = [], [], []
        t_f, t_u = [], []
        for q in inside:
            t = time.perf_counter()
            hf = filtered.retrieve(q.question, 5, within=f)
            t_f.append(time.perf_counter() - t)
            t = time.perf_counter()
            filtered.retrieve(q.question, 5)
            t_u.append(time.perf_counter() - t)
            ha = alone.retrieve(q.question, 5)
            rec_f.append(gold[q.id] in {h.passage.document_id for h in hf})
            rec_a.append(gold[q.id] in {h.passage.document_id for h in ha})
            same.append([h.passage.id for h in hf] == [h.passage.id for h in ha])
        results[name] = {
            "allowed_documents": len(allowed),
            "allowed_share": round(len(allowed) / len(docs), 4),
            "only_allowed": f"{sum(only)}/{len(only)}",
            "questions_inside": len(inside),
            "recall@5_filtered_full_index": round(statistics.mean(rec_f), 4),
            "recall@5_subset_index": round(statistics.mean(rec_a), 4),
            "identical_top5": f"{sum(same)}/{len(same)}",
            "retrieve_p50_ms": {"filtered": round(1000 * pct(t_f, 50), 1), "unfiltered": round(1000 * pct(t_u, 50), 1)},
            "retrieve_new_filter_ms": round(cold_miss_ms, 1),
        }
        sub.close()
        print(name, results[name], flush=True)
    pipe = QAPipeline(full, embedder, make_reader("", embedder, Settings()))
    pipe.warm_up()
    f = filters["one source of 100"]
    asks = [q for d in docs if f.matches(d.id, d.external_id, d.date, d.url, d.meta)
            for q in questions[int(d.external_id[1:])]][: args.asks]  # fmt: skip
    times: dict[str, list[float]] = {"filtered": [], "unfiltered": []}
    for q in asks:  # alternate, so that the machine's load falls on both alike
        for cond, flt in (("filtered", f), ("unfiltered", None)):
            t = time.perf_counter()
            pipe.ask(q.question, top_k=5, filters=flt)
            times[cond].append(time.perf_counter() - t)
    results["ask_p50_ms"] = {c: round(1000 * pct(v, 50), 1) for c, v in times.items()}
    results["ask_p90_ms"] = {c: round(1000 * pct(v, 90), 1) for c, v in times.items()}
    results["asks"] = len(asks)
    results["ask_http"] = http_asks(work / "full", [q.question for q in asks], {"sources": ["outlet 7"]})
    print("POST /ask", results["ask_http"], flush=True)
    results["command"] = "python bench/bench_filters.py"
    print(results["ask_p50_ms"], results["ask_p90_ms"])
    full.close()
    if args.output:
        save_results(args.output, results, key="filters")


if __name__ == "__main__":
    main()
