"""What a question asks for: one answer or a list, which type of item, and in which role.

A question is a list question when its form asks for several things: a plural wh-phrase ("Which countries",
"What companies"), an imperative ("List ...", "Name the ..."), a plural copula ("Who are ..."), or "who" with a
disposition or stance that any number of agents can share ("Who is willing to ...", "Who opposed ..."), a
counted noun ("which two rivers", "the 3 stages"), two questions in one ("who founded it and in what year",
"where does the trail start and end"), or a search-style query whose topic is several things ("all the moons
of jupiter", "five ways to save energy").
"Who is the Belgian Prime Minister?" (copula + definite noun phrase) stays a single-answer question.

The item type comes from the wh-phrase's head noun (a lexicon of common heads; unknown heads are typed by
embedding similarity to a few prototypes in `lists.py`). `agent` is True when the wh-phrase is the subject
("Which countries are ready ...") so items must be agents in their sentences, not destinations or objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qa.lists.stance import WH_TAGS, question_is_negative
from qa.nlp import parse

KINDS = ("country", "city", "person", "org", "product")

HEAD_NOUNS: dict[str, str] = {
    **dict.fromkeys(["country", "nation", "state", "government", "ally", "member state", "power"], "country"),
    **dict.fromkeys(["city", "town", "capital", "municipality", "village", "metropolis"], "city"),
    **dict.fromkeys(
        ["person", "people", "leader", "minister", "official", "politician", "executive", "player", "athlete",
         "scientist", "researcher", "author", "writer", "artist", "candidate", "lawmaker", "senator", "president",
         "ceo", "founder", "director", "speaker", "expert", "journalist", "coach", "actor", "winner", "individual",
         "manager", "employee", "worker", "musician", "singer", "economist", "analyst", "judge", "lawyer"],
        "person",
    ),
    **dict.fromkeys(
        ["organisation", "organization", "company", "firm", "business", "group", "agency", "bank", "party",
         "union", "team", "club", "university", "institution", "airline", "manufacturer", "carmaker", "startup",
         "newspaper", "outlet", "charity", "ngo", "retailer", "supplier", "publisher", "broadcaster", "studio",
         "insurer", "regulator", "lender", "automaker", "maker", "corporation", "investor", "sponsor", "partner"],
        "org",
    ),
    **dict.fromkeys(
        ["product", "device", "phone", "smartphone", "model", "car", "vehicle", "drug", "medicine", "vaccine",
         "game", "app", "application", "software", "tool", "laptop", "gadget", "console", "chip", "processor",
         "aircraft", "plane", "gadget", "tablet", "camera", "headset", "watch", "robot", "platform"],
        "product",
    ),
}  # fmt: skip

LIST_IMPERATIVES = {"list", "name", "enumerate", "identify", "give", "tell", "show", "mention"}
WH_WORDS = {"which", "what", "who", "whom", "whose"}
# Predicates any number of agents can share: "who is willing", "who opposed" ask for everyone who did.
STANCE_VERBS = {
    "oppose", "support", "agree", "refuse", "reject", "back", "endorse", "join", "sign", "pledge", "offer",
    "promise", "commit", "volunteer", "vote", "object", "decline", "boycott", "attend", "participate",
    "contribute", "criticise", "criticize", "welcome", "condemn", "favour", "favor", "want",
}  # fmt: skip
DISPOSITION_ADJS = {
    "ready", "willing", "prepared", "able", "eager", "keen", "open", "unwilling", "reluctant", "opposed",
    "against", "committed", "interested", "likely", "available", "happy", "determined", "hesitant",
}  # fmt: skip


@dataclass
class QuestionInfo:
    """A list question's analysis (`is_list` False for single-answer questions)."""

    text: str
    is_list: bool
    kind: str = "any"  # one of KINDS, "agent" (who: person, organisation or country) or "any"
    head: str = ""  # the wh-phrase's head noun lemma ("country"), "" for who
    agent: bool = True  # items must be the subject/agent of their clause
    negative: bool = False  # the question asks about refusal/opposition
    named: list[str] = field(default_factory=list)  # proper names in the question itself
    parsed: bool = True  # False: `may_ask_for_a_list` ruled a list out without the parser (negative, named unset)


def _plural(tok) -> bool:
    return tok.tag_ in ("NNS", "NNPS") or (tok.lemma_.lower() != tok.lower_ and tok.lower_.endswith("s"))


COUNT_WORDS = {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "both"}
NOT_A_QUESTION = {
    "how", "when", "where", "why", "whether", "explain", "describe", "define", "is", "are", "was", "were", "do",
    "does", "did", "can", "could", "will", "would", "should", "has", "have", "had",
}  # fmt: skip


_WH_ANY = {*WH_WORDS, "when", "where", "why", "how"}


