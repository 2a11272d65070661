"""Batched adding, shared by every store: groups of about `batch_passages` passages, the same passages as
splitting one document at a time, the sentence counts of the splitting thread's own tokenizer, held documents
skipped, progress after each batch, and a too-large document that adds nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.batching import add_in_batches, passage_batches, sentence_counter
from index.documents import Document, DocumentTooLarge, load_documents
from index.passages import Passage, SplitterSettings, make_passages, split_sentences
from index.store import AddResult

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def _docs() -> list[Document]:
    seed = load_documents([SEEDS])[0]
    paragraphs = [p for p in seed.text.split("\n") if len(p.split()) > 12]
    return [Document(text=p, title=f"part {i}") for i, p in enumerate(paragraphs)]


def test_batches_hold_every_document_in_order_with_its_own_passages(embedder) -> None:
    docs = _docs()
    settings = SplitterSettings(max_tokens=60)
    batches = list(passage_batches(docs, embedder, settings, batch_passages=5))
    assert len(batches) > 1
    assert [d.id for batch, _ in batches for d in batch] == [d.id for d in docs]
    for batch, passages in batches[:-1]:
        assert len(passages) >= 5  # a batch closes once it holds enough passages
        assert len(passages) - len(make_passages(batch[-1], embedder.count_tokens, settings)) < 5
    for batch, passages in batches:
        expected = [p for d in batch for p in make_passages(d, embedder.count_tokens, settings)]
        assert passages == expected


def test_the_threads_own_counter_agrees_with_the_embedder(embedder) -> None:
    doc = load_documents([SEEDS])[0]
    texts = [doc.text[s:e] for s, e in split_sentences(doc.text)][:40]
    assert sentence_counter(embedder)(texts) == [embedder.count_tokens(t) for t in texts]
    assert sentence_counter(embedder)([]) == []


def test_add_in_batches_skips_held_documents_and_reports_progress(embedder) -> None:
    docs = _docs()
    held = {docs[0].id}
    committed: list[tuple[list[str], int, tuple[int, int]]] = []
    seen = []

    def commit(batch: list[Document], passages: list[Passage], vecs: np.ndarray, result: AddResult) -> None:
        committed.append(([d.id for d in batch], len(passages), vecs.shape))
        result.added += [d.id for d in batch]

    result = add_in_batches(
        [*docs, docs[1]], embedder, SplitterSettings(), 4, 10**6,
        lambda ids: held & set(ids), commit, seen.append,
    )  # fmt: skip
    assert result.unchanged == [docs[0].id]
    assert result.added == [d.id for d in docs[1:]]  # the repeated document once
    assert all(shape == (n, embedder.dimension) for _, n, shape in committed)
    assert [p.documents for p in seen] == [sum(len(c[0]) for c in committed[: i + 1]) for i in range(len(seen))]
    assert seen[-1].passages == sum(n for _, n, _ in committed)


def test_a_too_large_document_adds_nothing(embedder) -> None:
    docs = _docs()
    calls = []
    with pytest.raises(DocumentTooLarge):
        add_in_batches(docs, embedder, SplitterSettings(), 4, 100, lambda ids: set(), lambda *a: calls.append(a))
    assert calls == []
