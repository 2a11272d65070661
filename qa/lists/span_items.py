"""List items from the reader's own answer spans: items of any type (people, places, dates, numbers, common
nouns such as "wheat, barley and rye"), split on coordination and grouped by alias or normalised form.

Where the named-entity machinery of `answerer.py` finds nothing (the asked-for things are not names), or where
a single answer is really several ("Raymond Unwin and Barry Parker"), the items come from spans the trained
reader scored as answers to the question, so every item has evidence in a passage that answers it. Each item
keeps its evidence sentence and a stance read from its own clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.answers import Answer, ListItem, Stance
from qa.lists.aliases import load_aliases, normalise
from qa.lists.stance import clause_stance, relative_stance
from qa.nlp import parse

# "A, B and C", "A, B, or C", "A and B", "A & B": the last joint must be a conjunction.
_JOINT = re.compile(r"\s*,\s*(?:and|or|&)\s+|\s*,\s+|\s+(?:and|or|&)\s+|\s*;\s*", re.I)
_CONJUNCTION = re.compile(r"(?:^|[\s,])(?:and|or|&)\s", re.I)
MAX_ITEM_WORDS = 6
_NAME_WORD = re.compile(r"^(?:[A-Z0-9][\w.'’\-]*|of|the|de|van|von|der|da|di|du|la|le|al|bin|and|for|&)$")


@dataclass(frozen=True)
class Part:
    """One item of a coordination: document offsets and text."""

    start: int
    end: int
    text: str


def coordination_parts(answer: Answer) -> list[Part]:
    """The items of an answer that coordinates several ("A, B and C"), with document offsets; [] when the
    answer is not a coordination (a comma alone does not make one: "Paris, France" stays whole)."""
    text = answer.text
    if not _CONJUNCTION.search(text):
        return []
    parts: list[Part] = []
    pos = 0
    for m in [*_JOINT.finditer(text), None]:
        end = m.start() if m else len(text)
        raw = text[pos:end]
        lead = len(raw) - len(raw.lstrip())
        piece = raw.strip()
        if piece:
            s = answer.start + pos + lead
            parts.append(Part(s, s + len(piece), piece))
        if m:
            pos = m.end()
    if len(parts) < 2 or any(len(p.text.split()) > MAX_ITEM_WORDS for p in parts):
        return []
    return parts


def are_names(parts: list[Part]) -> bool:
    """True when every part is a name or a number ("Raymond Unwin", "1999"), not a phrase ("rock", "roll")."""
    return all(p.text[:1].isupper() or p.text[:1].isdigit() for p in parts) and all(
        all(_NAME_WORD.match(w) for w in p.text.split()) for p in parts
    )


def _part_answer(a: Answer, p: Part) -> Answer:
    return a.model_copy(update={"text": p.text, "start": p.start, "end": p.end})


def _stance(a: Answer, negative_question: bool) -> tuple[Stance, str]:
    """(stance, deciding words) of the clause the item stands in within its evidence sentence."""
    doc = parse(a.context)
    span = doc.char_span(a.start - a.context_start, a.end - a.context_start, alignment_mode="expand")
    if span is None or not len(span):
        return "affirmed", ""
    reading = relative_stance(clause_stance(span.root), negative_question)
    return reading.stance, ", ".join(dict.fromkeys(reading.cues))


def span_items(
    answers: list[Answer], negative_question: bool = False, min_share: float = 0.3, split: bool = True
) -> tuple[list[ListItem], list[ListItem]]:
    """(items, excluded) from calibrated answer spans, best first: coordinations split into their items,
    items grouped by alias or normalised name, cut below `min_share` of the best item's score; negated items
    are excluded with their reason."""
    aliases = load_aliases()
    groups: dict[str, list[Answer]] = {}
    names: dict[str, str] = {}
    for a in answers:
        parts = coordination_parts(a) if split else []
        for ev in [_part_answer(a, p) for p in parts] or [a]:
            key = aliases.canonical(ev.text, want_countries=True) or normalise(ev.text)
            if not key:
                continue
            groups.setdefault(key, []).append(ev)
            names.setdefault(key, aliases.canonical(ev.text, want_countries=True) or ev.text)
    if not groups:
        return [], []
    best = max(max(e.score for e in evs) for evs in groups.values())
    items: list[ListItem] = []
    excluded: list[ListItem] = []
    for key, evs in groups.items():
        evs = sorted(evs, key=lambda e: -e.score)
        if evs[0].score < min_share * best:
            continue
        stance, cues = _stance(evs[0], negative_question)
        item = ListItem(
            name=names[key],
            stance=stance,
            score=evs[0].score,
            evidence=evs,
            reason=cues if stance != "affirmed" else "",
        )  # type: ignore[arg-type]
        (excluded if stance == "negated" else items).append(item)
    items.sort(key=lambda i: -i.score)
    excluded.sort(key=lambda i: -i.score)
    return items, excluded
