"""The store interface: what the question path may ask of an index, whatever keeps it (SQLite here, Milvus).

Every backend implements `Store`: keyword and dense search that return passage ids, lookups by id, add and
delete, and counts. The retriever, the list answers, the pipeline and the API use only this surface, so a
backend can hold millions of passages without any of them in Python objects.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from index.documents import Document
from index.filters import DocFilter, display_source, published_date
from index.passages import Passage, SplitterSettings

DEFAULT_INDEX_DIR = ".qa-index"
DEFAULT_MAX_DOCUMENT_CHARS = 5_000_000


class IndexStoreError(RuntimeError):
    """An index that is missing, damaged, locked or incompatible; the message says what to do."""


@dataclass(frozen=True)
class StoreStats:
    """How much an index holds."""

    documents: int
    passages: int


@dataclass(frozen=True)
class DocumentSummary:
    """One indexed document without its text, as listings show it."""

    id: str
    title: str
    url: str
    date: str
    source: str
    external_id: str
    chars: int
    passages: int


@dataclass(frozen=True)
class DocLabel:
    """What an answer shows of its document: title, published date (ISO when known), source (the publication's
    name, else its URL's host) and, for a PDF, the character offset where each page starts."""

    title: str = ""
    date: str = ""
    source: str = ""
    pages: tuple[int, ...] = ()

    @classmethod
    def of(cls, title: str, date: str, url: str, meta: dict[str, Any]) -> DocLabel:
        """The label of a document with these fields (`meta["pages"]`: its page start offsets)."""
        pages = meta.get("pages")
        starts = tuple(int(p) for p in pages if isinstance(p, int)) if isinstance(pages, list) else ()
        return cls(title, published_date(date) or date, display_source(url, meta), starts)

    def page_of(self, offset: int) -> int | None:
        """The 1-based page holding a character offset (None for a document without pages)."""
        return max(1, bisect_right(self.pages, offset)) if self.pages else None


@dataclass(frozen=True)
class AddProgress:
    """How far an add has come (reported after each committed batch)."""

    documents: int
    passages: int
    seconds: float
    last: tuple[Document, ...] = ()  # the documents this batch committed

    @property
    def rate(self) -> str:
        """'N docs/s, M passages/s' for progress lines."""
        s = max(self.seconds, 1e-9)
        return f"{self.documents / s:.1f} docs/s, {self.passages / s:.0f} passages/s"


@dataclass
class AddResult:
    """What an add did: the documents it added, the older versions it replaced, what it skipped."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # ids of versions replaced by a new text (same external id)
    unchanged: list[str] = field(default_factory=list)  # already indexed with this content
    passages: int = 0


ProgressFn = Callable[[AddProgress], None]


def check_compatible(meta: dict[str, str], where: str, format_version: int, embedding_model: str) -> SplitterSettings:
    """The splitter settings an index records in `meta`; an `IndexStoreError` when it was built in another
    format or with another embedding model (both stores keep the same keys)."""
    if meta.get("format_version") != str(format_version):
        raise IndexStoreError(
            f"index at {where} has format version {meta.get('format_version')}, this articleqa reads "
            f"version {format_version}; rebuild it with: qa index --rebuild"
        )
    if meta.get("embedding_model") != embedding_model:
        raise IndexStoreError(
            f"index at {where} was built with {meta.get('embedding_model')}, but this service embeds "
            f"with {embedding_model}; rebuild it with: qa index --rebuild"
        )
    try:
        return SplitterSettings(**json.loads(meta["splitter"]))
    except (KeyError, TypeError, json.JSONDecodeError):
        raise IndexStoreError(f"index at {where} has damaged settings; rebuild it with: qa index --rebuild") from None


@runtime_checkable
class Store(Protocol):
    """Documents, their passages and both searches over them; ids are the public handles."""

    def add(self, docs: Iterable[Document], progress: ProgressFn | None = None) -> AddResult:
        """Index documents not yet held (same id = same content); a new text for a known external id replaces
        the old version. Each batch is committed whole: a crash keeps every committed document, no half one."""
        ...

    def delete(self, doc_ids: Sequence[str]) -> list[str]:
        """Remove documents (by id or external id) with their passages; returns the ids removed."""
        ...

    def dense_search(self, vector: np.ndarray, k: int, within: DocFilter | None = None) -> list[tuple[str, float]]:
        """(passage id, cosine) of the k passages nearest a unit vector, best first; with `within`, the k
        nearest of the documents the filter allows (filtered inside the search, not after it)."""
        ...

    def keyword_search(self, query: str, k: int, within: DocFilter | None = None) -> list[tuple[str, float]]:
        """(passage id, BM25 score) of up to k passages sharing a word with `query`, best first (of `within`)."""
        ...

    def title_search(self, query: str, k: int, within: DocFilter | None = None) -> list[tuple[str, float]]:
        """(document id, BM25 score) of up to k documents whose title or dateline shares a word with `query`."""
        ...

    def count_documents(self, within: DocFilter | None = None) -> int:
        """How many documents the filter allows (all of them without one)."""
        ...

    def passages(self, ids: Sequence[str]) -> dict[str, Passage]:
        """The passages with these ids (ids no longer held are left out)."""
        ...

    def document_passages(self, doc_id: str) -> list[Passage]:
        """Every passage of one document, in text order."""
        ...

    def cosines(self, ids: Sequence[str], vector: np.ndarray) -> dict[str, float]:
        """Cosine of each passage with a unit vector (for passages that keyword search found alone)."""
        ...

    def titles(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """Title of each of these documents."""
        ...

    def labels(self, doc_ids: Sequence[str]) -> dict[str, DocLabel]:
        """Title, date, source and page starts of each of these documents (what answers cite)."""
        ...

    def document(self, doc_id: str) -> Document | None:
        """One document with its text, by id or external id; None when there is none."""
        ...

    def documents(self, offset: int = 0, limit: int | None = None) -> list[DocumentSummary]:
        """Documents in the order they were added, without their text."""
        ...

    def stats(self) -> StoreStats:
        """How many documents and passages the index holds now."""
        ...

    def info(self) -> dict[str, object]:
        """What the index was built with and holds, for `qa info`."""
        ...

    def close(self) -> None:
        """Release files and connections."""
        ...
