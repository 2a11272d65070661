"""Calibrate the span reader's scores on held-out data from every domain of the training mixture.

Each held-out question (never trained on) is read with its own paragraph, and with a paragraph that does not
hold its answer: its own paragraph minus the answer's sentence (on topic, answer gone), or a paragraph of
another article or another source (off topic). A logistic model of (span logit, no-answer logit) -> "the span
is right" (F1 >= 0.5) turns raw logits into probabilities that compare across windows, passages, questions
and domains; each source weighs the same in the fit, so no one domain sets the scale. The threshold is the
lowest one whose F1 over that mixture (abstaining is right where the answer is missing) the data cannot tell
from the best (`choose_threshold`), capped where more than a tenth of the answerable pairs would go unanswered.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from qa.offline.calibrate_retrieval import calibrate_retrieval
from qa.offline.mixture import DEFAULT_SOURCES, Source, heldout_questions, without_answer_sentence
from qa.offline.perturb import names_of, perturb
from qa.offline.squad import SquadQuestion, f1_score, normalize_answer
from qa.span_reader import MODEL_DIR, Calibration, SpanReader, calibration_file, is_search_style

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


_PERTURB_SEED = 29  # the perturbed pairs' own generator: drawing them leaves `rng`'s stream as it was


def calibration_pairs(
    held: dict[str, list[SquadQuestion]], rng: random.Random, per_source: int = 0, perturbed: float = 0.0
) -> list[tuple[str, str, str, tuple[str, ...], str]]:
    """(source, question, text, gold answers, kind) pairs: each question with its paragraph and one without
    its answer (`cut`: the answer's sentence removed; `other`: another article's or source's paragraph); with
    `perturbed`, that share of the questions also comes changed in one thing with its own paragraph
    (`perturbed`, as SQuAD 2.0's writers changed theirs: `qa.offline.perturb`), drawn from a generator of its
    own so the other pairs stay the same."""
    pool = [(name, q.context) for name, qs in held.items() for q in qs]
    prng = random.Random(_PERTURB_SEED) if perturbed > 0 else None
    pairs: list[tuple[str, str, str, tuple[str, ...], str]] = []
    for name, qs in held.items():
        if per_source and len(qs) > per_source:
            qs = rng.sample(qs, per_source)
        names = names_of(list(dict.fromkeys(q.context for q in qs))) if prng is not None else []
        for q in qs:
            if prng is not None and q.answers and prng.random() < perturbed:
                changed = perturb(q.question, q.context, names, prng)
                if changed is not None:
                    pairs.append((name, changed, q.context, (), "perturbed"))
            pairs.append((name, q.question, q.context, q.answers, "own"))
            golds = q.normalized_answers
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


@dataclass
class _Pairs:
    """Every calibration pair's candidates (features, F1 against the gold) and what the pair is."""

    cands: list[list[tuple[list[float], float]]]
    source: np.ndarray
    answerable: np.ndarray
    kind: np.ndarray


def _read_pairs(reader: SpanReader, pairs: list) -> _Pairs:
    preds = reader.predict([(q, t) for _, q, t, _, _ in pairs], n_best=3)
    cands = []
    for (_, question, text, gold, _), found in zip(pairs, preds):
        search = float(is_search_style(question))
        mine = []
        for c in sorted(found, key=lambda c: -c.margin)[:3]:
            f1 = max((f1_score(text[c.start : c.end], g) for g in gold), default=0.0)
            mine.append(([c.span_logit, c.null_logit, search], f1))
        cands.append(mine)
    return _Pairs(
        cands,
        np.array([p[0] for p in pairs]),
        np.array([bool(p[3]) for p in pairs]),
        np.array([p[4] for p in pairs]),
    )


THRESHOLDS = np.linspace(0.05, 0.95, 91)


MAX_NO_ANSWER = 0.10


def choose_threshold(
    probs: np.ndarray,
    f1s: np.ndarray,
    answerable: np.ndarray,
    source: np.ndarray,
    resamples: int = 300,
    max_no_answer: float | None = MAX_NO_ANSWER,
) -> tuple[float, float, float]:
    """(threshold, its balanced F1, the threshold of the best balanced F1): the lowest threshold whose
    balanced F1 is within one standard error of the best one's (the one-standard-error rule), and no higher
    than the highest that leaves at most `max_no_answer` of the answerable pairs unanswered (the sources'
    mean; None: no cap), the promise to users being that a question whose paragraph holds the answer gets one.

    Balanced F1 is the sources' mean of served F1 on answerable pairs and abstentions on the others. Near its
    top it is flat: thresholds from about 0.3 to 0.45 score within a few tenths of a point, the best one moves
    across that range from one bootstrap resample of the pairs to the next, and the answerable questions left
    unanswered go from 12% to 21%. So the threshold is the lowest that the data cannot tell from the best,
    the standard error being that of its difference to the best over `resamples` bootstrap resamples (within
    each source, seeded): where the evidence is even, the service answers."""
    names = sorted(set(source.tolist()))
    per_t = np.where(answerable, np.where(probs >= THRESHOLDS[:, None], f1s, 0.0), probs < THRESHOLDS[:, None])
    rows = [np.flatnonzero(source == n) for n in names]

    def curve(picks: list[np.ndarray]) -> np.ndarray:  # sources weigh the same here too
        return np.mean([per_t[:, idx].mean(axis=1) for idx in picks], axis=0)

    score = curve(rows)
    top = int(score.argmax())
    rng = np.random.default_rng(0)
    boots = np.array([curve([rng.choice(idx, len(idx)) for idx in rows]) for _ in range(resamples)])
    se = (boots - boots[:, [top]]).std(axis=0)
    chosen = int(np.flatnonzero(score >= score[top] - se)[0])
    if max_no_answer is not None:  # thresholds rise along the grid, and so does the share left unanswered
        asked = [idx[answerable[idx]] for idx in rows if answerable[idx].any()]
        unanswered = np.mean([(probs[idx] < THRESHOLDS[:, None]).mean(axis=1) for idx in asked], axis=0)
        within = np.flatnonzero(unanswered <= max_no_answer) if asked else np.arange(len(THRESHOLDS))
        chosen = min(chosen, int(within[-1]) if len(within) else 0)
    return float(THRESHOLDS[chosen]), float(score[chosen]), float(THRESHOLDS[top])


def _fit(data: _Pairs, n_features: int, max_no_answer: float | None = MAX_NO_ANSWER) -> tuple[Calibration, dict]:
    """Fit a calibration on the first `n_features` features (2: logits; 3: and search style), choose its
    threshold, and measure it on the same pairs."""
    x = np.array([f[:n_features] for mine in data.cands for f, _ in mine])
    y = np.array([float(f1 >= 0.5) for mine in data.cands for _, f1 in mine])
    groups = np.array([src for mine, src in zip(data.cands, data.source) for _ in mine])
    counts = {g: int((groups == g).sum()) for g in set(groups.tolist())}
    sw = np.array([len(x) / (len(counts) * counts[g]) for g in groups])  # every source weighs the same
    w = fit_logistic(x, y, sw)
    probs_l, f1_l = [], []
    for mine in data.cands:  # the answer the service would give: the most probable candidate
        scored = [
            (float(1 / (1 + np.exp(-np.clip(np.dot(w[:-1], f[:n_features]) + w[-1], -60, 60)))), f1) for f, f1 in mine
        ]
        best = max(scored, default=(0.0, 0.0))
        probs_l.append(best[0])
        f1_l.append(best[1])
    probs, f1s, has, names = np.array(probs_l), np.array(f1_l), data.answerable, data.source
    best_t, best_score, top_t = choose_threshold(probs, f1s, has, names, max_no_answer=max_no_answer)
    cal = Calibration(
        w_span=float(w[0]), w_null=float(w[1]), bias=float(w[-1]), threshold=round(best_t, 3),
        w_search=float(w[2]) if n_features > 2 else 0.0,
    )  # fmt: skip
    per_source = {}
    for n in sorted(counts):
        m = names == n
        per_source[n] = {
            "answerable_pairs": int((m & has).sum()),
            "unanswerable_pairs": int((m & ~has).sum()),
            "auroc": round(auroc(probs[m], has[m].astype(int)), 4),
            "served_f1_answerable": round(float(np.where(probs[m & has] >= best_t, f1s[m & has], 0).mean()), 4),
            "no_answer_rate": round(float((probs[m & has] < best_t).mean()), 4),
            "abstain_rate_unanswerable": round(float((probs[m & ~has] < best_t).mean()), 4),
        }
    kinds = data.kind
    figures = {
        "features": ["span_logit", "null_logit", "search_style"][:n_features],
        "pairs": len(data.cands),
        "answerable_pairs": int(has.sum()),
        "candidates": len(y),
        "span_correct_rate": float(y.mean()),
        "auroc_answerable_vs_not": auroc(probs, has.astype(int)),
        "abstain_rate_cut": float((probs[kinds == "cut"] < best_t).mean()) if (kinds == "cut").any() else None,
        "abstain_rate_other": float((probs[kinds == "other"] < best_t).mean()) if (kinds == "other").any() else None,
        "abstain_rate_perturbed": (
            float((probs[kinds == "perturbed"] < best_t).mean()) if (kinds == "perturbed").any() else None
        ),
        "f1_at_threshold": best_score,
        "threshold_of_best_f1": top_t,
        "f1_answerable_top1_forced": float(f1s[has].mean()),
        "per_source": per_source,
    }
    return cal, figures


def calibrate(
    model_dir: Path,
    sources: list[str] | tuple[str, ...] = DEFAULT_SOURCES,
    per_source: int = 0,
    seed: int = 13,
    backend: str = "torch",
    retrieval: bool = True,
    perturbed: float = 0.0,
    max_no_answer: float | None = MAX_NO_ANSWER,
    journal: Path | None = None,
) -> dict:
    """Fit and write the calibration of `backend` (`calibration.json`, or `calibration-onnx.json` for the int8
    ONNX logits) into `model_dir`; returns the figures it measured.

    Two models are fitted on the same pairs, on the logits alone and with the search-style flag; the flag
    is kept only when it raises the balanced F1 at the chosen threshold. With `retrieval`, the adjustment
    for a retrieved passage's cosine is fitted next (`qa.offline.calibrate_retrieval`, the longer part: over an
    hour for MPNet on two cores; `journal` keeps its reads so a stopped run resumes).
    `perturbed`: the share of questions that also come changed as negatives (`calibration_pairs`);
    `max_no_answer`: the cap on the answerable pairs left unanswered (`choose_threshold`).
    """
    rng = random.Random(seed)
    held = {Source.parse(s).name: heldout_questions(Source.parse(s)) for s in sources}
    data = _read_pairs(SpanReader(model_dir, backend=backend), calibration_pairs(held, rng, per_source, perturbed))
    plain, plain_fig = _fit(data, 2, max_no_answer)
    styled, styled_fig = _fit(data, 3, max_no_answer)
    cal, figures = (
        (styled, styled_fig) if styled_fig["f1_at_threshold"] > plain_fig["f1_at_threshold"] else (plain, plain_fig)
    )
    figures = {"sources": list(sources), "perturbed": perturbed, "max_no_answer": max_no_answer, **figures,
               "f1_at_threshold_logits_only": plain_fig["f1_at_threshold"],
               "f1_at_threshold_with_search_style": styled_fig["f1_at_threshold"]}  # fmt: skip
    (model_dir / calibration_file(backend)).write_text(json.dumps({**asdict(cal), "figures": figures}, indent=2))
    log.info("calibration %s; %s", asdict(cal), json.dumps(figures, indent=1))
    out = {**asdict(cal), **figures}
    if retrieval:
        out["retrieval"] = calibrate_retrieval(model_dir, sources, backend=backend, journal=journal)
        out.update({k: out["retrieval"][k] for k in ("w_dense", "dense_center", "w_names", "w_words", "words_center")})
    return out


def main(argv: list[str] | None = None) -> None:
    """`python -m qa.offline.calibrate [--model-dir DIR] [--sources ...] [--per-source N]`."""
    import argparse

    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model-dir", default=str(MODEL_DIR), help="default: the shipped reader")
    p.add_argument("--sources", default=",".join(DEFAULT_SOURCES))
    p.add_argument("--per-source", type=int, default=0, help="at most N held-out questions per source (0: all)")
    p.add_argument("--backend", choices=("torch", "onnx"), default="torch", help="whose logits to calibrate")
    p.add_argument("--no-retrieval", action="store_true", help="skip the retrieved-passage adjustment")
    p.add_argument(
        "--neg-perturbed", type=float, default=0.0, help="share of questions also asked changed, as negatives"
    )
    p.add_argument(
        "--max-no-answer",
        type=float,
        default=MAX_NO_ANSWER,
        help=f"cap on the answerable pairs left unanswered, the sources' mean (default {MAX_NO_ANSWER}; 1: no cap)",
    )
    p.add_argument("--journal", default="", help="keep the retrieval phase's reads here; a rerun resumes from it")
    args = p.parse_args(argv)
    if not 0.0 <= args.max_no_answer <= 1.0:
        p.error(f"--max-no-answer must be between 0 and 1, not {args.max_no_answer}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    sources = [s for s in args.sources.split(",") if s.strip()]
    figures = calibrate(
        Path(args.model_dir),
        sources,
        args.per_source,
        backend=args.backend,
        retrieval=not args.no_retrieval,
        perturbed=args.neg_perturbed,
        max_no_answer=args.max_no_answer,
        journal=Path(args.journal) if args.journal else None,
    )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
