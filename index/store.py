"""The index on disk: documents, passages, FAISS vectors and BM25, with a manifest, in ONE directory.

Saves are atomic: the new index is written beside the old one and swapped in by renames, so a crash
mid-save leaves the previous index whole. Loading checks the manifest (format, model, dimension, splitter)
and refuses an index that this code cannot use, with a message saying why.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index.documents import Document
from index.embedder import Embedder
from index.passages import Passage, SplitterSettings, make_passages
from index.text import bm25_tokens

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DEFAULT_INDEX_DIR = ".qa-index"


class IndexStoreError(RuntimeError):
    """An index that is missing, damaged or incompatible; the message says what to do."""


@dataclass
class Manifest:
    """What an index was built with and holds; saved as manifest.json and checked on load."""

    format_version: int
    embedding_model: str
    dimension: int
    splitter: dict
    documents: int = 0
    passages: int = 0
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)


class IndexStore:
    """Documents and passages with their dense (FAISS, inner product) and sparse (BM25) indexes."""

    def __init__(self, embedder: Embedder, splitter: SplitterSettings = SplitterSettings()) -> None:
        import faiss

        self.embedder = embedder
        self.splitter = splitter
        self.documents: dict[str, Document] = {}
        self.passages: list[Passage] = []  # FAISS row i is passages[i]
        self._by_id: dict[str, int] = {}
        self.vectors: faiss.Index = faiss.IndexFlatIP(embedder.dimension)
        self._bm25 = None
        self._title_bm25 = None
        self.manifest = Manifest(FORMAT_VERSION, embedder.name, embedder.dimension, asdict(splitter))

    # ---- building -------------------------------------------------------------------------------
    def add(self, docs: Iterable[Document], progress: bool = False) -> int:
        """Add documents not already indexed (same id = same content); returns how many were new."""
        new = [d for d in docs if d.id not in self.documents]
        new = list({d.id: d for d in new}.values())
        if not new:
            return 0
        passages: list[Passage] = []
        for d in new:
            passages += make_passages(d, self.embedder.count_tokens, self.splitter)
        vecs = self.embedder.embed([p.text for p in passages], progress=progress)
        for d in new:
            self.documents[d.id] = d
        for p in passages:
            self._by_id[p.id] = len(self.passages)
            self.passages.append(p)
        if len(vecs):
            self.vectors.add(vecs)
        self._bm25 = None
        self._title_bm25 = None
        self.manifest.documents = len(self.documents)
        self.manifest.passages = len(self.passages)
        self.manifest.updated = time.time()
        return len(new)

    @property
    def bm25(self):
        """BM25 over the passages (row i is passages[i]): built on first use, None for an empty index."""
        if self._bm25 is None and self.passages:
            import bm25s

            bm = bm25s.BM25()
            bm.index([bm25_tokens(p.text) or ["\x00"] for p in self.passages], show_progress=False)
            self._bm25 = bm
        return self._bm25

    @property
    def title_bm25(self):
        """BM25 over document titles (and datelines), derived from the documents: built on first use."""
        if self._title_bm25 is None and self.documents:
            import bm25s

            ids = list(self.documents)
            bm = bm25s.BM25()
            bm.index(
                [bm25_tokens(f"{self.documents[i].title} {self.documents[i].dateline}") or ["\x00"] for i in ids],
                show_progress=False,
            )
            self._title_bm25 = (bm, ids)
        return self._title_bm25

    # ---- lookup ---------------------------------------------------------------------------------
    def passage(self, passage_id: str) -> Passage:
        """The passage with this id (KeyError when there is none)."""
        return self.passages[self._by_id[passage_id]]

    def dense_search(self, vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(passage row, cosine) for the k nearest passages."""
        if not self.passages:
            return []
        k = min(k, len(self.passages))
        scores, rows = self.vectors.search(vector.reshape(1, -1).astype(np.float32), k)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if r >= 0]

    def sparse_search(self, query: str, k: int) -> list[tuple[int, float]]:
        """(passage row, BM25 score) for up to k passages sharing a word with the query."""
        toks = bm25_tokens(query)
        if not self.passages or not toks:
            return []
        k = min(k, len(self.passages))
        rows, scores = self.bm25.retrieve([toks], k=k, show_progress=False, n_threads=1)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if s > 0]

    def cosine(self, row: int, vector: np.ndarray) -> float:
        """Cosine of passage `row` with a unit `vector` (for a passage that keyword search found alone)."""
        return float(self.vectors.reconstruct(row) @ vector)

    def title_search(self, query: str, k: int) -> list[tuple[str, float]]:
        """(document id, BM25 score) for up to k documents whose title shares a word with the query."""
        toks = bm25_tokens(query)
        if not self.documents or not toks:
            return []
        bm, ids = self.title_bm25
        k = min(k, len(ids))
        rows, scores = bm.retrieve([toks], k=k, show_progress=False, n_threads=1)
        return [(ids[int(r)], float(s)) for r, s in zip(rows[0], scores[0]) if s > 0]

    # ---- persistence ----------------------------------------------------------------------------
    @staticmethod
    def check_target(directory: str | Path) -> None:
        """Refuse to save over anything that is not an index: a save replaces the whole directory.

        An empty folder or a missing one is fine; a file or a folder of other things (say, the articles
        themselves, given to `--index` by mistake) would be deleted by the swap, so it is an error.
        """
        directory = Path(directory)
        if not directory.exists() or (directory / MANIFEST).exists():
            return
        if directory.is_dir() and not any(directory.iterdir()):
            return
        raise IndexStoreError(
            f"{directory} exists and is not an index; refusing to overwrite it (choose another --index directory)"
        )

    def save(self, directory: str | Path) -> Path:
        """Write the whole index to `directory` atomically (write aside, then swap by rename)."""
        import faiss

        directory = Path(directory).resolve()
        self.check_target(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.new-", dir=directory.parent))
        tmp.chmod(0o755)  # mkdtemp makes it private; an index is as readable as any folder
        old = directory.with_name(f".{directory.name}.old")
        try:
            with open(tmp / "documents.jsonl", "w", encoding="utf-8") as f:
                for d in self.documents.values():
                    f.write(json.dumps(d.to_dict(), ensure_ascii=False) + "\n")
            with open(tmp / "passages.jsonl", "w", encoding="utf-8") as f:
                for p in self.passages:
                    f.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
            faiss.write_index(self.vectors, str(tmp / "vectors.faiss"))
            if self.bm25 is not None:
                self.bm25.save(str(tmp / "bm25"), show_progress=False)
            (tmp / MANIFEST).write_text(json.dumps(asdict(self.manifest), indent=2))
            for path in tmp.rglob("*"):
                if path.is_file():
                    with open(path, "rb") as fh:
                        os.fsync(fh.fileno())
            if old.exists():
                shutil.rmtree(old)
            if directory.exists():
                os.replace(directory, old)
            os.replace(tmp, directory)
            if old.exists():
                shutil.rmtree(old)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if not directory.exists() and old.exists():
                os.replace(old, directory)  # failed between the two renames: put the previous index back
            raise
        return directory

    @staticmethod
    def exists(directory: str | Path) -> bool:
        """True when `directory` holds an index, or a save left it aside (a save interrupted mid-swap)."""
        directory = Path(directory)
        old = directory.with_name(f".{directory.name}.old")
        return (directory / MANIFEST).exists() or (old / MANIFEST).exists()

    @classmethod
    def load(
        cls,
        directory: str | Path,
        embedder: Embedder,
        splitter: SplitterSettings | None = None,
    ) -> IndexStore:
        """Read an index saved by `save`; refuse one built with another model, dimension or format."""
        directory = Path(directory)
        old = directory.with_name(f".{directory.name}.old")
        if not (directory / MANIFEST).exists() and (old / MANIFEST).exists():
            os.replace(old, directory)  # a save was interrupted between its two renames
        m, split = _read_manifest(directory)
        _check_compatible(directory, m, split, embedder, splitter)
        store = cls(embedder, split)
        store.manifest = m
        try:
            store._read_files(directory)
        except (OSError, ValueError, TypeError, KeyError, RuntimeError) as err:
            # a missing or corrupt file (faiss raises RuntimeError): say so instead of a traceback
            why = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise IndexStoreError(
                f"index at {directory} is damaged ({why}); rebuild it with: qa index --rebuild"
            ) from None
        if store.vectors.ntotal != len(store.passages) or store.vectors.d != m.dimension:
            raise IndexStoreError(f"index at {directory} is inconsistent; rebuild it with: qa index --rebuild")
        return store

    def _read_files(self, directory: Path) -> None:
        """Fill this (empty) store from the documents, passages, vectors and BM25 files in `directory`."""
        import faiss

        with open(directory / "documents.jsonl", encoding="utf-8") as f:
            for line in f:
                d = Document.from_dict(json.loads(line))
                self.documents[d.id] = d
        with open(directory / "passages.jsonl", encoding="utf-8") as f:
            for line in f:
                p = Passage.from_dict(json.loads(line))
                self._by_id[p.id] = len(self.passages)
                self.passages.append(p)
        self.vectors = faiss.read_index(str(directory / "vectors.faiss"))
        if (directory / "bm25").exists():
            import bm25s

            self._bm25 = bm25s.BM25.load(str(directory / "bm25"), show_progress=False)

    @classmethod
    def open(cls, directory: str | Path, embedder: Embedder) -> IndexStore:
        """The index at `directory`, or a new empty one (not yet saved) when there is none."""
        return cls.load(directory, embedder) if cls.exists(directory) else cls(embedder)

    def disk_size(self, directory: str | Path) -> int:
        """Bytes taken by the files under `directory`."""
        return sum(f.stat().st_size for f in Path(directory).rglob("*") if f.is_file())


def _read_manifest(directory: Path) -> tuple[Manifest, SplitterSettings]:
    """The manifest of the index at `directory` and its splitter settings; an error when missing or damaged."""
    mpath = directory / MANIFEST
    if not mpath.exists():
        raise IndexStoreError(f"no index at {directory} (build one with: qa index [PATH ...])")
    try:
        m = Manifest(**json.loads(mpath.read_text()))
        split = SplitterSettings(**m.splitter)
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError) as err:
        raise IndexStoreError(
            f"index manifest {mpath} is damaged ({err}); rebuild it with: qa index --rebuild"
        ) from None
    return m, split


