"""The names a question mentions (capitalised words past its first, and numbers) and the share of them a
passage lacks: a passage about something else rarely holds the question's names, whatever its cosine to it
(`Calibration.w_names` weighs that share in open mode)."""

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
