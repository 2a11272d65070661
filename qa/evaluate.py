"""`qa eval`: SQuAD-format evaluation of the reader (gold paragraph) and of open retrieval + reading.

Reader mode reads each question with its gold paragraph and reports the official EM/F1 (with HasAns and
NoAns figures for v2.0 files). Open mode (`--open`) indexes every paragraph of the file as a document,
asks every question, and reports retrieval recall@1/5/20 and MRR (of the gold paragraph) plus end-to-end
EM/F1. Keys follow the official SQuAD scripts (`exact`, `f1`, `HasAns_exact`, `NoAns_f1`, …).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from index.documents import Document
from index.embedder import Embedder
from index.store import IndexStore
from qa.reader import Reader
from qa.retriever import HybridRetriever, Retrieved
from qa.squad import SquadQuestion, best_over_golds, load_squad

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


def _prediction(reader: Reader, question: str, hits: list[Retrieved], abstain: bool) -> str:
    """The best answer's text; with `abstain` False (SQuAD 1.1) the best span even below the threshold."""
    if not abstain and hasattr(reader, "candidates"):
        cands = reader.candidates(question, hits)
        return max(cands, key=lambda a: a.score).text if cands else ""
    answers = reader.read(question, hits, top_k=1)
    return answers[0].text if answers else ""


def _as_hit(q: SquadQuestion, doc: Document) -> Retrieved:
    from index.passages import Passage, split_sentences

    p = Passage(id=doc.id, document_id=doc.id, start=0, end=len(doc.text), text=doc.text)
    p.sentences = split_sentences(doc.text)
    return Retrieved(passage=p, score=1.0, title=q.title)


def eval_reader(questions: list[SquadQuestion], reader: Reader, abstain: bool, batch: int = 64) -> dict[str, Any]:
    """Each question with its gold paragraph. Span readers are run in batches of question/paragraph pairs."""
    rows = []
    docs = {q.paragraph_index: Document(text=q.context, title=q.title) for q in questions}
    bar = tqdm(total=len(questions), desc="reading", unit="q", file=sys.stderr)
    predict = getattr(reader, "predict", None)
    for lo in range(0, len(questions), batch):
        chunk = questions[lo : lo + batch]
        if predict is not None:
            preds = predict([(q.question, q.context) for q in chunk])
            texts = []
            for q, cands in zip(chunk, preds):
                best = max(cands, key=reader.probability, default=None)  # type: ignore[attr-defined]
                keep = best is not None and (not abstain or reader.probability(best) >= reader.threshold)  # type: ignore[attr-defined]
                texts.append(q.context[best.start : best.end] if keep else "")
        else:
            texts = [_prediction(reader, q.question, [_as_hit(q, docs[q.paragraph_index])], abstain) for q in chunk]
        for q, text in zip(chunk, texts):
            em, f1 = best_over_golds(text, q.answers)
            rows.append({"id": q.id, "exact": em, "f1": f1, "has_ans": bool(q.answers), "prediction": text})
        bar.update(len(chunk))
    bar.close()
    return summarize(rows)


def eval_open(
    questions: list[SquadQuestion],
    reader: Reader,
    embedder: Embedder,
    abstain: bool,
    top_k: int = 5,
    index_dir: Path | None = None,
    corpus: list[SquadQuestion] | None = None,
) -> dict[str, Any]:
    """Index every paragraph (of `corpus`, default the questions') as a document, retrieve for every
    question, and read the top `top_k` passages."""
    docs: dict[int, Document] = {}
    for q in corpus or questions:
        docs.setdefault(q.paragraph_index, Document(text=q.context, title=q.title))
    t0 = time.time()
    if index_dir and IndexStore.exists(index_dir):
        store = IndexStore.load(index_dir, embedder)
    else:
        store = IndexStore(embedder)
        store.add(list(docs.values()), progress=True)
        if index_dir:
            store.save(index_dir)
    index_seconds = time.time() - t0
    retriever = HybridRetriever(store)
    vectors = embedder.embed([q.question for q in questions], progress=False)
    depth = max(RECALL_AT)
    hits_at = {k: 0 for k in RECALL_AT}
    rr = 0.0
    rows = []
    for q, v in tqdm(list(zip(questions, vectors)), desc="asking", unit="q", file=sys.stderr):
        hits = retriever.retrieve(q.question, depth, vector=v)
        gold = docs[q.paragraph_index].id
        rank = next((i for i, h in enumerate(hits, 1) if h.passage.document_id == gold), None)
        if rank is not None:
            rr += 1.0 / rank
            for k in RECALL_AT:
                hits_at[k] += rank <= k
        text = _prediction(reader, q.question, hits[:top_k], abstain)
        em, f1 = best_over_golds(text, q.answers)
        rows.append({"id": q.id, "exact": em, "f1": f1, "has_ans": bool(q.answers), "prediction": text})
    n = max(1, len(questions))
    out = summarize(rows)
    out.update({f"recall@{k}": round(100.0 * hits_at[k] / n, 2) for k in RECALL_AT})
    out["mrr"] = round(rr / n, 4)
    out.update(documents=len(store.documents), passages=len(store.passages), index_seconds=round(index_seconds, 1))
    return out


def print_table(figures: dict[str, Any], title: str) -> None:
    print(title)
    width = max(len(k) for k in figures)
    for k, v in figures.items():
        print(f"  {k:<{width}}  {v}")


def run_eval_cli(args: argparse.Namespace) -> int:
    """Entry point of `qa eval FILE [--open] [--limit N] [--output F] [--reader R] [--top-k K]`."""
    from qa.pipeline import make_reader

    corpus = load_squad(args.file)
    if not corpus:
        raise ValueError(f"{args.file} holds no questions")
    questions = corpus[: args.limit] if args.limit else corpus
    if getattr(args, "sample", 0) and args.sample < len(questions):
        import random

        questions = sorted(random.Random(13).sample(questions, args.sample), key=lambda q: q.paragraph_index)
    abstain = any(q.is_impossible for q in corpus)
    embedder = Embedder()
    reader = make_reader(args.reader or "auto", embedder)
    reader.warm_up()
    t0 = time.time()
    if args.open:
        figures = eval_open(
            questions, reader, embedder, abstain, top_k=args.top_k, corpus=corpus,
            index_dir=Path(args.index) if args.index else None,
        )  # fmt: skip
    else:
        figures = eval_reader(questions, reader, abstain)
    figures["seconds"] = round(time.time() - t0, 1)
    figures["reader"] = type(reader).__name__
    figures["mode"] = "open" if args.open else "reader"
    figures["file"] = str(args.file)
    print_table(figures, f"{Path(args.file).name}: {figures['mode']} mode, {len(questions)} questions")
    if args.output:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=out.parent, delete=False, suffix=".tmp") as f:
            json.dump(figures, f, indent=2)
        Path(f.name).replace(out)
    return 0
