"""The FastAPI application: thin routes over one `QAPipeline` that is loaded once at start-up."""

from __future__ import annotations

import logging
from collections import Counter
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api import openai_compat, web
from api.auth import add_auth
from api.cors import add_cors
from qa.answers import AskResponse, PassageHit
from qa.pipeline import MAX_QUESTION_CHARS, MAX_TOP_K, QAPipeline, QueryError


class Turn(BaseModel):
    """One earlier turn of a conversation (for follow-up questions)."""

    model_config = ConfigDict(extra="forbid")
    role: str = Field(description="'user' or 'assistant'")
    content: str


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=MAX_QUESTION_CHARS, examples=["Which countries are ready to send peacekeepers?"])
    top_k: int = Field(default=5, ge=1, le=MAX_TOP_K, strict=True)  # strict: `true` is not 1
    history: list[Turn] = Field(default_factory=list, description="earlier turns, oldest first")


class DocumentSummary(BaseModel):
    id: str
    title: str
    url: str
    date: str
    source: str
    chars: int
    passages: int


class DocumentFull(DocumentSummary):
    text: str


def _passage_counts(pipe: QAPipeline) -> Counter[str]:
    return Counter(p.document_id for p in pipe.store.passages)


def _summary(pipe: QAPipeline, doc_id: str, counts: Counter[str], full: bool = False) -> dict[str, Any]:
    d = pipe.store.documents[doc_id]
    n = counts[doc_id]
    out = {
        "id": d.id, "title": d.title, "url": d.url, "date": d.date, "source": d.source,
        "chars": len(d.text), "passages": n,
    }  # fmt: skip
    if full:
        out["text"] = d.text
    return out


def _validation_detail(err: RequestValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query"))
        msg = e.get("msg", "invalid")
        if e.get("type") == "json_invalid":
            return "request body is not valid JSON"
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts) or "invalid request"


def create_app(pipeline: QAPipeline | None = None) -> FastAPI:
    """Build the app; the pipeline (index + models) is warmed up once, at start-up."""
    pipe = pipeline or QAPipeline()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await run_in_threadpool(pipe.warm_up)
        yield

    app = FastAPI(
        title="articleqa",
        description="Extractive question answering over news articles.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.pipeline = pipe

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": _validation_detail(err)})

    @app.exception_handler(QueryError)
    async def _bad_query(request: Request, err: QueryError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(err)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> JSONResponse:
        logging.getLogger("articleqa").exception("unexpected error on %s", request.url.path)
        return JSONResponse(status_code=500, content={"detail": f"internal error: {type(err).__name__}"})

    @app.get("/health")
    def health() -> dict[str, Any]:
        store = pipe.store
        return {
            "status": "ok" if store is not None else "loading",
            "documents": len(store.documents) if store else 0,
            "passages": len(store.passages) if store else 0,
        }

    @app.post("/ask", response_model=AskResponse)
    def ask(req: AskRequest) -> AskResponse:
        """Answer a question: extractive answers with document offsets, and the passages read."""
        return pipe.ask(req.question, top_k=req.top_k, history=req.history)

    @app.get("/search", response_model=list[PassageHit])
    def search(
        q: str = Query(..., max_length=MAX_QUESTION_CHARS, description="query text"),
        k: int = Query(5, ge=1, le=MAX_TOP_K),
    ) -> list[PassageHit]:
        """Retrieve passages only (no reading)."""
        return pipe.search(q, top_k=k)

    @app.get("/documents", response_model=list[DocumentSummary])
    def documents() -> list[dict[str, Any]]:
        counts = _passage_counts(pipe)
        return [_summary(pipe, i, counts) for i in pipe.store.documents]

    @app.get("/documents/{doc_id}", response_model=DocumentFull)
    def document(doc_id: str) -> dict[str, Any]:
        if doc_id not in pipe.store.documents:
            raise HTTPException(status_code=404, detail=f"no document with id {doc_id!r}")
        return _summary(pipe, doc_id, _passage_counts(pipe), full=True)

    app.include_router(openai_compat.router)
    app.include_router(web.router)
    add_auth(app)  # QA_API_KEY
    add_cors(app)  # QA_CORS_ORIGINS; added last so it wraps the key check
    return app
