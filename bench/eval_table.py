"""Print the README's evaluation table (Markdown) from the JSON that `bench/evaluate_all.sh` writes.

Usage: python bench/eval_table.py [bench/eval]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

NAMES = {
    "squad-v1.1-dev": "SQuAD 1.1 dev",
    "heldout-squad11-train": "SQuAD 1.1 train, 12 held-out articles",
    "heldout-tydiqa-goldp-en-train": "TyDi-en, held-out part",
    "heldout-qed-train": "QED (Natural Questions), held-out part",
    "heldout-squadshifts-amazon": "SQuADShifts Amazon, held-out part",
    "heldout-squadshifts-reddit": "SQuADShifts Reddit, held-out part",
    "squad-v2.0-dev-2articles-smoke": "SQuAD 2.0 dev sample (2 articles)",
}


def _results(path: Path) -> list[dict]:
    d = json.loads(path.read_text())
    return d["results"] if "results" in d else [d]


def _name(r: dict) -> str:
    stem = Path(r["file"]).stem
    return NAMES.get(stem, stem)


def _row(r: dict) -> str:
    s = r["served"]
    other = []
    if "recall@5" in r:
        other.append(f"recall@1/5/20 {r['recall@1']}/{r['recall@5']}/{r['recall@20']} over {r['documents']:,} docs")
    if "NoAns_total" in s:
        other.append(f"HasAns F1 {s['HasAns_f1']}, NoAns accuracy {s['NoAns_exact']}")
    mode = r["mode"] + (" (sentence baseline)" if r.get("reader") == "SentenceReader" else "")
    return (
        f"| {_name(r)} | {mode} | {r['total']:,} | {r['exact']} / **{r['f1']}** | {s['exact']} / **{s['f1']}** "
        f"| {s['no_answer_rate']} | {'; '.join(other)} |"
    )


def main() -> None:
    """Print the table rows for every reader and open-mode result, then the off-topic ones."""
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/eval")
    print("| data | mode | questions | forced EM / F1 | served EM / F1 | no-answer rate (answerable) | other |")
    print("|---|---|---|---|---|---|---|")
    offtopic: list[dict] = []
    rows: list[dict] = []
    for f in sorted(folder.glob("*.json")):
        if f.name.startswith("lists"):
            continue
        for r in _results(f):
            if r.get("mode") == "off-topic":
                offtopic.append(r)
            elif "served" in r:
                rows.append(r)
    order = list(NAMES.values())
    rows.sort(key=lambda r: (r["mode"] != "reader", order.index(_name(r)) if _name(r) in order else 99))
    for r in rows:
        print(_row(r))
    if offtopic:
        print()
        print('| off-topic questions (answers not in the corpus) | corpus | questions | answered "no answer" |')
        print("|---|---|---|---|")
        for r in offtopic:
            print(f"| {_name(r)} | {Path(r['corpus']).name} | {r['total']:,} | {r['served']['abstain_rate']}% |")


if __name__ == "__main__":
    main()
