"""The FastAPI application: thin routes over one `QAPipeline`, opened once at start-up.

`create_app()` is the factory `qa serve` hands to uvicorn by its import string (`api.app:create_app`); it reads
the settings once (`Settings.from_env()`), and tests may pass a ready pipeline and settings instead.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from annotated_types import Ge, Le
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from api import openai_compat, web
from api.audit import AuditLog
from api.auth import AccessControl, Keyring, principal_of
from api.cors import add_cors
from api.documents import add_document_routes
from api.errors import document_errors, errors
from api.filters import Filters, search_filter
from api.limits import BodyLimit, Busy, WorkLimiter
from api.observability import AccessLog, Metrics, add_metrics_route
from api.rate_limit import RateLimit
from index.documents import DocumentError, DocumentTooLarge
from index.filters import DocFilter, FilterError
from qa.answers import AskResponse, PassageHit
from qa.followup import Turn
from qa.pipeline import (
    MAX_HISTORY_CHARS,
    MAX_HISTORY_TURNS,
    MAX_QUESTION_CHARS,
    MAX_TOP_K,
    NOT_BLANK,
    QAPipeline,
    QueryError,
)
from qa.settings import Settings
from qa.version import package_version, readers_version

T = TypeVar("T")


def _whole_number(value: object) -> object:
    """41.0 is the whole number 41 (JSON has one number type); `true` is not a number."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


TopK = Annotated[int, Field(strict=True), Ge(1), Le(MAX_TOP_K), BeforeValidator(_whole_number)]


class AskRequest(BaseModel):
    """The body of `POST /ask`."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        pattern=NOT_BLANK,  # not only white space
        examples=["Which countries are ready to send peacekeepers?"],
    )
    top_k: TopK = 5
    history: list[Turn] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_TURNS,
        description=(
            f"earlier turns, oldest first (at most {MAX_HISTORY_TURNS}, {MAX_HISTORY_CHARS:,} characters in all); "
            "an assistant turn may carry the `answer` it gave (an /ask response)"
        ),
    )
    filters: Filters | None = Field(
        default=None, description="answer only from these documents (by date, source, id, metadata)"
    )


class Health(BaseModel):
    """Readiness: whether the index and models are loaded; the counts only for callers who may read."""

    status: Literal["ok", "loading"]
    ready: bool
    documents: int | None = None
    passages: int | None = None
    version: str = Field(default="", description="the articleqa package's version")
    reader_version: str = Field(default="", description="the reader's version (its weights' record)")
    reader_backend: str | None = Field(default=None, description="`torch` or `onnx`: what the reader runs on")
    embedder_backend: str | None = Field(default=None, description="`torch` or `onnx`: what the embedder runs on")


_NOUNS = {"q": "query", "question": "question", "text": "text"}


def _validation_detail(err: RequestValidationError) -> str:
    """One line saying which fields are wrong and why ("question is empty" rather than a regex)."""
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query"))
        msg = e.get("msg", "invalid")
        if e.get("type") == "json_invalid":
            return "request body is not valid JSON"
        noun = _NOUNS.get(loc.rsplit(".", 1)[-1])
        if noun and e.get("type") in ("string_too_short", "string_pattern_mismatch"):
            parts.append(f"{loc if noun == 'text' else noun} is empty")
            continue
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts) or "invalid request"


def create_app(pipeline: QAPipeline | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the app; without a `pipeline`, one is opened from the settings at start-up. Whether writes need a
    key is decided by `settings.host`, the bind address (`qa serve` passes it on as `QA_HOST`)."""
    settings = settings or Settings.from_env()
    state: dict[str, QAPipeline] = {}
    if pipeline is not None:
        state["pipe"] = pipeline

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if "pipe" not in state:
            pipe = await run_in_threadpool(QAPipeline.open, settings)
            await run_in_threadpool(pipe.warm_up)  # a server is ready when every model a question may need is
            state["pipe"] = pipe
        app.state.pipeline = state["pipe"]
        yield

    app = FastAPI(
        title="articleqa",
        description="Extractive question answering over news articles.",
        version=package_version(),
        lifespan=lifespan,
    )
    app.state.pipeline = pipeline
    app.state.answer_memory = openai_compat.AnswerMemory()
    app.state.limiter = WorkLimiter(settings.max_concurrent, settings.max_queue, settings.request_timeout)
    app.state.metrics = Metrics()
    app.state.metrics.watch(app.state.limiter)

    keyring = Keyring(settings.read_keys, settings.write_keys, settings.api_key)
    app.state.auth_required = keyring.required("read")

    _add_error_handlers(app)
    _add_routes(app, state, settings, keyring)
    app.include_router(openai_compat.router)
    app.include_router(web.router)
    add_metrics_route(app, app.state.metrics)
    # outermost last: CORS > access log > access control > rate limit > body limit > routes
    app.add_middleware(BodyLimit, max_bytes=4 * settings.max_document_chars + (1 << 20))
    app.add_middleware(RateLimit, limits=settings.rate_limit, refused=app.state.metrics.rate_limited)
    app.add_middleware(AccessControl, keyring=keyring, loopback_only=settings.loopback_only,
                       trusted_proxies=settings.trusted_proxies)  # fmt: skip
    app.add_middleware(AccessLog, metrics=app.state.metrics)  # sees every refusal, and who was refused
    add_cors(app, settings.cors_origins)  # added last so 401s, 403s and 429s carry CORS headers too
    _truthful_openapi(app)
    return app


