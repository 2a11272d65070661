"""Stance of a list item from its own clause: affirmed, conditional or negated.

The clause is read from a dependency parse: the predicate that governs the item's mention and everything under
it, minus coordinated clauses with a subject of their own (so "Germany refused, while Spain agreed" gives each
country its own verb). Cues are general English, not keyed to any article:

- negation: a negator ("not", "never", "no") or a negative predicate ("oppose", "refuse", "reject", "against");
- condition or hedge: "if", "unless", "provided", "whether", "theoretical", "in principle", "possibly", ...;
- a negated negative predicate ("does not rule out", "did not oppose") is a weak, conditional yes.

A question can itself be negative ("Which countries opposed ...?"); `relative_stance` turns a clause's stance
into its stance towards such a question (an opposing clause affirms it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.answers import Stance

NEGATORS = {"not", "n't", "never", "no", "neither", "nor", "none", "nobody"}
NEGATIVE_PREDICATES = {
    "oppose", "opposed", "refuse", "reject", "decline", "veto", "resist", "object", "boycott", "deny", "exclude",
    "against", "unwilling", "reluctant", "unable", "hesitant", "opponent", "opposition", "refusal", "rejection",
    "withdraw", "abstain", "criticize", "criticise", "condemn", "cancel", "scrap",
}  # fmt: skip
# "rule out" is negative only with its particle; "rule" alone is not.
NEGATIVE_PHRASAL = {("rule", "out"), ("back", "out"), ("pull", "out"), ("turn", "down"), ("step", "down")}
CONDITION_MARKERS = {"if", "unless", "provided", "providing", "whether", "once", "assuming"}
HEDGES = {
    "theoretical", "theoretically", "hypothetical", "hypothetically", "possibly", "perhaps", "maybe",
    "potentially", "conditional", "conditionally", "tentatively", "tentative", "open",
}  # fmt: skip
MULTIWORD_CONDITIONS = (("as", "long", "as"), ("on", "condition"), ("only", "if"), ("in", "principle"))


@dataclass
class StanceReading:
    """A clause's stance and the words that decided it (shown to users as the reason)."""

    stance: Stance
    cues: list[str] = field(default_factory=list)


def governing_predicate(token):
    """The verb or predicate adjective that a noun phrase token depends on (the token itself if none)."""
    t = token
    for _ in range(12):
        if t.pos_ in ("VERB", "AUX") or (t.pos_ == "ADJ" and t.dep_ in ("acomp", "ROOT")):
            return t
        if t.head is t:
            return t
        t = t.head
    return t


def clause_tokens(pred) -> list:
    """Tokens of the clause headed by `pred`, leaving out coordinated clauses that have their own subject."""
    skip: set[int] = set()
    for child in pred.children:
        if child.dep_ == "conj" and child.pos_ in ("VERB", "AUX"):
            if any(c.dep_ in ("nsubj", "nsubjpass", "expl") for c in child.children):
                skip.update(t.i for t in child.subtree)
    return [t for t in pred.subtree if t.i not in skip]


def _words(tokens) -> list[str]:
    return [t.lower_ for t in tokens]


def _condition_cues(tokens) -> list[str]:
    """The condition markers and hedges among `tokens`: single words first, then multiword phrases."""
    words = _words(tokens)
    lemmas = [t.lemma_.lower() for t in tokens]
    cond: list[str] = []
    for i, w in enumerate(words):
        if w in CONDITION_MARKERS or w in HEDGES or lemmas[i] in HEDGES:
            if w == "open" and (i + 1 >= len(words) or words[i + 1] != "to"):
                continue  # "open to" hedges; "an open letter" does not
            cond.append(w)
    for phrase in MULTIWORD_CONDITIONS:
        n = len(phrase)
        for i in range(len(words) - n + 1):
            if tuple(words[i : i + n]) == phrase:
                cond.append(" ".join(phrase))
    return cond


def _negative_predicates(tokens) -> list[str]:
    """The negative predicates among `tokens`, phrasal ones ("rule out") included."""
    neg_preds: list[str] = []
    for t in tokens:
        lem = t.lemma_.lower()
        if lem in NEGATIVE_PREDICATES or t.lower_ in NEGATIVE_PREDICATES:
            neg_preds.append(t.lower_)
        for c in t.children:
            if c.dep_ == "prt" and (lem, c.lower_) in NEGATIVE_PHRASAL:
                neg_preds.append(f"{t.lower_} {c.lower_}")
    return neg_preds


def read_tokens(tokens) -> StanceReading:
    """Stance from the cue words among `tokens` (a clause)."""
    cond = _condition_cues(tokens)
    neg_words = [t.lower_ for t in tokens if t.dep_ == "neg" or t.lower_ in NEGATORS]
    neg_preds = _negative_predicates(tokens)
    if neg_words and neg_preds:
        return StanceReading("conditional", [f"{neg_words[0]} {neg_preds[0]}"] + cond)
    if cond:
        return StanceReading("conditional", cond)
    if neg_words or neg_preds:
        return StanceReading("negated", neg_words + neg_preds)
    return StanceReading("affirmed", [])


def clause_stance(token) -> StanceReading:
    """Stance of the clause that governs `token` (a token of the item's mention)."""
    return read_tokens(clause_tokens(governing_predicate(token)))


# Verbs that report what their subject says or decides: the clause they introduce ("Which countries said they
# would not ...?") is what such a question asks about. Any other verb's clausal object is a quotation or a
# title ("who wrote he ain't heavy he's my brother", "who sings i don't want to miss a thing").
REPORTING_VERBS = {
    "say", "announce", "declare", "state", "indicate", "signal", "confirm", "insist", "claim", "warn", "argue",
    "suggest", "report", "reveal", "tell", "hint", "promise", "pledge", "vow", "threaten", "decide", "agree",
    "vote", "demand", "propose", "deny",
}  # fmt: skip
WH_TAGS = {"WDT", "WP", "WP$", "WRB"}  # the parser's tags of wh-words ("which", "who", "whose", "how", ...)


def question_clause(doc) -> list:
    """The tokens of what a question asks: the clause of the predicate its wh-word depends on (the root when it
    has none), without a clausal object that is a quotation or a title (see `REPORTING_VERBS`)."""
    wh = next((t for t in doc if t.tag_ in WH_TAGS), None)
    pred = governing_predicate(wh) if wh is not None else next((t for t in doc if t.dep_ == "ROOT"), None)
    if pred is None:
        return list(doc)
    skip: set[int] = set()
    if pred.lemma_.lower() not in REPORTING_VERBS:
        for child in pred.children:
            if child.dep_ == "ccomp":
                skip.update(t.i for t in child.subtree)
    return [t for t in clause_tokens(pred) if t.i not in skip]


def question_is_negative(doc) -> bool:
    """True when the question asks about refusal or opposition ("Who opposed ...?", "Which ... will not ...?"):
    a negation in the clause it asks about, not in a title or quotation it names (`question_clause`)."""
    return read_tokens(question_clause(doc)).stance == "negated"


def relative_stance(reading: StanceReading, negative_question: bool) -> StanceReading:
    """A clause's stance towards the question: for a negative question, opposing clauses affirm it."""
    if not negative_question or reading.stance == "conditional":
        return reading
    flipped: Stance = "affirmed" if reading.stance == "negated" else "negated"
    cues = reading.cues if reading.stance == "negated" else ["supports rather than opposes"]
    return StanceReading(flipped, cues)
