"""The question-answering pipeline: validate -> resolve the follow-up -> retrieve -> read -> one `AskResponse`.

`QAPipeline.open(settings)` opens (or builds) the index and loads the models once; the pipeline's parts are
then all there, and every `ask` reuses them. The API and the CLI use its small surface only: `ask`,
`search`, `documents()`, `document()` and `stats()`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from index.backends import open_or_build
from index.documents import Document
from index.embedder import MAX_WORD_PIECES, Embedder
from index.filters import DocFilter
from index.packaged_models import ModelFetchError
from index.passages import Passage
from index.store import AddResult, DocumentSummary, ProgressFn, Store, StoreStats
from qa.answers import AskResponse, PassageHit
from qa.cascade import CascadeReader
from qa.followup import Turn, resolve_followup
from qa.lists.answerer import ListAnswerer, narrow_to
from qa.lists.question import analyse_question
from qa.nlp import nlp
from qa.reader import Reader, SentenceReader, Staging, merge_answers, read_in_stages
from qa.retriever import HybridRetriever, Retrieved
from qa.settings import Settings
from qa.span_reader import BACKENDS_RECORD, SpanReader, shipped_reader_dir

log = logging.getLogger("qa.pipeline")

MAX_QUESTION_CHARS = 1000
# A text that is not blank, as a JSON-schema pattern: a character `str.strip()` keeps. Unicode white space
# alone is not enough: Python also strips the separators U+001C-U+001F, which a schema's `\S` lets through.
NOT_BLANK = r"[^\s\x1c-\x1f]"
MAX_TOP_K = 50
EVIDENCE_ANSWERS = 20  # answers read for a single-form question: enough to see a list in them
MAX_HISTORY_TURNS = 50  # earlier turns a follow-up is resolved against
MAX_HISTORY_CHARS = 50_000  # their text, all together


class QueryError(ValueError):
    """A question or parameter the user got wrong; the message says what and how to fix it."""


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


def check_history(history: Sequence[Turn]) -> Sequence[Turn]:
    """`history` when it is within `MAX_HISTORY_TURNS` turns and `MAX_HISTORY_CHARS` characters, else a
    `QueryError` (a follow-up needs the last few turns, not a whole archive)."""
    if len(history) > MAX_HISTORY_TURNS:
        raise QueryError(f"history is too long ({len(history)} turns; at most {MAX_HISTORY_TURNS})")
    chars = sum(len(t.content) for t in history)
    if chars > MAX_HISTORY_CHARS:
        raise QueryError(f"history is too long ({chars} characters; at most {MAX_HISTORY_CHARS})")
    return history


def check_top_k(top_k: object) -> int:
    """`top_k` when it is a whole number from 1 to `MAX_TOP_K`, else a `QueryError`."""
    if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise QueryError(f"top_k must be a whole number from 1 to {MAX_TOP_K} (got {top_k!r})")
    return top_k


def make_reader(name: str, embedder: Embedder, settings: Settings | None = None) -> Reader:
    """`cascade` (the fast span reader choosing the passages the strong MPNet reader reads), `span` (the fast
    reader alone: small machines), `sentence` (the baseline) or `auto`: the cascade when the strong reader's
    weights ship and it loads (its base fetched now, on first use), else `span` with a one-line warning,
    else `sentence` when no span weights ship."""
    settings = settings or Settings()
    name = name or settings.reader or "auto"
    weights = shipped_reader_dir(settings.reader_dir)
    strong = shipped_reader_dir(settings.strong_reader_dir)

    def span(model_dir: Path, spin: bool = True) -> SpanReader:
        return SpanReader(
            model_dir,
            bf16=settings.reader_bf16,
            backend=settings.reader_backend,
            onnx_cache=settings.onnx_cache,
            threads=settings.onnx_threads,
            models_cache=settings.models_cache,
            spin=spin,
        )

    def cascade() -> CascadeReader:  # the fast reader's ONNX threads must not spin while the strong one reads
        fast = span(settings.reader_dir, spin=False)
        return CascadeReader(fast, span(settings.strong_reader_dir), keep=settings.cascade_keep)

    if name == "cascade":
        if strong is None:
            raise QueryError(f"the cascade reader needs strong reader weights in {settings.strong_reader_dir}")
        if weights is None:
            raise QueryError(f"the cascade reader needs span reader weights in {settings.reader_dir}")
        return cascade()
    if name == "auto" and weights is not None and strong is not None:
        chosen = cascade()
        try:
            chosen.strong.warm_up()  # fetches the base and merges on first use; loaded once, here
        except ModelFetchError as err:
            log.warning("reading with the fast reader only (QA_READER=span): the strong reader needs %s", err)
            return span(settings.reader_dir)  # alone, it runs last: its threads may spin
        return chosen
    if name == "span" or (name == "auto" and weights is not None):
        return span(settings.reader_dir)
    if name in ("auto", "sentence"):
        return SentenceReader(embedder)
    raise QueryError(f"unknown reader {name!r} (choose cascade, span, sentence or auto)")


def make_embedder(settings: Settings | None = None) -> Embedder:
    """The embedder on the backend `settings` asks for (`auto`: by the backend record beside the reader weights)."""
    settings = settings or Settings()
    return Embedder(
        backend=settings.embedder_backend,
        onnx_cache=settings.onnx_cache,
        threads=settings.onnx_threads,
        record=settings.reader_dir / BACKENDS_RECORD,
    )


class QAPipeline:
    """Answers questions over one index with one retriever and one reader (all given, all ready)."""

    def __init__(self, store: Store, embedder: Embedder, reader: Reader, staging: Staging | None = Staging()) -> None:
        self.store = store
        self.embedder = embedder
        self.reader = reader
        self.staging = staging  # single answers: the top passages first, the rest only when unsure
        self.retriever = HybridRetriever(store, embedder)
        self.lists = ListAnswerer(self.retriever, reader, embedder, store.document)

    @classmethod
    def open(
        cls,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        reader: str | Reader | None = None,
        progress: ProgressFn | None = None,
    ) -> QAPipeline:
        """Open the index of `settings` (building it from the seed corpus on first use) and load the models."""
        settings = settings or Settings()
        embedder = embedder or make_embedder(settings)
        store = open_or_build(
            settings.location, embedder, lambda: [settings.seeds_dir], progress, settings.max_document_chars
        )
        r = reader if isinstance(reader, Reader) else make_reader(reader or "", embedder, settings)
        r.warm_up()
        return cls(store, embedder, r)

    def warm_up(self) -> None:
        """Load everything a question may need, the parser of list questions included (a one-shot `qa ask`
        loads the parser only when its question needs it)."""
        self.reader.warm_up()
        self.embedder.warm_up()
        nlp()

    # ---- the surface the API and the CLI use ------------------------------------------------------
    def search(self, query: str, top_k: int = 5, filters: DocFilter | None = None) -> list[PassageHit]:
        """The top passages for `query` (no reading), of the documents `filters` allows."""
        query = check_question(query, what="query")
        top_k = check_top_k(top_k)
        return [r.to_hit() for r in self.retriever.retrieve(query, top_k, within=filters)]

    def ask(
        self, question: str, top_k: int = 5, history: Sequence[Turn] = (), filters: DocFilter | None = None
    ) -> AskResponse:
        """Answer `question`; with `history` (earlier turns), a follow-up is first made standalone; with
        `filters`, only from the documents they allow (no answer, and a note, when they allow none)."""
        question = check_question(question)
        top_k = check_top_k(top_k)
        follow = resolve_followup(question, check_history(history))
        filters = filters or None
        if filters is not None and not self.store.count_documents(filters):
            note = f"the filter matched no document ({filters.describe()})"
            return AskResponse(question=question, kind="none", answers=[], passages=[], notes=[note])
        resp: AskResponse | None = None
        if follow.focus is not None:  # "And Sweden?" after a list question: that list's item for Sweden
            base = analyse_question(follow.focus.base)
            if base.is_list:
                listed = self.lists.answer(follow.focus.base, top_k, base, within=filters)
                resp = narrow_to(listed, follow.focus.subject)
        if resp is None:
            resp = self.answer_passages(follow.standalone, top_k, within=filters)
        resp.question = question
        resp.notes = self.question_notes(follow.standalone)
        if follow.standalone != question:
            resp.rewritten_question = follow.standalone
        return resp

    def question_notes(self, question: str) -> list[str]:
        """Notes for a question longer than the models read: the embedder's and the reader's windows."""
        notes = []
        room = MAX_WORD_PIECES - 2  # [CLS] and [SEP]
        n = self.embedder.count_tokens(question)
        if n > room:
            notes.append(f"the question is {n} word pieces long: retrieval read its first {room}")
        note = self.reader.question_note(question)
        if note:
            notes.append(note)
        return notes

    def answer_passages(
        self,
        question: str,
        top_k: int = 5,
        hits: list[Retrieved] | None = None,
        as_list: bool = False,
        within: DocFilter | None = None,
    ) -> AskResponse:
        """A standalone question routed once (list or single answer) and answered from `hits`, or from the
        passages retrieved for it (of the documents `within` allows) when `hits` is None. `as_list` takes the
        list path whatever the question's form (evaluation's bound on what routing could give list questions)."""
        info = analyse_question(question, parse_always=as_list)  # once: routing and the list answer share it
        if info.is_list or as_list:
            return self.lists.answer(question, top_k, replace(info, is_list=True), hits=hits, within=within)
        if hits is None:
            hits = self.retriever.retrieve(question, top_k, within=within)
        # below the threshold too: a list needs the answers beside the best one (`from_evidence` serves the rest)
        n = max(top_k, EVIDENCE_ANSWERS)
        answers = merge_answers(
            read_in_stages(lambda hs: self.reader.read(question, hs, top_k=n, threshold=0.0), hits, self.staging)
        )[:n]
        return self.lists.from_evidence(question, info, answers, hits, top_k)

    def documents(self, offset: int = 0, limit: int | None = None) -> list[DocumentSummary]:
        """Indexed documents in the order they were added, without their text."""
        return self.store.documents(offset, limit)

    def document(self, doc_id: str) -> Document | None:
        """One document with its full text, by id or external id; None when there is none."""
        return self.store.document(doc_id)

    def passages_of(self, doc_id: str) -> list[Passage]:
        """The passages of one document, in text order."""
        return self.store.document_passages(doc_id)

    def reader_dirs(self) -> tuple[Path, ...]:
        """The weights of the readers that answer: the fast and the strong one of a cascade; none for the
        sentence baseline."""
        parts = (self.reader.fast, self.reader.strong) if isinstance(self.reader, CascadeReader) else (self.reader,)
        return tuple(p.model_dir for p in parts if isinstance(p, SpanReader))

    def backends(self) -> dict[str, str | None]:
        """What the loaded models run on (`torch` or `onnx`; None for a part that has no choice)."""
        return {
            "reader": getattr(self.reader, "active_backend", None),
            "embedder": self.embedder.active_backend,
        }

    def stats(self) -> StoreStats:
        """How many documents and passages the index holds."""
        return self.store.stats()

    def add(self, docs: Iterable[Document], progress: ProgressFn | None = None) -> AddResult:
        """Index documents; the very next question can be answered from them."""
        return self.store.add(docs, progress)

    def delete(self, doc_ids: Sequence[str]) -> list[str]:
        """Remove documents (by id or external id); returns the ids removed."""
        return self.store.delete(doc_ids)
