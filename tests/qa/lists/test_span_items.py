"""List items from the reader's spans: coordinations split with exact offsets, names told from phrases."""

from __future__ import annotations

from qa.answers import Answer
from qa.lists.span_items import (
    Part,
    are_names,
    clause_subject,
    conjunct_parts,
    coordination_parts,
    coordination_spans,
    crosses_sentences,
    list_spans,
    name_core,
    named_parts,
    span_items,
)

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
    items, excluded = span_items([_answer("Denmark and Ireland", 0.9, ctx), _answer("Britain", 0.8, no)])
    assert [i.name for i in items] == ["Denmark", "Ireland"]
    for item in items + excluded:
        ev = item.evidence[0]
        assert ev.context[ev.start - 500 : ev.end - 500] == ev.text
    assert [(i.name, i.stance) for i in excluded] == [("United Kingdom", "negated")]  # Britain, folded


def test_comma_lists_and_bracketed_remarks():
    ctx = "The permanent members are China (formerly the Republic of China), Russia, France and the UK."
    span = "China (formerly the Republic of China), Russia, France and the UK"
    parts = coordination_parts(_answer(span, context=ctx))
    assert [p.text for p in parts] == ["China", "Russia", "France", "the UK"]  # a joint inside brackets stays
    grains = "Farmers there grow wheat, barley, rye on the hills."
    parts = coordination_parts(_answer("wheat, barley, rye", context=grains))
    assert [p.text for p in parts] == ["wheat", "barley", "rye"]
    assert coordination_parts(_answer("Dayton, Ohio", context="He was born in Dayton, Ohio.")) == []
    aired = "It first aired on Tuesday, December 18, 1956 on CBS."
    assert coordination_parts(_answer("Tuesday, December 18, 1956", context=aired)) == []  # one date


def test_conjuncts_of_an_answer_come_from_its_sentence():
    ctx = "Only Mexico, Italy, France, Germany and Brazil have hosted the event twice."
    parts = conjunct_parts(_answer("Brazil", context=ctx))
    assert {p.text for p in parts} == {"Mexico", "Italy", "France", "Germany"}
    for p in parts:
        assert ctx[p.start - 500 : p.end - 500] == p.text
    assert conjunct_parts(_answer("Paris", context="The summit was held in Paris last week.")) == []


def test_conjuncts_reach_past_a_description_and_a_preposition():
    # "the architect Barry Parker": "and" joins the description, the name stands right after it
    ctx = "The planner Raymond Unwin and the architect Barry Parker were commissioned to produce a plan."
    assert [p.text for p in conjunct_parts(_answer("Barry Parker", context=ctx))] == ["Raymond Unwin"]
    assert [p.text for p in conjunct_parts(_answer("Raymond Unwin", context=ctx))] == ["architect Barry Parker"]
    # "as a pH indicator": the preposition's object is what the commas and "and" coordinate
    ctx = "Bromophenol blue is used as a pH indicator, a color marker, and a dye."
    assert [p.text for p in conjunct_parts(_answer("as a pH indicator", context=ctx))] == ["color marker", "dye"]
    # a name after a comma is a remark on the word before it, not part of its phrase
    ctx = "The award went to Ghent and its mayor, Daniel Termont, in 2001."
    assert [p.text for p in conjunct_parts(_answer("Ghent", context=ctx))] == ["its mayor"]
    ctx = "The award went to Ghent and its mayor Daniel Termont in 2001."
    assert [p.text for p in conjunct_parts(_answer("Ghent", context=ctx))] == ["its mayor Daniel Termont"]


def test_list_spans_take_close_answers_and_never_overlap():
    ctx = "Bobby Scott wrote the music and Bob Russell wrote the lyrics in 1969."
    spans = list_spans([_answer("Bob Russell", 0.8, ctx), _answer("Bobby Scott", 0.7, ctx), _answer("1969", 0.2, ctx)])
    assert [a.text for a in spans] == ["Bob Russell", "Bobby Scott"]  # 1969 scores under 0.7 of the best
    dup = list_spans([_answer("Bob Russell", 0.8, ctx), _answer("Russell", 0.79, ctx)])
    assert [a.text for a in dup] == ["Bob Russell"]


