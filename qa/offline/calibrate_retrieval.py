"""Fit how a retrieved passage's cosine to the question moves the reader's calibrated score (open mode).

The reader reads each passage alone, so an off-topic question over a corpus that does not hold its answer
still finds a plausible span somewhere in the passages retrieved for it; the retriever sees that no passage
matches the question well. Held-out questions of every training source are asked, as the service asks them
(hybrid retrieval, the top passages read in stages), over two corpora of held-out paragraphs: the one that
holds their own paragraphs (answerable, and again without the paragraphs that hold the answer: off topic on
the question's own ground, as a news corpus meets a question about a story it lacks) and the other, which
holds none of their answers (off topic). The adjustment
`w_dense * (cosine - dense_center) - w_names * missing - w_words * max(0, unmatched - words_center)` of the
log-odds (`missing`, `unmatched`: the shares of the question's names and content words the passage lacks) is
the one on a grid that, at the reader's own threshold, answers off-topic questions with "no answer" most often
without lowering any source's served F1 on its answerable questions (`fit_dense`). It is written into the
backend's calibration file.
"""

from __future__ import annotations

import json
import logging
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np

from index.backends import open_store
from index.documents import Document
from index.embedder import Embedder
from index.onnx_models import weights_key
from qa.offline.mixture import DEFAULT_SOURCES, Source, heldout_questions
from qa.offline.squad import SquadQuestion, f1_score, normalize_answer
from qa.question_names import missing_names, missing_words
from qa.reader import Staging
from qa.reader_weights import compact_key, is_compact
from qa.retriever import HybridRetriever
from qa.span_reader import BACKENDS_RECORD, MODEL_DIR, RetrievalShift, SpanReader, calibration_file

log = logging.getLogger("qa.offline.calibrate_retrieval")

WEIGHTS = tuple(float(w) for w in range(0, 13))
CENTERS = tuple(round(0.2 + 0.025 * i, 3) for i in range(25))  # 0.2 ... 0.8
NAME_WEIGHTS = tuple(0.5 * i for i in range(9))  # 0 ... 4
WORD_WEIGHTS = tuple(float(w) for w in range(0, 6))  # 0 ... 5
WORD_CENTERS = tuple(0.125 * i for i in range(7))  # 0 ... 0.75


@dataclass
class OpenReads:
    """Questions read over a corpus: per question and retrieved passage (best first), the reader's log-odds
    of its best span (the passage read alone), that span's F1 against the gold, and the passage's cosine."""

    source: np.ndarray  # (n,) source names
    answerable: np.ndarray  # (n,) bool: the corpus holds the question's paragraph
    logit: np.ndarray  # (n, k); -inf where the passage gave no span or there was no such passage
    f1: np.ndarray  # (n, k)
    dense: np.ndarray  # (n, k)
    missing: np.ndarray  # (n, k): the share of the question's names the passage lacks (`missing_names`)
    unmatched: np.ndarray  # (n, k): the share of the question's content words the passage lacks (`missing_words`)
    # (n,) bool: an off-topic read over the question's own corpus without its answer's paragraphs (`read_open`)
    own_ground: np.ndarray | None = None


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return float(np.log(p / (1 - p)))


def corpus_groups(names: list[str]) -> tuple[list[str], list[str]]:
    """The sources split into two corpora, alternately by name (each question is answerable over its own
    group's corpus and off topic over the other's)."""
    ordered = sorted(names)
    return ordered[0::2], ordered[1::2]


def read_row(
    reader: SpanReader, retriever: HybridRetriever, q: SquadQuestion, own: bool, lacking: dict[str, str], top_k: int
) -> list:
    """Per retrieved passage: the best span's log-odds and F1, the cosine, the missing names and words."""
    golds = q.normalized_answers
    hits = retriever.retrieve(q.question, top_k * 4 if lacking else top_k)
    if lacking:
        hits = [h for h in hits if not any(g in lacking.get(h.passage.document_id, "") for g in golds)]
    row_l, row_f = [-np.inf] * top_k, [0.0] * top_k
    row_d, row_m, row_u = [0.0] * top_k, [0.0] * top_k, [0.0] * top_k
    hits = hits[:top_k]
    found = reader.candidates(q.question, [replace(h, dense=None) for h in hits])  # one batch, as served
    for i, hit in enumerate(hits):
        row_d[i] = float(hit.dense or 0.0)
        row_m[i] = missing_names(q.question, hit.passage.text)
        row_u[i] = missing_words(q.question, hit.passage.text)
        mine = [a for a in found if a.passage_id == hit.passage.id]
        best = max(mine, key=lambda a: a.score, default=None)
        if best is not None:
            row_l[i] = _logit(best.score)
            row_f[i] = max(f1_score(best.text, a) for a in q.answers) if own and not lacking else 0.0
    return [row_l, row_f, row_d, row_m, row_u]


