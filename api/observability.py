"""Operations: Prometheus metrics at `GET /metrics` and one structured (JSON) access-log line per request.

Metrics: requests by route template, method and status; request latency histograms by route; model work in
flight and queued (gauges); model-work time by route; requests refused by the work limiter, by reason; requests
refused by the rate limit, by what the client was known by. Each
app has its own registry (several apps in one test process do not collide); with `qa serve --workers N` each
worker reports its own figures (scrape them through the load balancer, or run one worker per container).
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import principal_of

if TYPE_CHECKING:
    from api.limits import WorkLimiter

ACCESS_LOG = logging.getLogger("articleqa.access")
_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The service's Prometheus metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("articleqa_requests_total", "HTTP requests", ["route", "method", "status"], registry=r)
        self.latency = Histogram(
            "articleqa_request_seconds", "HTTP request latency", ["route", "method"], buckets=_BUCKETS, registry=r
        )
        self.model_seconds = Histogram(
            "articleqa_model_work_seconds", "time in model work (retrieval, reading, embedding)", ["route"],
            buckets=_BUCKETS, registry=r,
        )  # fmt: skip
        self.refused = Counter("articleqa_refused_total", "requests refused with 503", ["reason"], registry=r)
        self.in_flight = Gauge("articleqa_model_work_in_flight", "requests doing model work now", registry=r)
        self.queued = Gauge("articleqa_queue_depth", "requests waiting for a model-work slot", registry=r)
        self.rate_limited = Counter(
            "articleqa_rate_limited_total", "requests refused with 429, by key or address",
            ["by"], registry=r,
        )  # fmt: skip

    def watch(self, limiter: WorkLimiter) -> None:
        """Report the limiter's in-flight and queued counts whenever metrics are scraped."""
        self.in_flight.set_function(lambda: limiter.active)
        self.queued.set_function(lambda: limiter.waiting)

    def render(self) -> Response:
        """The metrics in Prometheus's text format."""
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def _route(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path_format", None) or getattr(route, "path", None) or "unmatched"  # without :path


class AccessLog:
    """Pure ASGI middleware: times every request, counts it, and logs one JSON line (method, route, path,
    status, milliseconds, client, key id: never a key) on the `articleqa.access` logger. Streams are timed to
    their last byte."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; record its status and duration when the response is complete."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            seconds = time.perf_counter() - t0
            route = _route(scope)
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()
            self.metrics.latency.labels(route, scope["method"]).observe(seconds)
            who = principal_of(scope)
            client = scope.get("client")
            ACCESS_LOG.info(
                json.dumps(
                    {
                        "ts": round(time.time(), 3),
                        "method": scope["method"],
                        "route": route,
                        "path": scope.get("path", ""),
                        "status": status,
                        "ms": round(1000 * seconds, 1),
                        "client": who.client if who.client != "unknown" else (client[0] if client else None),
                        "key": who.key_id,
                    }
                )
            )


def add_metrics_route(app: FastAPI, metrics: Metrics) -> None:
    """`GET /metrics` on `app` (the access log, `AccessLog`, is added with the other middleware)."""

    @app.get("/metrics", include_in_schema=True, response_class=Response, tags=["operations"])
    def metrics_route() -> Response:
        """Prometheus metrics (text format)."""
        return metrics.render()
