"""Print the README's evaluation table (Markdown) from the JSON that `bench/evaluate_all.sh` writes.

Usage: python bench/eval_table.py [bench/eval] [--before DIR]

`--before DIR`: a folder of the same JSON from earlier weights (e.g. `git archive` of an earlier commit's
bench/eval); each row then says what those gave on the same questions.
"""

from __future__ import annotations

import argparse
import json
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


def _key(r: dict) -> tuple:
    return (Path(r["file"]).name, r["mode"], r.get("reader"), r["total"], Path(r.get("corpus") or "").name)


def _row(r: dict, before: dict | None = None) -> str:
    s = r["served"]
    other = []
    if "recall@5" in r:
        other.append(f"recall@1/5/20 {r['recall@1']}/{r['recall@5']}/{r['recall@20']} over {r['documents']:,} docs")
    if "NoAns_total" in s:
        other.append(f"HasAns F1 {s['HasAns_f1']}, NoAns accuracy {s['NoAns_exact']}")
    if before:
        b = before["served"]
        was = f"before: forced F1 {before['f1']}, served F1 {b['f1']}, no answer {b['no_answer_rate']}%"
        if "NoAns_total" in b:
            was += f", HasAns F1 {b['HasAns_f1']}, NoAns {b['NoAns_exact']}"
        other.append(was)
    mode = r["mode"] + (" (sentence baseline)" if r.get("reader") == "SentenceReader" else "")
    return (
        f"| {_name(r)} | {mode} | {r['total']:,} | {r['exact']} / **{r['f1']}** | {s['exact']} / **{s['f1']}** "
        f"| {s['no_answer_rate']} | {'; '.join(other)} |"
    )


def _read(folder: Path) -> tuple[list[dict], list[dict]]:
    """(reader and open-mode results, off-topic results) of every JSON in `folder`."""
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
    return rows, offtopic


def main() -> None:
    """Print the table rows for every reader and open-mode result, then the off-topic ones."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", nargs="?", default="bench/eval")
    p.add_argument("--before", help="a folder of earlier weights' JSON to compare each row with")
    args = p.parse_args()
    rows, offtopic = _read(Path(args.folder))
    old_rows, old_offtopic = _read(Path(args.before)) if args.before else ([], [])
    before = {_key(r): r for r in old_rows + old_offtopic}
    print("| data | mode | questions | forced EM / F1 | served EM / F1 | no-answer rate (answerable) | other |")
    print("|---|---|---|---|---|---|---|")
    order = list(NAMES.values())
    rows.sort(key=lambda r: (r["mode"] != "reader", order.index(_name(r)) if _name(r) in order else 99))
    for r in rows:
        print(_row(r, before.get(_key(r))))
    if offtopic:
        print()
        print('| off-topic questions (answers not in the corpus) | corpus | questions | answered "no answer" |')
        print("|---|---|---|---|")
        for r in offtopic:
            was = before.get(_key(r))
            note = f" (before: {was['served']['abstain_rate']}%)" if was else ""
            print(f"| {_name(r)} | {Path(r['corpus']).name} | {r['total']:,} | {r['served']['abstain_rate']}%{note} |")


if __name__ == "__main__":
    main()
