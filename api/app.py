"""The FastAPI application: thin routes over one `QAPipeline`, opened once at start-up.

`create_app()` is the factory `qa serve` hands to uvicorn by its import string (`api.app:create_app`); it reads
the settings once (`Settings.from_env()`), and tests may pass a ready pipeline and settings instead.
"""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api import openai_compat, web
from api.auth import add_auth
from api.cors import add_cors
from api.documents import add_document_routes
from api.limits import BodyLimit
from index.documents import DocumentError, DocumentTooLarge
from qa.answers import AskResponse, PassageHit
from qa.followup import Turn
from qa.pipeline import MAX_QUESTION_CHARS, MAX_TOP_K, QAPipeline, QueryError
from qa.settings import Settings


class AskRequest(BaseModel):
    """The body of `POST /ask`."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=MAX_QUESTION_CHARS, examples=["Which countries are ready to send peacekeepers?"])
    top_k: int = Field(default=5, ge=1, le=MAX_TOP_K, strict=True)  # strict: `true` is not 1
    history: list[Turn] = Field(
        default_factory=list,
        description="earlier turns, oldest first; an assistant turn may carry the `answer` it gave (an /ask response)",
    )


def _validation_detail(err: RequestValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query"))
        msg = e.get("msg", "invalid")
        if e.get("type") == "json_invalid":
            return "request body is not valid JSON"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts) or "invalid request"


def create_app(pipeline: QAPipeline | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app; without a `pipeline`, one is opened from the settings at start-up."""
    settings = settings or Settings.from_env()
    state: dict[str, QAPipeline] = {}
    if pipeline is not None:
        state["pipe"] = pipeline

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if "pipe" not in state:
            state["pipe"] = await run_in_threadpool(QAPipeline.open, settings)
        app.state.pipeline = state["pipe"]
        yield

    app = FastAPI(
        title="articleqa",
        description="Extractive question answering over news articles.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.pipeline = pipeline
    app.state.answer_memory = openai_compat.AnswerMemory()

    _add_error_handlers(app)
    _add_routes(app, state, settings.max_document_chars)
    app.include_router(openai_compat.router)
    app.include_router(web.router)
    app.add_middleware(BodyLimit, max_bytes=4 * settings.max_document_chars + (1 << 20))
    add_auth(app, settings.api_key)
    add_cors(app, settings.cors_origins)  # added last so it wraps the key check
    return app


def _add_error_handlers(app: FastAPI) -> None:
    """Errors as `{"detail": ...}`: 422 for invalid requests and rejected questions, 500 (logged) otherwise."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": _validation_detail(err)})

    @app.exception_handler(DocumentError)
    async def _bad_document(request: Request, err: DocumentError) -> JSONResponse:
        status = 413 if isinstance(err, DocumentTooLarge) else 422
        return JSONResponse(status_code=status, content={"detail": str(err)})

    @app.exception_handler(QueryError)
    async def _bad_query(request: Request, err: QueryError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(err)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> JSONResponse:
        logging.getLogger("articleqa").exception("unexpected error on %s", request.url.path)
        return JSONResponse(status_code=500, content={"detail": f"internal error: {type(err).__name__}"})


def _add_routes(app: FastAPI, state: dict[str, QAPipeline], max_chars: int) -> None:
    """The question-answering routes over the pipeline in `state` (503 until it is loaded)."""

    def pipe() -> QAPipeline:
        if "pipe" not in state:
            raise HTTPException(status_code=503, detail="the index and models are still loading")
        return state["pipe"]

    @app.get("/health")
    def health() -> dict[str, Any]:
        """Whether the index and models are loaded, and how much the index holds."""
        if "pipe" not in state:
            return {"status": "loading", "documents": 0, "passages": 0}
        return {"status": "ok", **asdict(state["pipe"].stats())}

    @app.post("/ask", response_model=AskResponse)
    def ask(req: AskRequest) -> AskResponse:
        """Answer a question: extractive answers with document offsets, and the passages read."""
        return pipe().ask(req.question, top_k=req.top_k, history=req.history)

    @app.get("/search", response_model=list[PassageHit])
    def search(
        q: str = Query(..., max_length=MAX_QUESTION_CHARS, description="query text"),
        k: int = Query(5, ge=1, le=MAX_TOP_K),
    ) -> list[PassageHit]:
        """Retrieve passages only (no reading)."""
        return pipe().search(q, top_k=k)

    add_document_routes(app, pipe, max_chars)
