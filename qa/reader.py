"""Readers turn a question and its retrieved passages into ranked extractive answers.

`Reader` is the narrow interface the pipeline depends on. `SentenceReader` is the model-free-of-training
baseline: it returns the sentences of the passages that best answer the question.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from index.embedder import Embedder
from index.embedding_cache import EmbeddingCache
from index.passages import Passage
from index.text import bm25_tokens
from qa.answers import Answer
from qa.retriever import Retrieved
from qa.text import normalize_answer


@runtime_checkable
class Reader(Protocol):
    """Question + retrieved passages -> answers, best first (an empty list means 'no answer')."""

    threshold: float  # the score below which `read` gives no answer

    def warm_up(self) -> None:
        """Load the models now, so the first question does not wait for them."""

    def read(
        self, question: str, passages: Sequence[Retrieved], top_k: int = 5, threshold: float | None = None
    ) -> list[Answer]:
        """Up to `top_k` answers from `passages`, best first, scored at least `threshold` (default: the
        reader's own); an empty list means 'no answer'."""

    def question_note(self, question: str) -> str | None:
        """A note for the response when the reader reads only part of `question` (it is longer than the
        reader's window allows); None when it reads all of it."""


def sentence_of(passage: Passage, start: int, end: int) -> tuple[int, int]:
    """Document offsets of the passage sentence(s) covering `[start, end)`."""
    s0, e0 = passage.start, passage.end
    for s, e in passage.sentences:
        if s <= start < e:
            s0 = s
            break
    for s, e in passage.sentences:
        if s < end <= e:
            e0 = e
            break
    return s0, max(e0, end)


def make_answer(hit: Retrieved, start: int, end: int, score: float) -> Answer:
    """An `Answer` for the document span `[start, end)` of a retrieved passage, with its sentence."""
    p = hit.passage
    cs, ce = sentence_of(p, start, end)
    return Answer(
        text=p.text[start - p.start : end - p.start],
        score=round(float(score), 4),
        document_id=p.document_id,
        passage_id=p.id,
        start=start,
        end=end,
        context=p.text[cs - p.start : ce - p.start],
        context_start=cs,
        context_end=ce,
        title=hit.title,
        date=hit.label.date,
        source=hit.label.source,
        page=hit.label.page_of(start),
    )


def overlaps_any(a: Answer, others: Sequence[Answer]) -> bool:
    """True when `a` shares characters of its document with one of `others`."""
    return any(a.document_id == o.document_id and a.start < o.end and o.start < a.end for o in others)


def merge_answers(answers: list[Answer]) -> list[Answer]:
    """Best first; drop spans overlapping a better span of the same document, and repeats of the same text.

    Overlapping passages propose the same span twice, and neighbouring windows propose nested spans of the
    same region: each region is reported once, with its best score.
    """
    kept: list[Answer] = []
    seen_text: set[str] = set()
    for a in sorted(answers, key=lambda a: -a.score):
        if overlaps_any(a, kept):
            continue
        key = normalize_answer(a.text) or a.text
        if key in seen_text:
            continue
        seen_text.add(key)
        kept.append(a)
    return kept


@dataclass(frozen=True)
class Staging:
    """Reading in two stages: the `first` best passages, then the rest only when the best answer there is
    less probable than `sure` (most questions are answered surely from the top two passages, and reading
    the others costs time without changing the answer: `bench/bench_staging.py` measures both). The second
    stage skips passages whose cosine to the question is more than `gap` below the best passage's: they
    rarely hold what the best ones lack, and a filter that leaves few documents fills the top with them."""

    first: int = 2
    sure: float = 0.7
    gap: float = 0.3


def read_in_stages(
    read: Callable[[Sequence[Retrieved]], list[Answer]], hits: Sequence[Retrieved], staging: Staging | None
) -> list[Answer]:
    """`read(hits)` done in stages (`staging`; None: all at once): answers of the first passages, and of the
    rest too (those close enough to the best in cosine) unless one of the first is sure enough. Not merged
    across the stages."""
    if staging is None or len(hits) <= staging.first:
        return read(hits)
    first = read(hits[: staging.first])
    if first and max(a.score for a in first) >= staging.sure:
        return first
    best = max((h.dense for h in hits[: staging.first] if h.dense is not None), default=None)
    rest = [h for h in hits[staging.first :] if best is None or h.dense is None or h.dense >= best - staging.gap]
    return first + read(rest) if rest else first


def passage_sentences(hits: Sequence[Retrieved]) -> list[tuple[Retrieved, int, int]]:
    """Every sentence of the passages once (overlapping passages share sentences), as (hit, start, end)
    with document offsets, in document order."""
    seen: dict[tuple[str, int], tuple[Retrieved, int, int]] = {}
    for hit in hits:
        for s, e in hit.passage.sentences:
            seen.setdefault((hit.passage.document_id, s), (hit, s, e))
    return [seen[k] for k in sorted(seen)]


def sentence_relevance(embedder: Embedder | EmbeddingCache, question: str, texts: list[str]) -> np.ndarray:
    """How well each text matches the question: 0.8 x embedding cosine + 0.2 x share of question words it holds."""
    vecs = embedder.embed([question] + texts)
    cos = vecs[1:] @ vecs[0]
    q_words = set(bm25_tokens(question))
    overlap = np.array([len(q_words & set(bm25_tokens(t))) / max(1, len(q_words)) for t in texts], dtype=np.float32)
    return 0.8 * cos + 0.2 * overlap


class SentenceReader:
    """Ranks the sentences of the retrieved passages by similarity to the question (no trained head)."""

    def __init__(self, embedder: Embedder, min_score: float = 0.25) -> None:
        self.embedder = embedder
        self.min_score = min_score
        self.threshold = min_score  # the score below which no sentence is an answer

    def warm_up(self) -> None:
        """Load the embedding model now."""
        self.embedder.warm_up()

    def question_note(self, question: str) -> str | None:
        """None: this reader reads what the embedder reads, and the pipeline notes a question the embedder cuts."""
        return None

    def read(
        self, question: str, passages: Sequence[Retrieved], top_k: int = 5, threshold: float | None = None
    ) -> list[Answer]:
        """The `top_k` most relevant sentences as answers, best first, stopping below `threshold`
        (default `min_score`)."""
        floor = self.min_score if threshold is None else threshold
        cands = passage_sentences(passages)
        if not cands:
            return []
        texts = [h.passage.text[s - h.passage.start : e - h.passage.start] for h, s, e in cands]
        scores = sentence_relevance(self.embedder, question, texts)
        order = np.argsort(-scores)
        out = []
        for i in order[:top_k]:
            if scores[i] < floor:
                break
            hit, s, e = cands[i]
            out.append(make_answer(hit, s, e, max(0.0, min(1.0, float(scores[i])))))
        return out
