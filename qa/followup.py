"""Follow-up questions: rewrite "And Sweden?" into a standalone question from the earlier turns.

No language model: the rewrite uses the follow-up's shape ("And X?", "What about X?", "Why not X?",
"Who said that?", a pronoun) and the entities (capitalised names) of the earlier user questions and of the
last answer. Earlier follow-ups are resolved first, so a chain of them keeps its subject.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from qa.answers import AskResponse

Role = Literal["user", "assistant", "system"]


@dataclass(frozen=True)
class Turn:
    """One earlier turn of a conversation. An assistant turn may carry the structured answer it gave
    (`answer`); follow-ups then read that answer, not its rendered text."""

    role: Role
    content: str
    answer: AskResponse | None = None


@dataclass(frozen=True)
class Focus:
    """The one thing a follow-up asks about ("Sweden"), and the earlier standalone question (`base`)."""

    base: str
    subject: str


@dataclass(frozen=True)
class Followup:
    """A question resolved against its conversation: the standalone question and, for "And X?"-style
    follow-ups, what they focus on."""

    standalone: str
    focus: Focus | None = None


MAX_QUOTE_CHARS = 300

_WH = r"(?:which|what|who|whom|whose)"
_AUX_SINGULAR = {
    "are": "is", "is": "is", "were": "was", "was": "was", "have": "has", "has": "has", "do": "does",
    "does": "does", "did": "did", "will": "will", "would": "would", "can": "can", "could": "could",
    "should": "should", "may": "may", "might": "might", "must": "must", "shall": "shall",
}  # fmt: skip
_AUX_PLURAL = {"is": "are", "was": "were", "has": "have", "does": "do"}
_IRREGULAR_PAST = {
    "sent": "send", "said": "say", "made": "make", "gave": "give", "took": "take", "got": "get",
    "went": "go", "came": "come", "told": "tell", "chose": "choose", "put": "put", "set": "set",
    "began": "begin", "led": "lead", "held": "hold", "kept": "keep", "left": "leave", "met": "meet",
    "paid": "pay", "sold": "sell", "bought": "buy", "brought": "bring", "spoke": "speak", "wrote": "write",
}  # fmt: skip
_NOT_NAMES = {
    "what", "which", "who", "whom", "whose", "why", "when", "where", "how", "is", "are", "was", "were",
    "do", "does", "did", "has", "have", "had", "will", "would", "can", "could", "should", "may", "might",
    "and", "but", "or", "so", "also", "the", "a", "an", "in", "on", "at", "of", "for", "to", "from",
    "with", "about", "by", "as", "if", "then", "that", "this", "these", "those", "it", "he", "she",
    "they", "we", "you", "i", "his", "her", "their", "its", "our", "your", "my", "not", "no", "yes",
    "answer", "sources", "source", "read", "other", "conditionally", "conditional", "included", "tell",
    "list", "name", "give", "show", "please", "according", "meanwhile", "however", "now", "after",
}  # fmt: skip
_SAY_VERBS = r"(?:said|say|says|stated|state|states|claimed|claims|announced|announces|wrote|writes|told|reported)"
_PRONOUN_PERSON = {"he": "", "she": "", "him": "", "his": "'s", "her": "'s"}
_PRONOUN_GROUP = {"they": "", "them": "", "their": "'s"}

_NAME = re.compile(
    r"[A-Z][\w’'\-.]*(?:\s+(?:(?:de|van|von|der|di|da|al|bin|of|the|and)\s+)?[A-Z][\w’'\-.]*)*",
)
_CITATION = re.compile(r"\s*\[\d+\]")
_QUOTED_SOURCE = re.compile(r"^\s*(?:[-*]\s*)?\[\d+\]\s*[“\"](.+?)[”\"]", re.M)
_LEAD = re.compile(r"^(?:and|but|so|also|ok(?:ay)?|then|well|hmm)\b[\s,]*", re.I)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _strip_q(text: str) -> str:
    return _clean(text).rstrip(" ?.!")


def entities(text: str) -> list[str]:
    """Capitalised names in `text` (first seen first), without question words or sentence-initial words."""
    out: list[str] = []
    for m in _NAME.finditer(text):
        words = m.group(0).rstrip(".'’").split()
        while words and words[0].lower() in _NOT_NAMES:
            words = words[1:]
        while words and words[-1].lower() in {"of", "the", "and", "de", "van", "von", "der"}:
            words = words[:-1]
        name = " ".join(words)
        if name and name not in out and name.lower() not in _NOT_NAMES and len(name) > 1:
            out.append(name)
    return out


def answer_statement(turn: Turn) -> str:
    """The claim an assistant turn makes: the sentence its best answer stands in (from the structured
    answer when the turn carries it), else the first quoted sentence or first line of its text."""
    if turn.answer is not None:
        best = turn.answer.answers[0] if turn.answer.answers else None
        if best is None and turn.answer.excluded:
            best = turn.answer.excluded[0].evidence[0]
        return _clean(best.context)[:MAX_QUOTE_CHARS] if best is not None else ""
    return text_statement(turn.content)


def text_statement(content: str) -> str:
    """The claim a plain-text assistant turn makes: its first quoted sentence, else its first line."""
    m = _QUOTED_SOURCE.search(content)
    if m:
        return _clean(m.group(1).replace("**", ""))[:MAX_QUOTE_CHARS]
    body = re.split(r"^\s*\**sources\**\s*:?\s*$", content, maxsplit=1, flags=re.I | re.M)[0]
    for line in body.splitlines():
        line = _CITATION.sub("", line).replace("**", "").strip(" _*-•\t")
        if line and not line.lower().startswith("read as"):
            return _clean(line)[:MAX_QUOTE_CHARS]
    return ""


def _split_which(base: str) -> tuple[str, str] | None:
    """'Which countries are ready to X' -> ('are', 'ready to X'); ('', 'sent X') when there is no auxiliary.

    None unless the question word is the subject ('What did Macron propose' has another subject).
    """
    words = _strip_q(base).split()
    if len(words) < 2 or not re.fullmatch(_WH, words[0], re.I):
        return None
    i = 1
    if words[0].lower() not in ("who", "whom"):
        while i < min(len(words) - 1, 4):
            w = words[i].lower()
            if w in _AUX_SINGULAR or _is_past(w):
                break
            i += 1
            if w.endswith("s"):
                break
    rest = words[i:]
    if not rest:
        return None
    if rest[0].lower() in _AUX_SINGULAR:
        after = rest[1] if len(rest) > 1 else ""
        if not after or after[0].isupper() or after.lower() in _NOT_NAMES:
            return None
        return rest[0].lower(), " ".join(rest[1:])
    return "", " ".join(rest)


def _lemma(verb: str) -> str:
    v = verb.lower()
    if v in _IRREGULAR_PAST:
        return _IRREGULAR_PAST[v]
    if v.endswith("ied"):
        return v[:-3] + "y"
    if v.endswith("eed"):
        return v[:-1]
    if v.endswith("ed"):
        stem = v[:-2]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
            return stem[:-1]
        if stem.endswith(("g", "s", "v", "c", "z", "u", "at", "id", "ir", "ur", "os", "bl", "pl")):
            return stem + "e"
        return stem
    return v


def _is_past(verb: str) -> bool:
    v = verb.lower()
    return v in _IRREGULAR_PAST or (v.endswith("ed") and len(v) > 3)


def _aux_for(aux: str, subject: str) -> str:
    plural = bool(re.search(r"\band\b|,", subject))
    return _AUX_PLURAL.get(aux, aux) if plural else _AUX_SINGULAR.get(aux, aux)


def _subject_question(base: str, subject: str, negate: bool = False) -> str | None:
    """'Which countries are ready to X?' + Sweden -> 'Is Sweden ready to X?' (or 'Why is Sweden not ...?')."""
    split = _split_which(base)
    if split is None:
        return None
    aux, rest = split
    if not aux:
        verb, _, tail = rest.partition(" ")
        aux = "did" if _is_past(verb) else "does"
        rest = f"{_lemma(verb)} {tail}".strip()
    aux = _aux_for(aux, subject)
    if negate:
        return f"Why {aux} {subject} not {rest}?"
    return f"{aux.capitalize()} {subject} {rest}?"


def _replace_entity(base: str, new: str) -> str | None:
    """Swap the first earlier name in `base` for `new` ('Is Denmark ready ...?' + Sweden)."""
    olds = [e for e in entities(base) if e.lower() != new.lower()]
    if not olds:
        return None
    old = olds[0]
    return re.sub(rf"\b{re.escape(old)}\b", new, base, count=1)


def _subject_of(fragment: str) -> str:
    """The thing a fragment names: 'in Romania' -> 'Romania', 'the Bulgarian parliament' stays."""
    return re.sub(r"^(?:in|for|of|about|with|on|at|from|to)\s+", "", _strip_q(fragment), flags=re.I)


def _about(base: str, fragment: str) -> str:
    subject = _subject_of(fragment)
    return (
        _subject_question(base, subject)
        or _replace_entity(base, subject)
        or f"{_strip_q(base)}, regarding {_strip_q(fragment)}?"
    )


def _why_not(base: str, fragment: str) -> str:
    subject = _subject_of(fragment)
    q = _subject_question(base, subject, negate=True)
    if q:
        return q
    m = re.match(rf"^({'|'.join(_AUX_SINGULAR)})\s+(.+)$", _strip_q(base), re.I)
    if m:
        swapped = _replace_entity(m.group(2), subject)
        if swapped and swapped.startswith(subject):
            return f"Why {m.group(1).lower()} {subject} not {swapped[len(subject) :].strip()}?"
    return f"Why not {subject}: {_strip_q(base)}?"


def _resolve_that(question: str, statement: str) -> str | None:
    """'Who said that?' -> 'Who said "…"?'; 'When was that announced?' -> 'When was "…" announced?'."""
    if not statement:
        return None
    q = _strip_q(question)
    quoted = f"“{statement.rstrip('.')}”"
    m = re.match(rf"^(who|which \w+|whom|when|where|why|how)\s+({_SAY_VERBS})\s+(?:that|this|it|so)$", q, re.I)
    if m:
        return f"{m.group(1).capitalize()} {m.group(2).lower()} {quoted}?"
    m = re.match(r"^(who|when|where|why|how|what)\b(.*?)\b(that|this|it)\b(.*)$", q, re.I)
    if m and len(q.split()) <= 8:
        return f"{m.group(1).capitalize()}{m.group(2)}{quoted}{m.group(4)}?"
    return None


def _resolve_pronouns(question: str, names: list[str]) -> str | None:
    """Replace he/she/they (and his/her/their) with the latest fitting earlier name."""
    people = [n for n in names if len(n.split()) >= 2]
    groups = [n for n in names if len(n.split()) == 1] or names
    changed = False

    def sub(m: re.Match[str]) -> str:
        nonlocal changed
        word = m.group(0)
        low = word.lower()
        pool, suffix = (people, _PRONOUN_PERSON[low]) if low in _PRONOUN_PERSON else (groups, _PRONOUN_GROUP[low])
        if not pool:
            return word
        changed = True
        return pool[-1] + suffix

    pattern = r"\b(?:he|she|him|his|her|they|them|their)\b"
    out = re.sub(pattern, sub, question, flags=re.I)
    return out if changed else None


def _is_fragment(text: str) -> bool:
    """A bare name or short phrase with no question word or verb ('Sweden?', 'Denmark and Belgium?')."""
    words = _strip_q(text).split()
    if not words or len(words) > 5 or not text.strip().endswith("?"):
        return False
    if words[0].lower() in _NOT_NAMES - {"the", "in", "for", "of", "about", "with", "on", "at"}:
        return False
    return bool(entities(text))


def _rewrite_one(question: str, base: str, answer: str, names: list[str]) -> str:
    q = _clean(question)
    if not base:
        return q
    body = _LEAD.sub("", q)
    had_lead = body != q
    m = re.match(r"^(?:what|how)\s+about\s+(.+)$", _strip_q(body), re.I)
    if m:
        return _about(base, m.group(1))
    m = re.match(r"^why\s+not\s+(.+)$", _strip_q(body), re.I)
    if m:
        return _why_not(base, m.group(1))
    that = _resolve_that(body, answer or base)
    if that:
        return that
    if (
        had_lead and len(_strip_q(body).split()) <= 5 and not re.match(rf"^(?:{_WH}|why|when|where|how)\b", body, re.I)
    ) or (_is_fragment(q)):
        return _about(base, _strip_q(body))
    resolved = _resolve_pronouns(body, names)
    if resolved:
        return resolved[0].upper() + resolved[1:]
    return q


def _replay(history: Sequence[Turn]) -> tuple[str, str, list[str]]:
    """(the last user question made standalone, the last answer's statement, names so far) of a conversation."""
    base, answer = "", ""
    names: list[str] = []
    for turn in history:
        if not turn.content.strip() and turn.answer is None:
            continue
        if turn.role == "user":
            base = _rewrite_one(turn.content, base, answer, names)
            names += [n for n in entities(base) if n not in names]
            answer = ""
        elif turn.role == "assistant":
            answer = answer_statement(turn)
            names += [n for n in entities(answer) if n not in names]
    return base, answer, names


def resolve_followup(question: str, history: Sequence[Turn]) -> Followup:
    """`question` made standalone from the earlier turns (oldest first), with its focus for "And X?",
    "What about X?", "Why not X?" or a bare "X?". The conversation is replayed once."""
    base, answer, names = _replay(history)
    return Followup(_rewrite_one(question, base, answer, names), _focus(question, base))


def rewrite_followup(question: str, history: Sequence[Turn]) -> str:
    """The standalone form of `question` given earlier turns (oldest first); unchanged if it stands alone."""
    return resolve_followup(question, history).standalone


def _focus(question: str, base: str) -> Focus | None:
    """What a follow-up of `base` asks about ("And Sweden?" -> Sweden); None for other questions.

    Lets the pipeline answer "And Sweden?" after a list question from that list: Sweden's own item, stance
    and evidence."""
    if not base:
        return None
    q = _clean(question)
    body = _LEAD.sub("", q)
    m = re.match(r"^(?:(?:what|how)\s+about|why\s+not)\s+(.+)$", _strip_q(body), re.I)
    if m:
        return Focus(base, _subject_of(m.group(1)))
    if (body != q and len(_strip_q(body).split()) <= 5 and entities(body)) or _is_fragment(q):
        if not re.match(rf"^(?:{_WH}|why|when|where|how)\b", body, re.I):
            return Focus(base, _subject_of(_strip_q(body)))
    return None
