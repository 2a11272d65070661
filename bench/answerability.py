"""Which features beyond the reader's two logits tell an answerable (question, paragraph) pair from one whose
paragraph lacks the answer: the calibration pairs (`qa.offline.calibrate.calibration_pairs`) read once into a
cache, then logistic models on feature sets scored by two-fold cross-validation (split by question), per source.

Usage: python bench/answerability.py [--model-dir DIR] [--backend torch|onnx] [--per-source N] [--cache JSONL]
       [--other-cache JSONL] [--output JSON]
(--other-cache: a second reader's cache of the same pairs, for the agreement features; a cache holds the pairs
it was read with, so --per-source must match it)
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from qa.offline.calibrate import auroc, calibration_pairs, fit_logistic
from qa.offline.mixture import DEFAULT_SOURCES, Source, heldout_questions, sentence_bounds
from qa.offline.squad import f1_score
from qa.question_names import missing_words, question_words
from qa.span_reader import MODEL_DIR, SpanReader, is_search_style


def load_cache(cache: Path) -> list[dict]:
    """The pairs a reader read before (`read_cache`)."""
    return [json.loads(line) for line in cache.read_text().splitlines()]


def read_cache(model_dir: Path, backend: str, per_source: int, cache: Path) -> list[dict]:
    """Every calibration pair with its reader's ten best spans (cached in `cache` as JSON lines)."""
    if cache.exists():
        return load_cache(cache)
    held = {Source.parse(s).name: heldout_questions(Source.parse(s)) for s in DEFAULT_SOURCES}
    pairs = calibration_pairs(held, random.Random(13), per_source)
    preds = SpanReader(model_dir, backend=backend).predict([(q, t) for _, q, t, _, _ in pairs], n_best=10)
    rows = []
    for (src, q, t, gold, kind), found in zip(pairs, preds):
        cands = [[c.start, c.end, c.span_logit, c.null_logit] for c in sorted(found, key=lambda c: -c.margin)]
        rows.append({"source": src, "question": q, "text": t, "gold": list(gold), "kind": kind, "cands": cands})
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def _sentence(text: str, s: int, e: int) -> str:
    for a, b in sentence_bounds(text):
        if a <= s < b:
            return text[a : max(b, e)]
    return text


def features(row: dict, k: int) -> dict[str, float]:
    """The named features of the row's k-th candidate."""
    q, t = row["question"], row["text"]
    s, e, span, null = row["cands"][k]
    others = [c[2] for c in row["cands"] if c[1] <= s or c[0] >= e]  # spans that do not overlap this one
    sent = _sentence(t, s, e)
    want = question_words(q)
    answer_words = question_words(t[s:e])
    other = row.get("other") or []
    agree = max((f1_score(t[s:e], t[o[0] : o[1]]) for o in other[:1]), default=0.0)
    return {
        "agree": agree,
        "other_margin": (other[0][2] - other[0][3]) if other else 0.0,
        "span": span,
        "null": null,
        "search": float(is_search_style(q)),
        "gap": min(6.0, span - max(others)) if others else 6.0,
        "sent_missing": missing_words(q, sent),
        "text_missing": missing_words(q, t),
        "echo": len(answer_words & want) / len(answer_words) if answer_words else 0.0,
        "length": float(np.log1p(len(t[s:e].split()))),
    }


SETS = {
    "logits": ["span", "null"],
    "+gap": ["span", "null", "gap"],
    "+sent": ["span", "null", "sent_missing"],
    "+text": ["span", "null", "text_missing"],
    "+echo+len": ["span", "null", "echo", "length"],
    "+agree": ["span", "null", "agree"],
    "+agree+other": ["span", "null", "agree", "other_margin"],
    "all": ["agree", "other_margin", "span", "null", "gap", "sent_missing", "text_missing", "echo", "length", "search"],
}
AGREEMENT = {"agree", "other_margin"}  # features only a second reader's cache gives


