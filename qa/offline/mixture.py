"""The reader's training mixture: SQuAD-format sources, their fixed held-out splits, and made negatives.

A source is `FILE[*WEIGHT]` (weight < 1 samples that share of its training questions, > 1 repeats them).
Each source keeps a held-out part that training never sees: whole articles for SQuAD 1.1 train (the same 12
the first reader held out), else whole titles (or paragraphs, for single-title sets such as Reddit) until at
least `HELDOUT_QUESTIONS` questions, less any whose paragraph training also reads. Unanswerable examples
are made from the data itself: the question with its own paragraph minus the answer's sentence (on topic,
answer gone), with another paragraph of its article, or with a paragraph of another article; on request also
the nearest paragraphs of other articles (`qa.offline.hard_negatives`) and the question changed in one thing
its own paragraph does not say (`qa.offline.perturb`).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from qa.lists.span_items import coordination_spans
from qa.offline.hard_negatives import Embed, retrieved_negatives
from qa.offline.perturb import names_of, perturb
from qa.offline.squad import SquadQuestion, load_squad, normalize_answer

DATA_DIR = Path("../shared/data")
SQUAD_TRAIN = "squad11-train.json"
SQUAD_HELDOUT_ARTICLES = 12
HELDOUT_QUESTIONS = 600
SPLIT_SEED = 13
DEFAULT_SOURCES = (
    f"{SQUAD_TRAIN}*0.35",
    "tydiqa-goldp-en-train.json*2",
    "qed-train.json*1.5",
    "squadshifts-amazon.json",
    "squadshifts-reddit.json",
)  # the sources with a held-out part (evaluation and calibration read it)
# List questions (every answer a list of spans): trained on, evaluated on their own dev file.
LIST_SOURCES = ("qed-train-multispan.json*8",)
TRAIN_SOURCES = (*DEFAULT_SOURCES, *LIST_SOURCES)


@dataclass(frozen=True)
class TrainExample:
    """A (question, context) pair labelled with its answer's character span, or `answer_start = -1`: no answer."""

    question: str
    context: str
    answer_start: int
    answer_text: str
    source: str = ""
    # Every (start, end) that is a gold answer's start and end too: the items of a list answer (a multi-span
    # question's spans, or the parts of a coordination "A, B and C" beside the whole). Training spreads the
    # start (end) probability over their starts (ends), so each item can be read as a span of its own.
    items: tuple[tuple[int, int], ...] = ()
    # The items are separate answers (a list question's spans), not the parts of one answer beside the whole:
    # training then gives each item an even share of the probability, so every one is read, not just one.
    separate: bool = False


@dataclass(frozen=True)
class Source:
    """One SQuAD-format file of the mixture and how much of it training takes."""

    path: Path
    weight: float = 1.0

    @property
    def name(self) -> str:
        """The source's name: its file name without the extension."""
        return self.path.stem

    @classmethod
    def parse(cls, spec: str, data_dir: Path = DATA_DIR) -> Source:
        """`FILE[*WEIGHT]`, FILE relative to `data_dir` unless it exists as given."""
        name, _, weight = spec.partition("*")
        path = Path(name)
        if not path.is_absolute() and not path.exists():
            path = data_dir / name
        return cls(path, float(weight) if weight else 1.0)


def _group_key(q: SquadQuestion, by_title: bool) -> str:
    return q.title if by_title else q.context


def split_heldout(
    questions: list[SquadQuestion], name: str, seed: int = SPLIT_SEED
) -> tuple[list[SquadQuestion], list[SquadQuestion]]:
    """(train, held-out) split by whole article (or paragraph), fixed for a source name and seed.

    A set of list questions (every question `multi_span`) keeps nothing back: it has its own dev file."""
    if questions and all(q.multi_span for q in questions):
        return list(questions), []
    if name == Path(SQUAD_TRAIN).stem:
        titles = sorted({q.title for q in questions})
        random.Random(seed).shuffle(titles)
        held_titles = set(titles[:SQUAD_HELDOUT_ARTICLES])
        return [q for q in questions if q.title not in held_titles], [q for q in questions if q.title in held_titles]
    by_title = len({q.title for q in questions}) >= 20
    counts: dict[str, int] = {}
    for q in questions:
        k = _group_key(q, by_title)
        counts[k] = counts.get(k, 0) + 1
    # Order groups by a hash of their key: stable whatever the file's order, and independent of other sources.
    order = sorted(counts, key=lambda k: hashlib.sha1(f"{seed}:{k}".encode()).hexdigest())
    held: set[str] = set()
    n = 0
    for k in order:
        if n >= HELDOUT_QUESTIONS:
            break
        held.add(k)
        n += counts[k]
    train = [q for q in questions if _group_key(q, by_title) not in held]
    # A paragraph filed under two titles (TyDi repeats passages) may sit on both sides: such held-out
    # questions are dropped, so no held-out question is asked about a paragraph that training read.
    seen = {q.context for q in train}
    return train, [q for q in questions if _group_key(q, by_title) in held and q.context not in seen]