def read_open(
    held: dict[str, list[SquadQuestion]],
    reader: SpanReader,
    embedder: Embedder,
    per_source: int = 300,
    top_k: int = 5,
    seed: int = 5,
    same_corpus: bool = True,
    journal: Journal | None = None,
) -> OpenReads:
    """Ask up to `per_source` held-out questions of each source over both corpora (`corpus_groups`): over the
    other group's corpus (off topic) and over its own group's (answerable); with `same_corpus`, once more over
    its own group's corpus without the paragraphs that hold its answer (off topic on its own ground: the other
    mayor, the other film, the hardest case a corpus of one kind of text poses). With `journal`, each read is
    kept as it is made and a read already there is taken from it: a stopped run goes on where it stopped."""
    rng = random.Random(seed)
    sources: list[str] = []
    answerable: list[bool] = []
    logits: list[list[float]] = []
    f1s: list[list[float]] = []
    denses: list[list[float]] = []
    missings: list[list[float]] = []
    unmatched: list[list[float]] = []
    ground: list[bool] = []
    t0 = time.time()

    def ask(retriever: HybridRetriever, group_no: int, name: str, q: SquadQuestion, own: bool, lacking: dict) -> None:
        """One row: the question over a corpus; `lacking` (document id -> normalised text): only the
        documents that do not hold its answer."""
        key = f"{group_no}|{name}|{q.id}|{q.question}|{'ground' if lacking else 'whole'}"
        make = lambda: read_row(reader, retriever, q, own, lacking, top_k)  # noqa: E731
        row = journal.read(key, make) if journal is not None else make()
        sources.append(name)
        answerable.append(own and not lacking)
        ground.append(bool(lacking))
        for out, got in zip((logits, f1s, denses, missings, unmatched), row):
            out.append(got)
        if len(sources) % 250 == 0:
            log.info("%d reads (%.0f s)", len(sources), time.time() - t0)

    for group_no, group in enumerate(corpus_groups(list(held))):
        docs: dict[str, Document] = {}
        for name in group:
            for q in held[name]:
                docs.setdefault(q.context, Document(text=q.context, title=q.title))
        texts = {d.id: normalize_answer(d.text) for d in docs.values()}
        with tempfile.TemporaryDirectory(prefix="qa-calibrate-") as tmp:
            store = open_store(Path(tmp) / "index", embedder, max_document_chars=0)
            store.add(list(docs.values()))
            retriever = HybridRetriever(store, embedder)
            for name, qs in held.items():
                own = name in group
                for q in rng.sample(qs, min(per_source, len(qs))):
                    golds = q.normalized_answers
                    if not golds or (not own and any(g in t for g in golds for t in texts.values())):
                        continue
                    ask(retriever, group_no, name, q, own, {})
                    if own and same_corpus:
                        ask(retriever, group_no, name, q, own, texts)
            store.close()
    return OpenReads(
        np.array(sources),
        np.array(answerable),
        np.array(logits),
        np.array(f1s),
        np.array(denses),
        np.array(missings),
        np.array(unmatched),
        np.array(ground),
    )


def _stamp(line: str) -> str | None:
    """The stamp a journal's first line names (None if it names none)."""
    try:
        return json.loads(line).get("stamp")
    except (json.JSONDecodeError, AttributeError):
        return None


class Journal:
    """Reads kept one JSON line each in `path` as they are made, under a first line naming what made them
    (`stamp`: the reader's weights, backend and sample); a file with another stamp is started afresh."""

    def __init__(self, path: Path, stamp: str):
        self.path = path
        self.rows: dict[str, list] = {}
        text = path.read_text() if path.exists() else ""
        lines = text.splitlines()
        if lines and _stamp(lines[0]) == stamp:
            for line in lines[1:]:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:  # a line cut short when the run was stopped
                    continue
                self.rows[rec["key"]] = [[-np.inf if x is None else x for x in rec["row"][0]], *rec["row"][1:]]
            if not text.endswith("\n"):
                with path.open("a") as f:
                    f.write("\n")  # what follows starts a line of its own
            log.info("%s: %d reads already made", path, len(self.rows))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({"stamp": stamp}) + "\n")

    def read(self, key: str, make: Callable[[], list]) -> list:
        """The row kept under `key`, else `make()`'s, kept on disk at once (its first list, the log-odds,
        may hold -inf)."""
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = make()
            logit = [None if x == -np.inf else x for x in row[0]]
            with self.path.open("a") as f:  # a read takes a second or more: opening the file each time costs nothing
                f.write(json.dumps({"key": key, "row": [logit, *row[1:]]}) + "\n")
        return row


