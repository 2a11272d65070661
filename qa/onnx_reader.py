"""The span reader's windows as plain lists, and its ONNX Runtime backend (no torch, no transformers).

`Windows` is what both backends of `qa.span_reader.SpanReader` hand to the one span decoder: the word pieces of
every (question, text) window with character offsets, sequence ids and the pair each window came from.
`OnnxSpanModel` makes the same windows as `encode_windows` does with a transformers tokenizer, but with the
`tokenizers` library straight from `tokenizer.json`, and runs the int8 ONNX export of the weights
(`index.onnx_models`) for the start/end logits.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from index.onnx_models import onnx_model, session

if TYPE_CHECKING:
    from tokenizers import Tokenizer


@dataclass
class Windows:
    """Windows of (question, text) pairs: per window its word pieces, token types, (start, end) character
    offsets into its own sequence, sequence ids (None, 0 = question, 1 = text) and the pair it belongs to."""

    input_ids: list[list[int]] = field(default_factory=list)
    token_type_ids: list[list[int]] = field(default_factory=list)
    offsets: list[list[tuple[int, int]]] = field(default_factory=list)
    sequence_ids: list[list[int | None]] = field(default_factory=list)
    sample: list[int] = field(default_factory=list)

    @classmethod
    def from_batch_encoding(cls, enc: Any) -> Windows:
        """The windows of a transformers `BatchEncoding` made by `encode_windows` (with overflow and offsets)."""
        n = len(enc["input_ids"])
        seq_ids = [enc.sequence_ids(i) for i in range(n)]
        types = enc.get("token_type_ids") or [None] * n
        return cls(
            input_ids=[list(x) for x in enc["input_ids"]],
            token_type_ids=[segments(t, s) for t, s in zip(types, seq_ids)],
            offsets=[[(int(s), int(e)) for s, e in x] for x in enc["offset_mapping"]],
            sequence_ids=seq_ids,
            sample=[int(s) for s in enc["overflow_to_sample_mapping"]],
        )

    def __len__(self) -> int:
        return len(self.input_ids)

    @classmethod
    def joined(cls, parts: Sequence[tuple[Sequence[int], Windows]]) -> Windows:
        """One `Windows` from parts made over subsets of the pairs (each part with the pair indices it covered),
        in pair order and, within a pair, in text order (a lone part, which covers every pair, as it is)."""
        if len(parts) == 1:
            return parts[0][1]
        rows = [(pairs[w.sample[i]], n, i, w) for n, (pairs, w) in enumerate(parts) for i in range(len(w))]
        rows.sort(key=lambda r: (r[0], r[1], r[2]))
        out = cls()
        for pair, _, i, w in rows:
            out.input_ids.append(w.input_ids[i])
            out.token_type_ids.append(w.token_type_ids[i])
            out.offsets.append(w.offsets[i])
            out.sequence_ids.append(w.sequence_ids[i])
            out.sample.append(pair)
        return out


# Word pieces each window must move on by at least. The overlap between windows (`stride`) is shortened for a
# long question: with its full overlap a window on a 256-piece reader left a 120-piece question advancing 4
# pieces a step, some 30 windows per passage, and one question took minutes.
MIN_ADVANCE = 64
SPECIAL_PIECES = 4  # the most special tokens a (question, text) pair takes: MPNet's <s> q </s></s> t </s>


def window_stride(max_length: int, stride: int, question_pieces: int) -> int:
    """The overlap, in word pieces, of the windows of a question this long: `stride`, shortened so that each
    window moves on by at least `MIN_ADVANCE` pieces (a quarter of a smaller window); on a 256-piece window
    with 128 of overlap, unchanged for any question up to 60 pieces."""
    text_room = max_length - question_pieces - SPECIAL_PIECES
    return max(0, min(stride, text_room - min(MIN_ADVANCE, max_length // 4)))


def by_stride(strides: Sequence[int]) -> dict[int, list[int]]:
    """Pair indices grouped by the overlap their windows take, in pair order within each group."""
    groups: dict[int, list[int]] = {}
    for i, s in enumerate(strides):
        groups.setdefault(s, []).append(i)
    return groups


def segments(type_ids: Sequence[int] | None, sequence_ids: Sequence[int | None]) -> list[int]:
    """A window's token types: the tokenizer's when it gives them (BERT: 1 on the text and its closing
    [SEP]), else 1 on the text part (MPNet and RoBERTa-style tokenizers give none, or all 0): span decoding
    and the training loss find the text by them, whatever the encoder."""
    if type_ids is not None and any(type_ids):
        return list(type_ids)
    return [1 if s == 1 else 0 for s in sequence_ids]


def pad_arrays(input_ids: Sequence[list[int]], token_type_ids: Sequence[list[int]], pad_id: int = 0):
    """Right-pad windows into int64 (ids, token types, attention mask) arrays, ids padded with `pad_id`."""
    width = max(len(x) for x in input_ids)
    ids = np.full((len(input_ids), width), pad_id, dtype=np.int64)
    types = np.zeros_like(ids)
    mask = np.zeros_like(ids)
    for r, (x, t) in enumerate(zip(input_ids, token_type_ids)):
        ids[r, : len(x)] = x
        types[r, : len(t)] = t
        mask[r, : len(x)] = 1
    return ids, types, mask


class WindowTokenizer:
    """`encode_windows` with the `tokenizers` library: the question cut to `room` word pieces, the text in
    windows of `max_length` pieces overlapping by `stride` (truncation `only_second` with overflow)."""

    def __init__(self, tokenizer_file: Path) -> None:
        from tokenizers import Tokenizer

        self.file = tokenizer_file
        self._plain = Tokenizer.from_file(str(tokenizer_file))
        self._plain.no_truncation()
        self._plain.no_padding()
        self._pairs: dict[tuple[int, int], Tokenizer] = {}
        self._lock = threading.Lock()

    def _pair_tokenizer(self, max_length: int, stride: int) -> Tokenizer:
        with self._lock:
            tok = self._pairs.get((max_length, stride))
            if tok is None:
                from tokenizers import Tokenizer

                tok = Tokenizer.from_file(str(self.file))
                tok.no_padding()
                tok.enable_truncation(max_length, stride=stride, strategy="only_second", direction="right")
                self._pairs[(max_length, stride)] = tok
            return tok

    def count(self, text: str) -> int:
        """Word pieces of `text` without special tokens and without truncation."""
        return len(self._plain.encode(text, add_special_tokens=False).ids)

    def fit_question(self, question: str, max_pieces: int) -> str:
        """`question` cut after its first `max_pieces` word pieces; unchanged when it fits (as `fit_question`)."""
        offsets = self._plain.encode(question, add_special_tokens=False).offsets
        if len(offsets) <= max_pieces:
            return question
        return question[: offsets[max_pieces - 1][1]]

    def windows(
        self, questions: Sequence[str], texts: Sequence[str], max_length: int, stride: int, room: int
    ) -> Windows:
        """The windows of every (question, text) pair, in pair order, each pair's windows in text order
        (overlapping by `window_stride`, as `encode_windows`)."""
        fitted = [self.fit_question(q, room) for q in questions]
        strides = [window_stride(max_length, stride, self.count(q)) for q in fitted]
        parts = []
        for overlap, idx in by_stride(strides).items():
            out = Windows()
            encs = self._pair_tokenizer(max_length, overlap).encode_batch([(fitted[i], texts[i]) for i in idx])
            for sample, enc in enumerate(encs):
                for w in [enc, *enc.overflowing]:
                    out.input_ids.append(list(w.ids))
                    out.token_type_ids.append(segments(w.type_ids, w.sequence_ids))
                    out.offsets.append([(int(s), int(e)) for s, e in w.offsets])
                    out.sequence_ids.append(list(w.sequence_ids))
                    out.sample.append(sample)
            parts.append((idx, out))
        return Windows.joined(parts)


class OnnxSpanModel:
    """The span reader's weights as an int8 ONNX Runtime session (exported into the cache on first use)."""

    def __init__(
        self,
        model_dir: Path,
        cache: str | Path | None = None,
        threads: int = 0,
        key: str | None = None,
        spin: bool = True,
    ):
        self.model_dir = model_dir
        self.path = onnx_model("reader", model_dir, cache, key)
        self.tokenizer = WindowTokenizer(model_dir / "tokenizer.json")
        self._session = session(self.path, threads, spin=spin)  # spin: the last model a question runs
        self._inputs = {i.name for i in self._session.get_inputs()}  # MPNet's graph takes no token types

    def logits(self, ids: np.ndarray, types: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start and end logits (float32, batch x length) of padded windows."""
        feed = {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}
        start, end = self._session.run(
            ["start_logits", "end_logits"], {k: v for k, v in feed.items() if k in self._inputs}
        )
        return np.asarray(start, dtype=np.float32), np.asarray(end, dtype=np.float32)
