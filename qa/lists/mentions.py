"""Candidate list items in one sentence: typed name mentions with their syntactic role and exact offsets.

Mentions come from two sources: spaCy's named entities (people, organisations, places, products) and the alias
table (country names, aliases, demonyms and capitals, also inside other entities, e.g. "Swiss" in "the Swiss
Armed Forces"). Each mention records its role in the sentence:

- `agent`: the subject of its clause, the agent of a passive, or a modifier of either ("Irish" in "Irish Prime
  Minister Michaël Martin said ..."), so a speaker's nationality stands for "his country";
- `object`: a direct object;  `oblique`: the object of a preposition ("to Ukraine", "in Paris");
- `source`: the subject of a reporting verb whose complement has another subject ("Bloomberg writes that
  Turkey could ..."): it tells, it does not answer;
- `embedded`: a subject inside a clause the sentence does not assert (see `asserted`);
- `modifier`: a demonym or name modifying a thing rather than a person or body ("Russian aggression");
- `other`: anything else (headlines, fragments).

A person mention also records its `affiliation`: a country named inside its own noun phrase ("Belgian Prime
Minister Bart de Wever" -> Belgium), which lets "who" questions answer at the level of countries.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.lists.aliases import AliasTable, normalise
from qa.nlp import parse

NER_KINDS = {
    "PERSON": "person",
    "ORG": "org",
    "PRODUCT": "product",
    "WORK_OF_ART": "product",
    "GPE": "city",  # a GPE the alias table does not know as a country
    "LOC": "place",
    "FAC": "place",
}
NP_INTERNAL = {"compound", "amod", "nmod", "poss", "flat", "nn", "appos", "conj", "case", "det", "npadvmod"}
SUBJECTS = {"nsubj", "nsubjpass", "csubj", "csubjpass", "expl"}
REPORTING_VERBS = {
    "say", "write", "report", "tell", "claim", "note", "state", "announce", "add", "cite", "reveal", "confirm",
    "suggest", "argue", "insist", "believe", "think", "warn", "predict", "quote",
}  # fmt: skip
SUBORDINATORS = {
    "after", "before", "as", "because", "since", "while", "although", "though", "when", "whereas", "until", "if",
    "unless", "once", "whether",
}  # fmt: skip
AGENT_NOUNS = {
    "official", "leader", "minister", "president", "government", "parliament", "army", "force", "military",
    "authority", "diplomat", "delegation", "side", "people", "lawmaker", "administration", "cabinet",
    "chancellor", "premier", "secretary", "spokesman", "spokeswoman", "spokesperson", "ambassador", "envoy",
    "commander", "general", "navy", "troop", "soldier", "team", "delegate", "negotiator", "prime", "king",
    "queen", "court", "senate", "congress", "ministry", "company", "firm", "regulator", "voter", "citizen",
    "player", "federation", "union", "club", "agency", "council", "committee", "embassy", "foreign",
}  # fmt: skip


@dataclass
class Mention:
    """A typed name in a sentence, with document offsets `[start, end)`."""

    text: str
    start: int
    end: int
    kind: str  # country | city | person | org | product | place
    key: str  # grouping key: canonical name (countries, aliases) or normalised text
    name: str  # display name
    role: str  # agent | object | oblique | other
    direct: bool  # the mention heads its noun phrase (not a modifier such as a demonym)
    token: object  # the spaCy token the stance is read from
    country: str = ""  # the country this mention stands for, if any (capitals included)
    affiliation: str = ""  # for people: a country named in their own noun phrase


def np_head(token):
    """Climb from a token to the head of the noun phrase it belongs to (through conj, appos, compound, of-PPs)."""
    t = token
    for _ in range(12):
        if t.dep_ in NP_INTERNAL and t.head is not t:
            t = t.head
        elif (
            t.dep_ == "pobj"
            and t.head.dep_ == "prep"
            and t.head.lower_ == "of"
            and t.head.head.pos_ in ("NOUN", "PROPN")
        ):
            t = t.head.head
        else:
            break
    return t


def _agentive(head) -> bool:
    """A noun phrase head that can act for a country or group: a named person/organisation or an agent noun."""
    return head.ent_type_ in ("PERSON", "ORG", "NORP") or head.lemma_.lower() in AGENT_NOUNS


def is_source(head) -> bool:
    """A subject that only reports what someone else does: "Bloomberg writes that Turkey could deploy ...".

    Speakers who report on themselves ("X said his country was ready", "X said he could send") stay agents.
    """
    verb = head.head
    if head.dep_ == "pobj" and head.head.dep_ == "agent":  # "This is reported by The Wall Street Journal"
        return head.head.head.lemma_.lower() in REPORTING_VERBS
    if head.dep_ not in SUBJECTS or verb.lemma_.lower() not in REPORTING_VERBS:
        return False
    for comp in verb.children:
        if comp.dep_ != "ccomp":
            continue
        subj = next((c for c in comp.children if c.dep_ in SUBJECTS), None)
        if subj is None:
            continue
        if subj.pos_ == "PRON" or any(c.dep_ == "poss" and c.pos_ == "PRON" for c in subj.children):
            return False
        return True
    return False


# Verbs whose object is a clause the speaker does not assert ("allies doubt the US will ...").
NON_ASSERTING_VERBS = {
    "doubt", "fear", "believe", "think", "suspect", "hope", "expect", "worry", "wonder", "question", "deny",
    "assume", "suppose", "imagine", "guess", "predict",
}  # fmt: skip


def _misattached_complement(verb, subject) -> bool:
    """spaCy's small parser often makes the complement of "X doubt/fear/hope [Y will ...]" the main clause and
    hangs "X doubt" under it as an adverbial clause; such a clause is Y's, but it is not asserted."""
    for d in verb.children:
        if (
            d.dep_ == "advcl"
            and d.lemma_.lower() in NON_ASSERTING_VERBS
            and d.i < subject.i
            and not any(ch.dep_ in ("ccomp", "dobj", "xcomp") for ch in d.children)
        ):
            return True
    return False


