"""Hybrid retrieval: dense (FAISS) and BM25 passage rankings fused with reciprocal rank fusion, plus
document-level evidence: a document whose title matches the question, or several of whose passages rank
well, lifts all its passages (a story's answer often sits in a passage that shares few words with the question).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from index.embedder import Embedder
from index.filters import DocFilter
from index.passages import Passage
from index.store import DocLabel, Store
from qa.answers import PassageHit

RRF_K = 60
K = TypeVar("K", bound=Hashable)


@dataclass
class Retrieved:
    """A passage with its fused score and the two rankings' own scores (`dense`: the passage's cosine to the
    question; None for a passage handed to the reader rather than retrieved for the question)."""

    passage: Passage
    score: float
    dense: float | None = None
    sparse: float = 0.0
    title: str = ""
    label: DocLabel = DocLabel()  # the document's date, source and pages

    def to_hit(self) -> PassageHit:
        """The passage as the response reports it."""
        p = self.passage
        return PassageHit(
            id=p.id, document_id=p.document_id, title=self.title, text=p.text,
            score=round(self.score, 6), start=p.start, end=p.end, date=self.label.date, source=self.label.source,
            page=self.label.page_of(p.start),
        )  # fmt: skip


def reciprocal_rank_fusion(rankings: list[list[K]], k: int = RRF_K) -> dict[K, float]:
    """Sum of 1/(k + rank) over the rankings each item appears in (rank counted from 1)."""
    fused: dict[K, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


class HybridRetriever:
    """Top-k passages for a question from dense and keyword search over one `Store`.

    A passage's score is its fused rank score, plus `doc_weight` times the best fused score among the other candidate
    passages of its document (a long story that matches in several places), plus `title_weight` times the
    reciprocal rank of its document's title match (0 turns either off).
    """

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        candidates: int = 50,
        doc_weight: float = 0.0,
        title_weight: float = 0.25,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self.doc_weight = doc_weight
        self.title_weight = title_weight

    def retrieve(
        self, question: str, top_k: int = 5, vector: np.ndarray | None = None, within: DocFilter | None = None
    ) -> list[Retrieved]:
        """The `top_k` passages for `question`, best first (`vector`: its embedding, when already computed);
        with `within`, only passages of the documents the filter allows (both searches are filtered)."""
        if vector is None:
            vector = self.embedder.embed([question])[0]
        n = max(self.candidates, top_k)
        within = within or None
        dense = self.store.dense_search(vector, n, within)
        sparse = self.store.keyword_search(question, n, within)
        if not dense and not sparse:
            return []
        fused = reciprocal_rank_fusion([[r for r, _ in dense], [r for r, _ in sparse]])
        passages = self.store.passages(list(fused))
        fused = {r: f for r, f in fused.items() if r in passages}  # a passage deleted a moment ago
        doc_of = {r: passages[r].document_id for r in fused}
        bonus: dict[str, float] = {}
        if self.doc_weight:  # evidence from the OTHER candidate passages of the same document
            top2: dict[str, list[float]] = {}
            for r, f in fused.items():
                top2[doc_of[r]] = sorted([*top2.get(doc_of[r], []), f], reverse=True)[:2]
            for r, f in fused.items():
                first, *second = top2[doc_of[r]]
                sibling = first if f < first else (second[0] if second else 0.0)
                bonus[r] = self.doc_weight * sibling
        title_bonus: dict[str, float] = {}
        if self.title_weight:
            for i, (d, _) in enumerate(self.store.title_search(question, n, within), 1):
                title_bonus[d] = self.title_weight / (RRF_K + i)
        score = {r: f + bonus.get(r, 0.0) + title_bonus.get(doc_of[r], 0.0) for r, f in fused.items()}
        dense_s = dict(dense)
        sparse_s = dict(sparse)
        best = sorted(score, key=lambda r: (-score[r], -dense_s.get(r, -1.0)))[:top_k]
        dense_s.update(self.store.cosines([r for r in best if r not in dense_s], vector))  # keyword-only passages
        labels = self.store.labels([doc_of[r] for r in best])
        return [
            Retrieved(
                passage=passages[r],
                score=score[r],
                dense=dense_s.get(r, 0.0),
                sparse=sparse_s.get(r, 0.0),
                title=labels[doc_of[r]].title if doc_of[r] in labels else "",
                label=labels.get(doc_of[r], DocLabel()),
            )
            for r in best
        ]
