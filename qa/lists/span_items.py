"""List items from the reader's own answer spans: items of any type (people, places, dates, numbers, common
nouns such as "wheat, barley and rye"), split on coordination and grouped by alias or normalised form.

The trained reader proposes spans with calibrated scores. A list is read off them in three steps, each general:

1. The best span, and every further span that does not overlap one already taken and scores at least
   `ratio` of the best (and `floor`), are the candidate answers: several answers to one question.
2. A span that coordinates several things ("A, B and C", "A, B, C" with three or more short parts) gives one
   item per part; a span that is one part of a coordination in its sentence ("Brazil" in "Mexico, Italy,
   France and Brazil") brings the other parts (its conjuncts in the sentence's parse) with it, as the
   sentence names them side by side in the same role.
3. Items are grouped by alias or normalised form; each keeps its evidence (the span in its sentence) and a
   stance read from its own clause.

So every item has evidence in a passage the reader found to answer the question, not merely in a retrieved one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.passages import split_sentences
from qa.answers import Answer, ListItem, Stance
from qa.lists.aliases import AliasTable, load_aliases, normalise
from qa.lists.grouping import EntityName, fold_entities
from qa.lists.stance import clause_stance, relative_stance
from qa.nlp import parse
from qa.question_names import repeats_question
from qa.reader import overlaps_any

if TYPE_CHECKING:
    from spacy.tokens import Span, Token

# "A, B and C", "A, B, or C", "A and B", "A & B": the last joint must be a conjunction.
_JOINT = re.compile(r"\s*,\s*(?:and|or|&)\s+|\s*,\s+|\s+(?:and|or|&)\s+|\s*;\s*", re.I)
_CONJUNCTION = re.compile(r"(?:^|[\s,])(?:and|or|&)\s", re.I)
_COMMA_LIST_PART_WORDS = 4  # "A, B, C" without a conjunction: three or more parts of at most this many words
# A weekday or month name: "Tuesday, December 18, 1956" is one date, not three items.
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)(?:uary|ruary|ch|il|e|y|ust|ember|tember|ober)?"
_CALENDAR = re.compile(rf"\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\b{_MONTH}\b\.?", re.I)
# What closes a coordination without naming an item: "a money bill or not", "Paris, London and others".
_NOT_ITEMS = frozenset(("not", "so", "others", "many others", "more", "etc", "the like", "vice versa", "otherwise"))
_TRAILING_BRACKET = re.compile(r"\s*[(\[][^()\[\]]*[)\]]\s*\Z")
_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z`'\"“(]")
MAX_ITEM_WORDS = 12
_NOMINAL = {"NOUN", "PROPN", "NUM", "PRON"}
_NAME_WORD = re.compile(r"^(?:[A-Z0-9][\w.'’\-]*|of|the|de|van|von|der|da|di|du|la|le|al|bin|and|for|&|['’]s)$")
# Words that make the words before a name a relation, not a description: "art by", "wife of", "son to".
_RELATION_WORDS = frozenset(("by", "of", "with", "from", "for", "to", "in", "on", "at", "about", "than", "via"))
MAX_DESCRIPTOR_WORDS = 4  # "great Russian composer Pyotr Ilyich Tchaikovsky": the words before the name


@dataclass(frozen=True)
class SpanListSettings:
    """How many of the reader's spans make a list (tuned on qed-train-multispan, never on its dev set)."""

    ratio: float = 0.7  # a further answer scores at least this share of the best one ...
    floor: float = 0.1  # ... and at least this
    conjunct_factor: float = 0.9  # a conjunct found beside an answer gets this share of the answer's score
    # A span naming three or more things is exactly right less often than a short one, though its items
    # may all be right: as a list, it needs only this share of the reader's threshold.
    long_list_factor: float = 0.5
    max_items: int = 20
    max_item_words: int = MAX_ITEM_WORDS


DEFAULT_SPAN_SETTINGS = SpanListSettings()


@dataclass(frozen=True)
class Part:
    """One item of a coordination: document offsets and text."""

    start: int
    end: int
    text: str


def _piece(text: str, lo: int, hi: int) -> tuple[int, int] | None:
    """The part `text[lo:hi]` without edge white space or a trailing bracketed remark, as (start, end)."""
    raw = text[lo:hi]
    lead = len(raw) - len(raw.lstrip())
    piece = raw.strip()
    m = _TRAILING_BRACKET.search(piece)
    if m and m.start() > 0:
        piece = piece[: m.start()].rstrip()
    if not piece:
        return None
    return lo + lead, lo + lead + len(piece)