def evaluate(rows: list[dict], names: list[str], max_no_answer: float = 0.08) -> dict:
    """Two-fold cross-validated AUROC and, at the threshold leaving `max_no_answer` of answerable pairs
    unanswered (fitted on the training fold), the share of unanswerable pairs refused, per source."""
    rng = np.random.default_rng(0)
    qs = sorted({r["question"] for r in rows})
    fold = {q: int(f) for q, f in zip(qs, rng.integers(0, 2, len(qs)))}
    out_p = np.zeros(len(rows))
    out_f1 = np.zeros(len(rows))
    thresholds = {}
    for f in (0, 1):
        train = [r for r in rows if fold[r["question"]] != f]
        x = np.array([[feat[n] for n in names] for r in train for feat in r["_f"]])
        y = np.array([float(f1 >= 0.5) for r in train for f1 in r["_f1"]])
        w = fit_logistic(x, y)

        def best(r: dict) -> tuple[float, float]:
            z = [float(np.dot(w[:-1], [feat[n] for n in names]) + w[-1]) for feat in r["_f"]]
            i = int(np.argmax(z)) if z else -1
            return (1 / (1 + np.exp(-z[i])), r["_f1"][i]) if z else (0.0, 0.0)

        tp = np.array([best(r)[0] for r in train if r["gold"]])
        thresholds[f] = float(np.quantile(tp, max_no_answer))
        for i, r in enumerate(rows):
            if fold[r["question"]] == f:
                out_p[i], out_f1[i] = best(r)
    has = np.array([bool(r["gold"]) for r in rows])
    src = np.array([r["source"] for r in rows])
    kinds = np.array([r["kind"] for r in rows])
    thr = np.array([thresholds[fold[r["question"]]] for r in rows])
    res: dict = {"auroc": round(auroc(out_p, has.astype(int)), 4)}
    for n in sorted(set(src.tolist())):
        m = src == n
        res[n] = {
            "auroc": round(auroc(out_p[m], has[m].astype(int)), 4),
            "no_answer": round(float((out_p[m & has] < thr[m & has]).mean()), 3),
            "served_f1": round(float(np.where(out_p[m & has] >= thr[m & has], out_f1[m & has], 0).mean()), 4),
            "refused_cut": round(float((out_p[m & (kinds == "cut")] < thr[m & (kinds == "cut")]).mean()), 3),
            "refused_other": round(float((out_p[m & (kinds == "other")] < thr[m & (kinds == "other")]).mean()), 3),
        }
    return res


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model-dir", default=str(MODEL_DIR))
    p.add_argument("--backend", default="torch")
    p.add_argument("--per-source", type=int, default=300)
    p.add_argument("--cache", default="runs/answerability/pairs.jsonl")
    p.add_argument("--other-cache", default="", help="a second reader's cache of the same pairs (agreement)")
    p.add_argument("--output", default="", help="write the figures here as JSON")
    p.add_argument("--top", type=int, default=3, help="candidates per pair the models choose among")
    args = p.parse_args()
    rows = read_cache(Path(args.model_dir), args.backend, args.per_source, Path(args.cache))
    if args.other_cache and not Path(args.other_cache).exists():
        p.error(f"--other-cache {args.other_cache} does not exist: read the same pairs with the other reader first")
    if args.other_cache:
        other = {(r["question"], r["text"]): r["cands"] for r in load_cache(Path(args.other_cache))}
        for r in rows:
            r["other"] = [c for c in other.get((r["question"], r["text"]), []) if c[1] > c[0]]
    for r in rows:
        r["cands"] = [c for c in r["cands"] if c[1] > c[0]][: args.top]
        r["_f"] = [features(r, k) for k in range(len(r["cands"]))]
        r["_f1"] = [max((f1_score(r["text"][c[0] : c[1]], g) for g in r["gold"]), default=0.0) for c in r["cands"]]
    figures = {"model_dir": args.model_dir, "backend": args.backend, "pairs": len(rows), "other": args.other_cache}
    for name, cols in SETS.items():
        if not args.other_cache:
            cols = [c for c in cols if c not in AGREEMENT]
            if len(cols) == 2 and name != "logits":
                continue  # an agreement set without the second reader is the logits again
        figures[name] = evaluate(rows, cols)
        print(name, json.dumps(figures[name]))
    if args.output:
        Path(args.output).write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
