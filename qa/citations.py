"""An answer laid out for display, with numbered citations: the one intermediate that the command line's
text and the chat's Markdown are both rendered from, so both number their sources the same way.

A citation is a sentence of a document (the `context` of an answer or of a list item's evidence), numbered
in order of first use; list items come grouped by stance (affirmed, conditional, negated), then the excluded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.answers import Answer, AskResponse, ListItem

STANCE_GROUPS = ("affirmed", "conditional", "negated")


@dataclass(frozen=True)
class CitedAnswer:
    """A single answer and the number of the sentence it comes from."""

    answer: Answer
    ref: int


@dataclass(frozen=True)
class CitedItem:
    """A list item and the numbers of the sentences that support it (its first `refs_per_item` evidence)."""

    item: ListItem
    refs: list[int]


@dataclass
class CitedResponse:
    """What to show for one response, every part with its citation numbers; `sources[n - 1]` is citation n."""

    kind: str
    read_as: str | None
    notes: list[str] = field(default_factory=list)
    answers: list[CitedAnswer] = field(default_factory=list)  # best first
    items: list[CitedItem] = field(default_factory=list)  # grouped by stance
    excluded: list[CitedItem] = field(default_factory=list)
    sources: list[Answer] = field(default_factory=list)

    @property
    def is_list(self) -> bool:
        """True when the response is shown as a list of items."""
        return self.kind == "list" and bool(self.items or self.excluded)


class _Numbering:
    def __init__(self) -> None:
        self.sources: list[Answer] = []
        self._keys: dict[tuple[str, int, int], int] = {}

    def cite(self, ans: Answer) -> int:
        key = (ans.document_id, ans.context_start, ans.context_end)
        if key not in self._keys:
            self.sources.append(ans)
            self._keys[key] = len(self.sources)
        return self._keys[key]


def provenance(ans: Answer) -> str:
    """Where a cited sentence comes from beyond its title: "Reuters, 2024-03-11, p. 3" (the parts known)."""
    parts = [ans.source, ans.date, f"p. {ans.page}" if ans.page else ""]
    return ", ".join(p for p in parts if p)


def cite(resp: AskResponse, max_other_answers: int | None = None, refs_per_item: int = 2) -> CitedResponse:
    """Lay out `resp` with numbered citations; `max_other_answers` caps the answers after the best one
    (distinct texts only), `refs_per_item` the evidence sentences cited for each list item."""
    numbers = _Numbering()
    out = CitedResponse(kind=resp.kind, read_as=resp.rewritten_question, notes=list(resp.notes))
    if resp.kind == "list" and (resp.items or resp.excluded):
        grouped = sorted(resp.items, key=lambda i: STANCE_GROUPS.index(i.stance))
        out.items = [CitedItem(i, [numbers.cite(e) for e in i.evidence[:refs_per_item]]) for i in grouped]
        out.excluded = [CitedItem(i, [numbers.cite(e) for e in i.evidence[:refs_per_item]]) for i in resp.excluded]
    elif resp.answers:
        best, *others = resp.answers
        shown = [a for a in others if a.text.strip() != best.text.strip()]
        if max_other_answers is not None:
            shown = shown[:max_other_answers]
        out.answers = [CitedAnswer(a, numbers.cite(a)) for a in [best, *shown]]
    out.sources = numbers.sources
    return out
