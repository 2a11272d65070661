"""The work limiter on its own: slots, the queue, refusals with a Retry-After, and the time limit (real threads
and real sleeps standing in for model work)."""

from __future__ import annotations

import asyncio
import threading
import time

from api.limits import Busy, WorkLimiter


def run(limiter: WorkLimiter, n: int, seconds: float) -> list[object]:
    peak = 0
    running = 0
    lock = threading.Lock()

    def work() -> str:
        nonlocal peak, running
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(seconds)
        with lock:
            running -= 1
        return "done"

    async def one() -> object:
        try:
            return await limiter.run(work)
        except Busy as busy:
            return busy

    async def all_of_them() -> list[object]:
        out = await asyncio.gather(*[one() for _ in range(n)])
        await asyncio.sleep(seconds * (n + 1))  # let timed-out work finish and free its slot
        return out

    results = asyncio.run(all_of_them())
    assert peak <= limiter.slots, "never more threads doing model work than slots"
    return results


def test_slots_and_queue_admit_so_many_and_refuse_the_rest_at_once() -> None:
    limiter = WorkLimiter(slots=2, queue=3, time_limit=30)
    t0 = time.perf_counter()
    results = run(limiter, 9, 0.2)
    assert results.count("done") == 5
    refused = [r for r in results if isinstance(r, Busy)]
    assert len(refused) == 4 and {r.reason for r in refused} == {"queue_full"}
    assert all(r.retry_after >= 1 and "busy" in r.detail for r in refused)
    assert time.perf_counter() - t0 < 3
    assert (limiter.active, limiter.waiting) == (0, 0)


def test_the_time_limit_covers_waiting_and_working() -> None:
    limiter = WorkLimiter(slots=1, queue=5, time_limit=2.0)  # margins of 0.8 s: a loaded machine is slow to switch
    results = run(limiter, 4, 1.2)
    assert results[0] == "done"
    reasons = [r.reason for r in results[1:] if isinstance(r, Busy)]
    assert len(reasons) == 3 and set(reasons) <= {"time_limit", "queue_timeout"}
    assert (limiter.active, limiter.waiting) == (0, 0)


def test_errors_of_the_work_reach_the_caller_and_free_the_slot() -> None:
    limiter = WorkLimiter(slots=1, queue=0, time_limit=5)

    def fails() -> None:
        raise ValueError("bad input")

    async def go() -> str:
        try:
            await limiter.run(fails)
        except ValueError as err:
            return str(err)
        return "no error"

    assert asyncio.run(go()) == "bad input"
    assert (limiter.active, limiter.waiting) == (0, 0)


def test_one_greedy_client_cannot_shut_another_out() -> None:
    """A client with the queue full of its requests is refused itself; the newcomer takes the place of its newest
    waiter and gets the next free slot (the client served least recently goes first)."""
    limiter = WorkLimiter(slots=1, queue=4, time_limit=30)
    order: list[str] = []

    def work(who: str):
        def fn() -> str:
            time.sleep(0.2)
            order.append(who)
            return who

        return fn

    async def one(who: str) -> object:
        try:
            return await limiter.run(work(who), client=who)
        except Busy as busy:
            return busy

    async def scenario() -> tuple[list[object], object]:
        greedy = [asyncio.ensure_future(one("greedy")) for _ in range(12)]
        await asyncio.sleep(0.05)  # the greedy client holds the slot and the whole queue
        assert limiter.full()
        polite = await one("polite")
        return list(await asyncio.gather(*greedy)), polite

    greedy, polite = asyncio.run(scenario())
    assert polite == "polite"
    assert order.index("polite") == 1, order  # right after the greedy request that held the slot
    refused = [r for r in greedy if isinstance(r, Busy)]
    assert len(refused) == 8 and all(r.reason == "queue_full" for r in refused)  # 12 - 1 working - 3 queued
    assert (limiter.active, limiter.waiting) == (0, 0)


def test_a_waiter_that_gives_up_leaves_no_trace() -> None:
    limiter = WorkLimiter(slots=1, queue=2, time_limit=30)

    async def scenario() -> object:
        first = asyncio.ensure_future(limiter.run(lambda: time.sleep(0.3), client="a"))
        await asyncio.sleep(0.05)
        second = asyncio.ensure_future(limiter.run(lambda: "b", client="b"))
        await asyncio.sleep(0.05)
        second.cancel()  # a client that disconnects while it waits
        await asyncio.sleep(0.01)
        assert limiter.waiting == 0
        await first
        return await limiter.run(lambda: "c", client="c")

    assert asyncio.run(scenario()) == "c"
    assert (limiter.active, limiter.waiting) == (0, 0)
