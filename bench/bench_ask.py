"""Benchmark: warm `POST /ask` latency over HTTP, the reader's share of it, indexing speed and memory.

Starts a real `qa serve` on 127.0.0.1 over an index of the seed corpus, sends warm requests, and times the
pipeline's stages in-process. Writes bench/results.json and prints a Markdown summary.

    python bench/bench_ask.py [--requests 30] [--output bench/results.json]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.common import pct, rss_mb, save_results  # noqa: E402

QUESTIONS = [
    "Which countries are ready to send peacekeepers?",
    "Who is the Belgian Prime Minister?",
    "Who is the Australian Prime Minister?",
    "Where did the Coalition of the Willing meet?",
    "Who won the 2018 World Cup?",
    "What did the Bulgarian parliament adopt?",
]


def stage_times(index_dir: Path, repeats: int) -> dict:
    """In-process: embedding+retrieval vs reading, per question kind, warm."""
    from qa.pipeline import QAPipeline
    from qa.reader import read_in_stages
    from qa.settings import Settings

    pipe = QAPipeline.open(Settings.from_env().with_(index_dir=index_dir))
    ret, read, total = [], [], []
    for _ in range(repeats):
        for q in QUESTIONS:
            t0 = time.perf_counter()
            hits = pipe.retriever.retrieve(q, 5)
            t1 = time.perf_counter()
            read_in_stages(lambda hs, q=q: pipe.reader.read(q, hs, top_k=5), hits, pipe.staging)  # as `ask` reads
            t2 = time.perf_counter()
            pipe.ask(q, top_k=5)
            t3 = time.perf_counter()
            ret.append((t1 - t0) * 1000)
            read.append((t2 - t1) * 1000)
            total.append((t3 - t2) * 1000)
    return {
        "reader": type(pipe.reader).__name__,
        "retrieval_ms_median": round(statistics.median(ret), 1),
        "reader_ms_median": round(statistics.median(read), 1),
        "pipeline_ask_ms_median": round(statistics.median(total), 1),
        "reader_share_of_ask": round(statistics.median(read) / statistics.median(total), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=30, help="warm requests per question")
    ap.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    args = ap.parse_args()

    from index.backends import open_store
    from index.documents import load_documents
    from index.embedder import Embedder

    tmp = Path(tempfile.mkdtemp(prefix="qa-bench-"))
    index_dir = tmp / "index"
    emb = Embedder()
    emb.warm_up()
    docs = load_documents([ROOT / "seeds"])
    t0 = time.perf_counter()
    store = open_store(index_dir, emb)
    store.add(docs)
    n_passages = store.stats().passages
    store.close()
    index_s = time.perf_counter() - t0

    port = 8765
    env = {**os.environ, "QA_INDEX_DIR": str(index_dir), "QA_API_KEY": "", "QA_RATE_LIMIT": "off"}  # one client, timed
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli.main", "serve", "--port", str(port), "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        startup_s = time.perf_counter() - t0
        lat: dict[str, list[float]] = {q: [] for q in QUESTIONS}
        with httpx.Client(base_url=base, timeout=30) as c:
            for q in QUESTIONS:  # warm-up
                c.post("/ask", json={"question": q, "top_k": 5}).raise_for_status()
            for _ in range(args.requests):
                for q in QUESTIONS:
                    t = time.perf_counter()
                    c.post("/ask", json={"question": q, "top_k": 5}).raise_for_status()
                    lat[q].append((time.perf_counter() - t) * 1000)
        server_rss = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    allv = [v for vs in lat.values() for v in vs]
    results = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "index": {"documents": len(docs), "passages": n_passages, "build_seconds": round(index_s, 2)},
        "server_startup_seconds": round(startup_s, 1),
        "ask_http_ms": {
            "requests": len(allv),
            "p50": round(pct(allv, 50), 1),
            "p95": round(pct(allv, 95), 1),
            "mean": round(statistics.mean(allv), 1),
            "per_question_p50": {q: round(pct(v, 50), 1) for q, v in lat.items()},
        },
        "server_rss_mb": round(server_rss, 0),
        "stages": stage_times(index_dir, repeats=5),
        "bench_process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0),
    }
    save_results(args.output, results)
    s = results["stages"]
    print(f"| warm POST /ask (seed corpus, top_k 5) | p50 {results['ask_http_ms']['p50']} ms, "
          f"p95 {results['ask_http_ms']['p95']} ms over {len(allv)} requests |")  # fmt: skip
    print(f"| reader ({s['reader']}) share of ask | {s['reader_ms_median']} ms of {s['pipeline_ask_ms_median']} ms "
          f"({int(100 * s['reader_share_of_ask'])}%); retrieval {s['retrieval_ms_median']} ms |")  # fmt: skip
    print(f"| server start-up (models + index) | {results['server_startup_seconds']} s; RSS {server_rss:.0f} MB |")
    ix = results["index"]
    print(f"| index build, seed corpus | {ix['passages']} passages in {ix['build_seconds']} s |")


if __name__ == "__main__":
    main()
