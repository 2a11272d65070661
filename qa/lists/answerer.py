"""List answers: every item the articles name for a question like "Which countries are ready to ...?".

How a list answer is built (each step general, none keyed to an article or its words):

1. `analyse_question` (qa/lists/question.py) decides that the question asks for a list, of which type
   (countries, cities, people, organisations, products, "who" agents) and in which role.
2. Retrieve more passages than a single answer needs (`LIST_PASSAGES`), and score every sentence in them:
   cosine similarity to the question, raised by the reader's own score for that sentence (so a trained span
   reader's calibrated confidence counts when it ships), and carried forward to a following sentence that
   refers back ("Denmark is also ready for this", "Sweden does not rule out such a possibility").
3. In every sentence relevant enough, `find_mentions` (qa/lists/mentions.py) finds typed names with their roles;
   agents of the question's predicate are kept, destinations/settings ("to Ukraine") and sources ("Bloomberg
   writes that") are not.
4. Mentions are grouped into items by the alias table (qa/lists/aliases.py) and name folding (qa/lists/grouping.py).
5. Each piece of evidence gets a stance from its own clause (qa/lists/stance.py); an item's stance is the most
   cautious among its evidence (negated > conditional > affirmed). Negated items go to `excluded` with the
   reason; the rest are `items`, ordered by confidence.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from index.documents import Document
from index.embedder import Embedder
from index.embedding_cache import EmbeddingCache
from index.filters import DocFilter
from index.passages import split_sentences
from qa.answers import Answer, AskResponse, ListItem
from qa.lists.aliases import AliasTable, load_aliases, normalise
from qa.lists.grouping import fold_keys
from qa.lists.mentions import Mention, find_mentions
from qa.lists.question import KINDS, QuestionInfo, analyse_question, asks_who, is_list_question
from qa.lists.span_items import (
    DEFAULT_SPAN_SETTINGS,
    Part,
    SpanListSettings,
    are_names,
    conjunct_parts,
    coordination_parts,
    named_parts,
    span_items,
)
from qa.lists.stance import StanceReading, clause_stance, question_is_negative, relative_stance
from qa.nlp import parse
from qa.reader import (
    Reader,
    SentenceReader,
    make_answer,
    merge_answers,
    overlaps_any,
    passage_sentences,
    sentence_relevance,
)
from qa.retriever import HybridRetriever, Retrieved

__all__ = ["ListAnswerer", "ListSettings", "is_list_question", "narrow_to"]

LIST_PASSAGES = 20
BACK_REFERENCES = {"this", "that", "these", "those", "such", "so", "also", "too", "likewise", "similarly", "same"}
SHELL_NOUNS = {
    "idea", "proposal", "plan", "possibility", "initiative", "move", "offer", "option", "decision", "step",
    "request", "suggestion", "position", "call", "mission", "deal", "measure", "approach",
}  # fmt: skip
KIND_PROTOTYPES = {
    "country": "countries, nations and states",
    "city": "cities and towns",
    "person": "people, persons and individuals",
    "org": "companies, organisations and institutions",
    "product": "products, devices and goods",
}
# The small NER model often mislabels names ("Rotterdam" as a person, "Aurora Lite" as a person); a mention of
# one of these labels may still answer a question for the key type, with a lower score (`loose_factor`).
LOOSE_KINDS = {
    "city": ("person", "org", "place"),
    "org": ("product", "person"),
    "product": ("org", "person"),
    "person": (),
}
# Item types whose names the alias table knows (countries, cities) or "who" agents, which are resolved to
# countries when the evidence is about countries: typed names from the parse answer these, with their roles and
# stances. Other types (people, organisations, products, anything) come from the reader's answer spans: the
# small NER model types such names too unreliably to list every one it finds.
GAZETTEER_KINDS = ("country", "city", "agent")
STANCE_ORDER = {"negated": 2, "conditional": 1, "affirmed": 0}


@dataclass(frozen=True)
class ListSettings:
    """Thresholds of list answering (tuned on tests/data/lists/tuning.json only)."""

    min_relevance: float = 0.20  # a sentence below this never contributes
    relative_relevance: float = 0.45  # ... nor one below this share of the best sentence's relevance
    inherit: float = 1.0  # share of the previous sentence's relevance a back-referring sentence keeps
    stance_window: float = 0.80  # evidence within this share of an item's best decides its stance
    conditional_factor: float = 0.9  # conditional items rank below equally relevant affirmed ones
    loose_factor: float = 0.85  # a mention whose NER label differs from the asked type
    # Items of a gazetteer type come from typed names, the reader only raising the relevance of sentences: it
    # reads the best `reader_passages` passages first, and the rest only when the names make no list.
    reader_passages: int = 3


DEFAULT_SETTINGS = ListSettings()


@dataclass
class Sentence:
    """One sentence of a retrieved passage, with its relevance to the question."""

    hit: Retrieved
    start: int
    end: int
    text: str
    relevance: float = 0.0
    similarity: float = 0.0  # to the question, before the reader's scores raise it


@dataclass
class Evidence:
    mention: Mention
    sentence: Sentence
    reading: StanceReading
    answer: Answer


@dataclass
class _Group:
    key: str
    names: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)


def _sentences(hits: list[Retrieved]) -> list[Sentence]:
    return [
        Sentence(h, s, e, h.passage.text[s - h.passage.start : e - h.passage.start])
        for h, s, e in passage_sentences(hits)
    ]


def _refers_back(text: str) -> bool:
    """True when a sentence leans on the one before it ("also ready for this", "such a possibility")."""
    doc = parse(text)
    for t in doc:
        w = t.lower_
        if w in BACK_REFERENCES and t.pos_ in ("DET", "PRON", "ADV", "ADJ"):
            return True
        if t.lemma_.lower() in SHELL_NOUNS and any(c.lower_ in ("the", "this", "that", "such") for c in t.children):
            return True
    return False


def score_sentences(
    embedder: Embedder | EmbeddingCache,
    document: Callable[[str], Document | None],
    question: str,
    hits: list[Retrieved],
    answers: list[Answer],
    settings: ListSettings = DEFAULT_SETTINGS,
) -> list[Sentence]:
    """Every sentence of `hits`, each with its relevance to `question` in [0, 1]: embedding similarity,
    raised by the reader's best score (`answers`) for a span inside it."""
    sents = _sentences(hits)
    if not sents:
        return []
    rel = sentence_relevance(embedder, question, [s.text for s in sents])
    reader_best: dict[tuple[str, int], float] = {}
    for a in answers:
        for s in sents:
            if s.hit.passage.document_id == a.document_id and s.start <= a.start < s.end:
                k = (a.document_id, s.start)
                reader_best[k] = max(reader_best.get(k, 0.0), a.score)
                break
    cache: dict[str, Document | None] = {}

    def doc_of(doc_id: str) -> Document | None:
        if doc_id not in cache:
            cache[doc_id] = document(doc_id)
        return cache[doc_id]

    prev: Sentence | None = None
    for i, s in enumerate(sents):
        s.similarity = float(rel[i])
        r = max(s.similarity, reader_best.get((s.hit.passage.document_id, s.start), 0.0))
        if prev is not None and prev.hit.passage.document_id == s.hit.passage.document_id:
            doc_text_between = _between(doc_of, prev, s)
            if doc_text_between is not None and "\n" not in doc_text_between and _refers_back(s.text):
                r = max(r, settings.inherit * prev.relevance)
        s.relevance = max(0.0, min(1.0, r))
        prev = s
    return sents


