"""What the benchmark scripts share: percentiles, a process's resident memory, writing their figures into
bench/results.json under their own key (read, update, write: other benchmarks keep theirs), and the
hand-written floor the service is compared with."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def pct(xs: list[float], p: float) -> float:
    """The p-th percentile of xs (nearest rank; NaN for no values)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def save_results(path: str | Path, results: dict[str, Any], key: str | None = None) -> None:
    """Write `results` into the JSON file at `path`: under `key`, or merged at the top level."""
    out = Path(path)
    merged = json.loads(out.read_text()) if out.exists() else {}
    if key is None:
        merged.update(results)
    else:
        merged[key] = results
    out.write_text(json.dumps(merged, indent=2))


class Floor:
    """The hand-written floor over the passages of an index (the reader's own window size and stride)."""

    def __init__(self, index: Path) -> None:
        import faiss
        import numpy as np
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        from index.backends import open_store
        from index.embedder import Embedder, encoder_path
        from qa.settings import Settings

        store = open_store(index, Embedder(backend="torch"))
        self.texts = [p.text for d in store.documents() for p in store.document_passages(d.id)]
        store.close()
        self.encoder = SentenceTransformer(str(encoder_path()), device="cpu")
        vecs = self.encoder.encode(self.texts, batch_size=64, normalize_embeddings=True)
        self.flat = faiss.IndexFlatIP(vecs.shape[1])
        self.flat.add(np.asarray(vecs, dtype=np.float32))
        rdir = Settings().reader_dir
        self.tok = AutoTokenizer.from_pretrained(rdir)
        self.model = AutoModelForQuestionAnswering.from_pretrained(rdir, dtype=torch.float32).eval()
        self.np, self.torch = np, torch

    def ask(self, q: str) -> None:
        v = self.encoder.encode([q], normalize_embeddings=True)
        _, ids = self.flat.search(self.np.asarray(v, dtype=self.np.float32), 5)
        ctx = [self.texts[i] for i in ids[0] if i >= 0]
        enc = self.tok([q] * len(ctx), ctx, truncation="only_second", max_length=256, stride=128,
                       return_overflowing_tokens=True, padding=True, return_tensors="pt")  # fmt: skip
        with self.torch.inference_mode():
            out = self.model(input_ids=enc["input_ids"], token_type_ids=enc["token_type_ids"],
                             attention_mask=enc["attention_mask"])  # fmt: skip
        _ = list(zip(out.start_logits.argmax(-1).tolist(), out.end_logits.argmax(-1).tolist()))

    def times(self, questions: list[str], repeats: int) -> list[float]:
        for q in questions[:10]:
            self.ask(q)
        lat = []
        for _ in range(repeats):
            for q in questions:
                t = time.perf_counter()
                self.ask(q)
                lat.append(time.perf_counter() - t)
        return lat


def seed_index(prefix: str) -> Path:
    """A new index of the seed article in a temporary folder (for a bench's own server)."""
    import tempfile

    from index.backends import open_store
    from index.documents import load_documents
    from index.embedder import Embedder

    index = Path(tempfile.mkdtemp(prefix=prefix)) / "index"
    store = open_store(index, Embedder())
    store.add(load_documents([Path(__file__).resolve().parent.parent / "seeds"]))
    store.close()
    return index