def heldout_questions(source: Source) -> list[SquadQuestion]:
    """The held-out questions of one source (never trained on)."""
    return split_heldout(load_squad(source.path), source.name)[1]


_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n+")


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """Cheap sentence spans (start, end) of a paragraph: enough to cut an answer's sentence out."""
    bounds, lo = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > lo:
            bounds.append((lo, m.start()))
        lo = m.end()
    if lo < len(text):
        bounds.append((lo, len(text)))
    return bounds


def without_answer_sentence(context: str, answer_start: int, answer_len: int) -> str | None:
    """The paragraph with the sentence(s) holding the answer removed; None if too little is left."""
    a0, a1 = answer_start, answer_start + answer_len
    kept = [context[s:e] for s, e in sentence_bounds(context) if e <= a0 or s >= a1]
    rest = " ".join(kept)
    return rest if len(rest) >= 80 else None


class _Paragraphs:
    """The paragraphs of a question set by article, with cached normalised texts (for answer checks)."""

    def __init__(self, questions: list[SquadQuestion]) -> None:
        self.by_title: dict[str, list[str]] = {}
        for q in questions:
            paras = self.by_title.setdefault(q.title, [])
            if not paras or paras[-1] != q.context:
                paras.append(q.context)
        self.titles = list(self.by_title)
        self._normalized: dict[str, str] = {}

    def lacks(self, ctx: str, q: SquadQuestion, golds: list[str]) -> bool:
        """True when `ctx` is another paragraph than the question's and holds none of its answers."""
        n = self._normalized.get(ctx)
        if n is None:
            n = self._normalized[ctx] = normalize_answer(ctx)
        return ctx != q.context and not any(g in n for g in golds)


def _negative(
    q: SquadQuestion, golds: list[str], paras: _Paragraphs, r: float, rng: random.Random, rates: tuple[float, ...]
) -> str | None:
    """A paragraph for `q` without its answer, of the kind the draw `r` picks (cut, same article, other)."""
    neg_cut, neg_same, neg_other = rates
    if r < neg_cut and q.answers:
        cut = without_answer_sentence(q.context, q.answer_starts[0], len(q.answers[0]))
        if cut and not any(g in normalize_answer(cut) for g in golds):
            return cut
    elif r < neg_cut + neg_same:
        candidates = [c for c in paras.by_title[q.title] if paras.lacks(c, q, golds)]
        if candidates:
            return rng.choice(candidates)
    elif r < neg_cut + neg_same + neg_other:
        other = rng.choice(paras.titles)
        ctx = rng.choice(paras.by_title[other])
        if other != q.title and paras.lacks(ctx, q, golds):
            return ctx
    return None


MIN_COORDINATED_ITEMS = 3  # "A and B" is often one name ("Procter and Gamble"); "A, B and C" is a list


def answer_items(q: SquadQuestion) -> tuple[tuple[int, int], ...]:
    """The item spans of a question's answer: every span of a multi-span question; the parts of a gold answer
    that coordinates three or more things, with the whole; () for a single answer."""
    if q.multi_span:
        return tuple((s, s + len(t)) for t, s in zip(q.answers, q.answer_starts))
    if not q.answers:
        return ()
    a0, text = q.answer_starts[0], q.answers[0]
    parts = coordination_spans(text)
    if len(parts) < MIN_COORDINATED_ITEMS:
        return ()
    return (*((a0 + s, a0 + e) for s, e in parts), (a0, a0 + len(text)))


def as_trained(question: str, strip_qmark: float, rng: random.Random) -> str:
    """The question as training shows it: without its question mark for a `strip_qmark` share (search style)."""
    return question.rstrip(" ?") if strip_qmark and rng.random() < strip_qmark else question


