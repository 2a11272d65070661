"""The question-answering pipeline: validate -> retrieve -> read -> one `AskResponse`.

The index, the embedding model and the reader load once (`warm_up()`), then every `ask` reuses them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from index.embedder import Embedder
from index.store import IndexStore, default_index_dir, open_or_build
from qa.answers import AskResponse, PassageHit
from qa.followup import Turn, followup_focus, rewrite_followup
from qa.lists import answer_list, is_list_question, narrow_to
from qa.reader import Reader, SentenceReader
from qa.retriever import HybridRetriever, Retrieved
from qa.span_reader import SpanReader, shipped_reader_dir

MAX_QUESTION_CHARS = 1000
MAX_TOP_K = 50


class QueryError(ValueError):
    """A question or parameter the user got wrong; the message says what and how to fix it."""


def default_seeds_dir() -> Path:
    """`QA_SEEDS_DIR` if set, else the project's `seeds/` folder."""
    env = os.environ.get("QA_SEEDS_DIR")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "seeds"


def check_question(question: object, what: str = "question") -> str:
    """The stripped question; a `QueryError` naming `what` when it is not a usable one."""
    if not isinstance(question, str):
        raise QueryError(f"{what} must be a string")
    q = question.strip()
    if not q:
        raise QueryError(f"{what} is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise QueryError(f"{what} is too long ({len(question)} characters; at most {MAX_QUESTION_CHARS})")
    return q


def check_top_k(top_k: object) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise QueryError(f"top_k must be a whole number from 1 to {MAX_TOP_K} (got {top_k!r})")
    return top_k


def to_hit(r: Retrieved) -> PassageHit:
    p = r.passage
    return PassageHit(
        id=p.id, document_id=p.document_id, title=r.title, text=p.text,
        score=round(r.score, 6), start=p.start, end=p.end,
    )  # fmt: skip


def make_reader(name: str, embedder: Embedder) -> Reader:
    """`span` (the trained reader), `sentence` (the baseline) or `auto` (span when its weights ship)."""
    name = name or os.environ.get("QA_READER", "auto")
    if name == "span" or (name == "auto" and shipped_reader_dir() is not None):
        return SpanReader()
    if name in ("auto", "sentence"):
        return SentenceReader(embedder)
    raise QueryError(f"unknown reader {name!r} (choose span, sentence or auto)")


class QAPipeline:
    """Answers questions over one index directory (built from the seed corpus on first use)."""

    def __init__(
        self,
        index_dir: str | Path | None = None,
        reader: str | Reader = "",
        embedder: Embedder | None = None,
        seeds: Sequence[str | Path] | None = None,
    ) -> None:
        self.index_dir = Path(index_dir) if index_dir else default_index_dir()
        self.embedder = embedder or Embedder()
        self._reader_spec = reader
        self.reader: Reader | None = reader if not isinstance(reader, str) else None
        self.seeds = [Path(s) for s in seeds] if seeds else [default_seeds_dir()]
        self.store: IndexStore | None = None
        self.retriever: HybridRetriever | None = None
        self._lock = threading.Lock()

    def warm_up(self, progress: bool = False) -> None:
        """Load (or build) the index and load the models; safe to call more than once."""
        with self._lock:
            if self.store is None:
                self.store = open_or_build(self.index_dir, self.embedder, lambda: self.seeds, progress)
                self.retriever = HybridRetriever(self.store)
            if self.reader is None:
                self.reader = make_reader(str(self._reader_spec), self.embedder)
            self.reader.warm_up()

    def reload(self) -> None:
        """Pick up an index that was rebuilt on disk."""
        with self._lock:
            self.store = IndexStore.load(self.index_dir, self.embedder)
            self.retriever = HybridRetriever(self.store)

    def search(self, query: str, top_k: int = 5) -> list[PassageHit]:
        query = check_question(query, what="query")
        top_k = check_top_k(top_k)
        self.warm_up()
        return [to_hit(r) for r in self.retriever.retrieve(query, top_k)]

    def ask(self, question: str, top_k: int = 5, history: Sequence[Turn] | None = None) -> AskResponse:
        """Answer `question`; with `history` (earlier turns), a follow-up is first made standalone."""
        question = check_question(question)
        top_k = check_top_k(top_k)
        self.warm_up()
        standalone = rewrite_followup(question, history or [])
        focus = followup_focus(question, history or [])
        narrowed = None
        if focus is not None and is_list_question(focus[0]):  # "And Sweden?" after a list question
            narrowed = narrow_to(answer_list(self, focus[0], top_k), focus[1])
        if narrowed is not None:
            resp = narrowed
        elif is_list_question(standalone):
            resp = answer_list(self, standalone, top_k)
        else:
            hits = self.retriever.retrieve(standalone, top_k)
            answers = self.reader.read(standalone, hits, top_k=top_k)
            resp = AskResponse(
                question=question,
                kind="single" if answers else "none",
                answers=answers,
                passages=[to_hit(r) for r in hits],
            )
        resp.question = question
        if standalone != question:
            resp.rewritten_question = standalone
        return resp