def coordination_spans(text: str, max_words: int = MAX_ITEM_WORDS) -> list[tuple[int, int]]:
    """The (start, end) of each item of a text that coordinates several ("A, B and C"; "A, B, C" with three
    or more short parts); [] when it is not a coordination ("Paris, France" stays whole)."""
    conjunction = bool(_CONJUNCTION.search(text))
    if not conjunction and text.count(",") < 2:
        return []
    parts: list[tuple[int, int]] = []
    pos = 0
    depth_safe = _outside_brackets(text)
    for m in [*(j for j in _JOINT.finditer(text) if depth_safe(j.start())), None]:
        end = m.start() if m else len(text)
        part = _piece(text, pos, end)
        if part is not None:
            parts.append(part)
        if m:
            pos = m.end()
    parts = [(s, e) for s, e in parts if text[s:e].lower().rstrip(".") not in _NOT_ITEMS]
    if any(is_fragment(text[s:e]) for s, e in parts):
        return []  # "second- and third-degree burns" is one compound, not two items
    if months_of_one_year([text[s:e] for s, e in parts]):
        return []  # "February, March and April 1899" is one period: the months share the year
    words = [len(text[s:e].split()) for s, e in parts]
    if len(parts) < 2 or max(words) > max_words:
        return []
    if not conjunction and (len(parts) < 3 or max(words) > _COMMA_LIST_PART_WORDS or _CALENDAR.search(text)):
        return []
    return parts


def months_of_one_year(parts: list[str]) -> bool:
    """True for bare month names followed by a last one with the year they share ("February", "March",
    "April 1899"): one period, no month of which is a date by itself."""
    return (
        len(parts) > 1
        and all(re.fullmatch(rf"{_MONTH}\.?", p, re.I) for p in parts[:-1])
        and re.fullmatch(rf"(?:\d{{1,2}}\s+)?{_MONTH}\.?(?:\s+\d{{1,2}})?,?\s+\d{{4}}", parts[-1], re.I) is not None
    )


def is_fragment(text: str) -> bool:
    """True for the first half of a compound whose head it shares with a later part, marked by its suspended
    hyphen ("second-" of "second- and third-degree burns", "pre-" of "pre- and post-war"): no item by itself."""
    return text.rstrip().endswith("-") and not text.rstrip().endswith("--")


# What may stand between a compound's fragment and the phrase it shares a head with: "and", "or", commas and
# further fragments ("first-, second- and third-degree burns").
_FRAGMENT_JOINT = re.compile(r"(?:\s*(?:,|and|or|to|&)\s*|\s*\w+-\s*)*\s(?:and|or|to|&)\s+", re.I)


def whole_compound(answer: Answer) -> Answer | None:
    """A fragment of a compound grown into the whole phrase of its sentence ("second-" -> "second- and
    third-degree burns": through the conjunction to the end of the next noun phrase the parse finds); None
    when no noun phrase follows it so."""
    doc = parse(answer.context)
    lo = answer.start - answer.context_start
    hi = lo + len(answer.text)
    for chunk in doc.noun_chunks:
        if chunk.end_char <= hi:
            continue
        joint = _FRAGMENT_JOINT.match(doc.text, hi)
        if not (chunk.start_char <= hi or (joint and joint.end() >= chunk.start_char)):
            return None
        e = chunk.end_char
        text = doc.text[lo:e]
        return answer.model_copy(update={"text": text, "end": answer.context_start + e})
    return None


def coordination_parts(answer: Answer, max_words: int = MAX_ITEM_WORDS) -> list[Part]:
    """The items of an answer that coordinates several (see `coordination_spans`), with document offsets."""
    return [
        Part(answer.start + s, answer.start + e, answer.text[s:e])
        for s, e in coordination_spans(answer.text, max_words)
    ]


