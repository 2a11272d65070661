"""Minimal answer spans: offsets into the same text, never wider, and only what the span runs on into is cut."""

from __future__ import annotations

import pytest

from qa.spans import trim_span


@pytest.mark.parametrize(
    ("question", "span", "expected"),
    [
        ("Who is the Belgian prime minister?", "Bart de Wever, the Belgian prime minister", "Bart de Wever"),
        ("Who leads Australia?", "Anthony Albanese (Labor)", "Anthony Albanese"),
        ("Which city hosted the talks?", "Dayton, Ohio", "Dayton"),
        ("Where was he born?", "Dayton, Ohio", "Dayton, Ohio"),  # no city asked for: the place stays whole
        ("Who led the raid?", "John Smith, who led", "John Smith"),
        ("What did they do?", "running fast.", "running fast"),
        ("Which country?", "the U.S.", "the U.S."),
        ("Which company?", "Apple Inc.", "Apple Inc."),
        ("When?", "(1920s)", "(1920s)"),
        ("What?", '"Hello world"', '"Hello world"'),
        ("What?", "(CNN", "CNN"),
    ],
)
def test_trim_span(question, span, expected):
    text = f"Before. {span} after."
    s0 = text.index(span)
    s, e = trim_span(question, text, s0, s0 + len(span))
    assert text[s:e] == expected
    assert s0 <= s < e <= s0 + len(span)