def _truthful_openapi(app: FastAPI) -> None:
    """The OpenAPI document with every schema it references and every status the routes answer."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(openai_compat.chat_schemas())
            app.openapi_schema = document_errors(schema)
        return app.openapi_schema

    app.openapi = build  # type: ignore[method-assign]


def _add_error_handlers(app: FastAPI) -> None:
    """Errors as `{"detail": ...}`: 422 for invalid requests and rejected questions, 413 for documents too
    large, 503 with Retry-After when busy, 500 (logged) otherwise."""

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

    @app.exception_handler(FilterError)
    async def _bad_filter(request: Request, err: FilterError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(err)})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, err: StarletteHTTPException) -> JSONResponse:
        headers = dict(err.headers or {})
        if err.status_code == 405:  # every method the path has, not only those of the first route matched
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        if request.url.path.startswith("/v1/"):
            out = openai_compat.openai_error(err.status_code, str(err.detail), code=None)
            out.headers.update(headers)
            return out
        return JSONResponse(status_code=err.status_code, content={"detail": err.detail}, headers=headers)

    @app.exception_handler(Busy)
    async def _busy(request: Request, err: Busy) -> JSONResponse:
        request.app.state.metrics.refused.labels(err.reason).inc()
        headers = {"Retry-After": str(err.retry_after)}
        return JSONResponse(status_code=503, content={"detail": err.detail}, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> JSONResponse:
        logging.getLogger("articleqa").exception("unexpected error on %s", request.url.path)
        return JSONResponse(status_code=500, content={"detail": f"internal error: {type(err).__name__}"})


def allowed_methods(app: FastAPI, scope: Mapping[str, Any]) -> list[str]:
    """The methods of every route whose path matches this request's path."""
    methods: set[str] = set()
    for route in app.routes:
        if isinstance(route, APIRoute | Route) and route.path_regex.match(scope["path"]):
            methods |= set(route.methods or ())
    return sorted(methods)


def _add_routes(app: FastAPI, state: dict[str, QAPipeline], settings: Settings, keyring: Keyring) -> None:
    """The question-answering routes over the pipeline in `state` (503 until it is loaded)."""
    limiter: WorkLimiter = app.state.limiter
    model_seconds = app.state.metrics.model_seconds
    version = package_version()

    @functools.lru_cache(maxsize=4)  # the settings' readers while loading, the pipeline's after: each read once
    def versions(reader_dirs: tuple[Path, ...]) -> str:
        return readers_version(reader_dirs)

    def reader() -> str:
        """What answers: the loaded pipeline's readers, else (still loading) the ones the settings ask for."""
        return versions(tuple(state["pipe"].reader_dirs() if "pipe" in state else settings.reader_dirs))

    def pipe() -> QAPipeline:
        if "pipe" not in state:
            raise HTTPException(status_code=503, detail="the index and models are still loading")
        return state["pipe"]

    async def work(route: str, fn: Callable[[], T], client: str) -> T:
        t0 = time.perf_counter()
        try:
            return await limiter.run(fn, client)
        finally:
            model_seconds.labels(route).observe(time.perf_counter() - t0)

    @app.get("/health", response_model=Health, response_model_exclude_none=True, responses=errors(503))
    def health(request: Request) -> Health | JSONResponse:
        """Readiness: 200 once the index and models are loaded (503 before); counts only for callers who may read."""
        if "pipe" not in state:
            loading = Health(status="loading", ready=False, version=version, reader_version=reader())
            body = loading.model_dump(exclude_none=True)
            return JSONResponse(status_code=503, content=body)
        if keyring.required("read") and "read" not in principal_of(request.scope).scopes:
            return Health(status="ok", ready=True, version=version, reader_version=reader())
        stats = state["pipe"].stats()
        backends = state["pipe"].backends()
        return Health(
            status="ok",
            ready=True,
            version=version,
            reader_version=reader(),
            documents=stats.documents,
            passages=stats.passages,
            reader_backend=backends.get("reader"),
            embedder_backend=backends.get("embedder"),
        )

    @app.post("/ask", response_model=AskResponse, responses=errors(422, 503))
    async def ask(req: AskRequest, request: Request) -> AskResponse:
        """Answer a question: extractive answers with document offsets, and the passages read."""
        p = pipe()
        who = principal_of(request.scope).identity
        f = req.filters.to_filter() if req.filters else None
        return await work("/ask", lambda: p.ask(req.question, top_k=req.top_k, history=req.history, filters=f), who)

    @app.get("/search", response_model=list[PassageHit], responses=errors(422, 503))
    async def search(
        request: Request,
        q: str = Query(..., min_length=1, max_length=MAX_QUESTION_CHARS, pattern=NOT_BLANK, description="query text"),
        k: int = Query(5, ge=1, le=MAX_TOP_K),
        f: DocFilter = Depends(search_filter),
    ) -> list[PassageHit]:
        """Retrieve passages only (no reading), of the documents the filter parameters allow."""
        p = pipe()
        return await work("/search", lambda: p.search(q, top_k=k, filters=f), principal_of(request.scope).identity)

    add_document_routes(app, pipe, settings.max_document_chars, work, AuditLog(settings.audit_log))
