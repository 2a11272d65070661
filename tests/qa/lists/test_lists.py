"""List answers, the parts without the embedding model: detection, aliases, grouping, stance, mentions.

Every text here is written for the test (none is the seed article), so the rules are shown to be general.
"""

from __future__ import annotations

import pytest

from qa.lists.aliases import load_aliases, normalise
from qa.lists.grouping import fold_keys
from qa.lists.mentions import find_mentions
from qa.lists.question import analyse_question, is_list_question, may_ask_for_a_list
from qa.lists.stance import clause_stance, question_is_negative, relative_stance
from qa.nlp import parse


@pytest.mark.parametrize(
    "question",
    [
        "Which countries are ready to send peacekeepers?",
        "What companies make electric cars?",
        "Who is willing to deploy peacekeepers?",
        "Who opposed the merger?",
        "Who are the founders of the company?",
        "List the products Apple announced.",
        "Name the ministers who resigned.",
        "In which cities will the tour stop?",
        # counted, two questions in one, and search-style queries about several things
        "which two rivers flow through the city",
        "what are the 3 stages of mitosis",
        "Name two causes of the war.",
        "who founded the company and in what year",
        "rock and roll: who sang it and when",
        "where does the trail start and end",
        "all the moons of jupiter",
        "five ways to save energy at home",
        "Which countries are one of the largest wheat producers?",  # "one of" says what each item is
        "Give a list of the ministers.",  # a singular object that counts plural things
        "Name a couple of causes of the war.",
        "What are the ingredients used in pesto?",
        "What are the main products Denmark is known for?",  # the preposition's object is the plural noun
        "What are the countries the river flows through?",
    ],
)
def test_list_questions_are_detected(question):
    assert is_list_question(question)
    assert may_ask_for_a_list(question), "the parser-free test never rules out a list question"


@pytest.mark.parametrize(
    "question",
    [
        "Who is the Belgian Prime Minister?",
        "What is the capital of France?",
        "Which country hosted the summit?",
        "Who founded Microsoft?",
        "When did the talks start?",
        "The Rhine and what other river cross the city?",
        "When do the leaves fold up or turn sideways?",
        "most goals scored by one player in a season",
        "how many moons does jupiter have",
        "For how many years was the bridge in use?",
        "Jupiter's moons orbit what?",
        # one of several, whatever the verb's number
        "Who were one of the main clients of the satellite providers?",
        "What is an example of a climate proxy?",
        "Name one of the countries that refused to send troops",
        "Name a change that was made to the engines of the cars.",  # a singular object with an indefinite article
        # "what" as a preposition's object: the plural noun is the subject, the answer one name or one use
        "What were X-rays known as at the time?",
        "What are the stems of cacti used for?",
        "For what are leaves used?",
        "What are prions?",  # a definition of one plural noun
    ],
)
def test_single_questions_are_not_lists(question):
    assert not is_list_question(question)


@pytest.mark.parametrize(
    "question",
    [
        # "what" is the object of a verb or an adjective whose subject is the plural noun: the answer is that
        # object (a topic, a plan), not several of the noun
        "What are the senators debating?",
        "What are the inspectors checking?",
        "What are the two airlines planning?",
        "What were the farmers unhappy about?",
    ],
)
def test_a_question_about_what_they_do_is_not_a_list_of_them(question):
    assert not is_list_question(question)


@pytest.mark.parametrize(
    "question",
    [
        "What are the airlines flying to Lisbon?",  # the participle has its own object: the airlines are asked for
        "What are the main exports of Peru?",
    ],
)
def test_a_plural_noun_with_its_own_predicate_is_still_asked_for(question):
    assert is_list_question(question)


def test_question_type_and_role():
    q = analyse_question("Which cities did the band visit on its tour?")
    assert (q.kind, q.agent) == ("city", False)  # the band is the subject; cities are where it went
    q = analyse_question("Which nations said they could send troops to Kenya?")
    assert (q.kind, q.agent) == ("country", True) and "Kenya" in q.named
    assert analyse_question("Name the ministers who resigned.").kind == "person"
    assert analyse_question("Who refused to sign the treaty?").negative
    assert not analyse_question("Who agreed to sign the treaty?").negative


def test_normalise_ignores_case_articles_punctuation():
    assert normalise("The U.K.'s") == "uk"
    assert normalise("  the  Wall Street Journal ") == "wall street journal"
    assert normalise("Michaël") == "michael"


@pytest.mark.parametrize(
    "surface,country",
    [
        ("Britain", "United Kingdom"), ("the UK", "United Kingdom"), ("United Kingdom", "United Kingdom"),
        ("British", "United Kingdom"), ("London", "United Kingdom"), ("Irish", "Ireland"),
        ("Brussels", "Belgium"), ("Swiss", "Switzerland"), ("Germans", "Germany"), ("Danes", "Denmark"),
        ("Türkiye", "Turkey"), ("the Netherlands", "Netherlands"), ("Dutch", "Netherlands"), ("Kiev", "Ukraine"),
    ],
)  # fmt: skip
def test_aliases_fold_into_countries(surface, country):
    assert load_aliases().country(surface).name == country


def test_capitals_fold_only_for_country_questions_and_acronyms_keep_case():
    t = load_aliases()
    assert t.canonical("London", want_countries=True) == "United Kingdom"
    assert t.canonical("London", want_countries=False) is None  # a city question keeps London
    assert t.entity("WHO").name == "World Health Organization"
    assert t.entity("who") is None and t.country("us") is None  # words, not acronyms
    assert t.country("US").name == "United States"


