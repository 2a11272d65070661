"""Where list answers lose items: each gold item of a list file, read as the service reads it, sorted by what
the answer did with it.

Usage: python bench/list_errors.py FILE [--as-list] [--output JSON] [--dump JSONL]
(FILE: SQuAD format, `"multi_span": true`; --dump writes each question's answer kind, items and gold items)

Each question is answered over its own paragraph (reader mode, as `qa eval FILE` scores it). A gold item is
`exact` (an answered item, after SQuAD normalisation), `inside an answer` (an answered item holds it: the span
ran long or a coordination was not split), `holds an answer` (the answered item is part of it: the span was
short), `nothing answered` (the question got no answer at all) or `missed` (answered, but not this item).
Item precision / recall / F1 (as `qa eval` scores them) are given for each kind of answer (list, single,
none), so the loss can be put on routing or on reading; `--as-list` answers every question on the list path,
the bound that perfect routing would reach.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from index.embedder import Embedder
from qa.offline.evaluate import item_scores, paragraph_answerer, prf, response_items
from qa.offline.squad import load_squad, normalize_answer
from qa.pipeline import make_reader
from qa.settings import Settings

CATEGORIES = ("exact", "inside an answer", "holds an answer", "nothing answered", "missed")


def category(gold: str, answered: list[str]) -> str:
    """What the answer (its normalised items `answered`) did with one normalised gold item."""
    if gold in answered:
        return "exact"
    if any(gold in a for a in answered):
        return "inside an answer"
    if any(a and a in gold for a in answered):
        return "holds an answer"
    return "missed" if answered else "nothing answered"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file")
    ap.add_argument("--as-list", action="store_true", help="answer every question on the list path")
    ap.add_argument("--output", type=Path)
    ap.add_argument("--dump", type=Path, help="one JSON line per question: kind, answered items, gold items")
    args = ap.parse_args()
    questions = [q for q in load_squad(args.file) if q.multi_span]
    emb = Embedder()
    reader = make_reader("", emb, Settings.from_env())
    answer = paragraph_answerer(questions, reader, emb, as_list=args.as_list)
    counts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    by_kind: dict[str, list[int]] = {}  # kind -> [true positives, predicted, gold]
    dump = args.dump.open("w") if args.dump else None
    for q in questions:
        resp = answer(q)
        kinds[resp.kind] += 1
        items = response_items(resp)
        tally = by_kind.setdefault(resp.kind, [0, 0, 0])
        for i, n in enumerate(item_scores(items, q.answers)):
            tally[i] += n
        answered = [normalize_answer(a) for a in items]
        if dump:
            row = {"question": q.question, "kind": resp.kind, "items": items, "gold": q.answers}
            dump.write(json.dumps(row, ensure_ascii=False) + "\n")
        for g in dict.fromkeys(normalize_answer(a) for a in q.answers):
            counts[category(g, answered)] += 1
    if dump:
        dump.close()
    total = sum(counts.values())
    out = {
        "file": args.file,
        "questions": len(questions),
        "gold_items": total,
        "items": {c: counts[c] for c in CATEGORIES},
        "answered_as": dict(kinds),
        "as_list": args.as_list,
        "item_prf_by_kind": {k: [round(100 * x, 2) for x in prf(*t)] for k, t in by_kind.items()},
        "item_prf": [round(100 * x, 2) for x in prf(*(sum(t[i] for t in by_kind.values()) for i in range(3)))],
        "threshold": reader.threshold,
    }
    print(f"{args.file}: {len(questions)} questions, {total} gold items; answered as {dict(kinds)}")
    for c in CATEGORIES:
        print(f"  {c:<18} {counts[c]:>4}  {100 * counts[c] / max(1, total):5.1f}%")
    print("  item P / R / F1:", " / ".join(map(str, out["item_prf"])))
    for k, v in out["item_prf_by_kind"].items():
        print(f"    answered as {k:<6} ({kinds[k]} questions): {' / '.join(map(str, v))}")
    if args.output:
        args.output.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