def clause_subject(answer: Answer, part: Part) -> Part:
    """A coordination's part as an item: itself when it is a phrase ("countries that signed the treaty"); the
    words before its verb when the reader's span ran on into a clause ("Renault signed the founding agreement"
    of "Volvo Cars and Renault signed the founding agreement in Gothenburg, and Stellantis" -> "Renault"). Only
    a verb with a subject makes a clause: a part that starts with a word the parser took for a verb
    ("architect Barry Parker") stays whole."""
    doc = parse(answer.context)
    span = doc.char_span(part.start - answer.context_start, part.end - answer.context_start, "expand")
    if span is None or not len(span) or span.root.pos_ not in ("VERB", "AUX"):
        return part
    if not any(c.dep_ in ("nsubj", "nsubjpass") for c in span.root.children):
        return part
    head = [t for t in span if t.i < span.root.i]  # "Renault has signed": the subject, not its auxiliary
    while head and (head[-1].is_punct or head[-1].dep_ in ("cc", "advmod", "neg", "aux", "auxpass")):
        head.pop()
    if not head:
        return part
    s = answer.context_start + head[0].idx
    e = answer.context_start + head[-1].idx + len(head[-1])
    return Part(s, e, answer.context[s - answer.context_start : e - answer.context_start])


def _outside_brackets(text: str):
    """A test of whether position i of `text` lies outside any bracket (joints inside brackets don't split)."""
    depth = [0] * (len(text) + 1)
    d = 0
    for i, ch in enumerate(text):
        if ch in "([":
            d += 1
        elif ch in ")]" and d:
            d -= 1
        depth[i + 1] = d
    return lambda i: depth[i] == 0 and depth[i + 1] == 0 if i < len(text) else True


def _names_it(word: Token, child: Token) -> bool:
    """True when `child` is the name a description stands right before ("architect" -> "Barry Parker", no
    comma between): an apposition that is part of the phrase, not a remark added to it."""
    return child.dep_ == "appos" and word.pos_ == "NOUN" and child.pos_ == "PROPN" and child.left_edge.i == word.i + 1


def coordinated_word(span: Span) -> Token:
    """The word of an answer's span that a coordination joins to others: its head word; a preposition's
    object ("as a pH indicator" -> "indicator" of "a pH indicator, a color marker, and a dye"); a name's
    description when the name stands in apposition right after it ("Barry Parker" -> "architect" of "the
    planner Raymond Unwin and the architect Barry Parker")."""
    word = span.root
    if word.pos_ == "ADP":
        objects = [c for c in word.children if c.dep_ == "pobj" and span.start <= c.i < span.end]
        if objects:
            word = objects[0]
    if not word.conjuncts and _names_it(word.head, word):
        word = word.head
    return word


def conjunct_parts(answer: Answer, max_words: int = MAX_ITEM_WORDS) -> list[Part]:
    """The things coordinated with the answer in its sentence ("Mexico", "Italy" beside "Brazil" in "Mexico,
    Italy and Brazil hosted it twice"): the conjuncts of the answer's head word in the sentence's parse,
    each as its own phrase (without its own coordination, trailing punctuation or bracketed remark; a
    description keeps the name it stands right before: "the architect Barry Parker")."""
    doc = parse(answer.context)
    span = doc.char_span(answer.start - answer.context_start, answer.end - answer.context_start, "expand")
    if span is None or not len(span):
        return []
    inside = {t.i for t in span}
    head = coordinated_word(span)
    nominal = head.pos_ in _NOMINAL
    out: list[Part] = []
    for c in head.conjuncts:
        if c.i in inside or (c.pos_ in _NOMINAL) != nominal:  # a name is coordinated with names, not clauses
            continue
        drop: set[int] = set()
        for ch in c.children:
            trailing = ch.i > c.i and ch.dep_ in ("punct", "appos", "relcl", "acl", "prep") and not _names_it(c, ch)
            if ch.dep_ in ("conj", "cc", "preconj") or trailing:
                drop.update(t.i for t in ch.subtree)
        keep = {t.i for t in c.subtree} - drop
        lo = hi = c.i
        while lo - 1 in keep:
            lo -= 1
        while hi + 1 in keep:
            hi += 1
        while lo < hi and doc[lo].dep_ in ("cc", "punct", "det", "preconj", "advmod"):
            lo += 1
        while hi > lo and doc[hi].is_punct:
            hi -= 1
        s = answer.context_start + doc[lo].idx
        e = answer.context_start + doc[hi].idx + len(doc[hi])
        text = answer.context[s - answer.context_start : e - answer.context_start]
        if is_fragment(text):
            continue  # a compound's first half ("second-") is no thing by itself
        if text and len(text.split()) <= max_words and not (s < answer.end and answer.start < e):
            out.append(Part(s, e, text))
    return out


