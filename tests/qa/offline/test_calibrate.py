import numpy as np

from qa.offline.calibrate import choose_threshold, fit_logistic


def _pairs(rng, n: int, answerable_probs, unanswerable_probs, f1_of):
    probs = np.concatenate([answerable_probs(n), unanswerable_probs(n)])
    answerable = np.arange(2 * n) < n
    f1s = np.where(answerable, f1_of(probs), 0.0)
    return probs, f1s, answerable


def test_a_clear_gap_between_answerable_and_unanswerable_sets_the_threshold_inside_it():
    rng = np.random.default_rng(0)
    parts = [
        _pairs(rng, 200, lambda n: rng.uniform(0.6, 0.95, n), lambda n: rng.uniform(0.05, 0.3, n), np.ones_like)
        for _ in ("wiki", "news")
    ]
    probs, f1s, has = (np.concatenate(x) for x in zip(*parts))
    source = np.repeat(["wiki", "news"], 400)
    t, score, top = choose_threshold(probs, f1s, has, source)
    assert 0.3 <= t <= 0.6 and score == 1.0 and t <= top


def test_on_a_flat_top_the_lowest_threshold_the_data_cannot_tell_from_the_best_is_taken():
    rng = np.random.default_rng(1)
    # scores as calibrated as they come: a span of score p is right with probability p, and unanswerable
    # pairs score low but spread; the balanced F1 is flat over a wide range of thresholds
    probs, f1s, has = _pairs(
        rng, 600, lambda n: rng.uniform(0.0, 1.0, n), lambda n: rng.beta(2, 5, n), lambda p: rng.random(len(p)) < p
    )
    source = np.array(["a"] * len(probs))
    t, score, top = choose_threshold(probs, f1s, has, source, max_no_answer=None)
    per = [np.mean(np.where(has, np.where(probs >= x, f1s, 0.0), probs < x)) for x in (t, top)]
    assert score == per[0] and t <= top
    assert per[1] - per[0] < 0.02  # within noise of the best ...
    assert (probs[has] < t).mean() <= (probs[has] < top).mean()  # ... and leaves fewer answerable questions unanswered


def test_the_threshold_leaves_no_more_answerable_pairs_unanswered_than_the_cap_on_the_sources_mean():
    rng = np.random.default_rng(4)
    parts = [
        _pairs(
            rng, 500, lambda n: rng.uniform(lo, 1.0, n), lambda n: rng.beta(2, 5, n), lambda p: rng.random(len(p)) < p
        )
        for lo in (0.0, 0.2)  # one source's answerable pairs score lower than the other's
    ]
    probs, f1s, has = (np.concatenate(x) for x in zip(*parts))
    source = np.repeat(["forum", "wiki"], 1000)
    free, _, top = choose_threshold(probs, f1s, has, source, max_no_answer=None)
    capped, score, top_capped = choose_threshold(probs, f1s, has, source, max_no_answer=0.10)
    unanswered = [(probs[(source == s) & has] < capped).mean() for s in ("forum", "wiki")]
    assert (
        np.mean(unanswered) <= 0.10 < np.mean([(probs[(source == s) & has] < free).mean() for s in ("forum", "wiki")])
    )
    assert capped < free and top_capped == top  # the best threshold is still reported as it is
    assert choose_threshold(probs, f1s, has, source, max_no_answer=1.0)[0] == free


def test_fit_logistic_recovers_the_direction_of_the_evidence():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2000, 2))
    y = (rng.random(2000) < 1 / (1 + np.exp(-(2 * x[:, 0] - x[:, 1])))).astype(float)
    w = fit_logistic(x, y, np.ones(2000))
    assert w[0] > 1 and w[1] < -0.5 and abs(w[-1]) < 0.3


def test_calibration_pairs_add_perturbed_negatives_without_moving_the_others():
    import random
    from dataclasses import replace

    from qa.offline.calibrate import calibration_pairs
    from qa.offline.squad import SquadQuestion

    ctx = (
        "Tancred laid siege to Antioch in 1097 with his uncle Bohemond. The city fell in the 10th month of the "
        "siege, after a long winter. Its walls were rebuilt by the new rulers over the following decades."
    )
    other = (
        "The river Rhine flows through Basel and Cologne. Barges carry coal and grain on it in every season. "
        "Its banks are lined with vineyards, castles and old towns that draw visitors from far away."
    )
    held = {
        "a": [
            SquadQuestion("1", "When did Tancred lay siege to Antioch?", ctx, "T", 0, ("1097",), (ctx.index("1097"),)),
            SquadQuestion(
                "2", "What does the river Rhine flow through?", other, "R", 0, ("Basel",), (other.index("Basel"),)
            ),
        ]
    }
    held["a"] += [replace(q, id=f"{q.id}-{i}") for i in range(6) for q in held["a"][:2]]  # enough draws to tell
    plain = calibration_pairs(held, random.Random(3))
    mixed = calibration_pairs(held, random.Random(3), perturbed=1.0)
    assert not any(kind == "perturbed" for *_, kind in plain)
    assert [p for p in mixed if p[4] != "perturbed"] == plain  # the other pairs are drawn as before
    changed = [p for p in mixed if p[4] == "perturbed"]
    assert changed, "every question with an answer is asked changed"
    for source, question, text, gold, _ in changed:
        original = next(q for q in held["a"] if q.context == text)
        assert source == "a" and gold == () and question != original.question
