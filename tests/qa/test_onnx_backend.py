"""The ONNX Runtime int8 backends of the span reader and the embedder: built on first use into a cache from the
project's own weights, the same windows and answers as PyTorch, reused from the cache, and no torch import."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.documents import load_documents
from index.embedder import Embedder
from index.onnx_models import resolve_backend, weights_key
from qa.offline.squad import normalize_answer
from qa.onnx_reader import MIN_ADVANCE
from qa.settings import Settings
from qa.span_reader import MODEL_DIR, SpanReader, encode_windows

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"

SEED_QUESTIONS = [
    ("Who is the Belgian Prime Minister?", "Bart de Wever"),
    ("Where did the Coalition of the Willing meet?", "Paris"),
    ("When did the Coalition of the Willing meet in Paris?", "March 27"),
    ("Who dismissed the Franco-British initiative?", "Steve Witkoff"),
    ("Which newspaper reported this?", "Wall Street Journal"),
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def onnx_reader(cache) -> SpanReader:
    r = SpanReader(backend="onnx", onnx_cache=cache)
    r.warm_up()  # exports into the empty cache
    return r


@pytest.fixture(scope="module")
def torch_reader() -> SpanReader:
    r = SpanReader(backend="torch")
    r.warm_up()
    return r


@pytest.fixture(scope="module")
def seed_paragraphs() -> list[str]:
    [doc] = load_documents([SEEDS])
    return [p for p in doc.text.split("\n") if len(p) > 40]


def test_the_export_is_built_on_first_use_into_the_cache(onnx_reader, cache):
    assert onnx_reader.active_backend == "onnx"
    assert onnx_reader._model is None and onnx_reader._tokenizer is None  # no PyTorch model loaded
    path = onnx_reader._onnx.path
    assert path.parent.parent == cache and path.parent.name == weights_key(onnx_reader.model_dir)
    assert path.name == "reader-int8.onnx" and 10 * 2**20 < path.stat().st_size < 40 * 2**20
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".reader-")]  # no temporary left over


LONG_QUESTION = "Which " + " ".join(["remarkably"] * 150) + " long question is this?"
TEXTS = [
    ("Who founded the company?", "The company was founded by Ada Brook in 1999. " * 40),
    (LONG_QUESTION, "Café Müller in Zürich served crème brûlée to Søren — 東京, naïve résumé, “quotes”. " * 25),
    ("Où est né Michaël Martin ?", "Michaël Martin est né à Cork. Trumpʼs envoy said «Babel'» twice."),
    ("Where?", "Short."),
]


@pytest.mark.parametrize(("max_length", "stride"), [(256, 128), (64, 24)])
def test_windows_and_offsets_are_those_of_the_transformers_tokenizer(onnx_reader, torch_reader, max_length, stride):
    questions, texts = [q for q, _ in TEXTS], [t for _, t in TEXTS]
    from qa.span_reader import question_room

    fast = onnx_reader._onnx.tokenizer.windows(questions, texts, max_length, stride, question_room(max_length, stride))
    ref = encode_windows(torch_reader._tokenizer, questions, texts, max_length, stride)
    assert len(fast) > len(TEXTS)  # the long texts overflow into several windows
    assert fast == ref
    long_q = [i for i, s in enumerate(fast.sample) if s == 1]
    assert all(len(fast.input_ids[i]) <= max_length for i in long_q)  # the long question was cut to fit
    # each of its windows moves on by a quarter of the window at least (the full overlap would move 4 pieces)
    text_starts = [next(t for t, q in enumerate(fast.sequence_ids[i]) if q == 1) for i in long_q]
    firsts = [fast.offsets[i][t][0] for i, t in zip(long_q, text_starts)]
    assert firsts == sorted(set(firsts)) and fast.offsets[long_q[-1]][-2][1] == len(TEXTS[1][1].rstrip())
    pieces = onnx_reader._onnx.tokenizer.count(TEXTS[1][1])
    assert len(long_q) <= pieces // min(MIN_ADVANCE, max_length // 4) + 1


def test_top_span_and_calibrated_score_match_pytorch(onnx_reader, torch_reader, seed_paragraphs):
    for question, answer in SEED_QUESTIONS:
        pairs = [(question, p) for p in seed_paragraphs]
        best = []
        for r in (onnx_reader, torch_reader):
            preds = r.predict(pairs)
            best.append(
                max(
                    (r.probability(c, question), seed_paragraphs[i][c.start : c.end])
                    for i, cands in enumerate(preds)
                    for c in cands[:1]
                )
            )
        (p_onnx, text_onnx), (p_torch, text_torch) = best
        # The same answer as SQuAD's exact match counts it: "The Wall Street Journal" is "Wall Street Journal"
        # (bf16 PyTorch and int8 ONNX may differ on a leading article, never on the thing named).
        assert normalize_answer(text_onnx) == normalize_answer(text_torch) == normalize_answer(answer), (
            question,
            text_onnx,
            text_torch,
        )
        assert abs(p_onnx - p_torch) < 0.05, (question, p_onnx, p_torch)


def test_embedder_vectors_agree_with_sentence_transformers(embedder, cache, seed_paragraphs):
    onnx = Embedder(backend="onnx", onnx_cache=cache)
    texts = seed_paragraphs + [q for q, _ in SEED_QUESTIONS]
    a, b = onnx.embed(texts), embedder.embed(texts)
    assert onnx.active_backend == "onnx" and onnx.dimension == embedder.dimension == a.shape[1]
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)
    cos = (a * b).sum(axis=1)
    assert cos.mean() >= 0.99 and cos.min() >= 0.98, (cos.mean(), cos.min())
    assert onnx.name == embedder.name
    assert [onnx.count_tokens(t) for t in texts] == [embedder.count_tokens(t) for t in texts]


def test_a_fresh_process_reuses_the_cache_and_never_imports_torch(onnx_reader, cache):
    """A second reader (and embedder) in a new process: the exports are reused, not rebuilt (an export would
    import torch), and answering needs neither torch nor transformers nor sentence-transformers."""
    files = {p: p.stat().st_mtime_ns for p in cache.rglob("*.onnx")}
    code = (
        "import sys\n"
        "from index.embedder import Embedder\n"
        "from qa.span_reader import SpanReader\n"
        f"cache = {str(cache)!r}\n"
        "e = Embedder(backend='onnx', onnx_cache=cache)\n"
        "assert e.embed(['Who founded the company?']).shape == (1, 384)\n"
        "r = SpanReader(backend='onnx', onnx_cache=cache)\n"
        "t = 'The company was founded by Ada Brook in 1999.'\n"
        "c = r.predict([('Who founded the company?', t)])[0][0]\n"
        "print('TEXT=' + t[c.start:c.end])\n"
        "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": "/nonexistent"}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "TEXT=Ada Brook" in r.stdout
    assert "building" not in r.stderr
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*.onnx")} == files  # nothing rewritten
    assert len(files) == 2  # the reader and the embedder


def _record(path: Path, reader_dir: Path, f1: tuple[float, float], ms: tuple[float, float]) -> Path:
    path.write_text(
        json.dumps(
            {
                "reader": {
                    "weights": weights_key(reader_dir),
                    "torch": {"f1": f1[0], "ms_per_predict": ms[0]},
                    "onnx": {"f1": f1[1], "ms_per_predict": ms[1]},
                }
            }
        )
    )
    return path


def test_auto_follows_the_record_for_these_weights_only(tmp_path):
    d = MODEL_DIR
    assert resolve_backend("auto", "reader", d, tmp_path / "none.json")[0] == "torch"  # no record: PyTorch
    wins = _record(tmp_path / "a.json", d, (82.0, 81.6), (100.0, 60.0))
    assert resolve_backend("auto", "reader", d, wins)[0] == "onnx"
    assert resolve_backend("torch", "reader", d, wins)[0] == "torch"
    assert resolve_backend("auto", "reader", d, _record(tmp_path / "b.json", d, (82.0, 81.4), (100.0, 60.0)))[0] == (
        "torch"
    )  # more than 0.5 F1 lost
    assert resolve_backend("auto", "reader", d, _record(tmp_path / "c.json", d, (82.0, 82.0), (60.0, 61.0)))[0] == (
        "torch"
    )  # slower
    stale = json.loads(wins.read_text())
    stale["reader"]["weights"] = "0" * 16  # measured on other weights
    (tmp_path / "d.json").write_text(json.dumps(stale))
    assert resolve_backend("auto", "reader", d, tmp_path / "d.json")[0] == "torch"


def test_backend_settings():
    s = Settings.from_env({"QA_READER_BACKEND": "ONNX", "QA_ONNX_CACHE": "~/x", "QA_ONNX_THREADS": "3"})
    assert (s.reader_backend, s.embedder_backend, s.onnx_threads) == ("onnx", "auto", 3)
    assert s.onnx_cache == Path("~/x").expanduser()
    with pytest.raises(ValueError, match="QA_EMBEDDER_BACKEND"):
        Settings.from_env({"QA_EMBEDDER_BACKEND": "tensorrt"})