NO_SHIFT = RetrievalShift()


def served(
    reads: OpenReads, adjustment: RetrievalShift = NO_SHIFT, staging: Staging = Staging()
) -> tuple[np.ndarray, np.ndarray]:
    """The probability and F1 of the answer the service would pick for each question with this adjustment:
    the best of the first `staging.first` passages when it reaches `staging.sure`, else the best of those and
    the rest within `staging.gap` of the first passages' best cosine."""
    z = reads.logit + adjustment.shift(reads.dense, reads.missing, reads.unmatched)
    p = 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))
    p = np.where(np.isfinite(reads.logit), p, 0.0)
    rows = np.arange(len(p))
    first = p[:, : staging.first]
    i_first = first.argmax(axis=1)
    near = reads.dense >= reads.dense[:, : staging.first].max(axis=1, keepdims=True) - staging.gap
    near[:, : staging.first] = True
    i_all = np.where(near, p, -1.0).argmax(axis=1)
    pick = np.where(first[rows, i_first] >= staging.sure, i_first, i_all)
    return p[rows, pick], reads.f1[rows, pick]


def source_scores(reads: OpenReads, adjustment: RetrievalShift, threshold: float) -> dict[str, dict[str, float]]:
    """Per source: served F1 on its answerable questions and the share of its off-topic ones answered with
    nothing."""
    p, f1 = served(reads, adjustment)
    answered = p >= threshold
    out = {}
    for name in sorted(set(reads.source.tolist())):
        on, off = (reads.source == name) & reads.answerable, (reads.source == name) & ~reads.answerable
        out[name] = {
            "served_f1_answerable": float(np.where(answered, f1, 0.0)[on].mean()) if on.any() else float("nan"),
            "abstain_off_topic": float((~answered)[off].mean()) if off.any() else float("nan"),
        }
    return out


def mean_scores(per_source: dict[str, dict[str, float]]) -> dict[str, float]:
    """The sources' mean of each figure (every source weighs the same)."""
    keys = ("served_f1_answerable", "abstain_off_topic")
    return {k: float(np.nanmean([s[k] for s in per_source.values()])) for k in keys}


def _rank(per_source: dict[str, dict[str, float]]) -> tuple[float, float]:
    m = mean_scores(per_source)
    return m["abstain_off_topic"], m["served_f1_answerable"]


def fit_dense(
    reads: OpenReads, threshold: float, tolerance: float = 0.005
) -> tuple[RetrievalShift, dict[str, dict[str, float]]]:
    """(adjustment, per-source figures): of the grid points under which no source's served F1 on answerable
    questions falls more than `tolerance` below its F1 without the adjustment, the one that refuses the most
    off-topic questions on the sources' mean (then: the higher mean F1). Every source must keep its F1, not
    only the mean: cosines run lower on informal text (reviews, forum posts) than on Wikipedia or news, and
    an adjustment fitted to the mean would refuse their answerable questions.

    In two steps: the cosine and the names; then the question's words on top of them, where no source's F1
    falls more than `tolerance` below what it had after the first step either (a source's F1 that the cosine
    raised is not spent on refusals the words buy)."""
    none = source_scores(reads, NO_SHIFT, threshold)
    best = (NO_SHIFT, none)
    for w in WEIGHTS:
        for c in CENTERS if w else (0.0,):
            for wn in NAME_WEIGHTS:
                adjustment = RetrievalShift(w, c, wn)
                s = source_scores(reads, adjustment, threshold)
                if _keeps_f1(s, none, tolerance) and _rank(s) > _rank(best[1]):
                    best = (adjustment, s)
    first = best[1]
    for ww in WORD_WEIGHTS:
        for wc in WORD_CENTERS if ww else ():
            adjustment = replace(best[0], w_words=ww, words_center=wc)
            s = source_scores(reads, adjustment, threshold)
            if _keeps_f1(s, none, tolerance) and _keeps_f1(s, first, tolerance) and _rank(s) > _rank(best[1]):
                best = (adjustment, s)
    return best


