"""The document routes: list, read, add and delete indexed articles, and add a feed's entries (`POST /feeds`).
Writes need a write key (see `auth`); each is recorded in the audit log, and an added document's metadata
keeps when and by which key it came.

A document added or deleted here is answered from (or no longer) on the very next request, by this process
and by every other process serving the same index.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.audit import PROVENANCE, AuditLog, provenance, utc_now
from api.auth import Principal, principal_of
from api.errors import errors
from index.datelines import split_dateline
from index.documents import Document, DocumentError, check_size, feed_documents
from qa.pipeline import NOT_BLANK, QAPipeline


class DocumentSummary(BaseModel):
    """One indexed document, without its text."""

    id: str
    title: str
    url: str
    date: str
    source: str
    external_id: str = ""
    chars: int
    passages: int


class DocumentFull(DocumentSummary):
    """One indexed document with its full text, the dateline cut from it at ingest, and its metadata."""

    text: str
    dateline: str
    metadata: dict[str, Any]


class DocumentIn(BaseModel):
    """A document to index. The same title and text always get the same id (re-posting is a no-op); a new text
    under a known `external_id` replaces the version indexed before."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, pattern=NOT_BLANK, description="the article's text")
    title: str = ""
    url: str = ""
    date: str = Field(default="", description="published date, as given")
    external_id: str = Field(default="", max_length=512, description="the publisher's own id for this article")
    metadata: dict[str, Any] = Field(
        default_factory=dict, description=f"anything but the key `{PROVENANCE}`, where the service records provenance"
    )


class DocumentBatch(BaseModel):
    """Several documents to index in one request."""

    model_config = ConfigDict(extra="forbid")
    documents: list[DocumentIn] = Field(min_length=1, max_length=1000)


class AddResponse(BaseModel):
    """What `POST /documents` did."""

    added: list[str]
    replaced: list[str]
    unchanged: list[str]
    passages: int
    documents: int = Field(description="documents in the index after the add")


class DeleteResponse(BaseModel):
    """What `DELETE /documents/{doc_id}` removed."""

    deleted: list[str]
    documents: int = Field(description="documents in the index after the delete")


