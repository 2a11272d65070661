"""The retrieved-passage adjustment of the calibration: how it picks the served answer and how it is fitted."""

from pathlib import Path

import numpy as np
import pytest

from index.embedder import Embedder
from qa.offline.calibrate_retrieval import (
    NO_SHIFT,
    Journal,
    OpenReads,
    corpus_groups,
    fit_dense,
    mean_scores,
    read_open,
    served,
    source_scores,
)
from qa.offline.squad import load_squad
from qa.reader import Staging
from qa.span_reader import RetrievalShift, SpanReader


def _reads(rows: list[tuple]) -> OpenReads:
    """(source, answerable, logits, F1s, cosines[, missing-name shares[, missing-word shares]]) per question."""
    return OpenReads(
        np.array([r[0] for r in rows]),
        np.array([r[1] for r in rows]),
        np.array([r[2] for r in rows], dtype=float),
        np.array([r[3] for r in rows], dtype=float),
        np.array([r[4] for r in rows], dtype=float),
        np.array([r[5] if len(r) > 5 else [0.0] * len(r[4]) for r in rows], dtype=float),
        np.array([r[6] if len(r) > 6 else [0.0] * len(r[4]) for r in rows], dtype=float),
    )


def test_served_reads_in_stages_like_the_service():
    sure, unsure = 3.0, 0.0  # log-odds: p 0.95 and 0.5
    reads = _reads(
        [
            ("a", True, [sure, -1.0, 5.0], [1.0, 0.0, 0.5], [0.6] * 3),  # the first passage is sure: stop there
            ("a", True, [unsure, -1.0, 2.0], [0.0, 0.0, 1.0], [0.6] * 3),  # unsure: the best of all
            ("a", True, [-np.inf] * 3, [0.0] * 3, [0.0] * 3),  # no passage, no span
        ]
    )
    p, f1 = served(reads, NO_SHIFT, staging=Staging(first=2, sure=0.7))
    assert f1.tolist() == [1.0, 1.0, 0.0]
    assert p[0] > 0.9 and p[2] == 0.0


def _questions(source: str, n: int, answerable: bool, logit: float, dense: tuple[float, float], rng) -> list:
    """`n` questions whose best passage proposes a span of log-odds about `logit` at a cosine in `dense`."""
    return [
        (source, answerable, [rng.normal(logit, 1.0)] + [-2.0] * 4, [float(answerable)] + [0.0] * 4,
         [rng.uniform(*dense)] + [0.1] * 4)
        for _ in range(n)
    ]  # fmt: skip


def test_fit_refuses_off_topic_questions_without_costing_answerable_ones():
    rng = np.random.default_rng(0)
    rows = []
    for src in ("wiki", "news"):  # answerable: a passage that matches well; off topic: nothing matches well
        rows += _questions(src, 100, True, 1.5, (0.55, 0.8), rng) + _questions(src, 100, False, 0.5, (0.15, 0.4), rng)
    reads = _reads(rows)
    before = source_scores(reads, NO_SHIFT, threshold=0.4)
    adjustment, after = fit_dense(reads, threshold=0.4)
    assert adjustment.w_dense > 0 and 0.2 <= adjustment.dense_center <= 0.8
    for src in ("wiki", "news"):
        assert after[src]["served_f1_answerable"] >= before[src]["served_f1_answerable"] - 0.005
    assert mean_scores(after)["abstain_off_topic"] > mean_scores(before)["abstain_off_topic"] + 0.2


def test_fit_keeps_every_source_answered_even_where_cosines_run_low():
    rng = np.random.default_rng(1)
    rows = _questions("wiki", 150, True, 1.5, (0.55, 0.8), rng) + _questions("wiki", 150, False, 0.5, (0.15, 0.4), rng)
    # forum posts: answerable questions match their passage no better than off-topic ones match anything
    rows += _questions("forum", 150, True, 1.5, (0.2, 0.4), rng) + _questions(
        "forum", 150, False, 0.5, (0.15, 0.4), rng
    )
    reads = _reads(rows)
    before = source_scores(reads, NO_SHIFT, threshold=0.4)
    _, after = fit_dense(reads, threshold=0.4)
    assert after["forum"]["served_f1_answerable"] >= before["forum"]["served_f1_answerable"] - 0.005
    assert after["wiki"]["abstain_off_topic"] >= before["wiki"]["abstain_off_topic"]


