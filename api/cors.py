"""CORS for the embeddable widget: allowed origins come from `QA_CORS_ORIGINS` (comma-separated, or `*`)."""

from __future__ import annotations

import os

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware


def cors_origins() -> list[str]:
    """Origins such as `https://news.example.org`; empty (same origin only) when unset."""
    raw = os.environ.get("QA_CORS_ORIGINS", "")
    return [o.strip().rstrip("/") for o in raw.split(",") if o.strip()]


def add_cors(app: FastAPI, origins: list[str] | None = None) -> None:
    """Let pages on `origins` call the API from the browser (added last, so 401s carry CORS headers too)."""
    origins = cors_origins() if origins is None else origins
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
