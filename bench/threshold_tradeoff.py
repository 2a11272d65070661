"""What each threshold would serve: "no answer" on answerable questions against refusals of unanswerable ones.

Usage: python bench/threshold_tradeoff.py [--output JSON]   (QA_READER_DIR / QA_READER_BACKEND as for `qa eval`)

The reader's calibrated score of its best span decides every served answer, so one pass that records it
shows every threshold at once:
- answerable: each held-out question of the mixture (runs/heldout, `python -m qa.offline.mixture runs/heldout`)
  read with its own paragraph, as `qa eval FILE` reads it;
- off-topic: the non-SQuAD held-out questions whose answer SQuAD dev does not hold, asked over SQuAD dev's
  paragraphs (top 5 passages; the sample of 300 per source that `qa eval --off-topic --sample 300` draws);
- SQuAD 2.0: the two-article sample in reader mode, HasAns served F1 and NoAns refused.
For each threshold the table gives the rates per source, so it shows whether any threshold meets issue 8's
floors together (at most 10% "no answer" on every source, at least 95% off-topic refused, NoAns 50%).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from index.embedder import Embedder
from qa.offline.evaluate import _open_store, _select, best_answers, corpus_documents, off_topic_questions
from qa.offline.squad import best_over_golds, load_squad
from qa.pipeline import make_reader
from qa.retriever import HybridRetriever
from qa.settings import Settings

DATA = Path("../shared/data")
HELDOUT = "runs/heldout/heldout-{}.json"
SOURCES = ("squad11-train", "tydiqa-goldp-en-train", "qed-train", "squadshifts-amazon", "squadshifts-reddit")
THRESHOLDS = [round(float(t), 2) for t in np.arange(0.1, 0.9, 0.02)]


def best_scores(reader, questions, batch: int = 64) -> list[tuple[float, float]]:
    """(calibrated score, F1) of the best span of each question read with its own paragraph, in `qa eval`'s
    batches of 64 (`best_answers`)."""
    out = []
    for lo in range(0, len(questions), batch):
        chunk = questions[lo : lo + batch]
        out += [(p, best_over_golds(text, q.answers)[1]) for q, (text, p) in zip(chunk, best_answers(reader, chunk))]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--output", type=Path)
    ap.add_argument("--index", default="runs/eval/squad-dev-index", help="the SQuAD dev index (built if empty)")
    args = ap.parse_args()
    emb = Embedder()
    reader = make_reader("", emb, Settings.from_env())
    answerable = {s: [p for p, _ in best_scores(reader, load_squad(HELDOUT.format(s)))] for s in SOURCES}
    dev = corpus_documents(DATA / "squad-v1.1-dev.json")
    retriever = HybridRetriever(_open_store(dev, emb, Path(args.index)), emb)
    off_topic = {}
    for s in SOURCES[1:]:
        qs = off_topic_questions(_select(load_squad(HELDOUT.format(s)), 0, 300), dev)
        off_topic[s] = [
            (a[0].score if (a := reader.read(q.question, retriever.retrieve(q.question, 5), 1, 0.0)) else 0.0)
            for q in qs
        ]
    squad2 = load_squad(DATA / "squad-v2.0-dev-2articles-smoke.json")
    read = best_scores(reader, squad2)
    has = np.array([r for q, r in zip(squad2, read) if q.answers])
    no = np.array([p for q, (p, _) in zip(squad2, read) if not q.answers])
    rows = []
    for t in THRESHOLDS:
        rows.append({
            "threshold": t,
            "no_answer": {s: round(100 * float(np.mean(np.array(v) < t)), 1) for s, v in answerable.items()},
            "off_topic_refused": {s: round(100 * float(np.mean(np.array(v) < t)), 1) for s, v in off_topic.items()},
            "squad2_hasans_served_f1": round(100 * float(np.where(has[:, 0] >= t, has[:, 1], 0).mean()), 2),
            "squad2_noans_refused": round(100 * float(np.mean(no < t)), 1),
        })  # fmt: skip
    short = dict(zip(SOURCES, ("SQuAD", "TyDi", "QED", "Amazon", "Reddit")))
    print(f"threshold in use {reader.threshold}; 'no answer' on answerable | off-topic refused | SQuAD 2.0")
    head = " ".join(f"{short[s]:>10}" for s in SOURCES) + " |" + " ".join(f"{short[s]:>10}" for s in SOURCES[1:])
    print(f"thr  {head} | HasAns F1  NoAns")
    for r in rows:
        print(f"{r['threshold']:.2f} " + " ".join(f"{r['no_answer'][s]:10.1f}" for s in SOURCES) + " |"
              + " ".join(f"{r['off_topic_refused'][s]:10.1f}" for s in SOURCES[1:])
              + f" | {r['squad2_hasans_served_f1']:9.2f} {r['squad2_noans_refused']:6.1f}")  # fmt: skip
    if args.output:
        out = {"threshold": reader.threshold, "questions": {s: len(v) for s, v in answerable.items()},
               "off_topic_questions": {s: len(v) for s, v in off_topic.items()}, "rows": rows}  # fmt: skip
        args.output.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