def _between(document: Callable[[str], Document | None], a: Sentence, b: Sentence) -> str | None:
    """Document text between two sentences, or None when they are not neighbours."""
    doc = document(a.hit.passage.document_id)
    if doc is None or b.start < a.end:
        return None
    gap = doc.text[a.end : b.start]
    return gap if not gap.strip() else None


def _question_kind(embedder: Embedder | EmbeddingCache, info: QuestionInfo) -> str:
    """The item type; an unknown head noun is typed by embedding similarity to a few prototypes."""
    if info.kind != "any" or not info.head:
        return info.kind
    names = list(KIND_PROTOTYPES)
    vecs = embedder.embed([info.head] + [KIND_PROTOTYPES[k] for k in names])
    sims = vecs[1:] @ vecs[0]
    best = int(np.argmax(sims))
    return names[best] if sims[best] >= 0.35 else "any"


def _item_key(m: Mention, kind: str) -> tuple[str, str] | None:
    """(group key, display name) of a mention for a question asking for `kind`, or None if off-type."""
    if kind == "country":
        return (m.country, m.country) if m.country else None
    if kind == "city" and m.kind == "city":
        return normalise(m.text), m.text
    if kind in ("city", "person", "org", "product") and m.kind not in LOOSE_KINDS.get(kind, ()) and m.kind != kind:
        return None
    if m.kind == kind or (m.kind in LOOSE_KINDS.get(kind, ()) and not m.country):
        return m.key, m.name
    if kind == "agent":
        if m.country:
            return m.country, m.country
        return (m.key, m.name) if m.kind in ("person", "org") else None
    if m.kind in ("country",):
        return m.country, m.country
    return (m.key, m.name) if m.kind in KINDS or m.kind in ("city", "place") else None