def add_document_routes(
    app: FastAPI,
    pipe: Callable[[], QAPipeline],
    max_chars: int,
    work: Callable[[str, Callable[[], Any], str], Awaitable[Any]],
    audit: AuditLog,
) -> None:
    """`GET /documents`, `GET /documents/{doc_id}`, `POST /documents`, `DELETE /documents/{doc_id}`; adds and
    deletes run as model work (`work(route, fn, client)`: the work limiter), since an add embeds its passages,
    and are recorded in `audit`."""
    writes = errors(401, 403)

    @app.get("/documents", response_model=list[DocumentSummary], responses=errors(422))
    def documents(
        offset: int = Query(0, ge=0, le=2**53, description="skip this many documents"),
        limit: int = Query(1000, ge=1, le=10000, description="at most this many documents"),
    ) -> list[dict[str, Any]]:
        """The indexed documents in the order they were added, a page at a time."""
        return [asdict(d) for d in pipe().documents(offset, limit)]

    @app.get("/documents/{doc_id:path}", response_model=DocumentFull, responses=errors(404))
    def document(doc_id: str) -> dict[str, Any]:
        """One document with its full text, by id or external id."""
        d = pipe().document(doc_id)
        if d is None:
            raise HTTPException(status_code=404, detail=f"no document with id {doc_id!r}")
        fields = {k: v for k, v in asdict(d).items() if k != "meta"}
        return {**fields, "metadata": d.meta, "chars": len(d.text), "passages": len(pipe().passages_of(d.id))}

    @app.post(
        "/documents",
        response_model=AddResponse,
        status_code=201,
        responses={200: {"description": "indexed already (no change)", "model": AddResponse}, **errors(422), **writes},
    )
    async def add_documents(body: DocumentIn | DocumentBatch, request: Request, response: Response) -> AddResponse:
        """Index one document or a batch; they are answerable from the very next request (201 when anything
        was added; 200 when all were indexed already: re-posting the same content is a no-op)."""
        items = body.documents if isinstance(body, DocumentBatch) else [body]
        p = pipe()
        who, when = principal_of(request.scope), utc_now()
        docs = [_to_document(d, f"documents[{i}]" if isinstance(body, DocumentBatch) else "document", max_chars,
                             provenance(who, when)) for i, d in enumerate(items)]  # fmt: skip
        result = await work("/documents", lambda: p.add(docs), who.identity)
        if result.added or result.replaced:
            audit.record("add", who, result.added, "/documents", when, replaced=result.replaced)
        response.status_code = 201 if result.added else 200
        return AddResponse(**asdict(result), documents=p.stats().documents)

    @app.post(
        "/feeds",
        response_model=AddResponse,
        status_code=201,
        responses={200: {"description": "every entry indexed already (no change)", "model": AddResponse},
                   **errors(422), **writes},
        openapi_extra=_FEED_BODY,
    )  # fmt: skip
    async def add_feed(request: Request, response: Response) -> AddResponse:
        """Index an RSS (0.9x, 1.0, 2.0) or Atom feed sent as the body: each entry a document with its link as
        external id, so a feed posted again adds only new entries and replaces changed ones (201 when anything
        was added, 200 when nothing was new)."""
        body = await request.body()
        if not body.strip():
            raise DocumentError("feed: the request body is empty (send the RSS or Atom XML)")
        who, when = principal_of(request.scope), utc_now()
        docs = [_with_origin(check_size(d, max_chars), provenance(who, when)) for d in feed_documents(body, "feed")]
        if not docs:
            raise DocumentError("feed: the feed has no entry with text")
        p = pipe()
        result = await work("/feeds", lambda: p.add(docs), who.identity)
        if result.added or result.replaced:
            audit.record("add", who, result.added, "/feeds", when, replaced=result.replaced)
        response.status_code = 201 if result.added else 200
        return AddResponse(**asdict(result), documents=p.stats().documents)

    @app.delete("/documents/{doc_id:path}", response_model=DeleteResponse, responses={**errors(404), **writes})
    async def delete_document(doc_id: str, request: Request) -> DeleteResponse:
        """Remove a document (by id or external id) and its passages; 404 when there is none."""
        p = pipe()
        who: Principal = principal_of(request.scope)
        deleted = await work("/documents/{doc_id}", lambda: p.delete([doc_id]), who.identity)
        if not deleted:
            raise HTTPException(status_code=404, detail=f"no document with id {doc_id!r}")
        audit.record("delete", who, deleted, "/documents/{doc_id}")
        return DeleteResponse(deleted=deleted, documents=p.stats().documents)


_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")
_FEED_BODY = {
    "requestBody": {
        "required": True,
        "content": {t: {"schema": {"type": "string", "description": "an RSS or Atom feed"}} for t in _FEED_TYPES},
    }
}


def _with_origin(d: Document, origin: dict[str, Any]) -> Document:
    """`d` with `origin` (when and by which key it came) in its metadata."""
    from dataclasses import replace

    return replace(d, meta={**d.meta, PROVENANCE: origin})


def _to_document(d: DocumentIn, where: str, max_chars: int, origin: dict[str, Any]) -> Document:
    """A posted document as the index keeps it (the dateline cut from its text, as for files; `origin` in its
    metadata); an error naming `where` when it is empty, too large, or sets the metadata key of `origin`."""
    text = d.text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise DocumentError(f"{where}: text is empty")
    if PROVENANCE in d.metadata:
        raise DocumentError(f"{where}: metadata.{PROVENANCE} is set by the service (when and by which key)")
    check_size(Document(text=text, source=where), max_chars)
    dateline, body = split_dateline(text)
    return Document(
        text=body or text, title=d.title.strip(), url=d.url, date=d.date, source="api", dateline=dateline,
        external_id=d.external_id.strip(), meta={**d.metadata, PROVENANCE: origin},
    )  # fmt: skip
