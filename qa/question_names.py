"""What of a question a passage lacks: the share of its names (capitalised words past its first, and numbers)
and the share of its content words (any case, stop words aside). A passage about something else rarely holds
the question's names or words, whatever its cosine to it (`Calibration.w_names` and `w_words` weigh the two
shares in open mode); the words also serve lower-case search queries, which name nothing."""

from __future__ import annotations

import re
from functools import lru_cache

from qa.lists.aliases import load_aliases, normalise

_TOKEN = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*", re.UNICODE)
# Capitalised words that are not names wherever they stand in a question.
_NOT_NAMES = frozenset(
    """i i'm i've i'd i'll what which who whom whose when where why how is are was were do does did can could
    will would should has have had the a an in on of for and or but to by at as from with""".split()
)


def question_names(question: str) -> list[str]:
    """The names of `question`: capitalised words after its first word (not 'I', not a capitalised question
    word) and words with a digit, each once. Lower-case queries have none."""
    words = _TOKEN.findall(question)
    out: dict[str, str] = {}
    for i, w in enumerate(words):
        is_number = any(ch.isdigit() for ch in w)
        is_name = i > 0 and w[0].isupper() and w.lower() not in _NOT_NAMES
        if is_number or is_name:
            out.setdefault(normalise(w), w)
    return list(out.values())


@lru_cache(maxsize=1024)
def _words(text: str) -> frozenset[str]:
    """The folded words of `text`."""
    return frozenset(normalise(w) for w in _TOKEN.findall(text))


@lru_cache(maxsize=1024)
def _named(text: str) -> frozenset[str]:
    """The countries and entities the capitalised words and word pairs of `text` name (aliases and demonyms
    folded: 'Irish' and 'Ireland' name the same country)."""
    table = load_aliases()
    words = _TOKEN.findall(text)
    surfaces = [w for w in words if w[0].isupper()]
    surfaces += [f"{a} {b}" for a, b in zip(words, words[1:]) if a[0].isupper() and b[0].isupper()]
    return frozenset(n for n in (table.canonical(s, want_countries=False) for s in surfaces) if n)


def missing_names(question: str, text: str) -> float:
    """The share of the question's names that `text` does not mention (0 when the question names nothing).
    A name counts as mentioned when a word of the text is it or begins with it ('Beyoncé' for 'Beyonce's',
    'Germany's' for 'Germany'), or names the same country or entity ('Ireland' for 'Irish')."""
    names = question_names(question)
    if not names:
        return 0.0
    words = _words(text)
    table = load_aliases()

    def mentioned(name: str) -> bool:
        n = normalise(name)
        if n in words or (len(n) >= 4 and any(w.startswith(n) for w in words)):
            return True
        canonical = table.canonical(name, want_countries=False)
        return canonical is not None and canonical in _named(text)

    return sum(not mentioned(n) for n in names) / len(names)


# Words a question shares with any passage or that say what is asked rather than what about.
_STOP_WORDS = frozenset(
    """a an the of in on at to for from by with about as into over under and or but not no is are was were be
    been being do does did done has have had having can could will would shall should may might must what which
    who whom whose when where why how that this these those there their they them it its he she his her him i me
    my we our you your one first name named called many much most more some any all each other than then so if
    also just only out up down off very get got go goes going make made know known tell used use""".split()
)
_LOWER_WORD = re.compile(r"[a-z0-9]+")
_STEM = 5  # words compare by their first five letters ("elected" = "election"); shorter ones without a plural s


def _stem(word: str) -> str:
    return word[:_STEM] if len(word) > _STEM else word.rstrip("s") if len(word) > 3 else word


def question_words(question: str) -> frozenset[str]:
    """The stems of the question's content words (lower-cased, stop words and question words left out)."""
    return frozenset(_stem(w) for w in _LOWER_WORD.findall(question.lower()) if w not in _STOP_WORDS)


@lru_cache(maxsize=1024)
def _stems(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in _LOWER_WORD.findall(text.lower()))


def missing_words(question: str, text: str) -> float:
    """The share of the question's content words (`question_words`) that `text` lacks; 0 when it has none."""
    want = question_words(question)
    return len(want - _stems(text)) / len(want) if want else 0.0


def repeats_question(question: str, text: str) -> bool:
    """True when `text` is one content word the question itself has ("lyrics" for "who wrote the lyrics of
    ..."): an answer that only repeats the question."""
    words = [w for w in _LOWER_WORD.findall(text.lower()) if w not in _STOP_WORDS]
    return len(words) == 1 and _stem(words[0]) in question_words(question)
