"""The embedding cache: the model's own vectors, each text embedded once while it stays in the cache."""

from __future__ import annotations

import numpy as np

from index.embedding_cache import EmbeddingCache


def test_cached_vectors_are_the_models_and_repeat_texts_are_not_embedded_again(embedder):
    cache = EmbeddingCache(embedder, capacity=3)
    texts = ["Denmark is ready to send troops.", "Italy is not.", "Denmark is ready to send troops."]
    got = cache.embed(texts)
    np.testing.assert_allclose(got, embedder.embed(texts), atol=1e-5)
    assert (cache.hits, cache.misses, len(cache)) == (0, 2, 2)  # the repeat inside one call is embedded once
    again = cache.embed(["Italy is not.", "Sweden might."])
    np.testing.assert_allclose(again[0], got[1], atol=1e-6)
    assert (cache.hits, cache.misses, len(cache)) == (1, 3, 3)
    cache.embed(["A fourth sentence."])  # over capacity: the least recently used ("Denmark ...") goes
    assert len(cache) == 3
    cache.embed(["Denmark is ready to send troops."])
    assert cache.misses == 5
    assert cache.embed([]).shape == (0, embedder.dimension)