def _in_question(key: str, name: str, info: QuestionInfo) -> bool:
    """True when the question itself names this item ("Which countries besides France …")."""
    aliases = load_aliases()
    mine = {normalise(key), normalise(name)} - {""}
    return any(aliases.match_keys(n) & mine for n in info.named)


@dataclass
class _Gathered:
    """Mentions of the relevant sentences grouped by item key, with what the later steps need to know."""

    per_key: dict[str, _Group] = field(default_factory=dict)
    roles: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    direct_weight: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    person_affiliation: dict[str, str] = field(default_factory=dict)


def _gather(
    relevant: list[Sentence], kind: str, info: QuestionInfo, aliases: AliasTable, settings: ListSettings
) -> _Gathered:
    """Every on-type mention in the relevant sentences, in its role, as evidence for its item."""
    out = _Gathered()
    found = [(s, m) for s in relevant for m in find_mentions(s.text, s.start, aliases)]
    for s, m in found:
        if kind == "agent" and m.role == "agent" and m.direct:
            level = "country" if m.country else m.kind
            out.direct_weight[level] += s.relevance
        resolved = _item_key(m, kind)
        if resolved is None:
            continue
        key, name = resolved
        out.roles[key][m.role] += 1
        if info.agent and m.role != "agent":
            continue
        if not info.agent and m.role == "source":
            continue
        if _in_question(key, name, info):
            continue
        if m.kind == "person" and m.affiliation:
            out.person_affiliation[key] = m.affiliation
        reading = relative_stance(clause_stance(m.token), info.negative)
        score = s.relevance * (1.0 if m.direct else 0.97)
        if m.kind != kind and not (kind in ("country", "agent") and m.country):
            score *= settings.loose_factor
        ev = Evidence(m, s, reading, make_answer(s.hit, m.start, m.end, score))
        g = out.per_key.setdefault(key, _Group(key))
        g.names.append(name)
        g.evidence.append(ev)
    return out


def _one_agent_level(gathered: _Gathered, aliases: AliasTable) -> None:
    """Keep one level for a "who" question: countries when the agents are mostly countries, else people/orgs.

    At country level the other items go, a person's evidence moving to their country when it is known; at the
    other level a country stays only with a direct mention."""
    per_key, direct_weight = gathered.per_key, gathered.direct_weight
    country_level = direct_weight.get("country", 0.0) >= max(
        direct_weight.get("person", 0.0), direct_weight.get("org", 0.0)
    )
    countries = {k for k in per_key if k in aliases.country_names}
    for key in list(per_key):
        if country_level and key not in countries:
            g = per_key.pop(key)
            target = gathered.person_affiliation.get(key)
            if target:
                per_key.setdefault(target, _Group(target)).evidence.extend(g.evidence)
                per_key[target].names.append(target)
        elif not country_level and key in countries:
            if not any(e.mention.direct for e in per_key[key].evidence):
                per_key.pop(key)


