"""Adding documents to a store in batches: split into passages, embed, commit, report progress.

Every store adds the same way; only what "held" and "commit" mean differs, so those come in as functions.
Sentence splitting (pysbd, pure Python) runs ahead in a background thread, so it overlaps the embedding of
the batch before it (torch releases the GIL while it computes).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from index.documents import Document, check_size
from index.embedder import Embedder
from index.passages import Passage, SplitterSettings, make_passages, split_sentences
from index.store import AddProgress, AddResult, ProgressFn

HeldIds = Callable[[Sequence[str]], set[str]]  # the ids, of those given, that the store holds already
Commit = Callable[[list[Document], list[Passage], np.ndarray, AddResult], None]  # write one batch


def add_in_batches(
    docs: Iterable[Document],
    embedder: Embedder,
    splitter: SplitterSettings,
    batch_passages: int,
    max_document_chars: int,
    held_ids: HeldIds,
    commit: Commit,
    progress: ProgressFn | None = None,
) -> AddResult:
    """Add `docs` (each checked against `max_document_chars` first, so a too-large one adds nothing): those
    the store holds already are `unchanged`; the rest go in groups of about `batch_passages` passages, each
    embedded and handed to `commit`, with `progress` called after each."""
    result = AddResult()
    unique = list({d.id: check_size(d, max_document_chars) for d in docs}.values())
    held = held_ids([d.id for d in unique])
    result.unchanged = [d.id for d in unique if d.id in held]
    todo = [d for d in unique if d.id not in held]
    t0 = time.perf_counter()
    done_docs = done_passages = 0
    for batch, passages in passage_batches(todo, embedder, splitter, batch_passages):
        vecs = embedder.embed([p.text for p in passages])
        commit(batch, passages, vecs, result)
        done_docs += len(batch)
        done_passages += len(passages)
        if progress is not None:
            progress(AddProgress(done_docs, done_passages, time.perf_counter() - t0, tuple(batch)))
    return result


def passage_batches(
    docs: list[Document], embedder: Embedder, splitter: SplitterSettings, batch_passages: int
) -> Iterator[tuple[list[Document], list[Passage]]]:
    """Documents in groups of about `batch_passages` passages, with their passages; sentence splitting runs
    ahead in a background thread."""
    batch: list[Document] = []
    passages: list[Passage] = []
    count = sentence_counter(embedder)

    def split(doc: Document) -> tuple[list[tuple[int, int]], list[int]]:
        sents = split_sentences(doc.text)
        return sents, count([doc.text[s:e] for s, e in sents])

    pool = ThreadPoolExecutor(max_workers=1)
    try:
        for d, (sents, sizes) in zip(docs, pool.map(split, docs)):
            batch.append(d)
            passages += make_passages(d, embedder.count_tokens, splitter, sents, sizes)
            if len(passages) >= batch_passages:
                yield batch, passages
                batch, passages = [], []
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # an add that fails stops splitting the rest
    if batch:
        yield batch, passages


def sentence_counter(embedder: Embedder) -> Callable[[list[str]], list[int]]:
    """Word-piece counts of a document's sentences in one call, from a tokenizer of the splitting thread's
    own (the embedder's is busy embedding; one Rust tokenizer must not serve two threads at once)."""
    path = Path(embedder.model_path) / "tokenizer.json"
    if not path.is_file():
        return lambda texts: [embedder.count_tokens(t) for t in texts]
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.no_truncation()
    tok.no_padding()
    return lambda texts: [len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)] if texts else []
