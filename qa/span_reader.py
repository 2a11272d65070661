"""The trained span reader: short extractive answers with calibrated scores and a no-answer decision.

Each (question, passage) pair is read in overlapping windows of word pieces; every window proposes spans
scored by start+end logits, and its [CLS] position gives a no-answer logit. A logistic calibration fitted
on held-out data of every training source (`calibration.json` beside the weights) turns (span logit,
no-answer logit, query style, and for a retrieved passage its cosine to the question) into a probability
that the span is right, so scores compare across windows, passages and questions.

Two backends compute the logits: PyTorch (the reference; bf16 autocast on CPUs with native bf16) and ONNX
Runtime with the weights quantised to int8 (`qa.onnx_reader`, no torch import at all). `backend="auto"` takes
ONNX only when the backend record beside the weights (`backends.json`, written by `bench/bench_backends.py`)
shows it as accurate and faster for these very weights. Both backends make the same windows and share one
span decoder (`window_candidates`, `best_spans`).
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.onnx_models import check_backend, load_backend
from qa.answers import Answer
from qa.onnx_reader import OnnxSpanModel, Windows, by_stride, pad_arrays, window_stride
from qa.question_names import missing_names, missing_words
from qa.reader import make_answer, merge_answers
from qa.reader_weights import full_weights, has_weights
from qa.retriever import Retrieved
from qa.spans import prefer_one, trim_span

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase


MODEL_DIR = Path(__file__).resolve().parent / "models" / "reader"
CALIBRATION = "calibration.json"
BACKENDS_RECORD = "backends.json"  # measured accuracy and speed of each backend: what `auto` goes by


def shipped_reader_dir(directory: Path | None = None) -> Path | None:
    """`directory` (default: the weights shipped in the package) if reader weights are there (full or compact,
    `qa.reader_weights`), else None."""
    d = directory or MODEL_DIR
    return d if has_weights(d) else None


def pad_token_id(weights_dir: Path) -> int:
    """The id the model pads windows with (`pad_token_id` of its config: 0 for BERT, 1 for MPNet)."""
    try:
        value = json.loads((weights_dir / "config.json").read_text()).get("pad_token_id")
    except (OSError, ValueError):
        return 0
    return int(value) if isinstance(value, int) else 0


def bf16_default() -> bool:
    """Read in bfloat16 when the CPU has native bf16 matrix units (AMX/AVX512-BF16)."""
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (ImportError, AttributeError, RuntimeError):
        return False


@dataclass(frozen=True)
class SpanCandidate:
    """A span of one input text (character offsets into that text) with its raw logits."""

    start: int
    end: int
    span_logit: float  # start logit + end logit
    null_logit: float  # [CLS] start + end logit of the same window

    @property
    def margin(self) -> float:
        """How far the span's logit is above the window's no-answer logit."""
        return self.span_logit - self.null_logit


@dataclass(frozen=True)
class RetrievalShift:
    """How a retrieved passage moves the reader's log-odds: `w_dense * (dense - dense_center) - w_names * missing
    - w_words * max(0, unmatched - words_center)`, for floats or whole arrays of reads (`Calibration` is one,
    with the reader's own weights; `qa.offline.calibrate_retrieval` fits them). The default leaves the score as
    it is."""

    w_dense: float = 0.0
    dense_center: float = 0.0
    w_names: float = 0.0
    w_words: float = 0.0
    words_center: float = 0.0

    def shift(
        self, dense: float | np.ndarray, missing: float | np.ndarray, unmatched: float | np.ndarray
    ) -> float | np.ndarray:
        """The shift for a passage's cosine `dense` and the shares of the question's names (`missing`) and
        content words (`unmatched`) it lacks."""
        return (
            self.w_dense * (dense - self.dense_center)
            - self.w_names * missing
            - self.w_words * np.maximum(0.0, np.asarray(unmatched) - self.words_center)
        )


@dataclass(frozen=True)
class Calibration(RetrievalShift):
    """p(correct) = sigmoid(w_span * span_logit + w_null * null_logit + w_search * search + bias), where
    `search` is 1 for a search-style query (no question mark: "who sings the theme song for x"); answers
    need p >= threshold.

    A passage retrieved for the question adds `shift` (its weights as a `RetrievalShift`) to the log-odds:
    `w_dense * (dense - dense_center)`, `dense` being its cosine to the question: the reader reads a passage
    alone and cannot tell that the corpus barely touches the question (an off-topic question still finds a
    plausible span), the retriever can. Such a passage also subtracts `w_names * missing`, `missing` being the
    share of the question's names it lacks, and `w_words * max(0, unmatched - words_center)`, `unmatched` being
    the share of the question's content words it lacks (`qa.question_names`). All are fitted on open-mode
    reading of held-out data (`qa.offline.calibrate_retrieval`); 0 leaves the reader's score as is.
    """

    w_span: float = 1.0
    w_null: float = -1.0
    bias: float = 0.0
    threshold: float = 0.5
    w_search: float = 0.0

    def probability(
        self,
        c: SpanCandidate,
        search: bool = False,
        dense: float | None = None,
        missing: float = 0.0,
        unmatched: float = 0.0,
    ) -> float:
        """The calibrated probability that candidate `c` is a right answer (`dense`: the cosine of its
        passage to the question when the passage was retrieved; `missing` and `unmatched`: the shares of the
        question's names and content words that passage lacks)."""
        z = self.w_span * c.span_logit + self.w_null * c.null_logit + self.w_search * search + self.bias
        if dense is not None:
            z += float(self.shift(dense, missing, unmatched))
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    @classmethod
    def load(cls, model_dir: Path, backend: str = "torch") -> Calibration:
        """The calibration saved beside the weights in `model_dir` for `backend` (int8 ONNX logits differ a
        little from PyTorch's, so each backend may have its own, `calibration_file`); else the other backend's
        (their logits correlate about 0.998, far closer than the defaults are to either); else the defaults."""
        names = [calibration_file(backend), *(calibration_file(b) for b in ("torch", "onnx"))]
        f = next((model_dir / n for n in names if (model_dir / n).exists()), None)
        if f is None:
            return cls()
        d = json.loads(f.read_text())
        return cls(**{f.name: float(d[f.name]) for f in fields(cls) if f.name in d})


def calibration_file(backend: str) -> str:
    """The file name of a backend's calibration: `calibration.json` (PyTorch) or `calibration-onnx.json`."""
    return CALIBRATION if backend == "torch" else f"calibration-{backend}.json"


def is_search_style(question: str) -> bool:
    """True for a search-engine style query (no closing question mark), which calibration may score apart."""
    return not question.rstrip().endswith("?")


def best_spans(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    context_tokens: range,
    max_answer_tokens: int,
    n_best: int,
    top_n: int = 20,
) -> list[tuple[int, int, float]]:
    """The `n_best` (start token, end token, start+end logit) spans inside `context_tokens`, best first."""
    lo, hi = context_tokens.start, context_tokens.stop
    if hi <= lo:
        return []
    s = start_logits[lo:hi]
    e = end_logits[lo:hi]
    s_idx = np.argsort(-s)[:top_n]
    e_idx = np.argsort(-e)[:top_n]
    spans = [
        (lo + int(i), lo + int(j), float(s[i] + e[j]))
        for i in s_idx
        for j in e_idx
        if i <= j < i + max_answer_tokens and np.isfinite(s[i] + e[j])  # -inf: a place no span may start or end
    ]
    spans.sort(key=lambda t: -t[2])
    return spans[:n_best]


_CJK = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))  # each its own word, as BERT reads


def _in_word(ch: str) -> bool:
    """Whether `ch` joins its neighbours into one word (a letter or digit, not a CJK ideograph)."""
    return ch.isalnum() and not any(lo <= ord(ch) <= hi for lo, hi in _CJK)


def inside_words(offsets: Sequence[tuple[int, int]], tokens: range, text: str) -> tuple[np.ndarray, np.ndarray]:
    """For each token of `tokens` (character `offsets` into `text`), whether a span starting there would
    start inside a word or right after one (a letter or digit right before it: "##ley", the "." of
    "valley."), and whether one ending there would end before a letter or digit: no answer starts or ends
    in the middle of a word."""
    begins, stops = np.zeros(len(tokens), bool), np.zeros(len(tokens), bool)
    for k, t in enumerate(tokens):
        a, b = offsets[t]
        begins[k] = 0 < a and _in_word(text[a - 1])
        stops[k] = 0 <= b < len(text) and _in_word(text[b])
    return begins, stops


def window_candidates(
    windows: Windows,
    i: int,
    starts: np.ndarray,
    ends: np.ndarray,
    max_answer_tokens: int,
    n_best: int,
    text: str | None = None,
) -> list[SpanCandidate]:
    """The best spans of window `i` (inside its text part) from its start/end logits, with character offsets
    into the window's text; none when the window holds no text. Given the `text`, no span starts or ends
    inside a word."""
    ctx = [t for t, s in enumerate(windows.sequence_ids[i]) if s == 1]
    if not ctx:
        return []
    offsets = windows.offsets[i]
    null = float(starts[0] + ends[0])
    tokens = range(ctx[0], ctx[-1] + 1)
    if text is not None:
        begins, stops = inside_words(offsets, tokens, text)
        starts, ends = starts.copy(), ends.copy()
        starts[tokens.start : tokens.stop][begins] = -np.inf
        ends[tokens.start : tokens.stop][stops] = -np.inf
    return [
        SpanCandidate(offsets[s_tok][0], offsets[e_tok][1], logit, null)
        for s_tok, e_tok, logit in best_spans(starts, ends, tokens, max_answer_tokens, n_best)
    ]


def question_room(max_length: int, stride: int) -> int:
    """The most word pieces a question may take in a window and still leave the text more than `stride`."""
    return max_length - stride - 8


def fit_question(tokenizer, question: str, max_pieces: int) -> str:
    """`question` cut after its first `max_pieces` word pieces (a very long question would leave a window
    no room for the text); unchanged when it fits."""
    enc = tokenizer(question, add_special_tokens=False, return_offsets_mapping=True)
    offsets = enc["offset_mapping"]
    if len(offsets) <= max_pieces:
        return question
    return question[: offsets[max_pieces - 1][1]]


def encode_windows(tokenizer, questions: Sequence[str], texts: Sequence[str], max_length: int, stride: int) -> Windows:
    """(question, text) pairs as overlapping windows of at most `max_length` word pieces (the question
    in each, cut to `question_room` pieces if longer; the text cut with `stride` pieces of overlap, less for a
    long question: `window_stride`), with character offsets; shared by reading and training so both see the
    same windows."""
    room = question_room(max_length, stride)
    fitted = [fit_question(tokenizer, q, room) for q in questions]
    pieces = tokenizer(fitted, add_special_tokens=False)["input_ids"] if fitted else []
    strides = [window_stride(max_length, stride, len(p)) for p in pieces]
    parts = []
    for overlap, idx in by_stride(strides).items():
        enc = tokenizer(
            [fitted[i] for i in idx],
            [texts[i] for i in idx],
            truncation="only_second",
            max_length=max_length,
            stride=overlap,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
            padding=False,
        )
        parts.append((idx, Windows.from_batch_encoding(enc)))
    return Windows.joined(parts)


def pad_windows(input_ids: Sequence[list[int]], token_type_ids: Sequence[list[int]], pad_id: int = 0):
    """Right-pad windows of word pieces into (ids, token types, attention mask) tensors (`pad_arrays`, as torch)."""
    import torch

    return tuple(torch.from_numpy(a) for a in pad_arrays(input_ids, token_type_ids, pad_id))


# Spans each window proposes. The best few are mostly nested variants of one answer ("Barry Parker", "architect
# Barry Parker"); ten also hold the further answers a list needs ("Raymond Unwin"). The best span stays the best.
SPANS_PER_WINDOW = 10


class SpanReader:
    """Reads passages with the shipped span model; `read` returns calibrated, merged answers.

    `backend` is `torch`, `onnx` (int8 ONNX Runtime, exported into `onnx_cache` on first use) or `auto` (ONNX
    when the backend record `record`, default `backends.json` beside the weights, says it wins for them).
    Compact weights (an adapter on a fetched encoder) are merged into `models_cache` on first use; the
    calibration and backend record stay beside them in `model_dir`.
    """

    def __init__(
        self,
        model_dir: str | Path | None = None,
        max_length: int = 256,
        stride: int = 128,
        max_answer_tokens: int = 30,
        threshold: float | None = None,
        batch_size: int = 32,
        spans_per_window: int = SPANS_PER_WINDOW,
        bf16: bool | None = None,
        backend: str = "torch",
        onnx_cache: str | Path | None = None,
        threads: int = 0,
        record: Path | None = None,
        models_cache: str | Path | None = None,
        spin: bool = True,
    ) -> None:
        d = Path(model_dir) if model_dir else shipped_reader_dir()
        if d is None:
            raise FileNotFoundError(f"no span reader weights at {MODEL_DIR} (train them: qa train-reader)")
        self.model_dir = d
        self.models_cache = models_cache
        self.weights_dir: Path | None = None  # the full weights, once `warm_up` has them (merged if compact)
        self.pad_id = 0
        self._types = True  # whether the model reads token types (MPNet does not)
        self.max_length = max_length
        self.stride = stride
        self.max_answer_tokens = max_answer_tokens
        self.batch_size = batch_size
        self.spans_per_window = spans_per_window
        self.calibration = Calibration.load(d)  # PyTorch's until `warm_up` knows the backend
        self._fixed_threshold = threshold
        self.threshold = self.calibration.threshold if threshold is None else threshold
        self.bf16 = bf16  # None: decided when the PyTorch model loads (native bf16 or not)
        self.backend = check_backend(backend, "reader backend")
        self.onnx_cache = onnx_cache
        self.threads = threads
        self.spin = spin  # ONNX threads busy-wait between runs: for the reader that runs last (not a cascade's first)
        self.record = record if record is not None else d / BACKENDS_RECORD
        self.active_backend: str | None = None  # `torch` or `onnx` once loaded
        self._model: PreTrainedModel | None = None
        self._tokenizer: PreTrainedTokenizerBase | None = None
        self._onnx: OnnxSpanModel | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the tokenizer and model of the chosen backend (once, thread-safe) before the first question."""
        with self._lock:
            if self.active_backend is None:
                if self._model is not None:  # a PyTorch model handed in from outside
                    from index.onnx_models import takes_token_types

                    self.bf16 = bf16_default() if self.bf16 is None else self.bf16
                    self._types = takes_token_types(self._model)
                    self.pad_id = int(getattr(self._model.config, "pad_token_id", 0) or 0)
                    self.active_backend = "torch"
                    return
                weights = full_weights(self.model_dir, self.models_cache)
                self.weights_dir = weights
                self.pad_id = pad_token_id(weights)
                choice, self._onnx = load_backend(
                    self.backend,
                    "reader",
                    weights,
                    self.record,
                    lambda key: OnnxSpanModel(weights, self.onnx_cache, self.threads, key, self.spin),
                )
                if choice == "torch":
                    self._load_torch()
                self.calibration = Calibration.load(self.model_dir, choice)
                if self._fixed_threshold is None:
                    self.threshold = self.calibration.threshold
                self.active_backend = choice

    def _load_torch(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer
        from transformers.utils import logging as tlog

        tlog.set_verbosity_error()
        from index.onnx_models import takes_token_types

        if self.bf16 is None:
            self.bf16 = bf16_default()
        weights = self.weights_dir or self.model_dir
        self._tokenizer = AutoTokenizer.from_pretrained(weights)
        model = AutoModelForQuestionAnswering.from_pretrained(weights, dtype=torch.float32)
        model.eval()
        self._model = model
        self._types = takes_token_types(model)

    def question_note(self, question: str) -> str | None:
        """A note when `question` has more word pieces than a window leaves it (`question_room`): the reader
        then reads its first pieces only; None when it fits."""
        self.warm_up()
        room = question_room(self.max_length, self.stride)
        if self._onnx is not None:
            n = self._onnx.tokenizer.count(question)
        else:
            assert self._tokenizer is not None  # warm_up() loaded it
            n = len(self._tokenizer(question, add_special_tokens=False)["input_ids"])
        if n <= room:
            return None
        return f"the question is {n} word pieces long: the reader read its first {room}"

    # ---- raw reading ----------------------------------------------------------------------------
    def windows(self, questions: Sequence[str], texts: Sequence[str]) -> Windows:
        """The windows the loaded backend reads for each (question, text) pair (the same for both backends)."""
        self.warm_up()
        if self._onnx is not None:
            room = question_room(self.max_length, self.stride)
            return self._onnx.tokenizer.windows(questions, texts, self.max_length, self.stride, room)
        assert self._tokenizer is not None  # warm_up() loaded it
        return encode_windows(self._tokenizer, questions, texts, self.max_length, self.stride)

    def _logits(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits (float32 arrays) of padded windows from the loaded backend."""
        if self._onnx is not None:
            return self._onnx.logits(ids, types, mask)
        import torch

        assert self._model is not None  # warm_up() loaded it
        inputs = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
        if self._types:
            inputs["token_type_ids"] = torch.from_numpy(types)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bool(self.bf16)):
            res = self._model(**inputs)
        return res.start_logits.float().numpy(), res.end_logits.float().numpy()

    def predict(self, pairs: Sequence[tuple[str, str]], n_best: int | None = None) -> list[list[SpanCandidate]]:
        """For each (question, text): candidate spans over all its windows, best span logit first."""
        n_best = n_best or self.spans_per_window
        out: list[list[SpanCandidate]] = [[] for _ in pairs]
        if not pairs:
            return out
        win = self.windows([q for q, _ in pairs], [t for _, t in pairs])
        order = sorted(range(len(win)), key=lambda i: len(win.input_ids[i]))
        for lo in range(0, len(win), self.batch_size):
            idx = order[lo : lo + self.batch_size]
            starts, ends = self._logits(
                *pad_arrays([win.input_ids[i] for i in idx], [win.token_type_ids[i] for i in idx], self.pad_id)
            )
            for r, i in enumerate(idx):
                out[win.sample[i]] += window_candidates(
                    win, i, starts[r], ends[r], self.max_answer_tokens, n_best, pairs[win.sample[i]][1]
                )
        for cands in out:
            cands.sort(key=lambda c: -c.span_logit)
        return out

    def probability(
        self,
        c: SpanCandidate,
        question: str = "?",
        dense: float | None = None,
        missing: float = 0.0,
        unmatched: float = 0.0,
    ) -> float:
        """The calibrated probability that candidate `c` is a right answer to `question` (`dense`: its
        passage's cosine to the question, for a retrieved passage; `missing` and `unmatched`: the shares of
        the question's names and content words that passage lacks)."""
        return self.calibration.probability(c, is_search_style(question), dense, missing, unmatched)

    def spans(
        self, question: str, text: str, cands: Sequence[SpanCandidate], dense: float | None = None
    ) -> list[tuple[int, int, float]]:
        """(start, end, calibrated probability) of the minimal answer spans in `text`, best first (`dense`: the
        text's cosine to the question when it was retrieved for it)."""
        out = []
        retrieved = dense is not None
        missing = missing_names(question, text) if retrieved and self.calibration.w_names else 0.0
        unmatched = missing_words(question, text) if retrieved and self.calibration.w_words else 0.0
        for c in cands:
            if c.end > c.start:
                s, e = trim_span(question, text, c.start, c.end)
                out.append((s, e, self.probability(c, question, dense, missing, unmatched)))
        out.sort(key=lambda t: -t[2])
        return prefer_one(question, text, out)

    # ---- the Reader interface -------------------------------------------------------------------
    def candidates(self, question: str, passages: Sequence[Retrieved]) -> list[Answer]:
        """Every span the windows propose, as Answers with calibrated scores (not merged, not thresholded)."""
        preds = self.predict([(question, h.passage.text) for h in passages])
        out = []
        for hit, cands in zip(passages, preds):
            base = hit.passage.start
            for s, e, p in self.spans(question, hit.passage.text, cands, hit.dense):
                out.append(make_answer(hit, base + s, base + e, p))
        return out

    def read(
        self, question: str, passages: Sequence[Retrieved], top_k: int = 5, threshold: float | None = None
    ) -> list[Answer]:
        """The top answers across all passages with score >= `threshold` (default: the calibrated one;
        none: 'no answer')."""
        floor = self.threshold if threshold is None else threshold
        answers = [a for a in self.candidates(question, passages) if a.score >= floor]
        return merge_answers(answers)[:top_k]
