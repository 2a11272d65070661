"""Calibrate the span reader's scores on held-out data from every domain of the training mixture.

Each held-out question (never trained on) is read with its own paragraph, and with a paragraph that does not
hold its answer: its own paragraph minus the answer's sentence (on topic, answer gone), or a paragraph of
another article or another source (off topic). A logistic model of (span logit, no-answer logit) -> "the span
is right" (F1 >= 0.5) turns raw logits into probabilities that compare across windows, passages, questions
and domains; each source weighs the same in the fit, so no one domain sets the scale. The threshold is the
one that maximises F1 over that mixture (abstaining is right where the answer is missing).
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import asdict
from pathlib import Path

import numpy as np

from qa.offline.mixture import DEFAULT_SOURCES, Source, heldout_questions, without_answer_sentence
from qa.offline.squad import SquadQuestion, f1_score, normalize_answer
from qa.span_reader import CALIBRATION, Calibration, SpanReader

log = logging.getLogger("qa.offline.calibrate")


def fit_logistic(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None, l2: float = 1e-3, iters: int = 50
) -> np.ndarray:
    """Weights (…, bias) of a (sample-weighted) logistic regression fitted by Newton's method, small L2 penalty."""
    X = np.hstack([x, np.ones((len(x), 1))])
    sw = np.ones(len(x)) if weights is None else weights
    w = np.zeros(X.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-np.clip(X @ w, -60, 60)))
        grad = X.T @ (sw * (p - y)) + l2 * w
        hess = (X * (sw * p * (1 - p))[:, None]).T @ X + l2 * np.eye(len(w))
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


def calibration_pairs(
    held: dict[str, list[SquadQuestion]], rng: random.Random, per_source: int = 0
) -> list[tuple[str, str, str, tuple[str, ...], str]]:
    """(source, question, text, gold answers, kind) pairs: each question with its paragraph and one without
    its answer (`cut`: the answer's sentence removed; `other`: another article's or source's paragraph)."""
    pool = [(name, q.context) for name, qs in held.items() for q in qs]
    pairs = []
    for name, qs in held.items():
        if per_source and len(qs) > per_source:
            qs = rng.sample(qs, per_source)
        for q in qs:
            pairs.append((name, q.question, q.context, q.answers, "own"))
            golds = [g for g in (normalize_answer(a) for a in q.answers) if g]
            neg = None
            if rng.random() < 0.5 and q.answers:
                neg = without_answer_sentence(q.context, q.answer_starts[0], len(q.answers[0]))
                kind = "cut"
            if neg is None or any(g in normalize_answer(neg) for g in golds):
                for _ in range(20):
                    _, ctx = rng.choice(pool)
                    if ctx != q.context and not any(g in normalize_answer(ctx) for g in golds):
                        neg, kind = ctx, "other"
                        break
                else:
                    neg = None
            if neg is not None:
                pairs.append((name, q.question, neg, (), kind))
    return pairs


