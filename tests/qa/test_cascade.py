"""The cascade: the fast reader chooses, the strong one reads only what it chose (real shipped weights)."""

from __future__ import annotations

import logging

import pytest

from index.packaged_models import ModelFetchError
from index.passages import Passage, split_sentences
from qa.cascade import CascadeReader
from qa.pipeline import QueryError, make_reader
from qa.retriever import Retrieved
from qa.settings import DEFAULT_CASCADE_KEEP, DEFAULT_READER_DIR, DEFAULT_STRONG_READER_DIR, Settings
from qa.span_reader import MODEL_DIR, SpanReader

QUESTION = "Who founded the Brookfield ceramics company?"
TEXTS = [
    "The river floods in spring, and the town council has built new walls along its banks.",
    "Tickets for the summer festival go on sale on Monday at the town hall.",
    "The Brookfield ceramics company was founded by Ada Brook in 1999 in a small shed.",
    "Rain is expected for most of the week, with sunshine returning on Sunday.",
]


def _hits() -> list[Retrieved]:
    out = []
    for i, t in enumerate(TEXTS):
        p = Passage(f"p{i}", f"d{i}", 0, len(t), t)
        p.sentences = split_sentences(t)
        out.append(Retrieved(passage=p, score=1.0 / (i + 1), title="T"))
    return out


@pytest.fixture(scope="module")
def readers() -> tuple[SpanReader, SpanReader]:
    fast, strong = SpanReader(), SpanReader()
    fast.warm_up()
    strong.warm_up()
    return fast, strong


def test_the_strong_reader_reads_only_the_passage_the_fast_one_answers_from(readers):
    fast, strong = readers
    read: list[list[str]] = []
    real = strong.candidates

    def spy(question, passages):
        read.append([h.passage.id for h in passages])
        return real(question, passages)

    strong.candidates = spy  # type: ignore[method-assign]
    try:
        cascade = CascadeReader(fast, strong, keep=1)
        answers = cascade.read(QUESTION, _hits(), top_k=3)
        assert read == [["p2"]]
        assert answers and answers[0].text == "Ada Brook" and answers[0].passage_id == "p2"
        assert answers[0].score == strong.read(QUESTION, [_hits()[2]], top_k=1)[0].score  # the strong one's score
        read.clear()
        two = CascadeReader(fast, strong, keep=2).candidates(QUESTION, _hits())
        assert len(read[0]) == 2 and "p2" in read[0] and {a.passage_id for a in two} <= set(read[0])
        read.clear()
        CascadeReader(fast, strong, keep=2).read(QUESTION, _hits()[:2])  # no more passages than it keeps
        assert read == [["p0", "p1"]]
    finally:
        del strong.candidates


def test_the_cascade_takes_the_strong_readers_threshold_and_refuses_a_zero_keep(readers):
    fast, strong = readers
    cascade = CascadeReader(fast, strong)
    assert cascade.threshold == strong.threshold
    with pytest.raises(ValueError, match="at least one passage"):
        CascadeReader(fast, strong, keep=0)


def test_a_cascade_without_strong_weights_is_a_clear_error(tmp_path, embedder):
    with pytest.raises(QueryError, match="strong reader weights in"):
        make_reader("cascade", embedder, Settings(strong_reader_dir=tmp_path))  # no weights there
    with pytest.raises(QueryError, match="span reader weights in"):
        make_reader("cascade", embedder, Settings(reader_dir=tmp_path))
    got = make_reader("cascade", embedder, Settings(strong_reader_dir=MODEL_DIR, cascade_keep=3))
    assert isinstance(got, CascadeReader) and got.keep == 3


@pytest.mark.slow
def test_the_default_reader_is_the_cascade_over_the_shipped_mpnet_reader(embedder):
    got = make_reader("", embedder, Settings())  # fetches the MPNet base on first use (cached)
    assert isinstance(got, CascadeReader) and got.keep == DEFAULT_CASCADE_KEEP
    assert got.strong.model_dir == DEFAULT_STRONG_READER_DIR and got.fast.model_dir == DEFAULT_READER_DIR
    assert got.strong.spin and not got.fast.spin  # only the reader that runs last keeps its ONNX threads spinning


def test_auto_falls_back_to_the_fast_reader_with_a_warning_when_the_base_cannot_be_fetched(
    tmp_path, embedder, monkeypatch, caplog
):
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip finds no wheels: a machine without a registry
    settings = Settings(models_cache=tmp_path / "empty-cache")
    with caplog.at_level(logging.WARNING, logger="qa.pipeline"):
        got = make_reader("auto", embedder, settings)
    assert isinstance(got, SpanReader) and got.model_dir == DEFAULT_READER_DIR and got.spin  # alone: it runs last
    assert "reading with the fast reader only (QA_READER=span)" in caplog.text
    assert not any((tmp_path / "empty-cache").glob("all-mpnet-base-v2*"))  # nothing half-fetched stays
    cascade = make_reader("cascade", embedder, settings)  # asked for by name: the failure is the user's to see
    with pytest.raises(ModelFetchError):
        cascade.warm_up()


def test_the_cascade_settings_come_from_the_environment():
    s = Settings.from_env({"QA_STRONG_READER_DIR": "/some/dir", "QA_CASCADE_KEEP": "3", "QA_READER": "cascade"})
    assert (str(s.strong_reader_dir), s.cascade_keep, s.reader) == ("/some/dir", 3, "cascade")
    d = Settings.from_env({})
    assert (d.strong_reader_dir, d.cascade_keep, d.reader) == (DEFAULT_STRONG_READER_DIR, 2, "auto")
    with pytest.raises(ValueError, match="QA_CASCADE_KEEP"):
        Settings.from_env({"QA_CASCADE_KEEP": "two"})
