"""The trained span reader: shipped weights, window offsets, merging, calibration and no-answer."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.passages import Passage, split_sentences
from qa.answers import Answer
from qa.reader import merge_answers
from qa.retriever import Retrieved
from qa.span_reader import MODEL_DIR, Calibration, SpanCandidate, SpanReader, shipped_reader_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def reader() -> SpanReader:
    r = SpanReader()
    r.warm_up()
    return r


def _hit(text: str, doc_id: str = "d1", offset: int = 0, title: str = "T") -> Retrieved:
    """A passage that starts at `offset` in a document whose text at that offset is `text`."""
    sents = [(s + offset, e + offset) for s, e in split_sentences(text)]
    p = Passage(id=f"{doc_id}:{offset}", document_id=doc_id, start=offset, end=offset + len(text), text=text)
    p.sentences = sents
    return Retrieved(passage=p, score=1.0, title=title)


def test_shipped_weights_are_small_and_complete():
    d = shipped_reader_dir()
    assert d == MODEL_DIR
    size = sum(f.stat().st_size for f in d.rglob("*") if f.is_file())
    assert size < 55 * 1024 * 1024
    for name in ("model.safetensors", "config.json", "tokenizer.json", "calibration.json", "README.md"):
        assert (d / name).exists(), name
    cal = json.loads((d / "calibration.json").read_text())
    assert 0 < cal["threshold"] < 1


def test_weights_load_offline_in_a_fresh_process():
    code = (
        "from qa.span_reader import SpanReader\n"
        "t = 'The company was founded by Ada Brook in 1999.'\n"
        "c = SpanReader().predict([('Who founded the company?', t)])[0][0]\n"
        "print('TEXT=' + t[c.start:c.end])"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HOME": "/nonexistent"}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "TEXT=Ada Brook" in r.stdout


def test_windows_map_back_to_exact_offsets(reader):
    """A context much longer than one window: every candidate's offsets cut the text at token edges."""
    filler = " ".join(f"Sentence number {i} talks about the weather in the valley." for i in range(40))
    text = filler + " The treasure is buried under the old oak tree in Vilnius. " + filler
    small = SpanReader(max_length=64, stride=24)
    small._model, small._tokenizer = reader._model, reader._tokenizer
    (cands,) = small.predict([("Where is the treasure buried?", text)], n_best=3)
    windows = len(small._tokenizer("Where is the treasure buried?", text, truncation="only_second",
                                   max_length=64, stride=24, return_overflowing_tokens=True)["input_ids"])  # fmt: skip
    assert windows > 10
    assert cands
    for c in cands:
        span = text[c.start : c.end]
        assert span and span == span.strip()
        assert c.start == 0 or not text[c.start - 1].isalnum()  # starts at a word edge
    best = cands[0]
    assert "oak" in text[best.start : best.end] or "Vilnius" in text[best.start : best.end]


def test_document_offsets_of_answers(reader):
    doc = "Intro line.\nThe museum opened in 1932. Its first director was Helena Marsh, a painter."
    offset = doc.index("The museum")
    hit = _hit(doc[offset:], offset=offset)
    answers = reader.read("Who was the first director of the museum?", [hit], top_k=3)
    assert answers and answers[0].text == "Helena Marsh"
    a = answers[0]
    assert doc[a.start : a.end] == a.text
    assert doc[a.context_start : a.context_end] == a.context == "Its first director was Helena Marsh, a painter."


def test_identical_answers_from_overlapping_passages_are_merged(reader):
    doc = "The bridge was designed by Mara Olsen. It opened in 2004. It carries trams and bicycles."
    cut = doc.index("It opened")
    a = _hit(doc[:cut].strip(), offset=0)
    b = _hit(doc, offset=0)  # overlaps the first passage
    answers = reader.read("Who designed the bridge?", [a, b], top_k=5)
    texts = [x.text for x in answers]
    assert texts.count("Mara Olsen") == 1
    regions = [(x.start, x.end) for x in answers]
    for i, (s1, e1) in enumerate(regions):
        for s2, e2 in regions[i + 1 :]:
            assert e1 <= s2 or e2 <= s1  # no two answers overlap


def _answer(text: str, start: int, score: float, doc: str = "d") -> Answer:
    return Answer(
        text=text, score=score, document_id=doc, passage_id="p", start=start, end=start + len(text),
        context=text, context_start=start, context_end=start + len(text),
    )  # fmt: skip


def test_merge_answers_rules():
    merged = merge_answers(
        [
            _answer("Mara Olsen", 10, 0.9),
            _answer("Olsen", 15, 0.5),  # nested in a better span of the same document
            _answer("Mara Olsen", 10, 0.8),  # the same span from an overlapping passage
            _answer("mara olsen", 300, 0.4),  # the same answer elsewhere
            _answer("Olsen", 15, 0.7, doc="other"),  # another document: kept
        ]
    )
    assert [(a.text, a.document_id, a.score) for a in merged] == [("Mara Olsen", "d", 0.9), ("Olsen", "other", 0.7)]


