"""Load benchmark: `qa serve` under 1, 8, 32 and 64 concurrent clients, and beside the raw floor.

    python bench/bench_load.py [--seconds 60] [--clients 1,8,32,64] [--workers 1] [--output bench/results.json]

- Load: N asyncio clients, each sending `POST /ask` (seed-article questions, single and list) back to back for
  `--seconds`; throughput of answered requests, p50/p99 latency of the accepted ones, share refused with 503,
  server RSS before and after each round (summed over worker processes).
- Floor: the same embedder and reader used by hand in this process (sentence-transformers encode, FAISS
  search, one transformers forward over the top-5 passages' windows, argmax decode), warm, p50 per question,
  beside single-client `POST /ask` p50 measured in the same run.
- Memory per extra worker: RSS of `qa serve --workers 2` minus `--workers 1`, after a warm-up round.
Figures go under the "load" key of bench/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.common import Floor, pct, save_results, seed_index  # noqa: E402

QUESTIONS = [
    "Who is the Belgian Prime Minister?",
    "Who is the Australian Prime Minister?",
    "Where did the Coalition of the Willing meet?",
    "What did the Bulgarian parliament adopt?",
    "Who won the 2018 World Cup?",
    "Which countries are ready to send peacekeepers?",
]


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (uvicorn workers)."""
    total = 0
    pids = [pid]
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        pids += [int(p) for p in out]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def start_server(index: Path, port: int, workers: int, extra: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "QA_INDEX_DIR": str(index), "QA_API_KEY": "", "QA_RATE_LIMIT": "off", **(extra or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "serve", "--port", str(port), "--quiet", "--workers", str(workers)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    while time.time() < deadline:
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


async def load_round(base: str, clients: int, seconds: float) -> dict:
    ok: list[float] = []
    refused = 0
    errors = 0
    stop = time.perf_counter() + seconds

    async def client(i: int) -> None:
        nonlocal refused, errors
        async with httpx.AsyncClient(base_url=base, timeout=120) as c:
            n = i
            while time.perf_counter() < stop:
                q = QUESTIONS[n % len(QUESTIONS)]
                n += 1
                t = time.perf_counter()
                try:
                    r = await c.post("/ask", json={"question": q, "top_k": 5})
                except httpx.HTTPError:
                    errors += 1
                    continue
                if r.status_code == 200:
                    ok.append(time.perf_counter() - t)
                elif r.status_code == 503:
                    refused += 1
                    await asyncio.sleep(min(1.0, float(r.headers.get("retry-after", "1"))))
                else:
                    errors += 1

    t0 = time.perf_counter()
    await asyncio.gather(*[client(i) for i in range(clients)])
    wall = time.perf_counter() - t0
    total = len(ok) + refused + errors
    return {
        "clients": clients,
        "answered_per_second": round(len(ok) / wall, 2),
        "p50_ms": round(1000 * pct(ok, 50), 1),
        "p99_ms": round(1000 * pct(ok, 99), 1),
        "refused_share": round(refused / total, 3) if total else 0.0,
        "errors": errors,
    }


def floor_latency(index: Path, repeats: int) -> dict:
    """The hand-written floor with the same models (`Floor`): p50 per question, warm."""
    return {"floor_p50_ms": round(1000 * statistics.median(Floor(index).times(QUESTIONS, repeats)), 1)}


def single_client(base: str, repeats: int) -> dict:
    lat = []
    with httpx.Client(base_url=base, timeout=60) as c:
        for q in QUESTIONS:
            c.post("/ask", json={"question": q, "top_k": 5})
        for _ in range(repeats):
            for q in QUESTIONS:
                t = time.perf_counter()
                c.post("/ask", json={"question": q, "top_k": 5}).raise_for_status()
                lat.append(time.perf_counter() - t)
    return {"ask_p50_ms": round(1000 * statistics.median(lat), 1), "ask_p95_ms": round(1000 * pct(lat, 95), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--clients", default="1,8,32,64")
    ap.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    args = ap.parse_args()

    index = seed_index("qa-bench-load-")
    results: dict = {"corpus": "seed article", "seconds_per_round": args.seconds}

    proc = start_server(index, 8793, 1)
    base = "http://127.0.0.1:8793"
    try:
        results["single_client"] = single_client(base, 10)
        rounds = []
        for n in [int(x) for x in args.clients.split(",")]:
            before = tree_rss_mb(proc.pid)
            r = asyncio.run(load_round(base, n, args.seconds))
            r["rss_mb_before"] = round(before)
            r["rss_mb_after"] = round(tree_rss_mb(proc.pid))
            rounds.append(r)
            print(r, flush=True)
        results["rounds"] = rounds
        one_worker = tree_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    results.update(floor_latency(index, 10))
    print(results, flush=True)

    proc = start_server(index, 8794, 2)
    try:
        asyncio.run(load_round("http://127.0.0.1:8794", 8, 10))
        two_workers = tree_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    results["rss_mb_one_worker"] = round(one_worker)
    results["rss_mb_two_workers"] = round(two_workers)
    results["rss_mb_per_extra_worker"] = round(two_workers - one_worker)
    save_results(args.output, results, "load")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
