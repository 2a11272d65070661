"""`qa eval`: SQuAD-format evaluation of the reader (gold paragraph) and of open retrieval + reading.

Reader mode reads each question with its gold paragraph; open mode (`--open`) indexes every paragraph of the
file as a document, asks every question, and adds retrieval recall@1/5/20 and MRR of the gold paragraph.
Two answers are scored per question: the *forced* one (the best span, however low its score: the top-level
official keys `exact`, `f1`, `HasAns_*`, `NoAns_*`) and the *served* one (what `POST /ask` returns: the best
span only when its calibrated score clears the threshold; under `served`, with `no_answer_rate`, the share of
answerable questions answered with nothing). `--off-topic CORPUS` asks the file's questions over another
corpus that does not hold their answers and reports how many get "no answer".
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm import tqdm

from index.backends import open_store
from index.documents import Document
from index.embedder import Embedder
from index.store import Store
from qa.answers import AskResponse
from qa.offline.squad import SquadQuestion, best_over_golds, load_squad, normalize_answer
from qa.reader import Reader, Staging, read_in_stages
from qa.retriever import HybridRetriever, Retrieved

RECALL_AT = (1, 5, 20)


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Official-style aggregate figures (percentages) from per-question `exact`/`f1`/`has_ans` rows."""

    def pct(xs: list[float]) -> float:
        return round(100.0 * sum(xs) / len(xs), 2) if xs else 0.0

    out: dict[str, Any] = {
        "exact": pct([r["exact"] for r in rows]),
        "f1": pct([r["f1"] for r in rows]),
        "total": len(rows),
    }
    has = [r for r in rows if r["has_ans"]]
    no = [r for r in rows if not r["has_ans"]]
    if no:
        out.update(
            HasAns_exact=pct([r["exact"] for r in has]),
            HasAns_f1=pct([r["f1"] for r in has]),
            HasAns_total=len(has),
            NoAns_exact=pct([r["exact"] for r in no]),
            NoAns_f1=pct([r["f1"] for r in no]),
            NoAns_total=len(no),
            HasAns_answered=pct([float(bool(r["prediction"])) for r in has]),
        )
    return out