def test_calibration_is_monotonic_in_the_margin():
    cal = Calibration.load(MODEL_DIR)
    lo = cal.probability(SpanCandidate(0, 1, span_logit=2.0, null_logit=6.0))
    hi = cal.probability(SpanCandidate(0, 1, span_logit=12.0, null_logit=-2.0))
    assert 0.0 <= lo < hi <= 1.0


@pytest.mark.slow
@pytest.mark.parametrize(
    "question, expected",
    [
        ("Who is the Belgian Prime Minister?", "Bart de Wever"),
        ("Who is the Australian Prime Minister?", "Anthony Albanese"),
        ("Where did the Coalition of the Willing meet?", "Paris"),
    ],
)
def test_short_spans_over_the_seed_article(seed_pipeline, question, expected):
    resp = seed_pipeline.ask(question, top_k=5)
    assert resp.kind == "single"
    assert resp.answers[0].text == expected
    assert len(resp.answers[0].text) < 40


@pytest.mark.slow
def test_no_answer_when_the_articles_do_not_hold_one(seed_pipeline):
    resp = seed_pipeline.ask("Who won the 2018 World Cup?", top_k=5)
    assert resp.kind == "none"
    assert resp.answers == []
    assert resp.passages  # the passages read are still reported


def test_a_retrieved_passage_that_lacks_the_question_names_scores_lower(reader):
    """Open mode: the same span in a passage that never mentions the question's names (an off-topic corpus
    that happens to hold a plausible span) scores lower than in one that does; a handed-in passage does not."""
    assert reader.calibration.w_names > 0  # fitted by qa.offline.calibrate_retrieval
    question = "Who designed the Olsen Bridge in Tromsø?"
    on = "The Olsen Bridge in Tromsø was designed by the engineer Mara Olsen and opened in 2021."
    off = "The new bridge over the river was designed by the engineer Mara Olsen and opened in 2021."
    cosine = reader.calibration.dense_center
    scores = {}
    for name, text in (("on", on), ("off", off)):
        hit = replace(_hit(text), dense=cosine)
        best = max(reader.candidates(question, [hit]), key=lambda a: a.score)
        plain = max(reader.candidates(question, [_hit(text)]), key=lambda a: a.score)
        scores[name] = (best.text, best.score, plain.score)
    assert scores["on"][0] == scores["off"][0] == "Mara Olsen"

    def logit(p: float) -> float:
        return math.log(p / (1 - p))

    # 'Tromsø' missing (one name of three): the log-odds fall by a third of w_names against the passage read
    # as handed in; with every name there and the cosine at the centre, the score is the plain one
    assert logit(scores["off"][1]) == pytest.approx(logit(scores["off"][2]) - reader.calibration.w_names / 3, abs=0.01)
    assert logit(scores["on"][1]) == pytest.approx(logit(scores["on"][2]), abs=0.01)


def test_a_retrieved_passage_that_lacks_the_question_words_scores_lower(reader):
    """Open mode, a lower-case query that names nothing: the same span in a passage that lacks most of the
    question's content words scores lower than in one that has them; the shift is the calibration's own."""
    cal = reader.calibration
    assert cal.w_words > 0  # fitted by qa.offline.calibrate_retrieval
    question = "who sang the theme song of the cartoon"  # words: sang, theme, song, carto(on)
    on = "The theme song of the cartoon was sung by Mara Olsen in 2001."  # lacks 'sang' only: 1 of 4
    off = "The new record was sung by Mara Olsen in 2001."  # lacks all four
    scores = {}
    for name, text in (("on", on), ("off", off)):
        best = max(reader.candidates(question, [replace(_hit(text), dense=cal.dense_center)]), key=lambda a: a.score)
        plain = max(reader.candidates(question, [_hit(text)]), key=lambda a: a.score)
        scores[name] = (best.text, best.score, plain.score)
    assert scores["on"][0] == scores["off"][0] == "Mara Olsen"

    def logit(p: float) -> float:
        return math.log(p / (1 - p))

    for name, unmatched in (("on", 0.25), ("off", 1.0)):
        shift = -cal.w_words * max(0.0, unmatched - cal.words_center)
        assert logit(scores[name][1]) == pytest.approx(logit(scores[name][2]) + shift, abs=0.01)
    assert scores["off"][1] < scores["on"][1]


FILLER = (
    "The committee met again on Tuesday to discuss the budget for the coming year. Members spoke at length "
    "about roads, schools and the library, and agreed to meet again next month. "
)


