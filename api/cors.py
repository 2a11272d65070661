"""CORS for the embeddable widget: the allowed origins come from the settings (`QA_CORS_ORIGINS`)."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware


def add_cors(app: FastAPI, origins: Sequence[str]) -> None:
    """Let pages on `origins` call the API from the browser (added last, so 401s carry CORS headers too)."""
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