def _drop_settings(gathered: _Gathered) -> None:
    """A place that is mostly where things happen ("to Ukraine", "in Ukraine") is the setting, not an answer."""
    for key in list(gathered.per_key):
        r = gathered.roles[key]
        if r.get("oblique", 0) + r.get("other", 0) > 2 * r.get("agent", 0):
            gathered.per_key.pop(key)


def _merge_folded(per_key: dict[str, _Group]) -> dict[str, _Group]:
    """The groups merged where `fold_keys` folds one name into a longer one ("Macron", "WSJ" -> full names)."""
    kinds = {k: ("person" if any(e.mention.kind == "person" for e in g.evidence) else "x") for k, g in per_key.items()}
    folded = fold_keys(kinds)
    merged: dict[str, _Group] = {}
    for key, g in per_key.items():
        target = folded.get(key, key)
        mg = merged.setdefault(target, _Group(target))
        mg.names.extend(g.names)
        mg.evidence.extend(g.evidence)
    return merged


def collect_items(
    sents: list[Sentence], info: QuestionInfo, settings: ListSettings = DEFAULT_SETTINGS
) -> tuple[list[ListItem], list[ListItem], list[Sentence]]:
    """(items, excluded, relevant sentences) for a list question, from the scored sentences of its passages;
    `info.kind` is the item type as `_question_kind` resolved it."""
    kind = info.kind
    aliases = load_aliases()
    if not sents:
        return [], [], []
    # The floor is relative to the best similarity, not to the best reader-raised relevance: the reader's
    # scores lift sentences over the floor, but their scale (a calibration) must not move the floor.
    best = max(s.similarity for s in sents)
    floor = max(settings.min_relevance, settings.relative_relevance * best)
    relevant = [s for s in sents if s.relevance >= floor]

    gathered = _gather(relevant, kind, info, aliases, settings)
    if kind == "agent" and gathered.per_key:
        _one_agent_level(gathered, aliases)
    if info.agent:
        _drop_settings(gathered)
    merged = _merge_folded(gathered.per_key)

    items: list[ListItem] = []
    excluded: list[ListItem] = []
    for key, g in merged.items():
        item = _to_item(key, g, settings)
        (excluded if item.stance == "negated" else items).append(item)
    items.sort(key=lambda it: -it.score)
    excluded.sort(key=lambda it: -it.score)
    return items, excluded, relevant


def _display_name(key: str, g: _Group) -> str:
    if key in load_aliases().country_names:
        return key
    return max(g.names, key=lambda n: (len(n.split()), g.names.count(n), len(n)))


def _to_item(key: str, g: _Group, settings: ListSettings) -> ListItem:
    # one piece of evidence per sentence: the most direct, best-scored mention
    by_sentence: dict[tuple[str, int], Evidence] = {}
    for ev in g.evidence:
        k = (ev.sentence.hit.passage.document_id, ev.sentence.start)
        cur = by_sentence.get(k)
        if cur is None or (ev.mention.direct, ev.answer.score) > (cur.mention.direct, cur.answer.score):
            by_sentence[k] = ev
    evs = sorted(by_sentence.values(), key=lambda e: -e.answer.score)
    top = evs[0].answer.score
    deciding = [e for e in evs if e.answer.score >= settings.stance_window * top]
    decider = max(deciding, key=lambda e: (STANCE_ORDER[e.reading.stance], e.answer.score))
    stance = decider.reading.stance
    score = min(1.0, top + 0.05 * (len(evs) - 1))
    if stance == "conditional":
        score *= settings.conditional_factor
    reason = ""
    if stance != "affirmed":
        reason = ", ".join(dict.fromkeys(decider.reading.cues)) or stance  # the deciding words
    evidence = [decider.answer] + [e.answer for e in evs if e is not decider]
    return ListItem(name=_display_name(key, g), stance=stance, score=round(score, 4), evidence=evidence, reason=reason)