def asserted(head) -> bool:
    """False when the clause around a noun phrase is not asserted by the sentence: a subordinate clause of time,
    reason or condition ("After the US and Russia negotiated ..."), a clause modifying a noun ("a deadline for
    Russia to agree"), or a complement of a non-reporting predicate ("allies doubt the US will ...")."""
    c = head.head
    if _misattached_complement(c, head):
        return False
    for _ in range(12):
        if c.dep_ == "advcl":
            marks = {m.lower_ for m in c.children if m.dep_ == "mark"}
            elliptical = not any(ch.dep_ in ("acomp", "attr", "dobj", "xcomp", "ccomp", "prep") for ch in c.children)
            if marks & SUBORDINATORS and not ("as" in marks and elliptical):
                return False
            # "set a deadline for Russia to agree": spaCy attaches this noun complement to the verb
            if "for" in marks and any(ch.dep_ == "dobj" and ch.i < c.i for ch in c.head.children):
                return False
        elif c.dep_ in ("acl", "relcl"):
            return False
        elif c.dep_ == "ccomp" and c.head.lemma_.lower() not in REPORTING_VERBS:
            return False
        if c.head is c:
            break
        c = c.head
    return True


def role_of(token) -> str:
    """Syntactic role of the noun phrase that `token` belongs to."""
    h = np_head(token)
    if is_source(h):
        return "source"
    if h is not token and token.dep_ in ("amod", "compound", "nmod", "poss") and not _agentive(h):
        if token.dep_ == "amod" or token.ent_type_ in ("NORP", "GPE"):
            return "modifier"  # "American missile systems", "Russian aggression": not the country acting
    if h.dep_ in SUBJECTS or (h.dep_ == "pobj" and h.head.dep_ == "agent") or h.dep_ == "attr":
        return "agent" if asserted(h) else "embedded"
    if h.dep_ == "attr":
        return "agent"
    if h.dep_ in ("dobj", "oprd", "dative"):
        return "object"
    if h.dep_ == "pobj":
        return "oblique"
    return "other"


