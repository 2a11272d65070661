"""Fairness benchmark: one greedy client bursting 50 requests a second while a polite client asks once a second.

    python bench/bench_fairness.py [--seconds 30] [--rate 50] [--rate-limit DEFAULT] [--output bench/results.json]

`qa serve` over the seed article with open reads, 127.0.0.1 a trusted proxy: each client is known by the address
its X-Forwarded-For names (as behind a site's reverse proxy). Phase 1: the polite client alone, one `POST /ask`
a second for `--seconds`. Phase 2: the same while the greedy client fires `POST /ask` at `--rate` per second
without waiting for answers. Reported: the polite client's success share and p50/p99 in each phase and their
ratio (issue 33's floor: >= 99% and p99 no worse than 2x), the greedy client's statuses. Figures go under the
"fairness" key of `--output`. Needs an idle machine: the model work of the polite client is what is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.bench_load import QUESTIONS, start_server  # noqa: E402
from bench.common import pct, save_results, seed_index  # noqa: E402


async def polite(c: httpx.AsyncClient, address: str, seconds: float) -> tuple[list[float], Counter]:
    """One question a second (open loop: the next is sent on time even if the last is still running)."""
    lat: list[float] = []
    statuses: Counter = Counter()

    async def one(q: str) -> None:
        t = time.perf_counter()
        try:
            r = await c.post("/ask", json={"question": q, "top_k": 5}, headers={"X-Forwarded-For": address})
            statuses[r.status_code] += 1
            if r.status_code == 200:
                lat.append(time.perf_counter() - t)
        except httpx.HTTPError as err:
            statuses[type(err).__name__] += 1

    tasks = []
    for i in range(int(seconds)):
        tasks.append(asyncio.ensure_future(one(QUESTIONS[i % len(QUESTIONS)])))
        await asyncio.sleep(1.0)
    await asyncio.gather(*tasks)
    return lat, statuses


async def greedy(c: httpx.AsyncClient, rate: float, stop: asyncio.Event) -> Counter:
    """`rate` requests a second from one address, each sent without waiting for the ones before."""
    statuses: Counter = Counter()

    async def one(q: str) -> None:
        try:
            r = await c.post("/ask", json={"question": q, "top_k": 5}, headers={"X-Forwarded-For": "203.0.113.66"})
            statuses[r.status_code] += 1
        except httpx.HTTPError as err:
            statuses[type(err).__name__] += 1

    tasks = []
    n = 0
    t0 = time.perf_counter()
    while not stop.is_set():
        tasks.append(asyncio.ensure_future(one(QUESTIONS[n % len(QUESTIONS)])))
        n += 1
        await asyncio.sleep(max(0.0, t0 + n / rate - time.perf_counter()))  # on schedule, without drift
    statuses["sent_per_second"] = round(n / (time.perf_counter() - t0), 1)  # type: ignore[assignment]
    await asyncio.gather(*tasks)
    return statuses


def summary(lat: list[float], statuses: Counter) -> dict:
    total = sum(statuses.values())
    return {
        "requests": total,
        "succeeded_share": round(statuses.get(200, 0) / total, 4) if total else 0.0,
        "p50_ms": round(1000 * pct(lat, 50), 1),
        "p99_ms": round(1000 * pct(lat, 99), 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items(), key=str)},
    }


async def run(base: str, seconds: float, rate: float) -> dict:
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as c:
        for q in QUESTIONS:  # warm up
            await c.post("/ask", json={"question": q, "top_k": 5}, headers={"X-Forwarded-For": "198.51.100.9"})
        alone = summary(*await polite(c, "198.51.100.1", seconds))
        stop = asyncio.Event()
        flood = asyncio.ensure_future(greedy(c, rate, stop))
        loaded = summary(*await polite(c, "198.51.100.2", seconds))
        stop.set()
        greedy_statuses = await flood
    return {
        "polite_alone": alone,
        "polite_under_burst": loaded,
        "p99_ratio": round(loaded["p99_ms"] / alone["p99_ms"], 2) if alone["p99_ms"] else None,
        "greedy": {
            "rate_per_second": rate,
            "statuses": {str(k): v for k, v in sorted(greedy_statuses.items(), key=str)},
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--rate-limit", default="", help="QA_RATE_LIMIT for the server (default: the service's)")
    ap.add_argument("--output", default=str(ROOT / "bench" / "results.json"))
    args = ap.parse_args()

    index = seed_index("qa-bench-fair-")
    env = {"QA_TRUSTED_PROXIES": "127.0.0.1", "QA_RATE_LIMIT": args.rate_limit}  # '': the default
    proc = start_server(index, 8795, 1, env)
    try:
        results = asyncio.run(run("http://127.0.0.1:8795", args.seconds, args.rate))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    results.update(
        {"seconds_per_phase": args.seconds, "rate_limit": args.rate_limit or "default", "cpus": os.cpu_count()}
    )
    save_results(args.output, results, "fairness")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