def _count(word: str) -> bool:
    """A number of two or more (to twelve) as a word or digits: "two", "3", "both"."""
    return word in COUNT_WORDS or (word.isdigit() and 2 <= int(word) <= 12)


def _counted(noun) -> bool:
    """A noun counted by a number of two or more ("the 3 layers", "two examples", "both teams")."""
    return any(c.dep_ in ("nummod", "det", "predet", "quantmod") and _count(c.lower_) for c in noun.children)


def _asks_two_things(doc, wh) -> bool:
    """Two questions in one: a second wh-word after "and" ("who invented the printing press and in what
    year"), or a where/when question of two coordinated verbs ("where does the river start and end")."""
    for t in doc:
        if (
            t.lower_ == "and"
            and any(u.lower_ in _WH_ANY for u in doc[: t.i])
            and any(u.lower_ in _WH_ANY for u in doc[t.i + 1 : t.i + 4])
        ):
            return True
    if wh is not None and wh.lower_ in ("where", "when"):
        return any(
            t.pos_ == "VERB"
            and t.dep_ == "conj"
            and t.head.pos_ == "VERB"
            and any(c.lower_ == "and" for c in t.head.children)
            for t in doc
        )
    return False


def _topic_list(doc, toks) -> bool:
    """A search-style query without a question word whose topic is several things: "all the gases in the
    earth's atmosphere", "five tools of security management", "locations for the film ..."."""
    if toks[0].lower_ in NOT_A_QUESTION or doc.text.rstrip().endswith("?") or any(t.tag_ in WH_TAGS for t in doc):
        return False
    chunk = next(iter(doc.noun_chunks), None)
    if chunk is None or chunk.start > 1 or any(t.tag_ in ("JJS", "RBS") for t in chunk):
        return False  # "most points scored by ..." asks for one record
    return _plural(chunk.root) or _counted(chunk.root)


def _head_kind(lemma: str) -> str:
    return HEAD_NOUNS.get(lemma.lower(), "any")


def _subject_follows(doc, i: int) -> bool:
    """After the wh-phrase ending at token i: an auxiliary and then a new subject ("did the band visit")."""
    if i + 2 >= len(doc):
        return False
    aux, nxt = doc[i + 1], doc[i + 2]
    return (
        (aux.pos_ == "AUX" or aux.lemma_ == "do")
        and nxt.pos_ in ("DET", "PRON", "PROPN", "NOUN", "NUM")
        and (nxt.tag_ != "WP")
    )


_ONE_DETS = {"a", "an", "one", "any", "another", "some"}


def _imperative(doc, first, info: QuestionInfo) -> QuestionInfo:
    """Imperatives: "List the ...", "Name all ...", "Give me the ..." (a plural object makes a list); a
    singular object with an indefinite article asks for one ("Name an extra that was added to the cars")."""
    obj = next((c for c in first.children if c.dep_ == "dobj"), None)
    if obj is not None and not (_plural(obj) or _counted(obj)):
        plural_of = any(  # "Give a list of the ministers", "Name a couple of causes"
            c.lower_ == "of" and any(_plural(g) for g in c.children if g.dep_ == "pobj") for c in obj.children
        )
        if not plural_of and any(c.dep_ == "det" and c.lower_ in _ONE_DETS for c in obj.children):
            return info
    for t in doc:
        if (
            t.pos_ in ("NOUN", "PROPN")
            and t.dep_ in ("dobj", "pobj", "attr", "ROOT", "appos")
            and (_plural(t) or _counted(t))
        ):
            info.is_list, info.head, info.kind = True, t.lemma_.lower(), _head_kind(t.lemma_)
            info.agent = any(c.dep_ == "relcl" and any(g.tag_ == "WP" for g in c.children) for c in t.children)
            return info
    if first.lower_ in ("list", "enumerate"):
        info.is_list = True
    return info


def _stranded_preposition(doc) -> bool:
    """A verb's or an adjective's preposition without its object ("known as?", "used for in cacti?", "angry
    about?"): the wh-word is its object.
    Not in a relative clause of its own subject ("the products Denmark is known for"), whose object is the noun."""
    return any(
        t.dep_ == "prep"
        and t.head.pos_ in ("VERB", "ADJ")  # "used for?", "angry about?"
        and t.head.dep_ != "relcl"
        and not any(c.dep_ in ("nsubj", "nsubjpass") for c in t.head.children)
        and not any(c.dep_ in ("pobj", "pcomp") for c in t.children)
        for t in doc
    )


