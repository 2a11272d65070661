"""Perturbed negatives: a training question changed so that its own paragraph no longer answers it.

The made negatives of `qa.offline.mixture` change the paragraph (answer sentence cut out, another paragraph);
the paragraph then no longer matches the question, which is easy to refuse. The unanswerable questions users
ask (and SQuAD 2.0's) are harder: the paragraph matches the question in almost every word, but one thing the
question asks about is not what the paragraph says. Here the question is changed in that one thing, the
paragraph kept, and the pair labelled "no answer", in the ways SQuAD 2.0's writers changed theirs:

- negation: "What is a binary string?" -> "What is not a binary string?";
- a number: "in 1975" -> "in 1981", "the 10th century" -> "the 11th century" (a number the paragraph lacks);
- a name: "Who did Tancred besiege?" -> "Who did Baldwin besiege?" (a name of the source's other paragraphs);
- an antonym: "the first" -> "the last", "before" -> "after" (a word the paragraph lacks).

The new number, name or word appears nowhere in the paragraph, so the paragraph cannot answer the changed
question; a negated one is unanswerable as SQuAD 2.0 counts it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

_NEGATED = re.compile(r"\b(?:not|no|never|none|nobody|nothing|cannot)\b|n't\b", re.I)  # "n't": "didn't" too
# wh-word, a few words, then an auxiliary: "not" goes after it ("What is not ...", "What does not fall ...").
_AUX = re.compile(
    r"^\W*(?:what|which|who|whom|whose|when|where|why|how)(?:\s+[\w'-]+){0,3}?\s+"
    r"(?P<aux>is|was|are|were|can|could|will|would|should|has|have|had|does|did|do)\s+(?P<next>[\w'-]+)",
    re.I,
)
_DETERMINERS = frozenset("a an the this that these those his her its their our my your".split())
_PRONOUNS = frozenset("he she it they we i you him them us me one".split())
_NUMBER = re.compile(r"\b(\d{1,4})(st|nd|rd|th|s)?\b")
_NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2}\b")
_ANTONYMS = dict(
    pair
    for a, b in (
        ("first", "last"),
        ("before", "after"),
        ("largest", "smallest"),
        ("biggest", "smallest"),
        ("most", "least"),
        ("more", "fewer"),
        ("increase", "decrease"),
        ("increased", "decreased"),
        ("earliest", "latest"),
        ("highest", "lowest"),
        ("longest", "shortest"),
        ("maximum", "minimum"),
        ("inside", "outside"),
        ("won", "lost"),
        ("win", "lose"),
        ("positive", "negative"),
        ("legal", "illegal"),
        ("public", "private"),
        ("ancient", "modern"),
        ("dependent", "independent"),
        ("upper", "lower"),
        ("above", "below"),
        ("oldest", "youngest"),
        ("older", "younger"),
        ("best", "worst"),
        ("better", "worse"),
        ("north", "south"),
        ("east", "west"),
        ("northern", "southern"),
        ("eastern", "western"),
        ("internal", "external"),
        ("success", "failure"),
        ("successful", "unsuccessful"),
        ("start", "end"),
        ("began", "ended"),
        ("open", "closed"),
        ("early", "late"),
        ("major", "minor"),
        ("rich", "poor"),
        ("strong", "weak"),
    )
    for pair in ((a, b), (b, a))
)
_WORD = re.compile(r"[A-Za-z]+")


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", text, re.I) is not None


def negate(question: str) -> str | None:
    """The question with "not" after its auxiliary; None when it is negated already or has no such auxiliary
    (or "do"/"does"/"did" is followed by its subject rather than its verb: "What did the Normans ...")."""
    if _NEGATED.search(question):
        return None
    m = _AUX.match(question)
    if m is None:
        return None
    if m.group("next").lower() in _PRONOUNS:  # "What type is it?": "not" has no place there
        return None
    if m.group("aux").lower() in ("do", "does", "did") and (
        m.group("next").lower() in _DETERMINERS or m.group("next")[:1].isupper()
    ):
        return None
    return question[: m.end("aux")] + " not" + question[m.end("aux") :]


def change_number(question: str, context: str, rng: random.Random) -> str | None:
    """A number of the question that the paragraph also has, changed to one the paragraph lacks."""
    found = [m for m in _NUMBER.finditer(question) if re.search(rf"\b{m.group(1)}", context)]
    if not found:
        return None
    m = rng.choice(found)
    n, suffix = int(m.group(1)), m.group(2) or ""
    for _ in range(10):
        step = rng.randint(1, 15 if n > 1000 else 3)
        new = n + step if rng.random() < 0.5 or n - step < 1 else n - step
        if suffix in ("st", "nd", "rd", "th"):
            suffix = _ordinal_suffix(new)
        if not re.search(rf"\b{new}", context):
            return question[: m.start()] + f"{new}{suffix}" + question[m.end() :]
    return None


def _ordinal_suffix(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def change_name(question: str, context: str, names: Sequence[str], rng: random.Random) -> str | None:
    """A name of the question (not its first word) that the paragraph also has, replaced by a name of as many
    words from `names` (other articles' names) that the paragraph lacks."""
    found = [m for m in _NAME.finditer(question) if m.start() > 0 and len(m.group()) >= 4 and m.group() in context]
    if not found or not names:
        return None
    m = rng.choice(found)
    words = len(m.group().split())
    for _ in range(20):
        new = rng.choice(names)
        if len(new.split()) == words and new not in context and new != m.group():
            return question[: m.start()] + new + question[m.end() :]
    return None


def swap_antonym(question: str, context: str, rng: random.Random) -> str | None:
    """A word of the question swapped for its antonym ("first" -> "last"), when the paragraph lacks the antonym."""
    found = [
        m
        for m in _WORD.finditer(question)
        if m.group().lower() in _ANTONYMS and not _has_word(context, _ANTONYMS[m.group().lower()])
    ]
    if not found:
        return None
    m = rng.choice(found)
    new = _ANTONYMS[m.group().lower()]
    if m.group()[:1].isupper():
        new = new.capitalize()
    return question[: m.start()] + new + question[m.end() :]


def names_of(contexts: Sequence[str], limit: int = 20000) -> list[str]:
    """Capitalised names (one to three words) found inside sentences of `contexts`: the pool `change_name`
    draws from."""
    out: dict[str, None] = {}
    for ctx in contexts:
        for m in _NAME.finditer(ctx):
            if m.start() > 1 and ctx[m.start() - 2] not in ".!?" and min(map(len, m.group().split())) >= 3:
                out.setdefault(m.group())
                if len(out) >= limit:
                    return list(out)
    return list(out)


def perturb(question: str, context: str, names: Sequence[str], rng: random.Random) -> str | None:
    """The question changed in one thing (in a random order of the four ways, the first that applies) so that
    `context` no longer answers it; None when none applies."""
    ways = [
        lambda: negate(question),
        lambda: change_number(question, context, rng),
        lambda: change_name(question, context, names, rng),
        lambda: swap_antonym(question, context, rng),
    ]
    rng.shuffle(ways)
    for way in ways:
        changed = way()
        if changed and changed != question:
            return changed
    return None
