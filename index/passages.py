"""Passages: windows of whole sentences cut from a document, sized for the embedding model.

Sentences come from pysbd within each line (a line break always ends a sentence, so headlines stay apart).
Every passage keeps `[start, end)` offsets into its document and the offsets of its sentences, and
`document.text[start:end] == passage.text` always holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from index.documents import Document

Span = tuple[int, int]


@dataclass
class Passage:
    """A run of whole sentences from one document, with document offsets."""

    id: str
    document_id: str
    start: int
    end: int
    text: str
    sentences: list[Span] = field(default_factory=list)  # document offsets of each sentence

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict, as saved in the index's passages.jsonl."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Passage:
        """A passage from `to_dict` output (sentence spans back to tuples)."""
        d = dict(d)
        d["sentences"] = [tuple(s) for s in d.get("sentences", [])]
        return cls(**d)


@dataclass(frozen=True)
class SplitterSettings:
    """How documents are cut; recorded in the index manifest."""

    max_tokens: int = 180
    overlap_sentences: int = 1


_segmenter = None


def _pysbd():
    global _segmenter
    if _segmenter is None:
        import pysbd

        _segmenter = pysbd.Segmenter(language="en", clean=False, char_span=False)
    return _segmenter


def split_sentences(text: str) -> list[Span]:
    """`[start, end)` offsets of the sentences of `text`, trimmed of white space, in order."""
    spans: list[Span] = []
    pos = 0
    for line in text.split("\n"):
        line_start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        cursor = 0
        for sent in _pysbd().segment(line):
            s = sent.strip()
            if not s:
                continue
            found = line.find(s, cursor)
            if found < 0:  # pysbd altered the text; fall back to the rest of the line
                found = cursor
                s = line[cursor:].strip()
                if not s:
                    continue
                found = line.find(s, cursor)
            spans.append((line_start + found, line_start + found + len(s)))
            cursor = found + len(s)
        rest = line[cursor:].strip()
        if rest:
            found = line.find(rest, cursor)
            spans.append((line_start + found, line_start + found + len(rest)))
    return spans


def passage_id(document_id: str, start: int, end: int) -> str:
    """Stable id of a passage: 16 hex digits from its document id and offsets."""
    return hashlib.sha256(f"{document_id}:{start}:{end}".encode()).hexdigest()[:16]


def make_passages(
    doc: Document,
    count_tokens: Callable[[str], int],
    settings: SplitterSettings = SplitterSettings(),
    sentences: list[Span] | None = None,
    sizes: list[int] | None = None,
) -> list[Passage]:
    """Pack whole sentences into passages of at most `max_tokens` word pieces, overlapping by whole sentences.

    A single sentence longer than the limit becomes a passage of its own: sentences are never cut.
    `sentences` and `sizes`: the document's `split_sentences` and their word-piece counts, when already computed.
    """
    sents = split_sentences(doc.text) if sentences is None else sentences
    if not sents:
        return []
    if sizes is None or len(sizes) != len(sents):
        sizes = [count_tokens(doc.text[s:e]) for s, e in sents]
    out: list[Passage] = []
    i = 0
    while i < len(sents):
        j, total = i, sizes[i]
        while j + 1 < len(sents) and total + sizes[j + 1] <= settings.max_tokens:
            j += 1
            total += sizes[j]
        start, end = sents[i][0], sents[j][1]
        out.append(
            Passage(
                id=passage_id(doc.id, start, end),
                document_id=doc.id,
                start=start,
                end=end,
                text=doc.text[start:end],
                sentences=list(sents[i : j + 1]),
            )
        )
        if j + 1 >= len(sents):
            break
        # Overlap by whole sentences, but only as many as still leave room for the next new sentence:
        # a window holding nothing but sentences of the previous passage would be a redundant passage.
        nxt = j + 1 - settings.overlap_sentences
        while nxt <= j and sum(sizes[nxt : j + 2]) > settings.max_tokens:
            nxt += 1
        i = max(i + 1, nxt)
    return out