def _asks_what_they_do(noun) -> bool:
    """True when the plural noun after "what are" is the subject of a verb whose object "what" stands for ("What
    are the authorities debating?", "What were the ministers discussing?"): the question asks for that object,
    an abstract thing (a topic, a plan), not for several of the noun. A progressive verb without an object
    of its own, or a bare participle closing the question (the parser's reading of "the officials
    considering?"), is such a verb; a participle with its own object ("the companies making chips") is not."""
    verbs = [noun.head] if noun.dep_ in ("nsubj", "nsubjpass") else []
    verbs += [c for c in noun.children if c.dep_ == "acl" and c.i > noun.i and not list(c.children)]
    return any(
        v.pos_ == "VERB"
        and v.tag_ == "VBG"
        and not any(c.dep_ in ("dobj", "ccomp", "xcomp", "attr", "oprd") for c in v.children)
        and (v.dep_ == "acl" or any(c.dep_ == "aux" and c.lemma_ == "be" for c in v.children))
        for v in verbs
    )


def _which_what(doc, wh, lead_prep: bool, info: QuestionInfo) -> QuestionInfo:
    """Which / what / whose: a plural head noun ("Which countries"), or a plural attribute after a copula."""
    head = wh.head if wh.dep_ == "det" else None
    nxt = wh.i + 1
    while nxt < len(doc) and doc[nxt].pos_ == "NUM":
        nxt += 1  # "Which two regions"
    if head is None and nxt < len(doc) and doc[nxt].pos_ in ("NOUN", "PROPN"):
        head = doc[nxt]
    if head is not None and head.pos_ in ("NOUN", "PROPN") and head.i > wh.i:
        if _plural(head) or _counted(head):
            info.is_list, info.head, info.kind = True, head.lemma_.lower(), _head_kind(head.lemma_)
            info.agent = not lead_prep and not _subject_follows(doc, head.i)
        return info
    # "What are the main products ...?" -> plural attribute after a copula; not when "what" is a preposition's
    # object ("For what are leaves used?", "What are the stems used for?"): the plural noun is then the subject
    # and the answer one use or one name of theirs
    if (lead_prep and wh.i == doc[0].i + 1) or _stranded_preposition(doc):
        return info
    if wh.lower_ == "what" and wh.i + 1 < len(doc) and doc[wh.i + 1].lemma_ == "be":
        rest = [t for t in doc[wh.i + 2 :] if not t.is_punct]
        if len(rest) == 1:  # "What are IXs?" asks what they are, not for several of them
            return info
        for t in doc[wh.i + 2 :]:
            if t.pos_ == "NOUN":
                if _asks_what_they_do(t):
                    break
                if (_plural(t) and doc[wh.i + 1].lower_ in ("are", "were")) or _counted(t):
                    info.is_list, info.head, info.kind = True, t.lemma_.lower(), _head_kind(t.lemma_)
                    info.agent = False
                break
    return info


def _who_copula(doc, nxt, info: QuestionInfo) -> QuestionInfo:
    """Who + a form of "be": plural ("Who are ...") or a shareable disposition ("Who is willing ...")."""
    if nxt.lower_ in ("are", "were"):
        info.is_list = True
        noun = next((t for t in doc[nxt.i + 1 :] if t.pos_ == "NOUN"), None)
        if noun is not None and _head_kind(noun.lemma_) != "any":
            info.kind, info.head = _head_kind(noun.lemma_), noun.lemma_.lower()
        return info
    pred = next((t for t in doc[nxt.i + 1 :] if not t.is_punct and t.pos_ != "ADV"), None)
    if pred is not None and pred.lower_ in DISPOSITION_ADJS:  # not any adjective: "Who was responsible ...?"
        info.is_list = True
    return info


def _who(doc, wh, info: QuestionInfo) -> QuestionInfo:
    """Who / whom: a list when the predicate is one any number of agents can share."""
    info.kind, info.head = "agent", ""
    nxt = doc[wh.i + 1] if wh.i + 1 < len(doc) else None
    if nxt is None:
        return info
    if nxt.lower_ in ("else", "all"):
        info.is_list = True
        return info
    if nxt.lemma_ == "be":
        return _who_copula(doc, nxt, info)
    verb = next((t for t in doc[wh.i + 1 :] if t.pos_ == "VERB"), None)
    if verb is not None and verb.lemma_.lower() in STANCE_VERBS and wh.dep_ in ("nsubj", "nsubjpass"):
        info.is_list = True
    if nxt.pos_ == "AUX" and nxt.lemma_ != "do" and doc[min(nxt.i + 1, len(doc) - 1)].lower_ in DISPOSITION_ADJS:
        info.is_list = True
    return info


