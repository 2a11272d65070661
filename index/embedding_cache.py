"""Vectors of texts embedded before, kept in memory with the least recently used dropped first.

A list question embeds every sentence of the passages it reads to rank them; the next list question about
the same stories, or a follow-up ("And Sweden?"), reads the same sentences again. Each text is embedded once
while it stays among the `capacity` most recently used (about 1.6 KB a text: 20,000 texts take some 32 MB).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from index.embedder import Embedder


class EmbeddingCache:
    """`embed` as the embedder's, with each text's vector remembered; thread-safe."""

    def __init__(self, embedder: Embedder, capacity: int = 20_000) -> None:
        self.embedder = embedder
        self.capacity = capacity
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text; only texts not in the cache reach the model."""
        out = np.zeros((len(texts), self.embedder.dimension), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for i, t in enumerate(texts):
                v = self._vectors.get(t)
                if v is None:
                    missing.setdefault(t, []).append(i)
                else:
                    self._vectors.move_to_end(t)
                    out[i] = v
            self.hits += len(texts) - sum(len(rows) for rows in missing.values())
            self.misses += len(missing)
        if not missing:
            return out
        new = list(missing)
        vecs = self.embedder.embed(new)
        with self._lock:
            for t, v in zip(new, vecs):
                out[missing[t]] = v
                if self.capacity > 0:
                    self._vectors[t] = v
                    self._vectors.move_to_end(t)
            while len(self._vectors) > self.capacity:
                self._vectors.popitem(last=False)
        return out

    def __len__(self) -> int:
        return len(self._vectors)