def test_names_keep_their_possessives_and_lose_their_descriptors():
    ctx = "The theme is sung by Solange Knowles & Destiny 's Child."
    parts = coordination_parts(_answer("Solange Knowles & Destiny 's Child", context=ctx))
    assert are_names(parts)
    described = coordination_parts(_answer("planner Raymond Unwin and architect Barry Parker"))
    assert named_parts(described, descriptors=False) is None
    cores = named_parts(described, descriptors=True)
    assert cores is not None and [p.text for p in cores] == ["Raymond Unwin", "Barry Parker"]
    for p in cores:
        assert SENTENCE[p.start - 500 : p.end - 500] == p.text
    assert name_core(Part(0, 13, "rock and roll")) is None  # no name at its end
    assert name_core(Part(0, 18, "art by David Finch")) is None  # a relation to the name, not its descriptor
    comic = "The storyline was written by Geoff Johns and art by David Finch."
    by = coordination_parts(_answer("Geoff Johns and art by David Finch", context=comic))
    assert named_parts(by, descriptors=True) is None
    rock = coordination_parts(_answer("rock and roll", context="They played rock and roll all night."))
    assert named_parts(rock, descriptors=True) is None


def test_a_who_list_names_people_without_their_descriptors():
    items, _ = span_items([_answer("planner Raymond Unwin and architect Barry Parker")], people=True)
    assert [i.name for i in items] == ["Raymond Unwin", "Barry Parker"]
    items, _ = span_items([_answer("planner Raymond Unwin and architect Barry Parker")])
    assert [i.name for i in items] == ["planner Raymond Unwin", "architect Barry Parker"]


def test_singular_questions_get_a_list_when_the_best_span_names_several():
    from qa.lists.answerer import evidence_is_list
    from qa.lists.question import asks_who

    two = [_answer("planner Raymond Unwin and architect Barry Parker", 0.6)]
    assert evidence_is_list("who designed the garden city", two, threshold=0.4)  # names behind descriptors
    assert not evidence_is_list("What was designed in 1902?", two, threshold=0.4)  # not a "who": phrases
    assert not evidence_is_list("Who was one of the designers?", two, threshold=0.4)  # asks for one
    named = [_answer("Unwin and Parker", 0.6, context="It was designed by Unwin and Parker.")]
    assert evidence_is_list("What firm designed it?", named, threshold=0.4)  # two plain names make a list ...
    assert not evidence_is_list("What was one firm that designed it?", named, threshold=0.4)  # ... not for "one"
    assert evidence_is_list("Who designed it in one year?", two, threshold=0.4)  # "one" of something else
    assert not evidence_is_list("who designed the garden city", [_answer("Raymond Unwin", 0.9)], threshold=0.4)
    low_two = [_answer("Unwin and Parker", 0.3, context="It was designed by Unwin and Parker.")]
    assert not evidence_is_list("who designed it", low_two, threshold=0.4)  # two names below the threshold
    cast = "The video stars McFerrin, Robin Williams, and Bill Irwin."
    low_three = [_answer("McFerrin, Robin Williams, and Bill Irwin", 0.3, context=cast)]
    assert evidence_is_list("who was in the video", low_three, threshold=0.4)  # three clear half of it
    assert not evidence_is_list("who was in the video", [low_three[0].model_copy(update={"score": 0.1})], 0.4)
    assert asks_who("In 1990, who won the cup?") and not asks_who("Whose car was it?")


def test_evidence_that_pairs_things_or_renames_one_makes_no_list():
    from qa.lists.answerer import evidence_is_list

    ctx = "The show starred Beyoncé and Bruno Mars, who headlined the XLVII and XLVIII shows, respectively."
    pair = [_answer("Bruno Mars", 0.8, ctx), _answer("Beyoncé", 0.6, ctx)]
    assert not evidence_is_list("What performer headlined the XLVII show?", pair, threshold=0.4)  # one of the pair
    ctx = "The show starred Beyoncé and Bruno Mars, who headlined it together."
    both = [_answer("Bruno Mars", 0.8, ctx), _answer("Beyoncé", 0.6, ctx)]
    assert evidence_is_list("What performer headlined the show?", both, threshold=0.4)
    ctx = "The Glomma, or Glåma, is Norway's longest river."
    renamed = [_answer("Glomma", 0.8, ctx), _answer("Glåma", 0.6, ctx)]
    assert not evidence_is_list("What is the longest river in Norway?", renamed, threshold=0.4)  # another name