_WORD = re.compile(r"[a-z0-9]+")
# Words ending in "s" that are never plural nouns, and plural nouns that don't end in "s".
_NOT_PLURAL = {
    "is", "was", "has", "does", "his", "hers", "its", "this", "thus", "as", "us", "yes", "whose", "across",
    "perhaps", "always", "sometimes", "towards", "besides", "unless", "less", "news", "series", "species",
    "ours", "yours", "theirs", "whereas", "afterwards", "s",
}  # fmt: skip
_IRREGULAR_PLURALS = {
    "people", "children", "men", "women", "data", "media", "criteria", "phenomena", "mice", "geese", "feet",
    "teeth", "police", "staff", "cattle", "personnel", "alumni", "fungi", "cacti", "bacteria", "folk", "clergy",
    "crew", "team", "group", "family", "public", "government", "committee", "jury", "army",
}  # fmt: skip


_WHO_LIST_WORDS = {"are", "were", "else", "all", *DISPOSITION_ADJS}
_STANCE_STEMS = tuple(v[:-1] if v.endswith("e") else v for v in STANCE_VERBS)  # "oppos" matches "opposed"


# "Who were one of the main clients ...?", "What is an example of ...?", "Name one of ...": one thing asked for,
# whatever the verb's number (the wh-word's own subject: "Which countries are one of ..." is not matched)
ASKS_FOR_ONE = re.compile(
    r"^\W*(?:(?:who|whom|what|which)\s+(?:\w+\s+)?|(?:name|give(?:\s+me)?|list|tell\s+me)\s+)"
    r"(?:one|an?\s+example|either)\s+of\b",
    re.I,
)


def may_ask_for_a_list(question: str) -> bool:
    """A test without the parser that holds for every question `analyse_question` can call a list question
    (an imperative, "who", or "which/what/whose" with a word that may be a plural noun, not asking for one of
    several), so a question it rules out needs no parse at all: most single-answer questions are answered
    without loading spaCy."""
    words = _WORD.findall(question.lower())
    if not words or ASKS_FOR_ONE.search(question):
        return False
    if words[0] in LIST_IMPERATIVES:
        return True
    if "and" in words[1:]:  # two questions in one ("who ... and what year"; "where does it start and end")
        whs = [j for j, w in enumerate(words) if w in _WH_ANY]
        if any(w == "and" and whs and whs[0] < j < whs[-1] for j, w in enumerate(words)):
            return True
        if any(w in ("where", "when") for w in words[:4]):
            return True
    plural = any(
        (w.endswith("s") and w not in _NOT_PLURAL) or w.endswith("men") or w in _IRREGULAR_PLURALS or _count(w)
        for w in words
    )
    head = words[:4]  # analyse_question looks for the wh-word among the first three tokens (a contraction splits)
    if not any(w in WH_WORDS for w in head):
        # a search-style query about several things
        return plural and words[0] not in NOT_A_QUESTION and not question.rstrip().endswith("?")
    if "who" in head or "whom" in head:  # plural copula, "else"/"all", a disposition, a stance verb
        return any(w in _WHO_LIST_WORDS or w.startswith(_STANCE_STEMS) for w in words)
    return plural


_WHO = re.compile(r"^\W*(?:\w+\W+){0,2}?whom?\b", re.I)


def asks_who(question: str) -> bool:
    """True when the question asks "who" (among its first words): its items are names of people or groups."""
    return bool(_WHO.match(question))


def analyse_question(question: str, parse_always: bool = False) -> QuestionInfo:
    """Parse `question` and decide whether, and how, it asks for a list (without the parse when
    `may_ask_for_a_list` rules a list out, unless `parse_always`)."""
    if not parse_always and not may_ask_for_a_list(question):
        return QuestionInfo(text=question, is_list=False, parsed=False)
    doc = parse(question.strip())
    info = QuestionInfo(text=question, is_list=False)
    info.named = [e.text for e in doc.ents if e.label_ not in ("CARDINAL", "ORDINAL", "DATE", "TIME")]
    info.negative = question_is_negative(doc)
    toks = [t for t in doc if not t.is_punct]
    if not toks or ASKS_FOR_ONE.search(question):
        return info
    first = toks[0]

    # Imperatives: "List the ...", "Name all ...", "Give me the ..."
    if first.lower_ in LIST_IMPERATIVES and first.i == 0:
        return _imperative(doc, first, info)

    # Skip a leading preposition: "In which cities ..." (the items are then places, not agents)
    lead_prep = first.pos_ == "ADP"
    if _asks_two_things(doc, next((t for t in toks[:3] if t.tag_ in WH_TAGS), None)):
        info.is_list, info.agent = True, False
        return info
    if _topic_list(doc, toks):
        info.is_list, info.agent = True, False
        return info
    wh = next((t for t in toks[:3] if t.lower_ in WH_WORDS), None)
    if wh is None:
        return info
    if wh.lower_ in ("which", "what", "whose"):
        return _which_what(doc, wh, lead_prep, info)
    return _who(doc, wh, info)


def is_list_question(question: str) -> bool:
    """True for questions that ask for several items ("Which countries ...", "List ...", "Who is willing ...")."""
    return analyse_question(question).is_list
