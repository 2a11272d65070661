"""A cascade of two span readers: the fast one reads every passage, the strong one only the few where the fast
one found its best spans, and the strong one's calibrated answers are the ones returned.

A large reader (MPNet, 12 layers x 768) reads one window several times slower than the small one (MiniLM-L6),
and most retrieved passages hold no answer: the small reader is good at telling which ones do (its best span's
score), far less at picking the exact span in them. So the cascade costs about one strong window per stage.
"""

from __future__ import annotations

from collections.abc import Sequence

from qa.answers import Answer
from qa.retriever import Retrieved
from qa.span_reader import SpanReader


class CascadeReader:
    """Reads with `strong` the `keep` passages of each call where `fast` proposes its best spans (all of them
    when there are no more than `keep`); scores, threshold and backend are the strong reader's."""

    def __init__(self, fast: SpanReader, strong: SpanReader, keep: int = 1) -> None:
        if keep < 1:
            raise ValueError(f"a cascade keeps at least one passage for the strong reader, not {keep}")
        self.fast = fast
        self.strong = strong
        self.keep = keep

    @property
    def threshold(self) -> float:
        """The strong reader's threshold: its scores are the ones served."""
        return self.strong.threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        self.strong.threshold = value

    @property
    def active_backend(self) -> str | None:
        """What the strong reader runs on once loaded."""
        return self.strong.active_backend

    def warm_up(self) -> None:
        """Load both readers."""
        self.fast.warm_up()
        self.strong.warm_up()

    def question_note(self, question: str) -> str | None:
        """The strong reader's note: the answers are its reading."""
        return self.strong.question_note(question)

    def chosen(self, question: str, passages: Sequence[Retrieved]) -> list[Retrieved]:
        """The `keep` passages the fast reader finds the best spans in, in retrieval order (ties: the earlier)."""
        if len(passages) <= self.keep:
            return list(passages)
        best: dict[str, float] = {}
        for a in self.fast.candidates(question, passages):
            best[a.passage_id] = max(best.get(a.passage_id, 0.0), a.score)
        ranked = sorted(range(len(passages)), key=lambda i: (-best.get(passages[i].passage.id, 0.0), i))
        return [passages[i] for i in sorted(ranked[: self.keep])]

    def candidates(self, question: str, passages: Sequence[Retrieved]) -> list[Answer]:
        """The strong reader's spans in the chosen passages (calibrated, not merged, not thresholded)."""
        return self.strong.candidates(question, self.chosen(question, passages))

    def read(
        self, question: str, passages: Sequence[Retrieved], top_k: int = 5, threshold: float | None = None
    ) -> list[Answer]:
        """The strong reader's top answers in the chosen passages with score >= `threshold` (default: its own)."""
        return self.strong.read(question, self.chosen(question, passages), top_k, threshold)