def are_names(parts: list[Part]) -> bool:
    """True when every part is a name or a number ("Raymond Unwin", "1999"), not a phrase ("rock", "roll")."""
    return all(p.text[:1].isupper() or p.text[:1].isdigit() for p in parts) and all(
        all(_NAME_WORD.match(w) for w in p.text.split()) for p in parts
    )


def name_core(part: Part) -> Part | None:
    """The name a part ends in, without the few words that describe it ("architect Barry Parker" -> "Barry
    Parker", "stars McFerrin" -> "McFerrin"); the part itself when it is a name; None when it ends in none."""
    words = list(re.finditer(r"\S+", part.text))
    i = len(words)
    while i > 0 and _NAME_WORD.match(words[i - 1].group()):
        i -= 1
    while i < len(words) and not words[i].group()[:1].isupper() and not words[i].group()[:1].isdigit():
        i += 1  # a name starts with a capital or a digit ("of the" inside a name only)
    if i >= len(words) or i > MAX_DESCRIPTOR_WORDS:
        return None
    if any(w.group().lower() in _RELATION_WORDS for w in words[:i]):
        return None  # "art by David Finch" names a relation to the name, not the name itself
    lo = words[i].start()
    return Part(part.start + lo, part.end, part.text[lo:])


def named_parts(parts: list[Part], descriptors: bool) -> list[Part] | None:
    """`parts` as names when every part is one (`descriptors`: or ends in one, trimmed to it), else None."""
    if are_names(parts):
        return parts
    if not descriptors:
        return None
    cores = [name_core(p) for p in parts]
    return [c for c in cores if c is not None] if all(cores) else None


def _part_answer(a: Answer, p: Part, score: float | None = None) -> Answer:
    update: dict[str, object] = {"text": p.text, "start": p.start, "end": p.end}
    if score is not None:
        update["score"] = round(score, 4)
    return a.model_copy(update=update)


def crosses_sentences(answer: Answer) -> bool:
    """True when the answer runs across a sentence break of its context (an initial's or an abbreviation's
    full stop, "Franklin D. Roosevelt", is not one: the passage's own sentence splitter decides)."""
    if not _SENTENCE_BREAK.search(answer.text):
        return False
    lo = answer.start - answer.context_start
    hi = lo + len(answer.text)
    return any(lo < s < hi for s, _ in split_sentences(answer.context))


def list_spans(
    answers: list[Answer], settings: SpanListSettings = DEFAULT_SPAN_SETTINGS, people: bool = False
) -> list[Answer]:
    """The item spans of a list answer from the reader's answers (best first): the best answer and every
    further non-overlapping one scoring at least `ratio` of it (and `floor`), coordinations split into
    their parts (for a question about `people`, names without their descriptors) and each answer's
    conjuncts added. Spans that run across a sentence break are not answers."""
    ranked = sorted((a for a in answers if not crosses_sentences(a)), key=lambda a: -a.score)
    ranked = [w for w in (whole_compound(a) if is_fragment(a.text) else a for a in ranked) if w is not None]
    if not ranked:
        return []
    best = ranked[0].score
    taken: list[Answer] = []
    for a in ranked:
        if taken and (a.score < max(settings.floor, settings.ratio * best) or len(taken) >= settings.max_items):
            break
        if overlaps_any(a, taken):
            continue
        parts = [clause_subject(a, p) for p in coordination_parts(a, settings.max_item_words)]
        if people and parts:
            parts = named_parts(parts, descriptors=True) or parts
        pieces = [_part_answer(a, p) for p in parts] or [a]
        if not parts:
            pieces += [
                _part_answer(a, p, a.score * settings.conjunct_factor)
                for p in conjunct_parts(a, settings.max_item_words)
            ]
        for piece in pieces:
            if not overlaps_any(piece, taken):
                taken.append(piece)
    return taken[: settings.max_items]


def _stance(a: Answer, negative_question: bool) -> tuple[Stance, str]:
    """(stance, deciding words) of the clause the item stands in within its evidence sentence."""
    doc = parse(a.context)
    span = doc.char_span(a.start - a.context_start, a.end - a.context_start, alignment_mode="expand")
    if span is None or not len(span):
        return "affirmed", ""
    reading = relative_stance(clause_stance(span.root), negative_question)
    return reading.stance, ", ".join(dict.fromkeys(reading.cues))