def test_fit_weighs_the_question_names_a_passage_lacks_when_they_tell_off_topic_questions_apart():
    rng = np.random.default_rng(2)
    rows = []
    for answerable, missing in ((True, 0.0), (False, 1.0)):  # cosines alike; off-topic passages lack the names
        for q in _questions("news", 200, answerable, 1.5 if answerable else 1.0, (0.3, 0.6), rng):
            rows.append((*q, [missing] + [1.0] * 4))
    reads = _reads(rows)
    before = source_scores(reads, NO_SHIFT, threshold=0.4)
    adjustment, after = fit_dense(reads, threshold=0.4)
    assert adjustment.w_names > 0
    assert after["news"]["served_f1_answerable"] >= before["news"]["served_f1_answerable"] - 0.005
    assert after["news"]["abstain_off_topic"] > before["news"]["abstain_off_topic"] + 0.5


def test_fit_weighs_the_question_words_a_passage_lacks_for_queries_that_name_nothing():
    """Lower-case search queries name nothing; the share of their content words a passage lacks still tells
    a passage on the topic from one that is not, when cosines alike do not."""
    rng = np.random.default_rng(3)
    rows = []
    for answerable, unmatched in ((True, 0.1), (False, 0.8)):
        for q in _questions("search", 200, answerable, 1.5 if answerable else 1.0, (0.3, 0.6), rng):
            rows.append((*q, [0.0] * 5, [unmatched] + [0.9] * 4))
    reads = _reads(rows)
    before = source_scores(reads, NO_SHIFT, threshold=0.4)
    adjustment, after = fit_dense(reads, threshold=0.4)
    assert adjustment.w_words > 0 and adjustment.words_center < 0.8
    assert after["search"]["served_f1_answerable"] >= before["search"]["served_f1_answerable"] - 0.005
    assert after["search"]["abstain_off_topic"] > before["search"]["abstain_off_topic"] + 0.5


def test_corpus_groups_split_the_sources_alternately():
    assert corpus_groups(["tydi", "qed", "squad", "amazon", "reddit"]) == (
        ["amazon", "reddit", "tydi"],
        ["qed", "squad"],
    )


DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@pytest.mark.slow
@pytest.mark.skipif(not DATA.exists(), reason="../shared/data is not there")
def test_read_open_asks_every_question_over_its_own_corpus_with_and_without_its_paragraph_and_the_other(
    tmp_path,
):
    names = ("tydiqa-goldp-en-train", "squadshifts-amazon")
    held = {n: load_squad(DATA / f"{n}.json")[:8] for n in names}
    embedder = Embedder(backend="onnx")
    reads = read_open(held, SpanReader(backend="onnx"), embedder, per_source=8, journal=Journal(tmp_path / "j", "s"))
    again = read_open(held, None, embedder, per_source=8, journal=Journal(tmp_path / "j", "s"))  # type: ignore[arg-type]
    for field in ("source", "answerable", "logit", "f1", "dense", "missing", "unmatched", "own_ground"):
        assert np.array_equal(getattr(again, field), getattr(reads, field)), field  # all taken from the journal
    assert reads.logit.shape == reads.dense.shape == reads.f1.shape == reads.unmatched.shape
    assert reads.logit.shape[1] == 5
    assert reads.unmatched[reads.answerable, 0].mean() < reads.unmatched[~reads.answerable, 0].mean()
    assert reads.answerable.sum() == 16  # each question once over the corpus holding its paragraph
    own = reads.own_ground
    assert own.sum() == 16 and not (own & reads.answerable).any()  # once more over it without its paragraph
    other = ~reads.answerable & ~own
    assert 0 < other.sum() <= 16  # and over the other corpus, unless that holds its answer too
    assert not reads.f1[~reads.answerable].any()
    top = reads.dense[:, 0]
    assert top[reads.answerable].mean() > top[other].mean() + 0.1  # its own paragraph matches better
    assert top[reads.answerable].mean() > top[own].mean() + 0.05  # ... than what its own corpus has besides
    p, f1 = served(reads, RetrievalShift(w_dense=4.0, dense_center=0.375))
    assert ((p >= 0) & (p <= 1)).all() and f1[reads.answerable].mean() > 0.3


def test_the_journal_keeps_reads_and_resumes_only_under_the_same_stamp(tmp_path):
    path = tmp_path / "runs" / "reads.jsonl"
    row = [[1.5, -np.inf], [0.5, 0.0], [0.7, 0.2], [0.0, 1.0], [0.1, 0.3]]
    assert Journal(path, "reader A").read("q1", lambda: row) == row

    def never() -> list:
        raise AssertionError("read again although the journal holds it")

    with path.open("a") as f:
        f.write('{"key": "q2", "row": [[0.3')  # the run was stopped mid-line
    again = Journal(path, "reader A")
    assert again.read("q1", never) == row and again.read("q2", lambda: row[::-1]) == row[::-1]
    assert Journal(path, "reader A").read("q2", never) == row[::-1]
    assert Journal(path, "reader B").read("q1", lambda: row[:1]) == row[:1]  # another reader: started afresh
    assert len(path.read_text().splitlines()) == 2
