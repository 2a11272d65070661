"""The SQuAD metrics and `qa eval` on a hand-made file whose EM/F1 are known."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qa.offline.evaluate import summarize
from qa.offline.squad import best_over_golds, exact_match, f1_score, load_squad, normalize_answer

HANDMADE = Path(__file__).resolve().parents[2] / "data" / "handmade-squad-v2.json"
ROOT = Path(__file__).resolve().parents[3]


def qa(*args: str) -> subprocess.CompletedProcess:
    """Run the `qa` command line in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_normalisation_follows_the_official_script():
    assert normalize_answer("The  Eiffel-Tower!") == "eiffeltower"
    assert normalize_answer("an apple, a pear") == "apple pear"


def test_exact_and_f1_by_hand():
    assert exact_match("the Paris", "Paris") == 1.0
    assert f1_score("Paris France", "Paris") == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert f1_score("", "") == 1.0  # no answer predicted for an unanswerable question
    assert f1_score("Paris", "") == 0.0
    assert best_over_golds("in 1889", ("1889", "in 1889")) == (1.0, 1.0)
    assert best_over_golds("", ()) == (1.0, 1.0)


def test_summary_of_known_predictions():
    questions = load_squad(HANDMADE)
    preds = {"q1": "Paris, France", "q2": "1889", "q3": "Eiffel", "q4": ""}
    rows = []
    for q in questions:
        em, f1 = best_over_golds(preds[q.id], q.answers)
        rows.append({"exact": em, "f1": f1, "has_ans": bool(q.answers), "prediction": preds[q.id]})
    s = summarize(rows)
    # q1: EM 0, F1 2/3; q2: 1, 1; q3: "eiffel" vs "gustave eiffels company": no common token -> 0; q4: 1, 1
    assert s["exact"] == pytest.approx(50.0)
    assert s["f1"] == pytest.approx(round(100 * (2 / 3 + 1 + 0 + 1) / 4, 2))
    assert s["HasAns_total"] == 3 and s["NoAns_total"] == 1
    assert s["NoAns_exact"] == 100.0
    assert s["HasAns_f1"] == pytest.approx(round(100 * (2 / 3 + 1) / 3, 2))


def test_load_squad_rejects_bad_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not a SQuAD JSON"):
        load_squad(bad)
    with pytest.raises(ValueError, match="no such file"):
        load_squad(tmp_path / "missing.json")


@pytest.mark.slow
def test_qa_eval_cli_writes_official_keys(tmp_path):
    out = tmp_path / "figures.json"
    r = qa("eval", str(HANDMADE), "--output", str(out))
    assert r.returncode == 0, r.stderr
    figures = json.loads(out.read_text())
    for key in ("exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_exact", "NoAns_f1", "total"):
        assert key in figures
    assert figures["total"] == 4
    assert "exact" in r.stdout and "f1" in r.stdout
    served = figures["served"]
    for key in ("exact", "f1", "no_answer_rate", "HasAns_f1", "NoAns_exact", "total"):
        assert key in served
    assert served["NoAns_total"] == 1 and 0 <= served["no_answer_rate"] <= 100
    assert figures["NoAns_exact"] == 0.0, "the forced answer never abstains"
    assert "served" in r.stdout


@pytest.mark.slow
def test_qa_eval_open_mode_reports_retrieval(tmp_path):
    out = tmp_path / "open.json"
    r = qa("eval", str(HANDMADE), "--open", "--output", str(out))
    assert r.returncode == 0, r.stderr
    figures = json.loads(out.read_text())
    for key in ("recall@1", "recall@5", "recall@20", "mrr", "exact", "f1"):
        assert key in figures
    assert figures["recall@1"] == 100.0  # a single paragraph: it is always ranked first
    assert {"exact", "f1", "no_answer_rate"} <= set(figures["served"])


@pytest.mark.slow
def test_qa_eval_takes_several_files_and_off_topic_corpora(tmp_path):
    out = tmp_path / "two.json"
    r = qa("eval", str(HANDMADE), str(HANDMADE), "--output", str(out))
    assert r.returncode == 0, r.stderr
    results = json.loads(out.read_text())["results"]
    assert len(results) == 2 and results[0]["f1"] == results[1]["f1"]
    out = tmp_path / "off.json"
    r = qa("eval", str(HANDMADE), "--off-topic", str(ROOT / "seeds"), "--output", str(out))
    assert r.returncode == 0, r.stderr
    figures = json.loads(out.read_text())
    assert figures["mode"] == "off-topic" and figures["total"] == 2  # "Paris" is in the seed: that one is not off-topic
    assert figures["served"]["abstain_rate"] == 100.0  # the seed article says nothing about the Eiffel Tower


def test_qa_eval_cli_bad_file_is_one_line(tmp_path):
    r = qa("eval", str(tmp_path / "nope.json"))
    assert r.returncode != 0
    assert r.stderr.strip().startswith("qa: error:") and len(r.stderr.strip().splitlines()) == 1


def test_item_scores_match_normalised_items_exactly():
    from qa.offline.evaluate import item_scores

    assert item_scores(["Blue", "the white", "green"], ["blue", "white", "red"]) == (2, 3, 3)
    assert item_scores([], ["b"]) == (0, 0, 1)
    assert item_scores(["x", "X."], ["x"]) == (1, 1, 1)  # the same item twice counts once


@pytest.mark.slow
def test_qa_eval_scores_list_questions_by_items(tmp_path):
    out = tmp_path / "lists.json"
    r = qa("eval", str(HANDMADE.parent / "handmade-multispan.json"), "--output", str(out))
    assert r.returncode == 0, r.stderr
    figures = json.loads(out.read_text())
    for key in ("item_precision", "item_recall", "item_f1", "item_f1_macro", "answered_as_list"):
        assert 0 <= figures[key] <= 100, key
    assert figures["total"] == 1 and figures["mode"] == "reader"