def _keeps_f1(s: dict[str, dict[str, float]], floor: dict[str, dict[str, float]], tolerance: float) -> bool:
    """Whether no source's served F1 in `s` falls more than `tolerance` below its F1 in `floor`."""
    return all(s[n]["served_f1_answerable"] >= floor[n]["served_f1_answerable"] - tolerance for n in s)


def calibrate_retrieval(
    model_dir: Path,
    sources: list[str] | tuple[str, ...] = DEFAULT_SOURCES,
    per_source: int = 300,
    backend: str = "torch",
    journal: Path | None = None,
) -> dict:
    """Fit the retrieval adjustment (`RetrievalShift`) for the reader at `model_dir` on `backend`, on top of its
    calibration file (which `qa.offline.calibrate` wrote), and write it into that file; returns the figures.
    With `journal`, the reads are kept there as they are made (`Journal`), so a stopped run resumes."""
    f = model_dir / calibration_file(backend)
    if not f.exists():
        raise FileNotFoundError(f"no {f.name} in {model_dir}: run python -m qa.offline.calibrate first")
    saved = json.loads(f.read_text())
    held = {Source.parse(s).name: heldout_questions(Source.parse(s)) for s in sources}
    reader = SpanReader(model_dir, backend=backend)
    stamp = f"{compact_key(model_dir) if is_compact(model_dir) else weights_key(model_dir)} {backend} {per_source}"
    shift = {f.name for f in fields(RetrievalShift)}
    span_fit = {k: v for k, v in saved.items() if k not in shift and not k.startswith("retrieval") and k != "figures"}
    stamp += f" {','.join(sources)} {json.dumps(span_fit, sort_keys=True)}"  # the reads' scores come from this fit
    kept = Journal(journal, stamp) if journal else None
    embedder = Embedder(backend="auto", record=model_dir / BACKENDS_RECORD)
    reads = read_open(held, reader, embedder, per_source, journal=kept)
    threshold = reader.threshold
    adjustment, fig = fit_dense(reads, threshold)
    before = source_scores(reads, NO_SHIFT, threshold)
    own = reads.own_ground if reads.own_ground is not None else np.zeros(len(reads.source), dtype=bool)

    def rounded(per: dict[str, dict[str, float]]) -> dict:
        return {"mean": {k: round(v, 4) for k, v in mean_scores(per).items()},
                **{n: {k: round(v, 4) for k, v in d.items()} for n, d in per.items()}}  # fmt: skip

    figures = {
        "questions": int(len(reads.source)),
        "answerable": int(reads.answerable.sum()),
        "off_topic": int((~reads.answerable).sum()),
        "off_topic_own_ground": int(own.sum()),
        "abstain_own_ground": {
            "without": round(float((served(reads)[0] < threshold)[own].mean()), 4) if own.any() else None,
            "with": round(float((served(reads, adjustment)[0] < threshold)[own].mean()), 4) if own.any() else None,
        },
        "threshold": threshold,
        "without": rounded(before),
        "with": rounded(fig),
    }
    saved.update(**asdict(adjustment), retrieval_figures=figures)
    tmp = f.with_suffix(".tmp")
    tmp.write_text(json.dumps(saved, indent=2))
    tmp.replace(f)
    log.info("retrieval adjustment %s: %s", adjustment, json.dumps(figures))
    return {**asdict(adjustment), **figures}


def main(argv: list[str] | None = None) -> None:
    """`python -m qa.offline.calibrate_retrieval [--model-dir DIR] [--backend torch|onnx] [--per-source N]`."""
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model-dir", default=str(MODEL_DIR), help="default: the shipped reader")
    p.add_argument("--sources", default=",".join(DEFAULT_SOURCES))
    p.add_argument("--per-source", type=int, default=300, help="held-out questions per source and corpus")
    p.add_argument("--backend", choices=("torch", "onnx"), default="torch", help="whose calibration to extend")
    p.add_argument(
        "--journal", default="", help="keep the reads in this file as they are made; a rerun resumes from it"
    )
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    sources = [s for s in args.sources.split(",") if s.strip()]
    journal = Path(args.journal) if args.journal else None
    figures = calibrate_retrieval(Path(args.model_dir), sources, args.per_source, args.backend, journal)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