def summarize_served(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The served figures: EM/F1 with abstention, the no-answer rate on answerable questions, NoAns accuracy."""

    def pct(xs: list[float]) -> float:
        return round(100.0 * sum(xs) / len(xs), 2) if xs else 0.0

    served = [{**r, "exact": r["served_exact"], "f1": r["served_f1"], "prediction": r["served"]} for r in rows]
    out = summarize(served)
    has = [r for r in served if r["has_ans"]]
    out["no_answer_rate"] = pct([float(not r["prediction"]) for r in has])
    out.pop("HasAns_answered", None)
    return out


def _row(q: SquadQuestion, forced: str, served: str) -> dict[str, Any]:
    em, f1 = best_over_golds(forced, q.answers)
    sem, sf1 = best_over_golds(served, q.answers)
    return {
        "id": q.id, "exact": em, "f1": f1, "has_ans": bool(q.answers), "prediction": forced,
        "served": served, "served_exact": sem, "served_f1": sf1,
    }  # fmt: skip


def _forced_and_served(
    reader: Reader, question: str, hits: list[Retrieved], staging: Staging | None = None
) -> tuple[str, str]:
    """The best answer's text regardless of score, and the text `POST /ask` would serve ("" = no answer),
    reading the passages in stages as the service does (`staging`; None: all at once)."""
    threshold = reader.threshold
    candidates = getattr(reader, "candidates", None)
    if candidates is not None:
        cands = read_in_stages(lambda hs: candidates(question, hs), hits, staging)
        if not cands:
            return "", ""
        best = max(cands, key=lambda a: a.score)
        return best.text, best.text if best.score >= threshold else ""
    answers = read_in_stages(lambda hs: reader.read(question, hs, top_k=1), hits, staging)
    text = max(answers, key=lambda a: a.score).text if answers else ""
    return text, text


def _as_hit(q: SquadQuestion, doc: Document) -> Retrieved:
    from index.passages import Passage, split_sentences

    p = Passage(id=doc.id, document_id=doc.id, start=0, end=len(doc.text), text=doc.text)
    p.sentences = split_sentences(doc.text)
    return Retrieved(passage=p, score=1.0, title=q.title)


def best_answers(reader: Reader, questions: list[SquadQuestion]) -> list[tuple[str, float]]:
    """The best span's text and calibrated score for each question read with its own paragraph ("" and 0.0
    where the reader proposes none), in one batch of a span reader's `predict` (int8 ONNX scales activations
    per batch, so the same questions batched otherwise score slightly otherwise); a reader without `predict`
    (the cascade) reads each question as `qa eval` does."""
    out = []
    if not hasattr(reader, "predict"):
        for q in questions:
            hit = _as_hit(q, Document(text=q.context, title=q.title))
            best = reader.read(q.question, [hit], top_k=1, threshold=0.0)
            out.append((best[0].text, best[0].score) if best else ("", 0.0))
        return out
    preds = reader.predict([(q.question, q.context) for q in questions])  # type: ignore[attr-defined]
    for q, cands in zip(questions, preds):
        ranked = reader.spans(q.question, q.context, cands)  # type: ignore[attr-defined]
        s, e, p = ranked[0] if ranked else (0, 0, 0.0)
        out.append((q.context[s:e], p))
    return out


def eval_reader(questions: list[SquadQuestion], reader: Reader, batch: int = 64) -> dict[str, Any]:
    """Each question with its gold paragraph. Span readers are run in batches of question/paragraph pairs."""
    rows = []
    docs = {q.paragraph_index: Document(text=q.context, title=q.title) for q in questions}
    bar = tqdm(total=len(questions), desc="reading", unit="q", file=sys.stderr)
    predict = getattr(reader, "predict", None)
    for lo in range(0, len(questions), batch):
        chunk = questions[lo : lo + batch]
        if predict is not None:
            pairs = [(text, text if p >= reader.threshold else "") for text, p in best_answers(reader, chunk)]
        else:
            pairs = [_forced_and_served(reader, q.question, [_as_hit(q, docs[q.paragraph_index])]) for q in chunk]
        rows += [_row(q, forced, served) for q, (forced, served) in zip(chunk, pairs)]
        bar.update(len(chunk))
    bar.close()
    return {**summarize(rows), "served": summarize_served(rows)}


_TEMP_DIRS: list[tempfile.TemporaryDirectory] = []  # removed when the process ends


def _open_store(docs: list[Document], embedder: Embedder, index_dir: Path | None) -> Store:
    """The evaluation index at `index_dir` (a temporary folder when None), filled with `docs` when empty."""
    if index_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="qa-eval-")
        _TEMP_DIRS.append(tmp)
        index_dir = Path(tmp.name) / "index"
    store = open_store(index_dir, embedder, max_document_chars=0)
    if not store.stats().documents:
        bar = tqdm(total=len(docs), desc="indexing", unit="doc", file=sys.stderr)
        store.add(docs, progress=lambda p: bar.update(p.documents - bar.n))
        bar.close()
    return store


def eval_open(
    questions: list[SquadQuestion],
    reader: Reader,
    embedder: Embedder,
    top_k: int = 5,
    index_dir: Path | None = None,
    corpus: list[SquadQuestion] | None = None,
    staging: Staging | None = Staging(),
) -> dict[str, Any]:
    """Index every paragraph of `corpus` and of the questions as a document, retrieve for every question,
    and read the top `top_k` passages as the service does (in stages: `staging`; None reads all at once)."""
    docs: dict[str, Document] = {}
    for q in [*(corpus or []), *questions]:
        docs.setdefault(q.context, Document(text=q.context, title=q.title))
    t0 = time.time()
    store = _open_store(list(docs.values()), embedder, index_dir)
    index_seconds = time.time() - t0
    retriever = HybridRetriever(store, embedder)
    vectors = embedder.embed([q.question for q in questions], progress=False)
    depth = max(RECALL_AT)
    hits_at = {k: 0 for k in RECALL_AT}
    rr = 0.0
    rows = []
    for q, v in tqdm(list(zip(questions, vectors)), desc="asking", unit="q", file=sys.stderr):
        hits = retriever.retrieve(q.question, max(depth, top_k), vector=v)
        gold = docs[q.context].id
        rank = next((i for i, h in enumerate(hits, 1) if h.passage.document_id == gold), None)
        if rank is not None:
            rr += 1.0 / rank
            for k in RECALL_AT:
                hits_at[k] += rank <= k
        rows.append(_row(q, *_forced_and_served(reader, q.question, hits[:top_k], staging)))
    n = max(1, len(questions))
    out = summarize(rows)
    out["served"] = summarize_served(rows)
    out.update({f"recall@{k}": round(100.0 * hits_at[k] / n, 2) for k in RECALL_AT})
    out["mrr"] = round(rr / n, 4)
    out.update(**asdict(store.stats()), index_seconds=round(index_seconds, 1))
    return out


def off_topic_questions(questions: list[SquadQuestion], corpus_docs: list[Document]) -> list[SquadQuestion]:
    """The questions none of whose gold answers occurs anywhere in the corpus (after SQuAD normalisation)."""
    texts = [normalize_answer(d.text) for d in corpus_docs]
    out = []
    for q in questions:
        golds = q.normalized_answers
        if golds and not any(g in t for g in golds for t in texts):
            out.append(q)
    return out


def corpus_documents(path: Path) -> list[Document]:
    """The documents of `--off-topic CORPUS`: every paragraph of a SQuAD file, or the articles under a path."""
    if path.is_file() and path.suffix == ".json":
        try:
            qs = load_squad(path)
        except ValueError:
            qs = []
        if qs:
            docs: dict[int, Document] = {}
            for q in qs:
                docs.setdefault(q.paragraph_index, Document(text=q.context, title=q.title))
            return list(docs.values())
    from index.documents import load_documents

    return load_documents([path])


def eval_off_topic(
    questions: list[SquadQuestion],
    corpus_docs: list[Document],
    reader: Reader,
    embedder: Embedder,
    top_k: int = 5,
    index_dir: Path | None = None,
    staging: Staging | None = Staging(),
) -> dict[str, Any]:
    """Ask questions over a corpus that does not hold their answers: the share answered with "no answer"."""
    questions = off_topic_questions(questions, corpus_docs)
    store = _open_store(corpus_docs, embedder, index_dir)
    retriever = HybridRetriever(store, embedder)
    vectors = embedder.embed([q.question for q in questions], progress=False)
    abstained = 0
    wrongly: list[dict[str, str]] = []
    for q, v in tqdm(list(zip(questions, vectors)), desc="off-topic", unit="q", file=sys.stderr):
        hits = retriever.retrieve(q.question, top_k, vector=v)
        _, served = _forced_and_served(reader, q.question, hits, staging)
        abstained += not served
        if served and len(wrongly) < 10:
            wrongly.append({"question": q.question, "answer": served})
    n = max(1, len(questions))
    return {
        "total": len(questions),
        "served": {"abstain_rate": round(100.0 * abstained / n, 2)},
        "answered_examples": wrongly,
        **asdict(store.stats()),
    }


def print_table(figures: dict[str, Any], title: str) -> None:
    """`title`, then one aligned `key  value` line per figure."""
    print(title)
    width = max(len(k) for k in figures)
    for k, v in figures.items():
        print(f"  {k:<{width}}  {v}")


def item_scores(predicted: list[str], gold: tuple[str, ...] | list[str]) -> tuple[int, int, int]:
    """(true positives, predicted, gold) items, matched exactly after SQuAD normalisation (MultiSpanQA)."""
    pred = {normalize_answer(p) for p in predicted} - {""}
    want = {normalize_answer(g) for g in gold} - {""}
    return len(pred & want), len(pred), len(want)


def prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1 of `tp` true positives among `n_pred` predicted and `n_gold` gold items."""
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def response_items(resp: AskResponse) -> list[str]:
    """The items a response gives: a list answer's item names, else its best single answer."""
    if resp.kind == "list" and resp.items:
        return [it.evidence[0].text for it in resp.items]
    return [resp.answers[0].text] if resp.answers else []


