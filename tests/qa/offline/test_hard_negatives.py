"""Retrieved negatives: the paragraph nearest the question (the real embedder) that cannot answer it."""

from __future__ import annotations

import json
import random

from qa.offline import mixture
from qa.offline.hard_negatives import retrieved_negatives
from qa.offline.mixture import build_mixture
from qa.offline.squad import SquadQuestion, normalize_answer

PARAS = {
    "Lyon": "Grégory Doucet has been the mayor of Lyon since 2020. The city council meets in the Hôtel de Ville.",
    "Lyon2": "Lyon's old town is known for its traboules and its silk weaving past on the Croix-Rousse hill.",
    "Turin": "Stefano Lo Russo became mayor of Turin in 2021 after a run-off against the centre-right candidate.",
    "Bread": "Knead the dough for ten minutes, let it rise for an hour, then bake it at 220 degrees until golden.",
    "Moths": "Many moths fly at night and find their way by the moon; street lights draw them off their course.",
    "Nice": "The mayor of Nice, Christian Estrosi, has led the city for most of the years since 2008.",
    "Porto": "Rui Moreira was elected mayor of Porto in 2013 as an independent and re-elected twice.",
    "Graz": "Elke Kahr, a communist, has been the mayor of Graz since November 2021.",
}


def _q(i: int, question: str, title: str, answer: str) -> SquadQuestion:
    ctx = PARAS[title]
    return SquadQuestion(str(i), question, ctx, title.rstrip("2"), i, (answer,), (ctx.index(answer),))


QUESTIONS = [
    _q(0, "Who is the mayor of Lyon?", "Lyon", "Grégory Doucet"),
    _q(1, "Who is the mayor of Turin?", "Turin", "Stefano Lo Russo"),
    _q(2, "How long should bread dough rise?", "Bread", "an hour"),
    _q(3, "What draws moths off their course?", "Moths", "street lights"),
    _q(4, "Who has been mayor of Nice since 2008?", "Nice", "Christian Estrosi"),
    _q(5, "What is Lyon's old town known for?", "Lyon2", "its traboules"),
    _q(6, "Who is the mayor of Porto?", "Porto", "Rui Moreira"),
    _q(7, "Who is the mayor of Graz?", "Graz", "Elke Kahr"),
]
MAYORS = [PARAS[t] for t in ("Lyon", "Turin", "Nice", "Porto", "Graz")]


def _embed(embedder):
    return lambda texts: embedder.embed(texts, progress=False)


def test_each_negative_is_a_near_paragraph_of_another_article_without_the_answer(embedder):
    asked = [(q, q.question, q.title) for q in QUESTIONS]
    negs = retrieved_negatives(asked, 1.0, random.Random(1), _embed(embedder))
    assert sorted(i for i, _ in negs) == list(range(len(QUESTIONS)))
    for i, ctx in negs:
        q = QUESTIONS[i]
        assert ctx != q.context and ctx in PARAS.values()
        assert q.title not in [t.rstrip("2") for t, c in PARAS.items() if c == ctx]  # not its own article
        assert normalize_answer(q.answers[0]) not in normalize_answer(ctx)
    by_question = {QUESTIONS[i].question: ctx for i, ctx in negs}
    # A mayor question is paired with another city's mayor (the nearest three), never with bread or moths
    for q in QUESTIONS:
        if "mayor" in q.question:
            assert by_question[q.question] in MAYORS


def test_a_paragraph_holding_the_answer_is_never_a_negative(embedder):
    # Turin's paragraph also names Lyon's mayor: it is the nearest other article, and it must be skipped
    paras = dict(PARAS, Turin=PARAS["Turin"] + " He met Grégory Doucet of Lyon in 2022.")
    q = SquadQuestion("0", "Who is the mayor of Lyon?", PARAS["Lyon"], "Lyon", 0, ("Grégory Doucet",), (0,))
    others = [
        SquadQuestion(str(i), "x?", c, t, i, (c[:5],), (0,)) for i, (t, c) in enumerate(paras.items(), 1) if t != "Lyon"
    ]
    asked = [(x, x.question, x.title.rstrip("2")) for x in [q, *others]]
    for seed in range(20):
        for i, ctx in retrieved_negatives(asked, 1.0, random.Random(seed), _embed(embedder)):
            if i == 0:
                assert "Grégory Doucet" not in ctx and ctx != PARAS["Lyon"]


def test_the_mixture_gains_retrieved_negatives_after_everything_else(embedder, tmp_path, monkeypatch):
    monkeypatch.setattr(mixture, "HELDOUT_QUESTIONS", 1)  # a toy file: hold out one paragraph, train on the rest
    data = {"data": [{"title": t.rstrip("2"), "paragraphs": [{"context": PARAS[t], "qas": [
        {"id": q.id, "question": q.question, "answers": [{"text": q.answers[0], "answer_start": q.answer_starts[0]}]}
        for q in QUESTIONS if q.context == PARAS[t]]}]} for t in PARAS]}  # fmt: skip
    f = tmp_path / "toy.json"
    f.write_text(json.dumps(data))
    plain, _ = build_mixture([str(f)], 0.2, 0.08, 0.04, seed=3)
    assert (
        retrieved_negatives([(q, q.question, q.title) for q in QUESTIONS], 0.0, random.Random(1), _embed(embedder))
        == []
    )
    more, stats = build_mixture([str(f)], 0.2, 0.08, 0.04, seed=3, neg_retrieved=1.0, embed=_embed(embedder))
    assert more[: len(plain)] == plain  # the rest of the mixture is drawn as before
    extra = more[len(plain) :]
    assert len(extra) == stats["toy"]["retrieved_negatives"] > 0
    golds = {q.question: normalize_answer(q.answers[0]) for q in QUESTIONS}
    for e in extra:
        assert e.answer_start == -1 and e.source == "toy"
        assert golds[e.question.rstrip(" ?") + "?"] not in normalize_answer(e.context)
