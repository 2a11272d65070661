"""API key check: with `QA_API_KEY` set, every request but `/health` and the chat page's static files
needs `Authorization: Bearer KEY` (compared in constant time). Without a key the service is open.

The chat page and widget (`/`, `/widget.js`, `/static/*`) hold no data; they ask the user for the key
when the API answers 401. CORS preflights (`OPTIONS`) carry no credentials and pass through.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import FastAPI
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

PUBLIC_PATHS = frozenset({"/health", "/", "/widget.js", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/",)


def bearer_token(header: str) -> str:
    """The token of an `Authorization: Bearer TOKEN` header value ('' for any other scheme)."""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def key_matches(given: str, expected: str) -> bool:
    """Constant-time comparison of the presented and the configured key."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _rejection(path: str, presented: bool) -> JSONResponse:
    message = "invalid API key" if presented else "missing API key: send 'Authorization: Bearer <key>'"
    body: dict[str, Any]
    if path.startswith("/v1/"):
        code = "invalid_api_key"
        body = {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": code}}
    else:
        body = {"detail": message}
    return JSONResponse(status_code=401, content=body, headers={"WWW-Authenticate": "Bearer"})


class APIKeyMiddleware:
    """Pure ASGI middleware (it does not buffer streamed responses)."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.key = key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass public paths, preflights and non-HTTP traffic through; answer 401 to a missing or wrong key."""
        if scope["type"] != "http" or scope["method"] == "OPTIONS" or _is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        token = bearer_token(headers.get(b"authorization", b"").decode("latin-1"))
        if not token or not key_matches(token, self.key):
            await _rejection(scope["path"], bool(token))(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def add_auth(app: FastAPI, key: str) -> None:
    """Require `key` on `app` ('' leaves the service open)."""
    app.state.auth_required = bool(key)
    if key:
        app.add_middleware(APIKeyMiddleware, key=key)
