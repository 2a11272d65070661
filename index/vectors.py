"""Dense search: a FAISS index keyed by passage row id, derived from the durable store and kept up to date
incrementally (add and remove by id).

Exact inner-product search (`IndexIDMap2(IndexFlatIP)`) while the corpus is small; past `exact_limit`
vectors an IVF index (`IndexIVFFlat`, trained on a sample, `nprobe` sized for recall@10 >= 0.95 of exact;
see bench/bench_store.py). Both remove by id, so deletes need neither tombstones nor rebuilds. A snapshot on
disk is only a cache: its name carries the change sequence number it includes, so a reader knows which
logged changes to apply on top, and a missing or unreadable snapshot is rebuilt from the store.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np

EXACT_LIMIT = 200_000  # measured: exact search stays under ~20 ms p50 up to here (bench/bench_store.py)
_SNAPSHOT = re.compile(r"^vectors-(\d+)\.faiss$")


def ivf_lists(n: int) -> int:
    """Number of IVF cells for n vectors (about 4 sqrt(n), as FAISS's guidelines suggest)."""
    return max(16, int(4 * math.sqrt(n)))


def ivf_probes(nlist: int) -> int:
    """Cells searched per query: enough for recall@10 >= 0.95 on sentence embeddings (bench/bench_store.py)."""
    return max(8, nlist // 24)


class VectorIndex:
    """Unit vectors by int64 id with inner-product search; exact or IVF (chosen by size at build time)."""

    def __init__(self, dimension: int, index=None, mapped: bool = False) -> None:
        import faiss

        self.dimension = dimension
        self.index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        # A memory-mapped snapshot (`mapped`) is read-only and shared by every process that maps it (workers
        # of one server): changes since go to a small in-memory `_delta`, removals from it to `_dead`.
        self.mapped = mapped
        self._delta = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)) if mapped else None
        self._base_ids: set[int] = set(faiss.vector_to_array(index.id_map).tolist()) if mapped else set()
        self._dead: set[int] = set()

    @classmethod
    def build(cls, dimension: int, ids: np.ndarray, vectors: np.ndarray, exact_limit: int = EXACT_LIMIT) -> VectorIndex:
        """An index of these vectors: exact up to `exact_limit`, IVF (trained on a sample of them) beyond."""
        import faiss

        if len(ids) <= exact_limit:
            vi = cls(dimension)
        else:
            nlist = ivf_lists(len(ids))
            quantizer = faiss.IndexFlatIP(dimension)
            ivf = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(0)
            sample = vectors[rng.choice(len(vectors), size=min(len(vectors), nlist * 40), replace=False)]
            ivf.train(np.ascontiguousarray(sample, dtype=np.float32))
            ivf.nprobe = ivf_probes(nlist)
            vi = cls(dimension, ivf)
        vi.add(ids, vectors)
        return vi

    @property
    def approximate(self) -> bool:
        """True for an IVF index."""
        import faiss

        return isinstance(self.index, faiss.IndexIVF)

    def __len__(self) -> int:
        if self._delta is None:
            return int(self.index.ntotal)
        return int(self.index.ntotal) - len(self._dead) + int(self._delta.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under their ids (the caller never adds an id twice)."""
        if len(ids):
            target = self.index if self._delta is None else self._delta
            target.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32), np.ascontiguousarray(ids, dtype=np.int64)
            )

    def remove(self, ids: np.ndarray) -> None:
        """Remove these ids (unknown ones are ignored)."""
        if not len(ids):
            return
        arr = np.ascontiguousarray(ids, dtype=np.int64)
        if self._delta is None:
            self.index.remove_ids(arr)  # type: ignore[arg-type]
            return
        self._delta.remove_ids(arr)  # type: ignore[arg-type]
        self._dead |= self._base_ids.intersection(arr.tolist())
        if len(self._dead) > max(1000, len(self._base_ids) // 10):
            self._unmap()  # too many tombstones slow every search: hold it in memory instead

    def search(self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(id, inner product) of the k nearest vectors, best first; with `allowed`, among those ids only
        (a FAISS id selector: the search itself skips the others, and an IVF index then probes every cell, so
        the k found are the k nearest allowed ones, as an index of those alone would find)."""
        if not len(self) or k <= 0 or (allowed is not None and not len(allowed)):
            return []
        q = vector.reshape(1, -1).astype(np.float32)
        base = self._params(self.index, allowed)
        if allowed is not None:
            k = min(k, len(allowed))
        if self._delta is None:
            scores, ids = self.index.search(q, min(k, len(self)), params=base)
            return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        hits: list[tuple[int, float]] = []
        if self.index.ntotal:
            scores, ids = self.index.search(q, min(k + len(self._dead), int(self.index.ntotal)), params=base)
            hits += [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0 and int(i) not in self._dead]
        if self._delta.ntotal:
            params = self._params(self._delta, allowed)
            scores, ids = self._delta.search(q, min(k, int(self._delta.ntotal)), params=params)
            hits += [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        return sorted(hits, key=lambda h: -h[1])[:k]

    @staticmethod
    def _params(index, allowed: np.ndarray | None):
        """FAISS search parameters restricting `index` to the `allowed` ids (None: no restriction)."""
        import faiss

        if allowed is None:
            return None
        sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        if isinstance(index, faiss.IndexIVF):
            return faiss.SearchParametersIVF(sel=sel, nprobe=index.nlist)  # type: ignore[call-arg]
        return faiss.SearchParameters(sel=sel)  # type: ignore[call-arg]

    def _all(self) -> tuple[np.ndarray, np.ndarray]:
        """Every live (id, vector) of a mapped index with its changes."""
        import faiss

        parts = []
        for index in (self.index, self._delta):
            if index is None or not index.ntotal:
                continue
            ids = faiss.vector_to_array(index.id_map).astype(np.int64)
            vecs = index.index.reconstruct_n(0, index.ntotal)
            keep = np.array([int(i) not in self._dead for i in ids], dtype=bool)
            parts.append((ids[keep], vecs[keep]))
        if not parts:
            return np.zeros(0, np.int64), np.zeros((0, self.dimension), np.float32)
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    def _unmap(self) -> None:
        import faiss

        ids, vecs = self._all()
        self.index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
        self.index.add_with_ids(vecs, ids)
        self.mapped, self._delta, self._base_ids, self._dead = False, None, set(), set()

    # ---- snapshots (a cache of the derived index) ----------------------------------------------------
    def save(self, directory: Path, seq: int) -> Path:
        """Write `vectors-SEQ.faiss` atomically (temp file, fsync, rename) and drop older snapshots."""
        import faiss

        final = directory / f"vectors-{seq}.faiss"
        tmp = directory / f".vectors-{seq}.faiss.tmp-{os.getpid()}"
        if self._delta is not None:
            self._unmap()  # the snapshot holds the changes too
        faiss.write_index(self.index, str(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        for other, other_seq in snapshots(directory):
            if other_seq < seq:
                other.unlink(missing_ok=True)
        return final

    @classmethod
    def load_latest(cls, directory: Path, dimension: int, max_seq: int) -> tuple[VectorIndex, int] | None:
        """The newest readable snapshot that includes no change beyond `max_seq`, with its sequence number."""
        import faiss

        for path, seq in sorted(snapshots(directory), key=lambda x: -x[1]):
            if seq > max_seq:
                continue  # from another store at this path (rebuilt): not ours
            try:  # an exact index is memory-mapped (shared by the workers), an IVF one read into memory
                index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
                inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap2) else None
                mapped = isinstance(inner, faiss.IndexFlat)
                if not mapped:
                    index = faiss.read_index(str(path))
            except RuntimeError:
                continue
            if index.d == dimension:
                return cls(dimension, index, mapped=mapped), seq
        return None


def snapshots(directory: Path) -> list[tuple[Path, int]]:
    """Snapshot files in `directory` with the sequence number each includes."""
    out = []
    for p in directory.glob("vectors-*.faiss"):
        m = _SNAPSHOT.match(p.name)
        if m:
            out.append((p, int(m.group(1))))
    return out


def remove_stale_temp_files(directory: Path) -> int:
    """Delete snapshot temp files whose writing process is gone (killed mid-write); returns how many."""
    n = 0
    for p in directory.glob(".vectors-*.tmp-*"):
        pid = p.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not pid_alive(int(pid)):
            p.unlink(missing_ok=True)
            n += 1
    return n


def pid_alive(pid: int) -> bool:
    """True when a process with this id exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
