"""Retrieved negatives: a training question paired with a paragraph the retriever would hand the reader for it.

The made negatives of `qa.offline.mixture` (the answer's sentence cut out, another paragraph of the article, a
random paragraph of another article) are mostly easy to refuse. What the service meets when the articles do
not hold an answer is harder: the passages nearest to the question in meaning, about the same kind of thing
(another mayor, another film, another product). Here each drawn question gets one of the paragraphs nearest
to it by the embedder's cosine, from another article of any source, that holds none of its gold answers
(after SQuAD normalisation), labelled "no answer".
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence

import numpy as np

from qa.offline.squad import SquadQuestion, normalize_answer

log = logging.getLogger("qa.offline.hard_negatives")

NEAREST = 3  # the negative is drawn from this many nearest qualifying paragraphs
CANDIDATES = 16  # nearest paragraphs looked at per question (those of its own article or with its answer skipped)

Embed = Callable[[list[str]], np.ndarray]  # texts -> unit-length rows


def retrieved_negatives(
    questions: Sequence[tuple[SquadQuestion, str, str]], rate: float, rng: random.Random, embed: Embed
) -> list[tuple[int, str]]:
    """For a `rate` share of `(question, its text as trained, its article's key)`, `(index, paragraph)`: one
    of the `NEAREST` paragraphs most like the question that belong to another article and hold none of its
    answers. The paragraphs are those of all the questions given (every source of the mixture together); an
    article's key is its source and title, or its paragraph where a source's titles are not articles (Reddit
    files every post under one title)."""
    drawn = [i for i in range(len(questions)) if rng.random() < rate]
    if not drawn:
        return []
    paragraphs: dict[str, str] = {}  # context -> article key (the first that names it)
    for q, _, article in questions:
        paragraphs.setdefault(q.context, article)
    texts = list(paragraphs)
    articles = [paragraphs[t] for t in texts]
    log.info("retrieved negatives: embedding %d paragraphs and %d questions", len(texts), len(drawn))
    p_vec = np.asarray(embed(texts), dtype=np.float32)
    q_vec = np.asarray(embed([questions[i][1] for i in drawn]), dtype=np.float32)
    normalized: dict[int, str] = {}
    out: list[tuple[int, str]] = []
    k = min(CANDIDATES, len(texts))
    for lo in range(0, len(drawn), 512):
        sims = q_vec[lo : lo + 512] @ p_vec.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        for row, i in enumerate(drawn[lo : lo + 512]):
            q, _, article = questions[i]
            golds = q.normalized_answers
            order = top[row][np.argsort(-sims[row, top[row]])]
            near = []
            for j in order:
                j = int(j)
                if articles[j] == article or texts[j] == q.context:
                    continue
                if j not in normalized:
                    normalized[j] = normalize_answer(texts[j])
                if any(g in normalized[j] for g in golds):
                    continue
                near.append(j)
                if len(near) == NEAREST:
                    break
            if near:
                out.append((i, texts[rng.choice(near)]))
    return out
