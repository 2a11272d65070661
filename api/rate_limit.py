"""Per-client rate limits on the read routes (`QA_RATE_LIMIT`, the `limits` library's notation, moving windows).

A client is its key when it presented a valid one, else its address (see `auth.Principal.identity`); a request
over any of the limits is answered 429 with `Retry-After` before it reaches the routes, and counted in
`articleqa_rate_limited_total`. Counts are per process: with `--workers N` each worker counts on its own.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import needed_scope, principal_of
from api.errors import error_response

EXEMPT = frozenset({"/metrics"})


def _describe(item: RateLimitItem) -> str:
    n = item.multiples
    unit = item.GRANULARITY.name
    return f"{item.amount} per {unit}" if n == 1 else f"{item.amount} per {n} {unit}s"


class RateLimit:
    """Pure ASGI middleware: 429 with Retry-After once a client passes one of `limits` on a read route."""

    def __init__(self, app: ASGIApp, limits: str, refused: Counter) -> None:
        self.app = app
        self.items = parse_many(limits) if limits else []
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.refused = refused

    def _over(self, identity: str) -> tuple[RateLimitItem, int] | None:
        """The first limit this request passes and the seconds until it may retry, or None (and it is counted)."""
        for item in self.items:
            if not self.limiter.test(item, identity):
                reset = self.limiter.get_window_stats(item, identity).reset_time
                return item, max(1, math.ceil(reset - time.time()))
        for item in self.items:
            self.limiter.hit(item, identity)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count the request against its client's limits; refuse it when over one."""
        if (
            not self.items
            or scope["type"] != "http"
            or scope["method"] == "OPTIONS"
            or scope["path"] in EXEMPT
            or needed_scope(scope["method"], scope["path"]) != "read"
        ):
            await self.app(scope, receive, send)
            return
        principal = principal_of(scope)
        over = self._over(principal.identity)
        if over is None:
            await self.app(scope, receive, send)
            return
        item, retry = over
        self.refused.labels("key" if principal.key_id else "address").inc()
        message = f"rate limit exceeded: at most {_describe(item)} for each client; retry in {retry} s"
        headers = {"Retry-After": str(retry)}
        # under /v1/ as OpenAI answers it: type "requests", code "rate_limit_exceeded"
        response = error_response(scope["path"], 429, message, "rate_limit_exceeded", "requests", headers)
        await response(scope, receive, send)
