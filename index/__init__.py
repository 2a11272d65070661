"""Documents, their passages and embeddings, and the on-disk index (FAISS and BM25) that retrieval reads."""