def entity_name(a: Answer, aliases: AliasTable) -> tuple[EntityName, str]:
    """(what the span names, the person's bare name as written): a span that ends in a person's name (by the
    sentence's named entities) with at most a title before it ("Venezuelan President Hugo Chavez", "Chavez")
    names that person, and the country a word of its title names; a relation ("the wife of Hugo Chavez") or
    anything else names no person ("")."""
    doc = parse(a.context)
    span = doc.char_span(a.start - a.context_start, a.end - a.context_start, alignment_mode="expand")
    if span is None or not len(span):
        return EntityName(), ""
    toks = [t for t in span if not t.is_punct and t.tag_ != "POS"]
    i = len(toks)
    while i > 0 and toks[i - 1].ent_type_ == "PERSON":
        i -= 1
    if i == len(toks):
        return EntityName(), ""
    title = toks[:i]
    if len(title) > MAX_DESCRIPTOR_WORDS or any(t.lower_ in _RELATION_WORDS - {"of"} for t in title):
        return EntityName(), ""
    if any(t.lower_ == "of" and t.i + 1 < len(doc) and doc[t.i + 1].lower_ in ("the", "a", "an") for t in title):
        return EntityName(), ""  # "wife of the late ...", not "Secretary of State"
    country = next((r.name for t in title if (r := aliases.country(t.text, capitals=False))), "")
    name = doc[toks[i].i : toks[-1].i + 1].text
    return EntityName(person=normalise(name), country=country), name


def span_items(
    answers: list[Answer],
    negative_question: bool = False,
    settings: SpanListSettings = DEFAULT_SPAN_SETTINGS,
    people: bool = False,
    question: str = "",
) -> tuple[list[ListItem], list[ListItem]]:
    """(items, excluded), best first, from the reader's calibrated answers (their `list_spans`): items grouped
    by alias or normalised name, none that only repeats a word of the `question`; negated items excluded
    with their reason."""
    aliases = load_aliases()
    groups: dict[str, list[Answer]] = {}
    names: dict[str, str] = {}
    for ev in list_spans(answers, settings, people):
        if repeats_question(question, ev.text):
            continue
        key = aliases.canonical(ev.text, want_countries=True) or normalise(ev.text)
        if not key:
            continue
        groups.setdefault(key, []).append(ev)
        names.setdefault(key, aliases.canonical(ev.text, want_countries=True) or ev.text)
    groups, names, merged = _one_item_per_entity(groups, names, aliases)
    items: list[ListItem] = []
    excluded: list[ListItem] = []
    for key, evs in groups.items():
        # a person's item merged from several names leads with a span that names them ("Hugo Chavez", not "Venezuela")
        evs = sorted(evs, key=lambda e: (key in merged and names[key] not in e.text, -e.score))
        stance, cues = _stance(evs[0], negative_question)
        item = ListItem(
            name=names[key],
            stance=stance,
            score=evs[0].score,
            evidence=evs,
            reason=cues if stance != "affirmed" else "",
        )
        (excluded if stance == "negated" else items).append(item)
    items.sort(key=lambda i: -i.score)
    excluded.sort(key=lambda i: -i.score)
    return items, excluded


def _one_item_per_entity(
    groups: dict[str, list[Answer]], names: dict[str, str], aliases: AliasTable
) -> tuple[dict[str, list[Answer]], dict[str, str], set[str]]:
    """The groups merged where several name one person (`fold_entities`): title plus name, surname, the
    country their title names. A merged item is called by the person's bare name ("Hugo Chavez"); the keys
    of the merged items come third."""
    if len(groups) < 2:
        return groups, names, set()
    named = {k: entity_name(max(evs, key=lambda e: e.score), aliases) for k, evs in groups.items()}
    target = fold_entities({k: n for k, (n, _) in named.items()}, aliases.country_names)
    if all(t == k for k, t in target.items()):
        return groups, names, set()
    merged: dict[str, list[Answer]] = {}
    merged_names: dict[str, str] = {}
    for key, evs in groups.items():
        merged.setdefault(target[key], []).extend(evs)
    bare = {n.person: written for n, written in named.values() if n.person}
    for key in merged:
        folded = [k for k, t in target.items() if t == key]
        if len(folded) == 1:
            merged_names[key] = names[key]
        else:
            merged_names[key] = max((bare.get(named[k][0].person, "") for k in folded), key=len) or names[key]
    return merged, merged_names, {k for k in merged if sum(t == k for t in target.values()) > 1}
