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
    return s, e


def _opening(close: str) -> str:
    return {")": "(", "]": "[", "”": "“"}[close]
