"""all-MiniLM-L6-v2 sentence embeddings through ONNX Runtime (int8 weights), without torch or transformers.

What sentence-transformers does for this model (`modules.json`: Transformer -> mean Pooling -> Normalize), in
numpy: word pieces from `tokenizer.json` (at most 256 with [CLS] and [SEP]), the transformer's last hidden
state from the cached int8 export (`index.onnx_models`), the mean over the real (unmasked) pieces, unit length.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from index.onnx_models import onnx_model, session


def embedding_dimension(model_path: Path) -> int:
    """The length of the model's sentence vectors, from its pooling (or transformer) config."""
    pooling = model_path / "1_Pooling" / "config.json"
    if pooling.is_file():
        return int(json.loads(pooling.read_text())["word_embedding_dimension"])
    return int(json.loads((model_path / "config.json").read_text())["hidden_size"])


class OnnxEmbedder:
    """Mean-pooled, normalised embeddings from the int8 ONNX export of the model at `model_path`."""

    def __init__(
        self,
        model_path: Path,
        max_pieces: int = 256,
        cache: str | Path | None = None,
        threads: int = 0,
        key: str | None = None,
    ) -> None:
        from tokenizers import Tokenizer

        self.model_path = model_path
        self.dimension = embedding_dimension(model_path)
        self.path = onnx_model("embedder", model_path, cache, key)
        self._tokenizer = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_pieces)
        self._counter = Tokenizer.from_file(str(model_path / "tokenizer.json"))
        self._counter.no_padding()
        self._counter.no_truncation()
        self._session = session(self.path, threads)

    def count_tokens(self, text: str) -> int:
        """Word pieces of `text` without [CLS]/[SEP] and without truncation."""
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def _batch(self, texts: list[str]) -> np.ndarray:
        encs = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encs)
        ids = np.zeros((len(encs), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for r, e in enumerate(encs):
            ids[r, : len(e.ids)] = e.ids
            mask[r, : len(e.ids)] = 1
        (hidden,) = self._session.run(
            ["last_hidden_state"], {"input_ids": ids, "token_type_ids": np.zeros_like(ids), "attention_mask": mask}
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (np.asarray(hidden, dtype=np.float32) * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def embed(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Unit-length float32 vectors, one row per text (batched longest first, as sentence-transformers)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for lo in range(0, len(order), batch_size):
            idx = order[lo : lo + batch_size]
            out[idx] = self._batch([texts[i] for i in idx])
        return out
