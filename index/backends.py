"""Opening a store from its location: a folder for the embedded SQLite store (the default), or a Milvus address
(`milvus://host:19530`, `http(s)://...`, or a milvus-lite `*.db` file)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from index.embedder import Embedder
from index.store import DEFAULT_MAX_DOCUMENT_CHARS, IndexStoreError, ProgressFn, Store


def is_milvus(location: str | Path) -> bool:
    """True when `location` names a Milvus server or a milvus-lite file rather than a folder."""
    s = str(location)
    return s.startswith(("milvus://", "http://", "https://")) or s.split("?", 1)[0].endswith(".db")


def index_exists(location: str | Path) -> bool:
    """True when `location` holds an index (of this or the previous format, or a Milvus collection)."""
    if is_milvus(location):
        from index.milvus_store import collection_exists

        return collection_exists(str(location))
    from index.legacy import is_legacy_index
    from index.sqlite_store import is_sqlite_index

    return is_sqlite_index(location) or is_legacy_index(location)


def check_target(location: str | Path) -> None:
    """Refuse a folder that exists and is not an index (say, the articles themselves given to `--index`)."""
    if is_milvus(location):
        return
    directory = Path(location)
    # Emptiness first, the index files second: a writer creating the index at this moment only ever adds files,
    # so a folder found non-empty because of them is found to be an index by the check that follows.
    if not directory.exists() or (directory.is_dir() and not any(directory.iterdir())):
        return
    if index_exists(location):
        return
    raise IndexStoreError(
        f"{directory} exists and is not an index; refusing to overwrite it (choose another --index location)"
    )


def open_store(
    location: str | Path,
    embedder: Embedder,
    max_document_chars: int = DEFAULT_MAX_DOCUMENT_CHARS,
    batch_passages: int = 256,
) -> Store:
    """The store at `location`, created empty when there is none (a format-1 index is migrated first)."""
    if is_milvus(location):
        from index.milvus_store import MilvusStore

        return MilvusStore(str(location), embedder, max_document_chars, batch_passages)
    from index.legacy import is_legacy_index, migrate
    from index.sqlite_store import SQLiteStore

    check_target(location)
    if is_legacy_index(location):
        migrate(location, embedder)
    return SQLiteStore(location, embedder, max_document_chars=max_document_chars, batch_passages=batch_passages)


def open_or_build(
    location: str | Path,
    embedder: Embedder,
    seed_paths: Callable[[], list[Path]],
    progress: ProgressFn | None = None,
    max_document_chars: int = DEFAULT_MAX_DOCUMENT_CHARS,
) -> Store:
    """The store at `location`; on first use (no index there yet) it is built from the seed corpus."""
    existed = index_exists(location)
    store = open_store(location, embedder, max_document_chars)
    if not existed:
        from index.documents import load_documents

        store.add(load_documents(seed_paths()), progress)
    return store


def remove_index(location: str | Path) -> None:
    """Delete the index at `location` (for `qa index --rebuild`); a folder that is not an index is refused."""
    if is_milvus(location):
        from index.milvus_store import drop_collection

        drop_collection(str(location))
        return
    check_target(location)
    directory = Path(location)
    if directory.exists() and index_exists(directory):
        import shutil

        shutil.rmtree(directory)


def backup_index(location: str | Path, dest: str | Path) -> Path:
    """Copy the SQLite index at `location` to the folder `dest`, online: SQLite's backup API takes a consistent
    copy while the service keeps answering and writing (FAISS snapshots are caches, rebuilt on first open).
    The copy is written beside its place and moved in whole; an existing `dest` that is not empty is refused."""
    import os
    import sqlite3
    import tempfile

    from index.sqlite_store import DB_FILE, is_sqlite_index

    if is_milvus(location):
        raise IndexStoreError("a Milvus index is backed up by Milvus itself (milvus-backup), not by qa backup")
    if not is_sqlite_index(location):
        raise IndexStoreError(f"no index at {location} to back up")
    target = Path(dest)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise IndexStoreError(f"{target} exists and is not empty; give a new folder for the backup")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        src = sqlite3.connect(f"file:{Path(location) / DB_FILE}?mode=ro", uri=True, timeout=60)
        dst = sqlite3.connect(work / DB_FILE)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
            src.close()
        if target.exists():
            target.rmdir()
        os.replace(work, target)
    except sqlite3.Error as err:
        raise IndexStoreError(f"backup of {location} failed: {err}") from None
    finally:
        if work.exists():
            import shutil

            shutil.rmtree(work, ignore_errors=True)
    return target