class ListAnswerer:
    """List answers from explicit parts: a retriever, a reader, the embedder and the indexed documents.

    The vectors of the sentences it ranks are kept in `sentence_vectors` (by default a cache of its own over
    the embedder): the next list question about the same stories does not embed them again."""

    def __init__(
        self,
        retriever: HybridRetriever,
        reader: Reader,
        embedder: Embedder,
        document: Callable[[str], Document | None],
        settings: ListSettings = DEFAULT_SETTINGS,
        span_settings: SpanListSettings = DEFAULT_SPAN_SETTINGS,
        sentence_vectors: EmbeddingCache | None = None,
    ) -> None:
        self.retriever = retriever
        self.reader = reader
        self.sentence_vectors = sentence_vectors if sentence_vectors is not None else EmbeddingCache(embedder)
        self.document = document
        self.settings = settings
        self.span_settings = span_settings
        self.spans_answer = not isinstance(reader, SentenceReader)  # whole sentences make no list items

    def answer(
        self,
        question: str,
        top_k: int,
        info: QuestionInfo | None = None,
        hits: list[Retrieved] | None = None,
        within: DocFilter | None = None,
    ) -> AskResponse:
        """A list response: items grouped across passages, each with stance and evidence; `excluded` holds
        the negated ones with their reason. With fewer than two items, the reader's single answer.

        Items of a gazetteer type ("Which countries ...", "Which cities ...", "Who is willing ..." answered by
        countries) come from the typed names in the sentences the question and the reader's spans make
        relevant; items of any other type (a "who" question answered by people too), or when those find none,
        from the reader's answer spans (`span_items`); a question of another named type (people,
        organisations, products) that the spans do not answer with a list falls back to the typed names.
        The reader reads every retrieved passage at most once (for a gazetteer type, the best
        `reader_passages` unless the names make no list). `hits` replaces retrieval (evaluation reads each
        question with its own paragraph); `within` restricts retrieval to the documents a filter allows.
        """
        info = info or analyse_question(question)
        if hits is None:
            vector = self.sentence_vectors.embed([question])[0]  # ranks its sentences next: embedded once
            hits = self.retriever.retrieve(question, max(top_k, LIST_PASSAGES), vector=vector, within=within)
        threshold = self.reader.threshold
        kind = _question_kind(self.sentence_vectors, info)
        info = replace(info, kind=kind)
        names_first = kind in GAZETTEER_KINDS or not self.spans_answer
        read = self.settings.reader_passages if names_first and self.spans_answer else len(hits)
        spans = self._spans(question, hits[:read])

        def from_names() -> AskResponse | None:
            sents = score_sentences(self.sentence_vectors, self.document, question, hits, spans, self.settings)
            items, excluded, _relevant = collect_items(sents, info, self.settings)
            countries = load_aliases().country_names
            people = kind == "agent" and any(it.name not in countries for it in items + excluded)
            if len(items) + len(excluded) >= 2 and not (people and self.spans_answer):
                return _list_response(question, items, excluded, hits)
            return None

        if names_first and (resp := from_names()) is not None:
            return resp
        if read < len(hits):  # the names made no list: the spans of every passage may
            spans = merge_answers(spans + self._spans(question, hits[read:]))
        if self.spans_answer and spans and clears(spans[0], threshold, self.span_settings):
            items, excluded = span_items(spans, info.negative, self.span_settings, asks_who(question), question)
            if len(items) + len(excluded) >= 2:
                return _list_response(question, items, excluded, hits)
        # a typed question ("Which products ...") the spans did not answer with a list: the typed names
        if not names_first and kind != "any" and (resp := from_names()) is not None:
            return resp
        top = {h.passage.id for h in hits[:top_k]}
        single = [a for a in spans if a.score >= threshold and a.passage_id in top][:top_k]
        return _single_response(question, single, hits[:top_k])

    def _spans(self, question: str, hits: list[Retrieved]) -> list[Answer]:
        """Every span the reader proposes in `hits`, with its calibrated score (not thresholded: the spans rank
        sentences, not only answers); none when the reader fails, so that similarity alone still ranks them."""
        if not hits:
            return []
        try:
            return self.reader.read(
                question, hits, top_k=max(1, sum(len(h.passage.sentences) for h in hits)), threshold=0.0
            )
        except Exception:  # a reader failure must not lose the list
            return []

    def from_evidence(
        self, question: str, info: QuestionInfo, answers: list[Answer], hits: list[Retrieved], top_k: int
    ) -> AskResponse:
        """The response to a question whose form asks for one thing, from the reader's `answers` (calibrated,
        best first, not thresholded): a list when the evidence holds several answers (`evidence_is_list`),
        else the answers that clear the threshold."""
        threshold = self.reader.threshold
        served = [a for a in answers if a.score >= threshold][:top_k]
        if self.spans_answer and evidence_is_list(question, answers, threshold, self.span_settings):
            # the stance of each item reads the question's negation: parsed here only when routing needed no parse
            negative = info.negative if info.parsed else question_is_negative(parse(question.strip()))
            # the items are the coordination the evidence holds (the best answer's parts or conjuncts), not
            # every further span that scores close to it: the question's form asked for one thing
            items, excluded = span_items(answers[:1], negative, self.span_settings, asks_who(question), question)
            if len(items) + len(excluded) >= 2:
                return _list_response(question, items, excluded, hits)
        return _single_response(question, served, hits)


