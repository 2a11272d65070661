"""Reading in stages: the top passages first, the rest only when no answer there is sure enough."""

from __future__ import annotations

from index.passages import Passage
from qa.answers import Answer
from qa.reader import Staging, read_in_stages
from qa.retriever import Retrieved


def _hit(i: int) -> Retrieved:
    return Retrieved(Passage(id=f"p{i}", document_id="d", start=0, end=4, text="text"), score=1.0 / (i + 1))


def _reader(scores: dict[str, float]):
    calls: list[list[str]] = []

    def read(hits):
        calls.append([h.passage.id for h in hits])
        return [
            Answer(text=h.passage.id, score=scores[h.passage.id], document_id="d", passage_id=h.passage.id,
                   start=0, end=4, context="text", context_start=0, context_end=4)
            for h in hits
        ]  # fmt: skip

    return read, calls


def test_a_sure_answer_in_the_top_passages_ends_the_reading():
    hits = [_hit(i) for i in range(5)]
    read, calls = _reader({"p0": 0.2, "p1": 0.75, "p2": 0.9, "p3": 0.1, "p4": 0.1})
    got = read_in_stages(read, hits, Staging(first=2, sure=0.7))
    assert calls == [["p0", "p1"]] and [a.text for a in got] == ["p0", "p1"]


def test_an_unsure_first_stage_reads_the_rest_and_none_reads_all_at_once():
    hits = [_hit(i) for i in range(5)]
    read, calls = _reader({"p0": 0.2, "p1": 0.5, "p2": 0.9, "p3": 0.1, "p4": 0.1})
    got = read_in_stages(read, hits, Staging(first=2, sure=0.7))
    assert calls == [["p0", "p1"], ["p2", "p3", "p4"]] and len(got) == 5
    read, calls = _reader({"p0": 0.2, "p1": 0.5, "p2": 0.9, "p3": 0.1, "p4": 0.1})
    read_in_stages(read, hits, None)
    assert calls == [["p0", "p1", "p2", "p3", "p4"]]
    read, calls = _reader({"p0": 0.2})
    read_in_stages(read, hits[:1], Staging(first=2, sure=0.7))  # fewer passages than the first stage
    assert calls == [["p0"]]


def test_the_second_stage_skips_passages_far_less_similar_than_the_best():
    dense = [0.62, 0.55, 0.40, 0.31, None]  # the last handed in, not retrieved: always read
    hits = [Retrieved(Passage(f"p{i}", "d", 0, 4, "text"), 1.0 / (i + 1), dense=d) for i, d in enumerate(dense)]
    read, calls = _reader({"p0": 0.2, "p1": 0.5, "p2": 0.9, "p3": 0.95, "p4": 0.1})
    got = read_in_stages(read, hits, Staging(first=2, sure=0.7, gap=0.3))
    assert calls == [["p0", "p1"], ["p2", "p4"]]  # p3 is 0.31 below p0's cosine
    assert "p3" not in {a.text for a in got}
    read, calls = _reader({"p0": 0.2, "p1": 0.5, "p2": 0.9, "p3": 0.95, "p4": 0.1})
    read_in_stages(read, hits[:4], Staging(first=2, sure=0.7, gap=0.1))
    assert calls == [["p0", "p1"]]  # nothing close enough is left: the second stage reads nothing
