"""Calibrate the span reader's scores on held-out SQuAD articles (never trained on).

Each held-out question is read with its own paragraph and with a paragraph of the same article that lacks
its answer. A logistic model of (span logit, no-answer logit) -> "the span is right" (F1 >= 0.5) turns raw
logits into probabilities that compare across windows and questions; the no-answer threshold is the one
that maximises F1 over that mixture (abstaining is right on the paragraphs without the answer).
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import asdict
from pathlib import Path

import numpy as np

from qa.span_reader import CALIBRATION, Calibration, SpanReader
from qa.squad import f1_score, load_squad, normalize_answer
from qa.train import split_heldout

log = logging.getLogger("qa.calibrate")


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, iters: int = 50) -> np.ndarray:
    """Weights (…, bias) of a logistic regression fitted by Newton's method with a small L2 penalty."""
    X = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(X.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(X @ w, -60, 60)))
        grad = X.T @ (p - y) + l2 * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (probability a positive outranks a negative)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    ranks = np.argsort(np.argsort(np.concatenate([pos, neg]))) + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def calibrate(model_dir: Path, data: str | Path, limit: int = 0, seed: int = 13) -> dict:
    """Fit and write `calibration.json` into `model_dir`; returns the figures it measured."""
    meta = json.loads((model_dir / "training.json").read_text())
    cfg = meta["config"]
    questions = load_squad(data)
    _, held = split_heldout(questions, cfg["heldout_articles"], cfg["seed"])
    rng = random.Random(seed)
    if limit:
        held = rng.sample(held, min(limit, len(held)))
    by_title: dict[str, list[str]] = {}
    for q in questions:
        lst = by_title.setdefault(q.title, [])
        if not lst or lst[-1] != q.context:
            lst.append(q.context)
    pairs, golds = [], []
    for q in held:
        pairs.append((q.question, q.context))
        golds.append(q.answers)
        norm_golds = [normalize_answer(a) for a in q.answers]
        others = [
            c for c in by_title[q.title] if c != q.context and not any(g in normalize_answer(c) for g in norm_golds)
        ]
        if others:
            pairs.append((q.question, rng.choice(others)))
            golds.append(())
    reader = SpanReader(model_dir)
    preds = reader.predict(pairs, n_best=3)
    feats, labels = [], []
    top = []
    for (_, text), cands, gold in zip(pairs, preds, golds):
        for rank, c in enumerate(cands[:3]):
            span = text[c.start : c.end]
            ok = bool(gold) and max(f1_score(span, g) for g in gold) >= 0.5
            feats.append([c.span_logit, c.null_logit])
            labels.append(float(ok))
            if rank == 0:
                top.append((c, max((f1_score(span, g) for g in gold), default=0.0), bool(gold)))
    x, y = np.array(feats), np.array(labels)
    w = fit_logistic(x, y)
    cal = Calibration(w_span=float(w[0]), w_null=float(w[1]), bias=float(w[2]))
    probs = np.array([cal.probability(c) for c, _, _ in top])
    best_t, best_f1 = 0.5, -1.0
    for t in np.linspace(0.05, 0.95, 91):
        f1s = [(f if p >= t else 0.0) if has else float(p < t) for p, (_, f, has) in zip(probs, top)]
        if np.mean(f1s) > best_f1:
            best_f1, best_t = float(np.mean(f1s)), float(t)
    cal = Calibration(cal.w_span, cal.w_null, cal.bias, round(best_t, 3))
    has = np.array([h for _, _, h in top])
    figures = {
        "heldout_questions": len(held),
        "pairs": len(pairs),
        "answerable_pairs": int(has.sum()),
        "candidates": len(y),
        "span_correct_rate": float(y.mean()),
        "auroc_answerable_vs_not": auroc(probs, has.astype(int)),
        "f1_at_threshold": best_f1,
        "f1_answerable_top1_forced": float(np.mean([f for (_, f, h) in top if h])),
    }
    (model_dir / CALIBRATION).write_text(json.dumps({**asdict(cal), "figures": figures}, indent=2))
    log.info("calibration %s; %s", asdict(cal), figures)
    return {**asdict(cal), **figures}


def main(argv: list[str] | None = None) -> None:
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model-dir", default=str(Path(__file__).resolve().parent / "models" / "reader"))
    p.add_argument("--data", default="../shared/data/squad11-train.json")
    p.add_argument("--limit", type=int, default=0)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    print(json.dumps(calibrate(Path(args.model_dir), args.data, args.limit), indent=2))


if __name__ == "__main__":
    main()
