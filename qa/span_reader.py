"""The trained span reader: short extractive answers with calibrated scores and a no-answer decision.

Each (question, passage) pair is read in overlapping windows of word pieces; every window proposes spans
scored by start+end logits, and its [CLS] position gives a no-answer logit. A logistic calibration fitted
on held-out SQuAD articles (`calibration.json` beside the weights) turns (span logit, no-answer logit)
into a probability that the span is right, so scores compare across windows, passages and questions.
"""

from __future__ import annotations

import json
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qa.answers import Answer
from qa.reader import make_answer
from qa.retriever import Retrieved
from qa.spans import prefer_one, trim_span
from qa.text import normalize_answer

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

MODEL_DIR = Path(__file__).resolve().parent / "models" / "reader"
CALIBRATION = "calibration.json"


def shipped_reader_dir(directory: Path | None = None) -> Path | None:
    """`directory` (default: the weights shipped in the package) if reader weights are there, else None."""
    d = directory or MODEL_DIR
    return d if (d / "model.safetensors").exists() else None


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
class Calibration:
    """p(correct) = sigmoid(w_span * span_logit + w_null * null_logit + w_search * search + bias), where
    `search` is 1 for a search-style query (no question mark: "who sings the theme song for x"); answers
    need p >= threshold."""

    w_span: float = 1.0
    w_null: float = -1.0
    bias: float = 0.0
    threshold: float = 0.5
    w_search: float = 0.0

    def probability(self, c: SpanCandidate, search: bool = False) -> float:
        """The calibrated probability that candidate `c` is a right answer."""
        z = self.w_span * c.span_logit + self.w_null * c.null_logit + self.w_search * search + self.bias
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    @classmethod
    def load(cls, model_dir: Path) -> Calibration:
        """The calibration saved beside the weights in `model_dir`; the defaults when there is none."""
        f = model_dir / CALIBRATION
        if not f.exists():
            return cls()
        d = json.loads(f.read_text())
        return cls(**{k: float(d[k]) for k in ("w_span", "w_null", "bias", "threshold", "w_search") if k in d})


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
        (lo + int(i), lo + int(j), float(s[i] + e[j])) for i in s_idx for j in e_idx if i <= j < i + max_answer_tokens
    ]
    spans.sort(key=lambda t: -t[2])
    return spans[:n_best]


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


def encode_windows(tokenizer, questions: Sequence[str], texts: Sequence[str], max_length: int, stride: int):
    """(question, text) pairs as overlapping windows of at most `max_length` word pieces (the question
    in each, cut to `question_room` pieces if longer; the text cut with `stride` pieces of overlap), with
    character offsets; shared by reading and training so both see the same windows."""
    room = question_room(max_length, stride)
    return tokenizer(
        [fit_question(tokenizer, q, room) for q in questions],
        list(texts),
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding=False,
    )


