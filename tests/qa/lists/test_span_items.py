"""List items from the reader's spans: coordinations split with exact offsets, names told from phrases."""

from __future__ import annotations

from qa.answers import Answer
from qa.lists.span_items import are_names, coordination_parts, span_items

SENTENCE = "The garden city was designed by planner Raymond Unwin and architect Barry Parker in 1902."


def _answer(text: str, score: float = 0.8, context: str = SENTENCE) -> Answer:
    start = 500 + context.index(text)
    return Answer(
        text=text, score=score, document_id="d", passage_id="p", start=start, end=start + len(text),
        context=context, context_start=500, context_end=500 + len(context),
    )  # fmt: skip


def test_a_coordination_splits_into_items_with_document_offsets():
    a = _answer("Raymond Unwin and architect Barry Parker")
    parts = coordination_parts(a)
    assert [p.text for p in parts] == ["Raymond Unwin", "architect Barry Parker"]
    for p in parts:
        assert SENTENCE[p.start - 500 : p.end - 500] == p.text
    three = _answer("wheat, barley and rye", context="Farmers there grow wheat, barley and rye on the hills.")
    assert [p.text for p in coordination_parts(three)] == ["wheat", "barley", "rye"]


def test_what_is_not_a_coordination_stays_whole():
    assert coordination_parts(_answer("Paris, France", context="They met in Paris, France last week.")) == []
    assert coordination_parts(_answer("Raymond Unwin")) == []


def test_names_are_told_from_phrases():
    names = coordination_parts(_answer("Raymond Unwin and architect Barry Parker"))
    assert not are_names(names)  # "architect" is not part of a name
    unwin_parker = coordination_parts(_answer("Unwin and Parker", context="It was designed by Unwin and Parker."))
    assert are_names(unwin_parker)
    rock = coordination_parts(_answer("rock and roll", context="They played rock and roll all night."))
    assert not are_names(rock)


def test_span_items_group_and_keep_evidence():
    ctx = "The plan was backed by Denmark and Ireland."
    no = "Britain will not take part in the plan."
    items, excluded = span_items([_answer("Denmark and Ireland", 0.9, ctx), _answer("Britain", 0.5, no)])
    assert [i.name for i in items] == ["Denmark", "Ireland"]
    for item in items + excluded:
        ev = item.evidence[0]
        assert ev.context[ev.start - 500 : ev.end - 500] == ev.text
    assert [(i.name, i.stance) for i in excluded] == [("United Kingdom", "negated")]  # Britain, folded