def _check_compatible(
    directory: Path, m: Manifest, split: SplitterSettings, embedder: Embedder, splitter: SplitterSettings | None
) -> None:
    """Refuse an index of another format, embedding model or dimension, or (when given) another splitter."""
    if m.format_version != FORMAT_VERSION:
        raise IndexStoreError(
            f"index at {directory} has format version {m.format_version}, this articleqa reads "
            f"version {FORMAT_VERSION}; rebuild it with: qa index --rebuild"
        )
    if m.embedding_model != embedder.name:  # said without loading the model (`dimension` would)
        raise IndexStoreError(
            f"index at {directory} was built with {m.embedding_model} ({m.dimension} dims), "
            f"but this service embeds with {embedder.name}; rebuild it with: qa index --rebuild"
        )
    if m.dimension != embedder.dimension:
        raise IndexStoreError(
            f"index at {directory} was built with {m.embedding_model} ({m.dimension} dims), "
            f"but this service embeds with {embedder.name} ({embedder.dimension} dims); "
            "rebuild it with: qa index --rebuild"
        )
    if splitter is not None and splitter != split:
        raise IndexStoreError(
            f"index at {directory} was split with {m.splitter}, not {asdict(splitter)}; "
            "rebuild it with: qa index --rebuild"
        )


def open_or_build(
    directory: str | Path,
    embedder: Embedder,
    seed_paths: Callable[[], list[Path]],
    progress: bool = False,
) -> IndexStore:
    """Load the index at `directory`, or build it from the seed corpus on first use and save it."""
    if IndexStore.exists(directory):
        return IndexStore.load(directory, embedder)
    IndexStore.check_target(directory)  # before the (slow) embedding, not after
    from index.documents import load_documents

    store = IndexStore(embedder)
    store.add(load_documents(seed_paths()), progress=progress)
    store.save(directory)
    return store