def pad_windows(input_ids: Sequence[list[int]], token_type_ids: Sequence[list[int]]):
    """Right-pad windows of word pieces into (ids, token types, attention mask) tensors."""
    import torch

    width = max(len(x) for x in input_ids)
    ids = torch.zeros((len(input_ids), width), dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for r, (x, t) in enumerate(zip(input_ids, token_type_ids)):
        ids[r, : len(x)] = torch.tensor(x)
        types[r, : len(t)] = torch.tensor(t)
        mask[r, : len(x)] = 1
    return ids, types, mask


def merge_answers(answers: list[Answer]) -> list[Answer]:
    """Best first; drop spans overlapping a better span of the same document, and repeats of the same text.

    Overlapping passages propose the same span twice, and neighbouring windows propose nested spans of the
    same region: each region is reported once, with its best score.
    """
    kept: list[Answer] = []
    seen_text: set[str] = set()
    for a in sorted(answers, key=lambda a: -a.score):
        if any(k.document_id == a.document_id and a.start < k.end and k.start < a.end for k in kept):
            continue
        key = normalize_answer(a.text) or a.text
        if key in seen_text:
            continue
        seen_text.add(key)
        kept.append(a)
    return kept


class SpanReader:
    """Reads passages with the shipped span model; `read` returns calibrated, merged answers."""

    def __init__(
        self,
        model_dir: str | Path | None = None,
        max_length: int = 256,
        stride: int = 128,
        max_answer_tokens: int = 30,
        threshold: float | None = None,
        batch_size: int = 32,
        spans_per_window: int = 3,
        bf16: bool | None = None,
    ) -> None:
        d = Path(model_dir) if model_dir else shipped_reader_dir()
        if d is None:
            raise FileNotFoundError(f"no span reader weights at {MODEL_DIR} (train them: qa train-reader)")
        self.model_dir = d
        self.max_length = max_length
        self.stride = stride
        self.max_answer_tokens = max_answer_tokens
        self.batch_size = batch_size
        self.spans_per_window = spans_per_window
        self.calibration = Calibration.load(d)
        self.threshold = self.calibration.threshold if threshold is None else threshold
        self.bf16 = bf16_default() if bf16 is None else bf16
        self._model: PreTrainedModel | None = None
        self._tokenizer: PreTrainedTokenizerBase | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the tokenizer and model (once, thread-safe) before the first question needs them."""
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                import torch
                from transformers import AutoModelForQuestionAnswering, AutoTokenizer
                from transformers.utils import logging as tlog

                tlog.set_verbosity_error()
                self._tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
                model = AutoModelForQuestionAnswering.from_pretrained(self.model_dir, dtype=torch.float32)
                model.eval()
                self._model = model

    # ---- raw reading ----------------------------------------------------------------------------
    def predict(self, pairs: Sequence[tuple[str, str]], n_best: int | None = None) -> list[list[SpanCandidate]]:
        """For each (question, text): candidate spans over all its windows, best span logit first."""
        import torch

        self.warm_up()
        model, tokenizer = self._model, self._tokenizer
        assert model is not None and tokenizer is not None  # warm_up() loaded both
        n_best = n_best or self.spans_per_window
        out: list[list[SpanCandidate]] = [[] for _ in pairs]
        if not pairs:
            return out
        enc = encode_windows(tokenizer, [q for q, _ in pairs], [t for _, t in pairs], self.max_length, self.stride)
        n = len(enc["input_ids"])
        order = sorted(range(n), key=lambda i: len(enc["input_ids"][i]))
        for lo in range(0, n, self.batch_size):
            idx = order[lo : lo + self.batch_size]
            ids, types, mask = pad_windows([enc["input_ids"][i] for i in idx], [enc["token_type_ids"][i] for i in idx])
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
                res = model(input_ids=ids, token_type_ids=types, attention_mask=mask)
            starts = res.start_logits.float().numpy()
            ends = res.end_logits.float().numpy()
            for r, i in enumerate(idx):
                seq = enc.sequence_ids(i)
                ctx = [t for t, s in enumerate(seq) if s == 1]
                if not ctx:
                    continue
                offsets = enc["offset_mapping"][i]
                null = float(starts[r, 0] + ends[r, 0])
                sample = enc["overflow_to_sample_mapping"][i]
                for s_tok, e_tok, logit in best_spans(
                    starts[r], ends[r], range(ctx[0], ctx[-1] + 1), self.max_answer_tokens, n_best
                ):
                    out[sample].append(SpanCandidate(offsets[s_tok][0], offsets[e_tok][1], logit, null))
        for cands in out:
            cands.sort(key=lambda c: -c.span_logit)
        return out

    def probability(self, c: SpanCandidate, question: str = "?") -> float:
        """The calibrated probability that candidate `c` is a right answer to `question`."""
        return self.calibration.probability(c, is_search_style(question))

    def spans(self, question: str, text: str, cands: Sequence[SpanCandidate]) -> list[tuple[int, int, float]]:
        """(start, end, calibrated probability) of the minimal answer spans in `text`, best first."""
        out = []
        for c in cands:
            if c.end > c.start:
                s, e = trim_span(question, text, c.start, c.end)
                out.append((s, e, self.probability(c, question)))
        out.sort(key=lambda t: -t[2])
        return prefer_one(question, text, out)

    # ---- the Reader interface -------------------------------------------------------------------
    def candidates(self, question: str, passages: Sequence[Retrieved]) -> list[Answer]:
        """Every span the windows propose, as Answers with calibrated scores (not merged, not thresholded)."""
        preds = self.predict([(question, h.passage.text) for h in passages])
        out = []
        for hit, cands in zip(passages, preds):
            base = hit.passage.start
            for s, e, p in self.spans(question, hit.passage.text, cands):
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
