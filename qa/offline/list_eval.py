"""Evaluation of list answers: precision, recall and F1 of the answered item set against gold item lists.

A gold file is JSON (paths are relative to the file):

    {
      "documents": ["articles/a.txt", "articles/b.txt"],      # indexed together before asking
      "cases": [
        {"question": "Which cities are bidding to host ...?",
         "items": ["Madrid", "Porto"],                          # gold answers (affirmed or conditional)
         "not_items": ["Helsinki"],                             # named in the text, must not be answers
         "stances": {"Porto": "conditional"},                   # optional gold stances
         "single": true}                                        # optional: must NOT be answered as a list
      ]
    }

Names match after normalisation and alias folding ("UK" = "United Kingdom"), so gold files need not spell
items as the service does. Figures: per-case P/R/F1, micro-averaged P/R/F1 over all items, how many
`not_items` were wrongly answered, stance accuracy over items with a gold stance, and list-detection accuracy.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from qa.lists.aliases import load_aliases, normalise


def _key(name: str) -> str:
    return load_aliases().canonical(name, want_countries=False) or normalise(name)


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else (1.0 if n_gold == 0 else 0.0)
    r = tp / n_gold if n_gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate_lists(
    path: str | Path, index_dir: str | Path | None = None, reader: str = "", quiet: bool = False
) -> dict:
    """Index the file's documents (into `index_dir`, or a temporary folder), ask every case, score the items."""
    from index.backends import open_store
    from index.documents import load_documents
    from index.embedder import Embedder
    from qa.pipeline import QAPipeline
    from qa.settings import Settings

    path = Path(path)
    spec = json.loads(path.read_text(encoding="utf-8"))
    docs = load_documents([path.parent / d for d in spec.get("documents", [])])
    with tempfile.TemporaryDirectory(prefix="qa-list-eval-") as tmp:
        directory = Path(index_dir) if index_dir else Path(tmp) / "index"
        embedder = Embedder()
        store = open_store(directory, embedder)
        store.add(docs)
        store.close()
        pipe = QAPipeline.open(Settings.from_env().with_(index_dir=directory), embedder=embedder, reader=reader)
        rows: list[dict[str, Any]] = []
        for case in spec["cases"]:
            resp = pipe.ask(case["question"])
            got = {_key(it.name): it for it in resp.items}
            if case.get("single"):
                rows.append({"question": case["question"], "detected_ok": resp.kind != "list", "single": True})
                continue
            gold = {_key(n) for n in case.get("items", [])}
            bad = {_key(n) for n in case.get("not_items", [])}
            tp = len(gold & set(got))
            p, r, f = _prf(tp, len(got), len(gold))
            stances = {_key(k): v for k, v in case.get("stances", {}).items()}
            st_ok = sum(1 for k, v in stances.items() if k in got and got[k].stance == v)
            rows.append({
                "question": case["question"], "kind": resp.kind, "detected_ok": resp.kind == "list",
                "tp": tp, "predicted": len(got), "gold": len(gold), "precision": p, "recall": r, "f1": f,
                "wrongly_answered": sorted(bad & set(got)), "missed": sorted(gold - set(got)),
                "extra": sorted(set(got) - gold), "stance_correct": st_ok,
                "stance_total": sum(1 for k in stances if k in got),
            })  # fmt: skip
    scored = [r for r in rows if not r.get("single")]
    tp = sum(r["tp"] for r in scored)
    p, r, f = _prf(tp, sum(r["predicted"] for r in scored), sum(r["gold"] for r in scored))
    st_total = sum(r["stance_total"] for r in scored)
    summary = {
        "file": str(path),
        "cases": len(rows),
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f, 4),
        "macro_f1": round(sum(x["f1"] for x in scored) / len(scored), 4) if scored else 0.0,
        "wrongly_answered": sum(len(x["wrongly_answered"]) for x in scored),
        "stance_accuracy": round(sum(x["stance_correct"] for x in scored) / st_total, 4) if st_total else None,
        "detection_accuracy": round(sum(1 for x in rows if x["detected_ok"]) / len(rows), 4) if rows else 0.0,
        "rows": rows,
    }
    if not quiet:
        print(format_table(summary))
    return summary


def format_table(summary: dict) -> str:
    """The figures as a plain-text table, one line per case and a total."""
    lines = [f"{'question':58} {'P':>5} {'R':>5} {'F1':>5}  notes"]
    for r in summary["rows"]:
        q = r["question"] if len(r["question"]) <= 58 else r["question"][:55] + "..."
        if r.get("single"):
            lines.append(
                f"{q:58} {'':>5} {'':>5} {'':>5}  single question {'ok' if r['detected_ok'] else 'WRONGLY a list'}"
            )
            continue
        notes = []
        if r["missed"]:
            notes.append("missed " + ", ".join(r["missed"]))
        if r["extra"]:
            notes.append("extra " + ", ".join(r["extra"]))
        if r["wrongly_answered"]:
            notes.append("WRONG " + ", ".join(r["wrongly_answered"]))
        lines.append(f"{q:58} {r['precision']:5.2f} {r['recall']:5.2f} {r['f1']:5.2f}  {'; '.join(notes)}")
    s = summary
    lines.append(
        f"{'micro-average':58} {s['precision']:5.2f} {s['recall']:5.2f} {s['f1']:5.2f}  macro F1 {s['macro_f1']:.2f}; "
        f"wrongly answered {s['wrongly_answered']}; stance accuracy {s['stance_accuracy']}; "
        f"detection accuracy {s['detection_accuracy']}"
    )
    return "\n".join(lines)


def run_list_eval_cli(args) -> int:
    """`qa eval --lists FILE`: print the table; with `--output`, also write the figures as JSON."""
    summary = evaluate_lists(args.lists, reader=getattr(args, "reader", "") or "")
    if getattr(args, "output", None):
        Path(args.output).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return 0