def calibrate(
    model_dir: Path,
    sources: list[str] | tuple[str, ...] = DEFAULT_SOURCES,
    per_source: int = 0,
    seed: int = 13,
) -> dict:
    """Fit and write `calibration.json` into `model_dir`; returns the figures it measured."""
    rng = random.Random(seed)
    held = {Source.parse(s).name: heldout_questions(Source.parse(s)) for s in sources}
    pairs = calibration_pairs(held, rng, per_source)
    reader = SpanReader(model_dir)
    preds = reader.predict([(q, t) for _, q, t, _, _ in pairs], n_best=3)
    feats, labels, groups = [], [], []
    per_pair: list[list[tuple[list[float], float]]] = []  # each pair's candidates: (features, F1)
    for (name, _, text, gold, _), cands in zip(pairs, preds):
        mine = []
        for c in sorted(cands, key=lambda c: -c.margin)[:3]:
            f1 = max((f1_score(text[c.start : c.end], g) for g in gold), default=0.0)
            feats.append([c.span_logit, c.null_logit])
            labels.append(float(f1 >= 0.5))
            groups.append(name)
            mine.append(([c.span_logit, c.null_logit], f1))
        per_pair.append(mine)
    x, y = np.array(feats), np.array(labels)
    counts = {g: groups.count(g) for g in set(groups)}
    sw = np.array([len(x) / (len(counts) * counts[g]) for g in groups])  # every source weighs the same
    w = fit_logistic(x, y, sw)
    cal = Calibration(w_span=float(w[0]), w_null=float(w[1]), bias=float(w[2]))

    def prob(f: list[float]) -> float:
        return float(1 / (1 + np.exp(-np.clip(w[0] * f[0] + w[1] * f[1] + w[2], -60, 60))))

    probs_l, f1_l = [], []
    for mine in per_pair:  # the answer the service would give: the most probable candidate
        best = max(mine, key=lambda m: prob(m[0]), default=None)
        probs_l.append(prob(best[0]) if best else 0.0)
        f1_l.append(best[1] if best else 0.0)
    probs, f1s = np.array(probs_l), np.array(f1_l)
    has = np.array([bool(p[3]) for p in pairs])
    names = np.array([p[0] for p in pairs])
    kinds = np.array([p[4] for p in pairs])
    best_t, best_f1 = 0.5, -1.0
    for t in np.linspace(0.05, 0.95, 91):
        per = np.where(has, np.where(probs >= t, f1s, 0.0), (probs < t).astype(float))
        score = np.mean([per[names == n].mean() for n in counts])  # sources weigh the same here too
        if score > best_f1:
            best_f1, best_t = float(score), float(t)
    cal = Calibration(cal.w_span, cal.w_null, cal.bias, round(best_t, 3))
    per_source_figures = {}
    for n in sorted(counts):
        m = names == n
        per_source_figures[n] = {
            "answerable_pairs": int((m & has).sum()),
            "unanswerable_pairs": int((m & ~has).sum()),
            "auroc": round(auroc(probs[m], has[m].astype(int)), 4),
            "served_f1_answerable": round(float(np.where(probs[m & has] >= best_t, f1s[m & has], 0).mean()), 4),
            "no_answer_rate": round(float((probs[m & has] < best_t).mean()), 4),
            "abstain_rate_unanswerable": round(float((probs[m & ~has] < best_t).mean()), 4),
        }
    figures = {
        "sources": list(sources),
        "pairs": len(pairs),
        "answerable_pairs": int(has.sum()),
        "candidates": len(y),
        "span_correct_rate": float(y.mean()),
        "auroc_answerable_vs_not": auroc(probs, has.astype(int)),
        "abstain_rate_cut": float((probs[kinds == "cut"] < best_t).mean()) if (kinds == "cut").any() else None,
        "abstain_rate_other": float((probs[kinds == "other"] < best_t).mean()) if (kinds == "other").any() else None,
        "f1_at_threshold": best_f1,
        "f1_answerable_top1_forced": float(f1s[has].mean()),
        "per_source": per_source_figures,
    }
    (model_dir / CALIBRATION).write_text(json.dumps({**asdict(cal), "figures": figures}, indent=2))
    log.info("calibration %s; %s", asdict(cal), json.dumps(figures, indent=1))
    return {**asdict(cal), **figures}


def main(argv: list[str] | None = None) -> None:
    """`python -m qa.offline.calibrate [--model-dir DIR] [--sources ...] [--per-source N]`."""
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model-dir", default=str(Path(__file__).resolve().parent / "models" / "reader"))
    p.add_argument("--sources", default=",".join(DEFAULT_SOURCES))
    p.add_argument("--per-source", type=int, default=0, help="at most N held-out questions per source (0: all)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    sources = [s for s in args.sources.split(",") if s.strip()]
    print(json.dumps(calibrate(Path(args.model_dir), sources, args.per_source), indent=2))


if __name__ == "__main__":
    main()
