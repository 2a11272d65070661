"""Retrieval recall@1/5/20 of the gold document for several fusion weights (title match, document evidence).

Usage: python bench/tune_retrieval.py INDEX_DIR QUESTIONS.json [--sample N]
INDEX_DIR is an index that `qa eval FILE --open [--corpus C] --index INDEX_DIR` built (every paragraph a document).
"""

from __future__ import annotations

import argparse
import random

from index.backends import open_store
from index.documents import Document
from index.embedder import Embedder
from qa.offline.squad import load_squad
from qa.retriever import HybridRetriever

WEIGHTS = [(0.0, 0.0), (0.0, 0.25), (0.0, 0.5), (0.1, 0.0), (0.25, 0.0), (0.5, 0.25)]  # (doc_weight, title_weight)


def main() -> None:
    """Print one line of recall figures per weight pair."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("index")
    ap.add_argument("questions")
    ap.add_argument("--sample", type=int, default=0)
    args = ap.parse_args()
    emb = Embedder()
    store = open_store(args.index, emb)
    qs = load_squad(args.questions)
    by_text = {q.context: Document(text=q.context, title=q.title).id for q in qs}
    qs = [q for q in qs if store.document(by_text[q.context]) is not None]
    if args.sample and args.sample < len(qs):
        qs = random.Random(5).sample(qs, args.sample)
    vecs = emb.embed([q.question for q in qs])
    for dw, tw in WEIGHTS:
        r = HybridRetriever(store, emb, doc_weight=dw, title_weight=tw)
        at = {1: 0, 5: 0, 20: 0}
        for q, v in zip(qs, vecs):
            ids = [h.passage.document_id for h in r.retrieve(q.question, 20, vector=v)]
            rank = ids.index(by_text[q.context]) + 1 if by_text[q.context] in ids else None
            for k in at:
                at[k] += rank is not None and rank <= k
        print(
            f"doc_weight {dw} title_weight {tw}:", {f"recall@{k}": round(100 * n / len(qs), 2) for k, n in at.items()}
        )


if __name__ == "__main__":
    main()
