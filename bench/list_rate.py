"""How often single-answer questions come back as lists (the false-list rate), each read with its gold paragraph.

Usage: python bench/list_rate.py FILE [N]   (a seeded sample of N questions of a SQuAD-format file; default 600)
Prints the share answered as a list, the share routed to the list path by the question's form, and examples.
"""

from __future__ import annotations

import random
import sys
import tempfile

from index.backends import open_store
from index.documents import Document
from index.embedder import Embedder
from qa.lists.question import analyse_question
from qa.offline.squad import load_squad
from qa.pipeline import QAPipeline, make_reader
from qa.retriever import Retrieved
from qa.settings import Settings


def main() -> None:
    """Answer each sampled question over its own paragraph, as `POST /ask` routes it, and count the lists."""
    path, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 600
    qs = load_squad(path)
    qs = random.Random(1).sample(qs, min(n, len(qs)))
    emb = Embedder()
    store = open_store(tempfile.mkdtemp(prefix="qa-list-rate-"), emb)
    docs = {q.context: Document(text=q.context, title=q.title) for q in qs}
    store.add(list(docs.values()))
    reader = make_reader("", emb, Settings.from_env())
    reader.warm_up()
    pipe = QAPipeline(store, emb, reader)
    lists, by_form, examples = 0, 0, []
    for q in qs:
        hits = [Retrieved(p, 1.0, title=q.title) for p in store.document_passages(docs[q.context].id)]
        resp = pipe.answer_passages(q.question, 5, hits=hits)
        by_form += analyse_question(q.question).is_list
        if resp.kind == "list":
            lists += 1
            if len(examples) < 8:
                examples.append((q.question, [i.name for i in resp.items], q.answers[0]))
    print(f"{path}: {len(qs)} questions; answered as a list {100 * lists / len(qs):.2f}%, "
          f"routed to lists by form {100 * by_form / len(qs):.2f}%")  # fmt: skip
    for e in examples:
        print("  ", e)


if __name__ == "__main__":
    main()
