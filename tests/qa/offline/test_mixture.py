"""The training mixture: fixed held-out splits that never meet training, and made negatives without answers."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from qa.offline.mixture import (
    DEFAULT_SOURCES,
    Source,
    answer_items,
    build_mixture,
    make_examples,
    sentence_bounds,
    split_heldout,
    without_answer_sentence,
)
from qa.offline.squad import SquadQuestion, load_squad, normalize_answer

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="../shared/data is not there")


def _q(i: int, title: str, context: str, answer: str) -> SquadQuestion:
    return SquadQuestion(str(i), f"question {i}?", context, title, i, (answer,), (context.index(answer),))


def test_sentence_cut_removes_the_answer_sentence_only():
    ctx = (
        "Paris is the capital of France and its largest city. It lies on the Seine. "
        "The city has about two million inhabitants and many more in its wider region."
    )
    assert [ctx[s:e] for s, e in sentence_bounds(ctx)][1] == "It lies on the Seine."
    cut = without_answer_sentence(ctx, ctx.index("Seine"), len("Seine"))
    assert cut is not None and "Seine" not in cut and "capital of France" in cut and "two million" in cut
    assert without_answer_sentence("Too short. Seine.", 11, 5) is None


def test_made_negatives_never_hold_the_gold_answer():
    paras = [
        "Alpha was founded in 1901 by Jane Roe. The town grew quickly after the railway arrived in the valley.",
        "Beta is a river that flows north. Its source lies high in the mountains, far from any road or town.",
        "Gamma is known for its cheese. Farmers there keep goats and sheep on the steep hillside pastures.",
    ]
    qs = [_q(i, "T", p, p.split()[0]) for i, p in enumerate(paras)] * 20
    ex = make_examples(qs, "t", neg_cut=0.4, neg_same=0.3, neg_other=0.3, rng=random.Random(1))
    negatives = [e for e in ex if e.answer_start < 0]
    assert negatives, "some negatives are made"
    gold_of = {q.question: normalize_answer(q.answers[0]) for q in qs}
    for e in negatives:
        assert gold_of[e.question] not in normalize_answer(e.context)
    for e in ex:
        if e.answer_start >= 0:
            assert e.context[e.answer_start : e.answer_start + len(e.answer_text)] == e.answer_text


def test_source_spec_parses_weights():
    s = Source.parse("squadshifts-reddit.json*0.5", DATA)
    assert s.weight == 0.5 and s.name == "squadshifts-reddit"
    assert Source.parse("x.json", DATA).weight == 1.0


@needs_data
@pytest.mark.parametrize("spec", DEFAULT_SOURCES)
def test_heldout_split_is_disjoint_fixed_and_large_enough(spec):
    src = Source.parse(spec, DATA)
    qs = load_squad(src.path)
    train, held = split_heldout(qs, src.name)
    assert len(train) + len(held) <= len(qs)
    assert len(held) >= 500 if src.name != "squad11-train" else len(held) > 1500
    assert not {q.context for q in held} & {q.context for q in train}, "no paragraph on both sides"
    again = split_heldout(list(reversed(qs)), src.name)[1]
    assert {q.id for q in again} == {q.id for q in held}, "the split does not depend on the file's order"


@needs_data
def test_first_reader_heldout_articles_stay_held_out():
    qs = load_squad(DATA / "squad11-train.json")
    _, held = split_heldout(qs, "squad11-train")
    assert {q.title for q in held} == {
        "Apollo", "Botany", "Brasília", "Communication", "Communications_in_Somalia", "Dell", "Hunter-gatherer",
        "Infection", "Internet_service_provider", "Letter_case", "Mandolin", "Szlachta",
    }  # fmt: skip


@needs_data
def test_mixture_has_every_source_and_no_heldout_question():
    examples, stats = build_mixture(list(DEFAULT_SOURCES), 0.2, 0.08, 0.04, seed=13, max_questions=200)
    assert set(stats) == {Source.parse(s).name for s in DEFAULT_SOURCES}
    held = set()
    for spec in DEFAULT_SOURCES:
        src = Source.parse(spec, DATA)
        held |= {q.context for q in split_heldout(load_squad(src.path), src.name)[1]}
    assert not {e.context for e in examples} & held, "no held-out paragraph is read in training"


@needs_data
@pytest.mark.slow
def test_training_runs_in_chunks_and_writes_a_loadable_reader(tmp_path):
    """A tiny run: fp16 weights and training.json land atomically; a later chunk starts where one stopped."""
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]

    def run(out: str, *extra: str) -> dict:
        args = [
            sys.executable, "-m", "qa.cli", "train-reader", "--max-questions", "6", "--epochs", "1",
            "--batch-size", "8", "--output", str(tmp_path / out), "--workdir", str(tmp_path / f"work-{out}"),
            "--no-calibrate", "--threads", "1", *extra,
        ]  # fmt: skip
        r = subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-2000:]
        return json.loads((tmp_path / out / "training.json").read_text())

    first = run("a")
    assert first["steps_done"] == first["steps_planned"] > 2
    assert (tmp_path / "a" / "model.safetensors").exists() and not (tmp_path / "a.tmp").exists()
    later = run("b", "--init-from", str(tmp_path / "a"), "--start-step", "2")
    assert later["batches_done"] == [2, later["steps_planned"]]
    assert later["previous"][0]["steps_done"] == first["steps_done"]


def test_list_answers_are_labelled_item_by_item():
    ctx = "The farm grows wheat, barley and rye. Its owner, Ann Lee, sold it to Bo Chan in 1990."
    three = SquadQuestion("1", "what grows there", ctx, "T", 0, ("wheat, barley and rye",), (ctx.index("wheat"),))
    items = answer_items(three)
    assert [ctx[s:e] for s, e in items] == ["wheat", "barley", "rye", "wheat, barley and rye"]
    two = SquadQuestion("2", "q", ctx, "T", 0, ("Ann Lee",), (ctx.index("Ann Lee"),))
    assert answer_items(two) == ()
    multi = SquadQuestion(
        "3", "who owned it", ctx, "T", 0, ("Ann Lee", "Bo Chan"), (ctx.index("Ann"), ctx.index("Bo")), multi_span=True
    )
    assert [ctx[s:e] for s, e in answer_items(multi)] == ["Ann Lee", "Bo Chan"]
    assert split_heldout([multi], "qed-train-multispan") == ([multi], []), "a list set keeps nothing back"