def test_an_initial_is_no_sentence_break_but_a_full_stop_is():
    ctx = "Historians rank George Washington, Franklin D. Roosevelt and John F. Kennedy highest. Nixon ranks low."
    whole = _answer("George Washington, Franklin D. Roosevelt and John F. Kennedy", 0.6, ctx)
    assert not crosses_sentences(whole)
    assert [a.text for a in list_spans([whole])] == ["George Washington", "Franklin D. Roosevelt", "John F. Kennedy"]
    across = _answer("John F. Kennedy highest. Nixon", 0.9, ctx)
    assert crosses_sentences(across)
    assert [a.text for a in list_spans([across, whole])] == [
        "George Washington",
        "Franklin D. Roosevelt",
        "John F. Kennedy",
    ]


def test_words_that_close_a_coordination_are_no_items():
    assert coordination_spans("decides whether a bill is a money bill or not") == []
    text = "Paris, London and others"
    assert [text[s:e] for s, e in coordination_spans(text)] == ["Paris", "London"]


def test_two_answers_coordinated_in_their_sentence_make_a_list():
    from qa.lists.answerer import evidence_is_list

    ctx = "The song was written by Cathy Dennis and Rob Davis, and Kylie Minogue recorded it."
    davis, dennis, kylie = (
        _answer("Rob Davis", 0.87, ctx),
        _answer("Cathy Dennis", 0.52, ctx),
        _answer("Kylie Minogue", 0.5, ctx),
    )
    assert evidence_is_list("who wrote the song", [davis, dennis], threshold=0.29)
    assert not evidence_is_list("who wrote the song", [davis, dennis.model_copy(update={"score": 0.2})], 0.29)
    assert not evidence_is_list("who wrote the song", [davis, kylie], threshold=0.29)  # not coordinated with it
    assert not evidence_is_list("who was one of the writers", [davis, dennis], threshold=0.29)
    items, _ = span_items([davis, dennis], question="who wrote the song")
    assert [i.name for i in items] == ["Rob Davis", "Cathy Dennis"]


def test_a_single_answer_does_not_parse_its_sentence():
    from qa.lists.answerer import evidence_is_list
    from qa.nlp import parse

    first, second = "Rob Davis wrote the song in 2001.", "Kylie Minogue recorded it in Sweden."
    davis = _answer("Rob Davis", 0.87, first)
    kylie = _answer("Kylie Minogue", 0.5, second)  # the next sentence of the same document
    shift = len(first) + 1
    kylie = kylie.model_copy(
        update={"start": kylie.start + shift, "end": kylie.end + shift, "context_start": 500 + shift}
    )
    misses = parse.cache_info().misses
    assert not evidence_is_list("who wrote the song", [davis, kylie], threshold=0.29)  # another sentence
    assert not evidence_is_list("who wrote the song", [davis], threshold=0.29)
    assert parse.cache_info().misses == misses


def test_a_span_that_runs_on_into_a_clause_gives_the_clause_subject_as_its_item():
    ctx = "Volvo Cars and Renault signed the founding agreement in Gothenburg, and Stellantis joined them a day later."
    a = _answer("Volvo Cars and Renault signed the founding agreement in Gothenburg, and Stellantis", context=ctx)
    parts = coordination_parts(a)
    assert "Renault signed the founding agreement in Gothenburg" in [p.text for p in parts]  # the reader's span
    assert [p.text for p in list_spans([a])] == ["Volvo Cars", "Renault", "Stellantis"]
    renault = next(clause_subject(a, p) for p in parts if p.text.startswith("Renault"))
    assert ctx[renault.start - 500 : renault.end - 500] == "Renault"
    ctx2 = "Volvo Cars and Renault have signed the founding agreement in Gothenburg, and Stellantis joined later."
    a2 = _answer(
        "Volvo Cars and Renault have signed the founding agreement in Gothenburg, and Stellantis", context=ctx2
    )
    assert [p.text for p in list_spans([a2])] == ["Volvo Cars", "Renault", "Stellantis"]
    phrase = _answer(
        "France and the countries that signed the treaty",
        context="The talks were led by France and the countries that signed the treaty in 1992.",
    )
    assert [p.text for p in list_spans([phrase])] == ["France", "the countries that signed the treaty"]