# "Who was one of ...?", "What was one city that ...?", "What is one reason ...?" ask for one
_ONE_OF = re.compile(
    r"\b(?:one|an?\s+example|any|either)\s+of\b"
    r"|^\W*(?:(?:what|which|who|name|give)\s+(?:(?:is|was|are|were)\s+)?(?:the\s+)?one\s+(?!of\b)\w)",
    re.I,
)


def evidence_is_list(
    question: str,
    answers: list[Answer],
    threshold: float,
    settings: SpanListSettings = DEFAULT_SPAN_SETTINGS,
) -> bool:
    """Whether the reader's best answer to a question of singular form is really several: it coordinates
    names or numbers ("Raymond Unwin and Barry Parker"; "Who wrote ...?" often has two answers; for "who",
    names with a descriptor count: "planner Raymond Unwin and architect Barry Parker"), it clears the
    threshold (a coordination of three or more, `long_list_factor` of it), and the question does not ask
    for one of several ("Who was one of ...?"); or the best answer is a name its sentence coordinates with
    another answer's (`answers_coordinated`)."""
    if not answers or _ONE_OF.search(question) or pairs_each(answers[0]):
        return False
    parts = coordination_parts(answers[0], settings.max_item_words)
    if len(parts) < 2:
        return answers_coordinated(answers, threshold)
    if not clears(answers[0], threshold, settings, parts):
        return False
    return named_parts(parts, descriptors=asks_who(question)) is not None


_RESPECTIVELY = re.compile(r"\brespectively\b", re.I)


def pairs_each(answer: Answer) -> bool:
    """Whether the answer's sentence pairs each of several things with a different one ("Beyoncé and Bruno
    Mars, who headlined the XLVII and XLVIII shows, respectively"): a question of singular form then asks
    for the one of them its own detail picks, not for all."""
    if not _RESPECTIVELY.search(answer.context):  # most passages: no sentence split on this path
        return False
    lo = answer.start - answer.context_start
    return any(s <= lo < e and _RESPECTIVELY.search(answer.context[s:e]) for s, e in split_sentences(answer.context))