@pytest.mark.slow
def test_long_documents_score_on_the_same_scale_as_short_ones(reader):
    """An answer deep inside a long story (many windows) gets the span and about the score it gets alone."""
    story = "The new bridge over the river was designed by the engineer Mara Olsen and opened in 2021. "
    question = "Who designed the new bridge?"
    alone = reader.read(question, [_hit(story)], top_k=1)
    long_text = FILLER * 12 + story + FILLER * 12
    deep = reader.read(question, [_hit(long_text)], top_k=1)
    assert alone and deep
    assert alone[0].text == deep[0].text == "Mara Olsen"
    assert abs(alone[0].score - deep[0].score) < 0.15
    # the filler's own windows (no answer there) do not outrank it, and alone they are "no answer"
    assert reader.read(question, [_hit(FILLER * 12)], top_k=1) == []


def test_a_question_longer_than_a_window_is_cut_not_a_crash(reader):
    """A question of about 700 characters used to crash the tokeniser (stride >= room left for the text)."""
    long_q = "Who designed the new bridge over the river, " + "and what else happened there in those years, " * 14
    assert len(long_q) > 650
    text = FILLER * 4 + "The new bridge over the river was designed by the engineer Mara Olsen and opened in 2021."
    cands = reader.predict([(long_q + "?", text)])[0]
    assert cands and all(0 <= c.start < c.end <= len(text) for c in cands)


def test_a_retrieved_passage_moves_the_score_by_its_cosine_to_the_question():
    for backend in ("torch", "onnx"):
        cal = Calibration.load(MODEL_DIR, backend)
        assert cal.w_dense > 0  # the shipped calibration was fitted with retrieval (qa.offline.calibrate_retrieval)
        c = SpanCandidate(0, 1, span_logit=8.0, null_logit=0.0)
        given = cal.probability(c)
        far = cal.probability(c, dense=cal.dense_center - 0.3)
        near = cal.probability(c, dense=cal.dense_center + 0.3)
        assert far < given < near
        assert cal.probability(c, dense=cal.dense_center) == pytest.approx(given)


def test_no_span_starts_or_ends_inside_a_word():
    """Logits that favour a word piece ("##ley") as a start or an end give the best span at word edges."""
    from qa.onnx_reader import Windows
    from qa.span_reader import window_candidates

    text = "the valley floor flooded"
    offsets = [(0, 0), (0, 3), (4, 7), (7, 10), (11, 16), (17, 22), (22, 24), (0, 0)]  # the val ##ley floor flood ##ed
    win = Windows(
        input_ids=[[0] * 8], token_type_ids=[[1] * 8], offsets=[offsets], sequence_ids=[[None, 1, 1, 1, 1, 1, 1, None]],
        sample=[0],
    )  # fmt: skip
    starts = np.array([0.0, 1.0, 2.0, 9.0, 3.0, 1.0, 0.0, 0.0])  # best start: "##ley"
    ends = np.array([0.0, 0.0, 7.0, 1.0, 2.0, 8.0, 1.0, 0.0])  # best ends: "val", then "flood" (before "##ed")
    free = window_candidates(win, 0, starts, ends, max_answer_tokens=10, n_best=3)
    assert text[free[0].start : free[0].end] == "ley floor flood"  # what the logits alone would give
    spans = [text[c.start : c.end] for c in window_candidates(win, 0, starts, ends, 10, 3, text)]
    assert spans and all(s.split()[0] in {"the", "valley", "floor", "flooded"} for s in spans)
    assert all(s.split()[-1] in {"the", "valley", "floor", "flooded"} for s in spans)
    assert spans[0] == "floor"


def test_word_edges_follow_the_tokenizer_on_ideographs_and_punctuation():
    """Each CJK ideograph is a word of its own (BERT splits them), so a span may start at any; a full stop
    right after a word, or a word piece, may not start one."""
    from qa.span_reader import inside_words

    text = "首都东京 Tokyo."
    offsets = [(0, 1), (1, 2), (2, 3), (3, 4), (5, 10), (10, 11)]
    begins, stops = inside_words(offsets, range(6), text)
    assert begins.tolist() == [False, False, False, False, False, True]
    assert not stops.any()
    begins, stops = inside_words([(0, 3), (3, 6)], range(2), "Rotterdam")  # "rot", "##ter" of a longer word
    assert begins.tolist() == [False, True] and stops.tolist() == [True, True]


def test_a_backend_without_its_own_calibration_takes_the_other_backends(tmp_path):
    """Weights calibrated on one backend only serve calibrated on the other too, never on the defaults."""
    (tmp_path / "calibration-onnx.json").write_text('{"w_span": 0.4, "bias": -1.7, "threshold": 0.36}')
    for backend in ("torch", "onnx"):
        cal = Calibration.load(tmp_path, backend)
        assert (cal.w_span, cal.bias, cal.threshold) == (0.4, -1.7, 0.36)
    (tmp_path / "calibration.json").write_text('{"w_span": 0.5, "bias": -2.0, "threshold": 0.4}')
    assert Calibration.load(tmp_path, "torch").w_span == 0.5
    assert Calibration.load(tmp_path, "onnx").w_span == 0.4
    assert Calibration.load(tmp_path / "nowhere", "torch") == Calibration()
