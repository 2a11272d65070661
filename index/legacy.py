"""One-time migration of format-1 indexes (documents.jsonl, passages.jsonl, vectors.faiss, manifest.json) into the
SQLite store, without embedding anything again.

The new store is built beside the old index and swapped in by renames; a crash at any point leaves either
the old index (migrated again on the next open) or the new one, never neither.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from index.documents import Document
from index.embedder import Embedder
from index.passages import Passage, SplitterSettings
from index.sqlite_store import SQLiteStore, is_sqlite_index
from index.store import AddResult, IndexStoreError
from index.vectors import pid_alive

MANIFEST = "manifest.json"


def _old_dir(directory: Path) -> Path:
    return directory.with_name(f".{directory.name}.old")  # where a format-1 save kept the previous index


def _aside(directory: Path, what: str) -> list[Path]:
    return sorted(directory.parent.glob(f".{directory.name}.{what}-*"))


def is_legacy_index(directory: str | Path) -> bool:
    """True when `directory` (or what an interrupted save or migration left beside it) is a format-1 index."""
    directory = Path(directory)
    if is_sqlite_index(directory):
        return False
    return (
        (directory / MANIFEST).exists()
        or (_old_dir(directory) / MANIFEST).exists()
        or any((p / MANIFEST).exists() for p in _aside(directory, "legacy"))
    )


def migrate(directory: str | Path, embedder: Embedder) -> Path:
    """Convert the format-1 index at `directory` into the SQLite store in place; returns the directory."""
    directory = Path(directory).resolve()
    _clean_dead(directory)
    source = _find_source(directory)
    manifest = _read_manifest(source)
    if manifest.get("embedding_model") != embedder.name:
        raise IndexStoreError(
            f"index at {directory} was built with {manifest.get('embedding_model')}, but this service embeds "
            f"with {embedder.name}; rebuild it with: qa index --rebuild"
        )
    splitter = SplitterSettings(**manifest.get("splitter", {}))
    work = directory.with_name(f".{directory.name}.migrating-{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    try:
        store = SQLiteStore(work, embedder, splitter, max_document_chars=0)
        docs, passages, vectors = _read_legacy(source, embedder.dimension)
        store._commit(docs, passages, vectors, AddResult())
        store.snapshot()
        store.close()
        if source == directory:
            aside = directory.with_name(f".{directory.name}.legacy-{os.getpid()}")
            os.replace(directory, aside)
        else:
            aside = source
        os.replace(work, directory)
        shutil.rmtree(aside, ignore_errors=True)
        shutil.rmtree(_old_dir(directory), ignore_errors=True)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as err:
        shutil.rmtree(work, ignore_errors=True)
        if isinstance(err, IndexStoreError):
            raise
        why = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise IndexStoreError(
            f"index at {directory} could not be migrated ({why}); rebuild it with: qa index --rebuild"
        ) from None
    return directory


def _clean_dead(directory: Path) -> None:
    """Drop half-built stores of migrations whose process died."""
    for p in _aside(directory, "migrating"):
        pid = p.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)


def _find_source(directory: Path) -> Path:
    """The folder holding the format-1 index: the directory itself, or one a crash left aside."""
    if (directory / MANIFEST).exists():
        return directory
    for p in [_old_dir(directory), *_aside(directory, "legacy")]:
        if (p / MANIFEST).exists():
            return p
    raise IndexStoreError(f"no index at {directory} (build one with: qa index [PATH ...])")


def _read_manifest(source: Path) -> dict:
    try:
        m = json.loads((source / MANIFEST).read_text())
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise IndexStoreError(
            f"index manifest in {source} is damaged ({err}); rebuild it with: qa index --rebuild"
        ) from None
    if m.get("format_version") != 1:
        raise IndexStoreError(
            f"index at {source} has format version {m.get('format_version')}; rebuild it with: qa index --rebuild"
        )
    return m


def _read_legacy(source: Path, dimension: int) -> tuple[list[Document], list[Passage], np.ndarray]:
    import faiss

    with open(source / "documents.jsonl", encoding="utf-8") as f:
        docs = [Document.from_dict(json.loads(line)) for line in f if line.strip()]
    with open(source / "passages.jsonl", encoding="utf-8") as f:
        passages = [Passage.from_dict(json.loads(line)) for line in f if line.strip()]
    index = faiss.read_index(str(source / "vectors.faiss"))
    if index.ntotal != len(passages) or index.d != dimension:
        raise ValueError("vectors and passages disagree")
    vectors = index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, dimension), np.float32)
    return docs, passages, vectors
