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
        ("Which conference?", "National Football Conference (", "National Football Conference"),
        ("What did he say?", 'he said "', "he said"),
        ("What did he call it?", 'an attempt to "be like Churchill"', 'an attempt to "be like Churchill"'),
    ],
)
def test_trim_span(question, span, expected):
    text = f"Before. {span} after."
    s0 = text.index(span)
    s, e = trim_span(question, text, s0, s0 + len(span))
    assert text[s:e] == expected
    assert s0 <= s < e <= s0 + len(span)


def test_one_name_when_one_is_asked_for():
    from qa.spans import is_singular_question, prefer_one

    text = "The film starred Tom Hanks, Meg Ryan and Bill Pullman in 1993."
    three = (text.index("Tom"), text.index(" in 1993"), 0.8)
    one = (text.index("Tom"), text.index(","), 0.5)
    assert is_singular_question("Who played the lead in the film?")
    assert not is_singular_question("Who were the stars of the film?")
    assert prefer_one("Who played the lead in the film?", text, [three, one])[0] == (one[0], one[1], 0.8)
    assert prefer_one("Who were the stars of the film?", text, [three, one])[0] == three  # several asked for
    weak = (one[0], one[1], 0.1)
    assert prefer_one("Who played the lead in the film?", text, [three, weak])[0] == three  # too unsure alone