def make_examples(
    questions: list[SquadQuestion],
    source: str,
    neg_cut: float,
    neg_same: float,
    neg_other: float,
    rng: random.Random,
    strip_qmark: float = 0.0,
    neg_perturbed: float = 0.0,
) -> list[TrainExample]:
    """Positives plus made negatives; the gold answer must be absent (after SQuAD normalisation) from them.
    With `neg_perturbed`, that share of the answerable questions also comes changed in one thing with its own
    paragraph, labelled "no answer" (`qa.offline.perturb`)."""
    paras = _Paragraphs(questions)
    names = names_of(list(dict.fromkeys(q.context for q in questions))) if neg_perturbed > 0 else []
    out: list[TrainExample] = []
    for q in questions:
        question = as_trained(q.question, strip_qmark, rng)
        golds = q.normalized_answers
        if q.answers:
            out.append(
                TrainExample(
                    question, q.context, q.answer_starts[0], q.answers[0], source, answer_items(q), q.multi_span
                )
            )
        neg = _negative(q, golds, paras, rng.random(), rng, (neg_cut, neg_same, neg_other))
        if neg is not None:
            out.append(TrainExample(question, neg, -1, "", source))
        if neg_perturbed > 0 and q.answers and not q.multi_span and rng.random() < neg_perturbed:
            changed = perturb(question, q.context, names, rng)
            if changed is not None:
                out.append(TrainExample(changed, q.context, -1, "", source))
    return out


def build_mixture(
    specs: list[str],
    neg_cut: float,
    neg_same: float,
    neg_other: float,
    seed: int,
    strip_qmark: float = 0.0,
    max_questions: int = 0,
    neg_retrieved: float = 0.0,
    embed: Embed | None = None,
    neg_perturbed: float = 0.0,
) -> tuple[list[TrainExample], dict[str, dict]]:
    """All training examples of the mixture, and per-source counts (for the model card). With
    `neg_retrieved` (and `embed`), that share of the questions also gets a retrieved negative
    (`qa.offline.hard_negatives`), drawn after everything else so the rest of the mixture stays as it was."""
    rng = random.Random(seed)
    examples: list[TrainExample] = []
    stats: dict[str, dict] = {}
    asked: list[tuple[SquadQuestion, str, str]] = []
    sources: list[str] = []
    for spec in specs:
        src = Source.parse(spec)
        train_qs, held = split_heldout(load_squad(src.path), src.name)
        whole, frac = int(src.weight), src.weight - int(src.weight)
        chosen = train_qs * whole
        if frac > 0:
            chosen += rng.sample(train_qs, int(len(train_qs) * frac))
        if max_questions:
            chosen = chosen[:max_questions]
        chosen.sort(key=lambda q: q.paragraph_index)
        ex = make_examples(chosen, src.name, neg_cut, neg_same, neg_other, rng, strip_qmark, neg_perturbed)
        examples += ex
        by_title = len({q.title for q in train_qs}) >= 20
        answerable = [q for q in chosen if q.answers]
        asked += [(q, q.question, f"{src.name}:{_group_key(q, by_title)}") for q in answerable]
        sources += [src.name] * len(answerable)
        stats[src.name] = {
            "file": src.path.name,
            "weight": src.weight,
            "train_questions": len(train_qs),
            "heldout_questions": len(held),
            "examples": len(ex),
            "negatives": sum(e.answer_start < 0 for e in ex),
        }
    if neg_retrieved > 0 and embed is not None:
        asked = [(q, as_trained(t, strip_qmark, rng), a) for q, t, a in asked]
        for i, ctx in retrieved_negatives(asked, neg_retrieved, rng, embed):
            examples.append(TrainExample(asked[i][1], ctx, -1, "", sources[i]))
            stats[sources[i]]["examples"] += 1
            stats[sources[i]]["negatives"] += 1
            stats[sources[i]]["retrieved_negatives"] = stats[sources[i]].get("retrieved_negatives", 0) + 1
    return examples, stats


def write_heldout(out_dir: Path, specs: list[str] | tuple[str, ...] = DEFAULT_SOURCES) -> list[Path]:
    """Write each source's held-out part as a SQuAD JSON file (for `qa eval`); returns the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for spec in specs:
        src = Source.parse(spec)
        held = heldout_questions(src)
        articles: dict[str, dict[str, list]] = {}
        for q in held:
            paras = articles.setdefault(q.title, {})
            paras.setdefault(q.context, []).append(
                {
                    "id": q.id,
                    "question": q.question,
                    "answers": [{"text": t, "answer_start": s} for t, s in zip(q.answers, q.answer_starts)],
                }
            )
        data = {
            "version": f"heldout-{src.name}",
            "data": [
                {"title": t, "paragraphs": [{"context": c, "qas": qas} for c, qas in paras.items()]}
                for t, paras in articles.items()
            ],
        }
        f = out_dir / f"heldout-{src.name}.json"
        tmp = f.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False))
        tmp.replace(f)
        files.append(f)
    return files


def main(argv: list[str] | None = None) -> None:
    """`python -m qa.offline.mixture OUT_DIR`: write the held-out parts of the default mixture."""
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("out_dir", type=Path)
    args = p.parse_args(argv)
    for f in write_heldout(args.out_dir):
        print(f)


if __name__ == "__main__":
    main()