def test_alias_table_is_extendable():
    from qa.lists.aliases import AliasTable

    t = AliasTable.from_dict({"entities": [{"name": "Acme Corporation", "aliases": ["Acme", "ACME Corp"]}]})
    assert t.entity("acme").name == "Acme Corporation"
    assert t.entity("ACME Corp").name == "Acme Corporation"


def test_grouping_folds_short_names_and_acronyms():
    keys = {"emmanuel macron": "person", "macron": "person", "wall street journal": "x", "wsj": "x"}
    out = fold_keys(keys)
    assert out["macron"] == "emmanuel macron"
    assert out["wsj"] == "wall street journal"
    ambiguous = fold_keys({"john smith": "person", "mary smith": "person", "smith": "person"})
    assert ambiguous["smith"] == "smith"


def _stance_of(sentence: str, word: str) -> str:
    doc = parse(sentence)
    tok = next(t for t in doc if t.text == word)
    return clause_stance(tok).stance


@pytest.mark.parametrize(
    "sentence,word,stance",
    [
        ("Norway refused to sign the treaty.", "Norway", "negated"),
        ("Japan agreed to join the mission.", "Japan", "affirmed"),
        ("Chile will join the mission if its parliament approves.", "Chile", "conditional"),
        ("Kenya does not rule out joining the mission.", "Kenya", "conditional"),
        ("Peru will not take part in the operation.", "Peru", "negated"),
        ("Ghana stated its theoretical willingness to help.", "Ghana", "conditional"),
        ("Austria opposed the plan, but Portugal welcomed it.", "Portugal", "affirmed"),
        ("Austria opposed the plan, but Portugal welcomed it.", "Austria", "negated"),
    ],
)
def test_stance_from_own_clause(sentence, word, stance):
    assert _stance_of(sentence, word) == stance


def test_negative_question_flips_stance():
    doc = parse("Norway refused to sign the treaty.")
    reading = clause_stance(doc[0])
    assert question_is_negative(parse("Which countries refused to sign?"))
    assert relative_stance(reading, True).stance == "affirmed"
    assert relative_stance(reading, False).stance == "negated"


@pytest.mark.parametrize(
    "question, negative",
    [
        ("Which countries did not send troops?", True),
        ("which countries did not sign the kyoto protocol", True),
        ("Which countries said they would not send troops?", True),  # a reported clause is what is asked
        ("Which companies are unwilling to participate?", True),
        ("who voted against the bill", True),
        ("List the players who never scored.", True),
        ("who wrote he ain't heavy he's my brother lyrics", False),  # the negation is in a title
        ("who sings i don't want to miss a thing", False),
        ("Which countries sent troops?", False),
    ],
)
def test_question_negation_is_read_from_the_asked_clause(question, negative):
    assert question_is_negative(parse(question)) is negative


def test_mentions_have_exact_offsets_roles_and_demonyms():
    text = "Intro line.\nCanadian Foreign Minister Anna Gray said her country would send medics to Chile."
    start = text.index("Canadian")
    sentence = text[start:]
    ms = find_mentions(sentence, start, load_aliases())
    for m in ms:
        assert text[m.start : m.end] == m.text
    by_text = {m.text: m for m in ms}
    assert by_text["Canadian"].country == "Canada" and by_text["Canadian"].role == "agent"
    assert by_text["Chile"].role == "oblique"  # the destination, not an answer to "who will send"
    assert by_text["Anna Gray"].affiliation == "Canada"


def test_reporting_source_is_not_an_agent():
    s = "Reuters reported that Brazil could send ships."
    ms = {m.text: m for m in find_mentions(s, 0, load_aliases())}
    assert ms["Brazil"].role == "agent"
    assert ms["Reuters"].role == "source"


@pytest.mark.parametrize(
    "sentence, name",
    [
        (
            "Germany and Spain are trying to convince their partners, as analysts doubt Canada will join the pact.",
            "Canada",
        ),
        (
            "Britain and France are struggling to convince other leaders, as allies doubt the United States will help.",
            "States",
        ),
    ],
)
def test_a_clause_someone_doubts_is_not_asserted(sentence: str, name: str) -> None:
    """Whatever the small parser makes of "as X doubt Y will ...", Y does not act in the sentence's own claim."""
    from qa.lists.mentions import role_of
    from qa.nlp import parse

    token = next(t for t in parse(sentence) if t.text == name)
    assert role_of(token) == "embedded"


@pytest.mark.slow
def test_the_parse_free_prefilter_never_rules_out_a_list_question():
    """`may_ask_for_a_list` must hold wherever the parser finds a list question (on 3,000 questions of three
    sources written by other people), and spare the parse on most single-answer questions."""
    import random

    from qa.offline.squad import load_squad
    from tests.conftest import SHARED_DATA as data

    questions = [
        q.question
        for name in ("squad-v1.1-dev.json", "qed-train.json", "qed-dev-multispan.json")
        for q in random.Random(5).sample(load_squad(data / name), 1000 if name != "qed-dev-multispan.json" else 159)
    ]
    lists = [q for q in questions if analyse_question(q, parse_always=True).is_list]
    assert len(lists) > 50
    assert [q for q in lists if not may_ask_for_a_list(q)] == []
    assert sum(not may_ask_for_a_list(q) for q in questions) > 0.4 * len(questions)
    assert not analyse_question("What is the capital of France?").parsed
