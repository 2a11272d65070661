"""Minimal answer spans: trim what a span reader tends to run on into, without changing what it names.

The reader's best span sometimes carries a trailing appositive ("Bart de Wever, the Belgian prime minister"),
a trailing bracket ("Anthony Albanese (Labor)"), the state after a city the question asked for ("Dayton, Ohio"
for "Which city …?") or stray punctuation. `trim_span` cuts those off and returns new offsets into the same
text, so `text[start:end]` stays an exact copy.
"""

from __future__ import annotations

import re

# ", the …", ", who …": what follows the comma describes the answer rather than being part of it.
_APPOSITIVE = re.compile(
    r",\s+(?:the|a|an|who|whom|whose|which|where|when|his|her|its|their|our|now|then|formerly|aged|born)\b",
    re.I,
)
_TRAILING_BRACKET = re.compile(r"\s*\([^()]*\)\s*\Z")
_CITY_QUESTION = re.compile(r"\b(?:city|cities|town|village|capital)\b", re.I)
_CITY_REGION = re.compile(r"\A([A-Z][\w.'’\- ]*?),\s+[A-Z][\w.'’\- ]*\Z")
_EDGE_PUNCT = " \t\n,;:-–—/"
_OPEN_CLOSE = {"(": ")", "[": "]", "“": "”", '"': '"'}


def trim_span(question: str, text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets `[start, end)` of the minimal answer inside `text[start:end]` (never empty, never wider)."""
    s, e = _strip_edges(text, start, end)
    if e <= s:
        return start, end
    span = text[s:e]
    m = _APPOSITIVE.search(span)
    if m and m.start() > 0:
        e = s + m.start()
        span = text[s:e]
    m = _TRAILING_BRACKET.search(span)
    if m and m.start() > 0 and not _TRAILING_BRACKET.fullmatch(span):
        e = s + m.start()
        span = text[s:e]
    if _CITY_QUESTION.search(question):
        m = _CITY_REGION.match(span)
        if m:
            e = s + m.end(1)
    s2, e2 = _strip_edges(text, s, e)
    return (s2, e2) if e2 > s2 else (start, end)


def _strip_edges(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop white space and dangling punctuation at both ends (a full stop only after a whole word)."""
    s, e = start, end
    while s < e and text[s] in _EDGE_PUNCT:
        s += 1
    while e > s and text[e - 1] in _EDGE_PUNCT:
        e -= 1
    # A sentence's full stop, not an abbreviation's ("U.S.", "Inc.", "Jr."): drop it after a long lower-case word.
    if e - s > 1 and text[e - 1] == "." and re.search(r"[a-z]{4,}\.\Z", text[s:e]):
        e -= 1
    # An unbalanced opening bracket or quote at the start (its closing one lies outside the span).
    if e > s and text[s] in _OPEN_CLOSE and _OPEN_CLOSE[text[s]] not in text[s + 1 : e]:
        s += 1
    if e > s and text[e - 1] in (")", "]", "”") and _opening(text[e - 1]) not in text[s : e - 1]:
        e -= 1
    # A dangling opening bracket or quote at the end ("National Football Conference (").
    while e > s and (text[e - 1] in _OPEN_CLOSE or text[e - 1] in _EDGE_PUNCT):
        if text[e - 1] == '"' and text[s : e - 1].count('"') % 2:
            break  # the closing quote of a quotation the span holds
        e -= 1
    return s, e


def _opening(close: str) -> str:
    return {")": "(", "]": "[", "”": "“"}[close]


_SINGULAR_ASK = re.compile(
    r"^\s*(?:who|which\s+\w+|what\s+\w+)\s+(?:is|was|has|had|plays|played|sings|sang|wrote|won|directed|"
    r"founded|invented|discovered|created|designed|leads|led|owns|owned|became|becomes)\b",
    re.I,
)
_COORDINATION = re.compile(r",\s+|\s+and\s+|\s*&\s*")


def is_singular_question(question: str) -> bool:
    """A question that asks for one thing ("Who played …?", "Which actor was …?"), not for several."""
    return bool(_SINGULAR_ASK.match(question)) and not re.search(r"\b(?:are|were|have)\b", question.split("?")[0][:40])


def prefer_one(
    question: str, text: str, ranked: list[tuple[int, int, float]], ratio: float = 0.5
) -> list[tuple[int, int, float]]:
    """For a question asking for one thing, when the best span coordinates several ("A, B and C") and the
    reader also proposed one of them on its own with at least `ratio` of the best score, that one comes
    first (with the best span's score: the reader is as sure the answer is in there)."""
    if len(ranked) < 2 or not is_singular_question(question):
        return ranked
    s0, e0, p0 = ranked[0]
    if not _COORDINATION.search(text[s0:e0]):
        return ranked
    parts = {p.strip().lower() for p in _COORDINATION.split(text[s0:e0]) if p.strip()}
    for i, (s, e, p) in enumerate(ranked[1:], 1):
        if s0 <= s and e <= e0 and (s, e) != (s0, e0) and p >= ratio * p0 and text[s:e].strip().lower() in parts:
            return [(s, e, p0), *ranked[1:i], *ranked[i + 1 :]]
    return ranked
