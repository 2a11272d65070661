"""Hybrid retrieval: dense (FAISS) and BM25 rankings fused with reciprocal rank fusion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.passages import Passage
from index.store import IndexStore

RRF_K = 60


@dataclass
class Retrieved:
    """A passage with its fused score and the two rankings' own scores."""

    passage: Passage
    score: float
    dense: float = 0.0
    sparse: float = 0.0
    title: str = ""


def reciprocal_rank_fusion(rankings: list[list[int]], k: int = RRF_K) -> dict[int, float]:
    """Sum of 1/(k + rank) over the rankings each item appears in (rank counted from 1)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, 1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


class HybridRetriever:
    """Top-k passages for a question from dense and sparse search over one `IndexStore`."""

    def __init__(self, store: IndexStore, candidates: int = 50) -> None:
        self.store = store
        self.candidates = candidates

    def retrieve(self, question: str, top_k: int = 5, vector: np.ndarray | None = None) -> list[Retrieved]:
        if not self.store.passages:
            return []
        if vector is None:
            vector = self.store.embedder.embed([question])[0]
        n = max(self.candidates, top_k)
        dense = self.store.dense_search(vector, n)
        sparse = self.store.sparse_search(question, n)
        fused = reciprocal_rank_fusion([[r for r, _ in dense], [r for r, _ in sparse]])
        dense_s = dict(dense)
        sparse_s = dict(sparse)
        best = sorted(fused, key=lambda r: (-fused[r], -dense_s.get(r, -1.0)))[:top_k]
        out = []
        for r in best:
            p = self.store.passages[r]
            if r not in dense_s:  # cosine of a passage that came from BM25 only
                dense_s[r] = float(self.store.vectors.reconstruct(r) @ vector)
            out.append(
                Retrieved(
                    passage=p,
                    score=fused[r],
                    dense=dense_s[r],
                    sparse=sparse_s.get(r, 0.0),
                    title=self.store.documents[p.document_id].title,
                )
            )
        return out