def eval_multispan(questions: list[SquadQuestion], answer: Callable[[SquadQuestion], AskResponse]) -> dict[str, Any]:
    """List questions (`multi_span`): item precision / recall / F1 by exact match of normalised items,
    micro-averaged over all items and macro-averaged over questions, and the share answered as a list."""
    tp = n_pred = n_gold = 0
    per_q = []
    as_list = 0
    for q in tqdm(questions, desc="lists", unit="q", file=sys.stderr):
        resp = answer(q)
        as_list += resp.kind == "list"
        t, p, g = item_scores(response_items(resp), q.answers)
        tp, n_pred, n_gold = tp + t, n_pred + p, n_gold + g
        per_q.append(prf(t, p, g)[2])
    mp, mr, mf = prf(tp, n_pred, n_gold)
    n = max(1, len(questions))
    return {
        "total": len(questions),
        "item_precision": round(100 * mp, 2),
        "item_recall": round(100 * mr, 2),
        "item_f1": round(100 * mf, 2),
        "item_f1_macro": round(100 * sum(per_q) / n, 2),
        "answered_as_list": round(100 * as_list / n, 2),
    }


def list_rate(questions: list[SquadQuestion]) -> float:
    """Percentage of the questions the pipeline routes to list answers (the false-list rate on single-answer
    sets)."""
    from qa.lists.question import analyse_question

    return round(100 * sum(analyse_question(q.question).is_list for q in questions) / max(1, len(questions)), 2)


def _select(questions: list[SquadQuestion], limit: int, sample: int) -> list[SquadQuestion]:
    if limit:
        questions = questions[:limit]
    if sample and sample < len(questions):
        import random

        questions = sorted(random.Random(13).sample(questions, sample), key=lambda q: q.paragraph_index)
    return questions