def _span_tokens(doc, s: int, e: int):
    return [t for t in doc if t.idx < e and t.idx + len(t.text) > s]


def _root(tokens):
    ids = {t.i for t in tokens}
    for t in tokens:
        if t.head.i not in ids or t.head is t:
            return t
    return tokens[-1]


def country_spans(doc, aliases: AliasTable) -> list[tuple[int, int, str, bool]]:
    """(start, end, country, is_capital) for each longest alias-table match in `doc` (sentence offsets)."""
    out: list[tuple[int, int, str, bool]] = []
    person_multi = [(e.start, e.end) for e in doc.ents if e.label_ == "PERSON" and len(e) > 1]
    text = doc.text  # a property that joins every token: once, not per candidate
    i, n = 0, len(doc)
    while i < n:
        matched = False
        first = doc[i]  # tokens, not `doc[i:j]` spans: a span's construction costs far more (per token position)
        for width in range(min(aliases.max_words + 1, n - i), 0, -1):
            if not first.text[:1].isupper():
                break
            last = doc[i + width - 1]
            if last.is_punct or last.is_space:
                continue
            s, e = first.idx, last.idx + len(last.text)
            surface = text[s:e]
            if last.text in ("'s", "’s", "ʼs"):
                continue
            hit = aliases.country(surface)
            if hit is None:
                continue
            if any(ps <= i and i + width <= pe for ps, pe in person_multi):
                break  # "Jordan Peterson", "Denzel Washington": a person, not a place
            out.append((s, e, hit.name, hit.via == "capital"))
            i += width
            matched = True
            break
        if not matched:
            i += 1
    return out


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    """Drop a leading article and a trailing possessive from a mention span."""
    low = text[s:e].lower()
    for art in ("the ", "a ", "an "):
        if low.startswith(art):
            s += len(art)
            break
    for pos in ("'s", "’s", "ʼs"):
        if text[s:e].endswith(pos):
            e -= len(pos)
    return s, e


def find_mentions(sentence: str, offset: int, aliases: AliasTable) -> list[Mention]:
    """Every typed mention in `sentence` (which starts at document offset `offset`)."""
    doc = parse(sentence)
    out: list[Mention] = []
    countries = country_spans(doc, aliases)
    for s, e, country, capital in countries:
        toks = _span_tokens(doc, s, e)
        root = _root(toks)
        h = np_head(root)
        out.append(
            Mention(
                text=sentence[s:e], start=offset + s, end=offset + e,
                kind="city" if capital else "country", key=country, name=country,
                role=role_of(root), direct=h is root or root.dep_ in ("conj", "appos"), token=root,
                country=country,
            )
        )  # fmt: skip
    covered = [(s, e) for s, e, _, _ in countries]
    for ent in doc.ents:
        kind = NER_KINDS.get(ent.label_)
        if kind is None:
            continue
        s, e = _trim(sentence, ent.start_char, ent.end_char)
        if e <= s:
            continue
        if any(cs <= s and e <= ce for cs, ce in covered):
            continue  # the whole entity is a country name already found
        surface = sentence[s:e]
        canon = aliases.entity(surface)
        key = canon.name if canon else normalise(surface)
        if not key:
            continue
        inner = [c for cs, ce, c, _ in countries if s <= cs and ce <= e]
        root = ent.root
        out.append(
            Mention(
                text=surface, start=offset + s, end=offset + e, kind=kind, key=key,
                name=canon.name if canon else surface, role=role_of(root),
                direct=np_head(root) is root or root.dep_ in ("conj", "appos"), token=root,
            )
        )  # fmt: skip
        if kind == "person":
            out[-1].affiliation = inner[0] if inner else _np_country(root, countries, doc)
    return out


def _np_country(root, countries, doc) -> str:
    """A country named inside the noun phrase headed by `root` ("Belgian Prime Minister Bart de Wever")."""
    head = np_head(root)
    span = list(head.subtree)
    lo, hi = span[0].idx, span[-1].idx + len(span[-1].text)
    for s, e, c, _capital in countries:
        if lo <= s and e <= hi:
            return c
    return ""