def answers_coordinated(answers: list[Answer], threshold: float) -> bool:
    """Whether the best answer and another one that also clears the threshold are names coordinated in one
    sentence ("Cathy Dennis" beside "Rob Davis" in "written by Cathy Dennis and Rob Davis"): two answers the
    sentence gives the same role. (Two answers that merely both clear the threshold are as common on
    single-answer questions as on list questions.) The sentence is parsed only when such a pair of names
    shares it, so most single answers never load the parser."""
    best = answers[0]
    if best.score < threshold:
        return False
    as_part = Part(best.start, best.end, best.text)
    others = [
        a
        for a in answers[1:]
        if a.score >= threshold
        and a.document_id == best.document_id
        and a.context_start == best.context_start
        and not overlaps_any(a, [best])
        and are_names([as_part, Part(a.start, a.end, a.text)])
    ]
    if not others:
        return False
    beside = [
        p
        for p in conjunct_parts(best)
        if any(a.start < p.end and p.start < a.end for a in others) and not _another_name(best, p)
    ]
    return bool(beside) and are_names([as_part, *beside])


_OR_BETWEEN = re.compile(r"\s*,?\s*(?:or|also|aka|also called|also known as)\s*,?\s*", re.I)


def _another_name(best: Answer, part: Part) -> bool:
    """Whether the conjunct stands right beside the answer joined by "or" or "also (known as)" ("The Glomma,
    or Glåma, is ..."): another name of the same thing, not a second answer."""
    lo, hi = (best.end, part.start) if best.end <= part.start else (part.end, best.start)
    between = best.context[lo - best.context_start : hi - best.context_start]
    return _OR_BETWEEN.fullmatch(between) is not None


def clears(best: Answer, threshold: float, settings: SpanListSettings, parts: list[Part] | None = None) -> bool:
    """Whether the best span is good enough to make a list: it clears the threshold, or it names three or
    more things (`parts`: its coordination, found when not given) and clears `long_list_factor` of it."""
    if best.score >= threshold:
        return True
    if best.score < threshold * settings.long_list_factor:
        return False
    return len(coordination_parts(best, settings.max_item_words) if parts is None else parts) >= 3


def _single_response(question: str, answers: list[Answer], hits: list[Retrieved]) -> AskResponse:
    """A single-answer response (kind `none` without answers) with the passages read."""
    return AskResponse(
        question=question,
        kind="single" if answers else "none",
        answers=answers,
        passages=[r.to_hit() for r in hits],
    )


def _list_response(
    question: str, items: list[ListItem], excluded: list[ListItem], hits: list[Retrieved]
) -> AskResponse:
    """A list response; a "list" of one item is that item's single answer (`kind` "single"; the item and the
    exclusions beside it stay in `items` and `excluded`, so a follow-up can still narrow to them)."""
    used = {ev.passage_id for it in items + excluded for ev in it.evidence}
    return AskResponse(
        question=question,
        kind=("list" if len(items) > 1 else "single") if items else "none",
        answers=[it.evidence[0] for it in items],
        items=items,
        excluded=excluded,
        passages=[r.to_hit() for r in hits if r.passage.id in used],
    )


def narrow_to(resp: AskResponse, subject: str) -> AskResponse | None:
    """The part of a list answer about one thing ("And Sweden?" after "Which countries …?"): its item, or
    its exclusion with the reason and evidence; None when the list does not name it."""
    aliases = load_aliases()
    want = aliases.match_keys(subject)
    if not want:
        return None

    def match(it: ListItem) -> bool:
        names = {normalise(it.name)}.union(*(aliases.match_keys(e.text) for e in it.evidence))
        return bool(want & names)

    items = [it for it in resp.items if match(it)]
    excluded = [it for it in resp.excluded if match(it)]
    if not items and not excluded:
        return None
    used = {e.passage_id for it in items + excluded for e in it.evidence}
    return AskResponse(
        question=resp.question,
        kind="list" if items else "single",
        answers=[it.evidence[0] for it in items + excluded],
        items=items,
        excluded=excluded,
        passages=[p for p in resp.passages if p.id in used],
    )