def test_months_that_share_a_year_are_one_period():
    assert coordination_spans("February, March and April 1899") == []  # a serial's three issues: one period
    assert len(coordination_spans("March and May")) == 2  # no year to share: two months
    assert len(coordination_spans("1860 and 1861")) == 2


def test_a_compound_fragment_is_no_item_but_the_whole_phrase_is():
    ctx = "The miner suffered first- and second-degree scalds on both legs after the boiler failed."
    whole = _answer("first- and second-degree scalds", 0.8, ctx)
    assert coordination_parts(whole) == []  # one compound sharing its head, not "first-" and "second-degree ..."
    assert [i.name for i in span_items([whole])[0]] == ["first- and second-degree scalds"]
    fragment = _answer("first-", 0.8, ctx)
    assert [a.text for a in list_spans([fragment])] == ["first- and second-degree scalds"]  # grown to its phrase
    two = "Doctors treated pre- and post-operative infections and dehydration in the ward."
    spans = list_spans([_answer("pre- and post-operative infections and dehydration", 0.8, two)])
    assert all(not s.text.endswith("-") for s in spans)


def test_one_person_under_several_names_is_one_item():
    ctx = "Peru joined the talks on Friday, and Peruvian Foreign Minister Lucia Campos said Campos would sign."
    second = ctx.rindex("Campos")
    surname = _answer("Campos", 0.7, ctx).model_copy(update={"start": 500 + second, "end": 506 + second})
    answers = [_answer("Peru", 0.9, ctx), _answer("Peruvian Foreign Minister Lucia Campos", 0.8, ctx), surname]
    items, excluded = span_items(answers)
    assert [i.name for i in items + excluded] == ["Lucia Campos"]
    assert len((items + excluded)[0].evidence) == 3
    assert "Lucia Campos" in (items + excluded)[0].evidence[0].text  # its answer names her, not her country
    two = "Chile and Peruvian Foreign Minister Lucia Campos signed the accord."
    got = span_items([_answer("Chile", 0.9, two), _answer("Peruvian Foreign Minister Lucia Campos", 0.8, two)])
    assert sorted(i.name for i in got[0] + got[1]) == ["Chile", "Peruvian Foreign Minister Lucia Campos"]
    rel = "The envoy met Ana Ruiz and the husband of Ana Ruiz at the embassy."
    kin = span_items([_answer("Ana Ruiz", 0.9, rel), _answer("the husband of Ana Ruiz", 0.8, rel)])
    assert len(kin[0] + kin[1]) == 2  # a relation to a person is not that person
    # a surname the tagger takes for a place is still the person named in full elsewhere
    calc = "Calculus was invented by Newton and Leibniz. In his 1671 work, Isaac Newton listed three kinds."
    got = span_items([_answer("Newton and Leibniz", 0.8, calc), _answer("Isaac Newton", 0.6, calc)])
    assert sorted(i.name for i in got[0] + got[1]) == ["Isaac Newton", "Leibniz"]


def test_a_list_of_one_item_is_a_single_answer():
    from qa.answers import ListItem
    from qa.lists.answerer import _list_response

    ctx = "Norway agreed to the plan, but Sweden refused."
    norway = ListItem(name="Norway", stance="affirmed", score=0.8, evidence=[_answer("Norway", 0.8, ctx)])
    sweden = ListItem(name="Sweden", stance="negated", score=0.7, evidence=[_answer("Sweden", 0.7, ctx)])
    one = _list_response("Which countries agreed?", [norway], [sweden], [])
    assert one.kind == "single" and [a.text for a in one.answers] == ["Norway"]
    assert one.excluded == [sweden]  # still there for a follow-up ("And Sweden?")
    both = _list_response("Which countries agreed?", [norway, sweden.model_copy(update={"stance": "affirmed"})], [], [])
    assert both.kind == "list"
