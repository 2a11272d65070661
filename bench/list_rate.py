"""How often single-answer questions come back as lists (the false-list rate), each read with its gold paragraph.

Usage: python bench/list_rate.py FILE [FILE ...] [--n N] [--seed S] [--output JSON]
(a seeded sample of N questions of each SQuAD-format file; default 600, seed 1: another seed draws a fresh
sample to check that a routing rule found on one sample holds on others).

For each file: the share answered as a list; the share of those whose gold answer itself coordinates several
things ("wheat and barley": a list of two is then the same answer); the false-list rate proper (a list where
every gold answer is one thing), and how many of those false lists still name a gold answer among their
items (the paragraph gives several answers, the gold picks one: "Who created differential equations?" ->
Newton, Leibniz); and the share routed to the list path by the question's form alone.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
from pathlib import Path

from index.backends import open_store
from index.documents import Document
from index.embedder import Embedder
from qa.lists.question import analyse_question
from qa.offline.squad import load_squad, normalize_answer
from qa.pipeline import QAPipeline, make_reader
from qa.retriever import Retrieved
from qa.settings import Settings

_COORDINATED = re.compile(r"(?:^|[\s,])(?:and|or|&)\s|,.*,", re.I)


def gold_is_several(answers: tuple[str, ...] | list[str]) -> bool:
    """True when a gold answer itself names several things ("wheat and barley", "A, B, C")."""
    return any(_COORDINATED.search(a) for a in answers)


def names_gold(items: list[str], answers: tuple[str, ...] | list[str]) -> bool:
    """True when an item is a gold answer, or one contains the other, after SQuAD normalisation."""
    golds = [normalize_answer(a) for a in answers]
    for item in (normalize_answer(i) for i in items):
        if item and any(g and (item == g or item in g or g in item) for g in golds):
            return True
    return False


def rate(path: str, n: int, emb: Embedder, settings: Settings, seed: int = 1) -> dict:
    """The figures of one file (a sample of `n` questions drawn with `seed`)."""
    qs = load_squad(path)
    qs = random.Random(seed).sample(qs, min(n, len(qs)))
    store = open_store(tempfile.mkdtemp(prefix="qa-list-rate-"), emb)
    docs = {q.context: Document(text=q.context, title=q.title) for q in qs}
    store.add(list(docs.values()))
    reader = make_reader("", emb, settings)
    reader.warm_up()
    pipe = QAPipeline(store, emb, reader)
    lists = several = with_gold = by_form = 0
    examples = []
    for q in qs:
        hits = [Retrieved(p, 1.0, title=q.title) for p in store.document_passages(docs[q.context].id)]
        resp = pipe.answer_passages(q.question, 5, hits=hits)
        by_form += analyse_question(q.question).is_list
        if resp.kind == "list":
            lists += 1
            names = [i.name for i in resp.items]
            if gold_is_several(q.answers):
                several += 1
                continue
            with_gold += names_gold(names, q.answers)
            if len(examples) < 8:
                examples.append([q.question, names, q.answers[0]])
    store.close()
    total = max(1, len(qs))
    return {
        "file": path,
        "questions": len(qs),
        "answered_as_list": round(100 * lists / total, 2),
        "gold_names_several": several,
        "false_list_rate": round(100 * (lists - several) / total, 2),
        "false_lists_naming_gold": with_gold,
        "routed_by_form": round(100 * by_form / total, 2),
        "examples": examples,
    }


def main() -> None:
    """Answer each sampled question over its own paragraph, as `POST /ask` routes it, and count the lists."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--output", type=Path)
    args = ap.parse_args()
    emb = Embedder()
    settings = Settings.from_env()
    results = []
    for path in args.files:
        r = rate(path, args.n, emb, settings, args.seed)
        results.append(r)
        print(
            f"{path}: {r['questions']} questions; answered as a list {r['answered_as_list']:.2f}% "
            f"({r['gold_names_several']} with a gold answer naming several); false lists {r['false_list_rate']:.2f}% "
            f"({r['false_lists_naming_gold']} of them naming a gold answer); "
            f"routed by form {r['routed_by_form']:.2f}%"
        )
        for e in r["examples"]:
            print("  ", e)
    if args.output:
        args.output.write_text(json.dumps({"n": args.n, "seed": args.seed, "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
