"""Limits that keep the service responsive: the request body size (413 before the body is read) and the model
work in flight (`WorkLimiter`: a few slots, a short queue, a time limit; 503 with Retry-After beyond)."""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response


class BodyTooLarge(Exception):
    """Raised inside the app when a streamed body passes the limit."""


class BodyLimit:
    """Pure ASGI middleware: 413 when Content-Length (or the bytes actually sent) exceed `max_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _refusal(self, size: int | None, path: str) -> JSONResponse:
        said = f"{size:,} bytes; " if size is not None else ""
        message = f"request body too large ({said}at most {self.max_bytes:,} bytes): send less per request"
        return error_response(path, 413, message, "body_too_large")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length first, then count the bytes as they arrive."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"").decode("latin-1").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refusal(int(declared), scope["path"])(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refusal(None, scope["path"])(scope, receive, send)


class Busy(Exception):
    """Model work refused: every slot is taken and the queue is full, or the request ran out of time."""

    def __init__(self, detail: str, retry_after: int, reason: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after
        self.reason = reason  # "queue_full", "queue_timeout" or "time_limit": a metrics label


T = TypeVar("T")


class WorkLimiter:
    """At most `slots` requests doing model work at once, at most `queue` more waiting for a slot; the rest are
    refused at once (503 with Retry-After) instead of piling up in the thread pool. A request that waits or
    works longer than `time_limit` seconds is answered 503 too; its thread finishes in the background and only
    then frees its slot, so the number of threads doing model work never exceeds `slots`.

    Fair between clients (`client`: who asks, see `auth.Principal.identity`): a free slot goes to the waiting
    client served least recently, and when the queue is full a newcomer takes the place of the newest waiter of
    the client with the most waiting, so one greedy client is refused itself instead of shutting others out."""

    def __init__(self, slots: int, queue: int, time_limit: float) -> None:
        self.slots = max(1, slots)
        self.queue = max(0, queue)
        self.time_limit = time_limit
        self.active = 0
        self.waiting = 0
        self._queues: dict[str, deque[asyncio.Future[None]]] = {}
        self._served: dict[str, int] = {}  # client -> turn it was last given a slot
        self._turn = 0

    def retry_after(self) -> int:
        """Seconds to suggest in Retry-After: about one per queued question per slot."""
        return max(1, math.ceil((self.active + self.waiting) / self.slots))

    def full(self) -> bool:
        """True when a question arriving now would be refused."""
        return self.active + self.waiting >= self.slots + self.queue

    def _busy(self, reason: str) -> Busy:
        if reason == "queue_full":
            detail = f"the service is busy ({self.active} questions in progress, {self.waiting} waiting); retry shortly"
        else:
            detail = f"the service is busy: no slot became free within {self.time_limit:g} s; retry shortly"
        return Busy(detail, self.retry_after(), reason)

    def _make_room(self, client: str) -> None:
        """Refuse the newest waiter of the greediest other client to make room for `client`, or raise `Busy`."""
        mine = len(self._queues.get(client, ()))
        greedy = max(self._queues, key=lambda c: len(self._queues[c]), default=None)
        if greedy is None or greedy == client or len(self._queues[greedy]) <= mine + 1:
            raise self._busy("queue_full")
        self._remove(greedy, self._queues[greedy][-1]).set_exception(self._busy("queue_full"))

    def _remove(self, client: str, waiter: asyncio.Future[None]) -> asyncio.Future[None]:
        q = self._queues[client]
        q.remove(waiter)
        self.waiting -= 1
        if not q:
            del self._queues[client]
        return waiter

    def _start(self, client: str) -> None:
        self.active += 1
        self._turn += 1
        self._served.pop(client, None)  # re-inserted: the dict's order is the order of service
        self._served[client] = self._turn
        while len(self._served) > 4096:  # forget the clients served longest ago
            self._served.pop(next(iter(self._served)))

    def _release(self, _: object = None) -> None:
        """A slot is free: give it to the waiting client served least recently."""
        self.active -= 1
        while self._queues and self.active < self.slots:
            client = min(self._queues, key=lambda c: self._served.get(c, 0))
            waiter = self._remove(client, self._queues[client][0])
            if not waiter.done():
                self._start(client)
                waiter.set_result(None)

    async def _slot(self, client: str) -> None:
        """Wait for a slot (counted as active once this returns); `Busy` when refused or out of time."""
        if self.active < self.slots and not self._queues:
            self._start(client)
            return
        if self.active + self.waiting >= self.slots + self.queue:  # counted before any await: no race
            self._make_room(client)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(client, deque()).append(waiter)
        self.waiting += 1
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout=self.time_limit)
        except (TimeoutError, asyncio.CancelledError) as err:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._release()  # the slot came just as the wait ended: pass it on
            elif not waiter.done():
                self._remove(client, waiter).cancel()
            if isinstance(err, TimeoutError):
                raise self._busy("queue_timeout") from None
            raise

    async def run(self, fn: Callable[[], T], client: str = "") -> T:
        """Run `fn` in a worker thread once a slot is free; `Busy` when refused or out of time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.time_limit
        await self._slot(client)
        task = asyncio.ensure_future(run_in_threadpool(fn))
        task.add_done_callback(self._release)
        try:
            return await asyncio.wait_for(asyncio.shield(task), timeout=max(0.001, deadline - loop.time()))
        except TimeoutError:
            task.add_done_callback(_consume)  # its result or error is no longer wanted
            raise Busy(
                f"the question took longer than the {self.time_limit:g} s limit", self.retry_after(), "time_limit"
            ) from None


def _consume(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()