def evaluate_file(args: argparse.Namespace, file: str, reader: Reader, embedder: Embedder) -> dict[str, Any]:
    """The figures of one SQuAD-format file in the mode `args` asks for."""
    corpus = load_squad(file)
    if not corpus:
        raise ValueError(f"{file} holds no questions")
    questions = _select(corpus, args.limit, getattr(args, "sample", 0))
    index_dir = Path(args.index) if args.index else None
    t0 = time.time()
    if any(q.multi_span for q in questions):
        figures = _multispan_figures(args, questions, corpus, reader, embedder, index_dir)
        mode = "open" if args.open else "reader"
    elif getattr(args, "off_topic", None):
        docs = corpus_documents(Path(args.off_topic))
        figures = eval_off_topic(questions, docs, reader, embedder, top_k=args.top_k, index_dir=index_dir)
        mode = "off-topic"
        figures["corpus"] = str(args.off_topic)
    elif args.open:
        if getattr(args, "corpus", None):
            corpus = [*corpus, *load_squad(args.corpus)]
        figures = eval_open(questions, reader, embedder, top_k=args.top_k, corpus=corpus, index_dir=index_dir)
        mode = "open"
    else:
        figures = eval_reader(questions, reader)
        mode = "reader"
    if "served" in figures and getattr(args, "routing", False):
        figures["list_rate"] = list_rate(questions)
    figures["seconds"] = round(time.time() - t0, 1)
    figures["reader"] = type(reader).__name__
    figures["threshold"] = reader.threshold
    figures["mode"] = mode
    figures["file"] = str(file)
    return figures


def paragraph_answerer(
    corpus: list[SquadQuestion],
    reader: Reader,
    embedder: Embedder,
    index_dir: Path | None = None,
    open_mode: bool = False,
    top_k: int = 5,
    as_list: bool = False,
) -> Callable[[SquadQuestion], AskResponse]:
    """Every paragraph of `corpus` indexed as a document, and a function that answers a question as the service
    answers it (list or single): over its own paragraph, or over what retrieval finds (`open_mode`).
    `as_list` sends every question down the list path (what perfect routing would give list questions)."""
    from qa.pipeline import QAPipeline

    docs: dict[str, Document] = {}
    for q in corpus:
        docs.setdefault(q.context, Document(text=q.context, title=q.title))
    store = _open_store(list(docs.values()), embedder, index_dir)
    pipe = QAPipeline(store, embedder, reader)

    def answer(q: SquadQuestion) -> AskResponse:
        if open_mode and not as_list:
            return pipe.ask(q.question, top_k=top_k)
        hits = (
            None
            if open_mode
            else [Retrieved(p, 1.0, title=q.title) for p in store.document_passages(docs[q.context].id)]
        )
        return pipe.answer_passages(q.question, top_k=top_k, hits=hits, as_list=as_list)

    return answer


def _multispan_figures(
    args: argparse.Namespace,
    questions: list[SquadQuestion],
    corpus: list[SquadQuestion],
    reader: Reader,
    embedder: Embedder,
    index_dir: Path | None,
) -> dict[str, Any]:
    """List questions answered as the service answers them: over the gold paragraph, or retrieved (`--open`)."""
    answer = paragraph_answerer(corpus, reader, embedder, index_dir, args.open, args.top_k)
    return eval_multispan(questions, answer)


def print_figures(figures: dict[str, Any]) -> None:
    """One file's figures as text: the forced answer's, then the served ones."""
    title = f"{Path(figures['file']).name}: {figures['mode']} mode, {figures['total']} questions"
    flat = {k: v for k, v in figures.items() if not isinstance(v, dict | list)}
    print_table(flat, title)
    if figures.get("served"):
        print_table(figures["served"], "  served (what POST /ask returns):")


def run_eval_cli(args: argparse.Namespace) -> int:
    """Entry point of `qa eval FILE [FILE ...] [--open | --off-topic CORPUS] [--limit N] [--output F] ...`."""
    from qa.pipeline import make_reader
    from qa.settings import Settings

    files = args.file if isinstance(args.file, list) else [args.file]
    for f in files:  # before loading models: a wrong path fails at once
        load_squad(f)
    if len(files) > 1 and args.index and not getattr(args, "off_topic", None):
        raise ValueError("--index keeps one corpus's index: give one FILE with it (or use --off-topic)")
    embedder = Embedder()
    reader = make_reader(args.reader or "", embedder, Settings.from_env())
    reader.warm_up()
    results = []
    for f in files:
        figures = evaluate_file(args, f, reader, embedder)
        print_figures(figures)
        results.append(figures)
    if args.output:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=out.parent, delete=False, suffix=".tmp") as fh:
            json.dump(results[0] if len(results) == 1 else {"results": results}, fh, indent=2)
        Path(fh.name).chmod(0o644)  # a results file, as readable as any other (mkstemp makes it private)
        Path(fh.name).replace(out)
    return 0
