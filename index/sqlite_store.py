"""The embedded default store: one SQLite file (WAL) holds documents, passages and their vectors durably; FTS5
tables rank keyword and title matches by BM25 and are updated with every write; FAISS is derived from it.

Why SQLite: transactions make every committed batch whole and every uncommitted one absent (a SIGKILL at any
moment leaves an index that opens); WAL lets any number of readers run while one writer writes, and writers in
other processes queue on its lock instead of overwriting each other. A `changes` log (passage row id, add or
remove) lets every process bring its in-memory FAISS index up to date on the next request, so a server answers
from documents another process added a moment ago, with no reload.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from index.batching import add_in_batches
from index.documents import Document
from index.embedder import Embedder
from index.filters import DocFilter, from_json
from index.passages import Passage, SplitterSettings
from index.store import (
    DEFAULT_MAX_DOCUMENT_CHARS,
    AddResult,
    DocLabel,
    DocumentSummary,
    IndexStoreError,
    ProgressFn,
    StoreStats,
    check_compatible,
)
from index.text import bm25_tokens
from index.vectors import EXACT_LIMIT, VectorIndex, remove_stale_temp_files, snapshots

FORMAT_VERSION = 2
DB_FILE = "store.sqlite"
BATCH_PASSAGES = 256  # passages embedded and committed together: the unit of progress and of durability
_TOKENIZE = "unicode61 remove_diacritics 2"
_MAX_PARAMS = 900
_SCOPES_KEPT = 32  # filters whose allowed documents and passages are kept (until the index changes)

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    row INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, external_id TEXT UNIQUE,
    title TEXT NOT NULL, text TEXT NOT NULL, url TEXT NOT NULL, date TEXT NOT NULL, source TEXT NOT NULL,
    dateline TEXT NOT NULL, meta TEXT NOT NULL, added REAL NOT NULL);
CREATE TABLE IF NOT EXISTS passages(
    row INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    doc INTEGER NOT NULL REFERENCES documents(row),
    start_char INTEGER NOT NULL, end_char INTEGER NOT NULL, text TEXT NOT NULL, sentences TEXT NOT NULL,
    vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS passages_by_doc ON passages(doc);
CREATE VIRTUAL TABLE IF NOT EXISTS passage_fts USING fts5(
    text, content='passages', content_rowid='row', tokenize='{_TOKENIZE}');
CREATE VIRTUAL TABLE IF NOT EXISTS title_fts USING fts5(
    title, dateline, content='documents', content_rowid='row', tokenize='{_TOKENIZE}');
CREATE TABLE IF NOT EXISTS changes(
    seq INTEGER PRIMARY KEY AUTOINCREMENT, passage INTEGER NOT NULL, op INTEGER NOT NULL);
"""


BUSY_TIMEOUT_S = 60.0  # how long a connection waits for another process's write lock


def fts_query(text: str) -> str:
    """An FTS5 query matching any of the text's keyword-search tokens ('' when it has none)."""
    toks = dict.fromkeys(bm25_tokens(text))
    return " OR ".join(f'"{t}"' for t in toks)


def is_busy(err: sqlite3.Error) -> bool:
    """Whether SQLite refused because another connection holds a lock (not because the file is bad)."""
    return isinstance(err, sqlite3.OperationalError) and ("locked" in str(err) or "busy" in str(err))


def busy_error(what: str, err: sqlite3.Error) -> IndexStoreError:
    """The user's message when another process held `what`'s lock past the busy timeout."""
    return IndexStoreError(f"{what} is busy: another process held its lock too long ({err})")


def store_error(directory: Path, err: sqlite3.Error) -> IndexStoreError:
    """The user's message for an SQLite error while opening: busy past the wait, or a damaged file."""
    if is_busy(err):
        return busy_error(f"index at {directory}", err)
    return IndexStoreError(f"index at {directory} is damaged ({err}); rebuild it with: qa index --rebuild")


def use_wal(conn: sqlite3.Connection, timeout: float = BUSY_TIMEOUT_S) -> None:
    """Switch a new database to WAL. SQLite answers 'locked' at once, without its busy wait, while another
    process reads the file, so several processes opening a new index together retry with a backoff."""
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            return
        except sqlite3.OperationalError as err:
            if not is_busy(err) or time.monotonic() > deadline:
                raise
        time.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(2 * delay, 0.1)


class SQLiteStore:
    """The `Store` over one SQLite file in `directory`; safe for many reader threads and processes."""

    def __init__(
        self,
        directory: str | Path,
        embedder: Embedder,
        splitter: SplitterSettings = SplitterSettings(),
        max_document_chars: int = DEFAULT_MAX_DOCUMENT_CHARS,
        exact_limit: int = EXACT_LIMIT,
        batch_passages: int = BATCH_PASSAGES,
    ) -> None:
        self.directory = Path(directory)
        self.path = self.directory / DB_FILE
        self.embedder = embedder
        self.max_document_chars = max_document_chars
        self.exact_limit = exact_limit
        self.batch_passages = max(1, batch_passages)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.RLock()  # guards the FAISS index and its sequence number
        self._vectors: VectorIndex | None = None
        self._seq = 0
        self._scopes: OrderedDict[str, tuple[int, str, np.ndarray]] = OrderedDict()  # filter -> (seq, docs, rows)
        self.directory.mkdir(parents=True, exist_ok=True)
        remove_stale_temp_files(self.directory)
        self.splitter = self._init_schema(splitter)

    # ---- connections and schema -------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; transactions are explicit)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
                conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
                conn.execute("PRAGMA synchronous = FULL")  # an acknowledged add survives power loss too
                conn.execute("PRAGMA foreign_keys = ON")
                conn.create_function("qa_match", 6, _match, deterministic=True)
            except sqlite3.DatabaseError as err:
                raise store_error(self.directory, err) from None
            except sqlite3.Error as err:
                raise IndexStoreError(f"cannot open the index at {self.directory} ({err})") from None
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def _init_schema(self, splitter: SplitterSettings) -> SplitterSettings:
        """Create the tables (once, under the write lock) and check the index was built like this service."""
        conn = self._conn()
        try:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
                self._check_compatible(dict(conn.execute("SELECT key, value FROM meta").fetchall()))
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                use_wal(conn)
            want = {
                "format_version": str(FORMAT_VERSION),
                "embedding_model": self.embedder.name,
                "splitter": json.dumps(asdict(splitter), sort_keys=True),
                "created": str(time.time()),
            }
            rows = ", ".join(f"({_literal(k)}, {_literal(v)})" for k, v in want.items())
            # tables and settings in ONE transaction: a process opening the index meanwhile sees both or neither
            conn.executescript(
                f"BEGIN IMMEDIATE;\n{SCHEMA}\nINSERT OR IGNORE INTO meta(key, value) VALUES {rows};\nCOMMIT;"
            )
        except sqlite3.DatabaseError as err:
            raise store_error(self.directory, err) from None
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        return self._check_compatible(meta)

    def _check_compatible(self, meta: dict[str, str]) -> SplitterSettings:
        return check_compatible(meta, str(self.directory), FORMAT_VERSION, self.embedder.name)

    class _write:
        """`with self._write(conn):` one IMMEDIATE transaction (waits for other writers), committed or rolled back."""

        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def __enter__(self) -> sqlite3.Connection:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as err:
                if is_busy(err):
                    raise busy_error("the index", err) from None
                raise
            return self.conn

        def __exit__(self, exc_type, exc, tb) -> None:
            if exc_type is None:
                self.conn.execute("COMMIT")
            else:
                self.conn.execute("ROLLBACK")

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            for c in self._connections:
                try:
                    c.close()
                except sqlite3.Error:
                    pass
            self._connections.clear()
        self._local = threading.local()

    # ---- writing ----------------------------------------------------------------------------------
    def add(self, docs: Iterable[Document], progress: ProgressFn | None = None) -> AddResult:
        """Add documents in batches of about `batch_passages` passages; each batch is one transaction."""
        result = add_in_batches(
            docs, self.embedder, self.splitter, self.batch_passages, self.max_document_chars,
            self._held_ids, self._commit, progress,
        )  # fmt: skip
        if result.added or result.replaced:
            self._maybe_snapshot()
        return result

    def _held_ids(self, ids: Sequence[str]) -> set[str]:
        held: set[str] = set()
        for chunk in _chunks(list(ids)):
            q = f"SELECT id FROM documents WHERE id IN ({','.join('?' * len(chunk))})"
            held.update(r[0] for r in self._conn().execute(q, chunk))
        return held

    def _commit(self, docs: list[Document], passages: list[Passage], vecs: np.ndarray, result: AddResult) -> None:
        """Write one batch in one transaction; a document another writer added meanwhile is skipped."""
        by_doc: dict[str, list[int]] = {}
        for i, p in enumerate(passages):
            by_doc.setdefault(p.document_id, []).append(i)
        conn = self._conn()
        with self._write(conn):
            for d in docs:
                if conn.execute("SELECT 1 FROM documents WHERE id = ?", (d.id,)).fetchone():
                    result.unchanged.append(d.id)
                    continue
                if d.external_id:
                    old = conn.execute("SELECT id FROM documents WHERE external_id = ?", (d.external_id,)).fetchone()
                    if old:
                        self._delete_rows(conn, [old[0]])
                        result.replaced.append(old[0])
                row = self._insert_document(conn, d)
                for i in by_doc.get(d.id, []):
                    self._insert_passage(conn, row, passages[i], vecs[i])
                result.added.append(d.id)
                result.passages += len(by_doc.get(d.id, []))

    @staticmethod
    def _insert_document(conn: sqlite3.Connection, d: Document) -> int:
        cur = conn.execute(
            "INSERT INTO documents(id, external_id, title, text, url, date, source, dateline, meta, added) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (d.id, d.external_id or None, d.title, d.text, d.url, d.date, d.source, d.dateline,
             json.dumps(d.meta, ensure_ascii=False, default=str), time.time()),
        )  # fmt: skip
        row = int(cur.lastrowid or 0)
        conn.execute("INSERT INTO title_fts(rowid, title, dateline) VALUES (?, ?, ?)", (row, d.title, d.dateline))
        return row

    @staticmethod
    def _insert_passage(conn: sqlite3.Connection, doc_row: int, p: Passage, vec: np.ndarray) -> None:
        cur = conn.execute(
            "INSERT INTO passages(id, doc, start_char, end_char, text, sentences, vector) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (p.id, doc_row, p.start, p.end, p.text, json.dumps(p.sentences),
             np.asarray(vec, dtype=np.float32).tobytes()),
        )  # fmt: skip
        row = cur.lastrowid
        conn.execute("INSERT INTO passage_fts(rowid, text) VALUES (?, ?)", (row, p.text))
        conn.execute("INSERT INTO changes(passage, op) VALUES (?, 1)", (row,))

    def delete(self, doc_ids: Sequence[str]) -> list[str]:
        """Remove documents by id or external id, with their passages, in one transaction."""
        conn = self._conn()
        with self._write(conn):
            found: list[str] = []
            for key in dict.fromkeys(doc_ids):
                r = conn.execute("SELECT id FROM documents WHERE id = ? OR external_id = ?", (key, key)).fetchone()
                if r and r[0] not in found:
                    found.append(r[0])
            self._delete_rows(conn, found)
        return found

    @staticmethod
    def _delete_rows(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
        for doc_id in ids:
            d = conn.execute("SELECT row, title, dateline FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if d is None:
                continue
            for row, text in conn.execute("SELECT row, text FROM passages WHERE doc = ?", (d[0],)).fetchall():
                conn.execute("INSERT INTO passage_fts(passage_fts, rowid, text) VALUES ('delete', ?, ?)", (row, text))
                conn.execute("INSERT INTO changes(passage, op) VALUES (?, -1)", (row,))
            conn.execute("DELETE FROM passages WHERE doc = ?", (d[0],))
            conn.execute(
                "INSERT INTO title_fts(title_fts, rowid, title, dateline) VALUES ('delete', ?, ?, ?)",
                (d[0], d[1], d[2]),
            )
            conn.execute("DELETE FROM documents WHERE row = ?", (d[0],))

    # ---- the derived FAISS index ------------------------------------------------------------------
    def _latest_seq(self, conn: sqlite3.Connection) -> int:
        r = conn.execute("SELECT max(seq) FROM changes").fetchone()
        return int(r[0] or 0)

    def sync(self) -> VectorIndex:
        """The FAISS index with every committed change applied (loads or builds it on first use)."""
        with self._lock:
            conn = self._conn()
            conn.execute("BEGIN")  # one consistent snapshot of the log and the vectors
            try:
                top = self._latest_seq(conn)
                if self._vectors is None:
                    self._vectors, self._seq = self._load_vectors(conn, top)
                if top > self._seq:
                    self._apply_changes(conn, self._vectors, self._seq, top)
                    self._seq = top
            finally:
                conn.execute("COMMIT")
            return self._vectors

    def _load_vectors(self, conn: sqlite3.Connection, top: int) -> tuple[VectorIndex, int]:
        dim = self.embedder.dimension
        snap = VectorIndex.load_latest(self.directory, dim, top)
        if snap is not None:
            return snap
        rows = conn.execute("SELECT row, vector FROM passages ORDER BY row").fetchall()
        ids = np.array([r for r, _ in rows], dtype=np.int64)
        vecs = np.frombuffer(b"".join(v for _, v in rows), dtype=np.float32).reshape(len(rows), dim)
        return VectorIndex.build(dim, ids, vecs, self.exact_limit), top

    def _apply_changes(self, conn: sqlite3.Connection, vi: VectorIndex, after: int, top: int) -> None:
        """Replay the log's (after, top] in order: runs of adds read their vectors, removes drop ids."""
        log = conn.execute(
            "SELECT passage, op FROM changes WHERE seq > ? AND seq <= ? ORDER BY seq", (after, top)
        ).fetchall()
        i = 0
        while i < len(log):
            j = i
            while j < len(log) and log[j][1] == log[i][1]:
                j += 1
            rows = [r for r, _ in log[i:j]]
            if log[i][1] > 0:
                got = self._vectors_of_rows(conn, rows)  # rows deleted later are missing: their removal follows
                if got:
                    vi.add(np.array(list(got), dtype=np.int64), np.stack(list(got.values())))
            else:
                vi.remove(np.array(rows, dtype=np.int64))
            i = j

    def _vectors_of_rows(self, conn: sqlite3.Connection, rows: Sequence[int]) -> dict[int, np.ndarray]:
        out: dict[int, np.ndarray] = {}
        for chunk in _chunks(list(rows)):
            q = f"SELECT row, vector FROM passages WHERE row IN ({','.join('?' * len(chunk))})"
            for r, v in conn.execute(q, chunk):
                out[int(r)] = np.frombuffer(v, dtype=np.float32)
        return out

    def _maybe_snapshot(self) -> None:
        """Write a new FAISS snapshot when the changes since the newest one are many (a fast start for readers);
        a handful of changes are cheaper to replay than a snapshot is to write."""
        top = self._latest_seq(self._conn())
        newest = max((s for _, s in snapshots(self.directory)), default=0)
        if top - newest >= max(5_000, top // 5):
            try:
                self.snapshot()
            except OSError:
                pass  # a read-only folder: readers rebuild from the store

    def snapshot(self) -> None:
        """Write the FAISS snapshot now (used after a bulk build)."""
        vi = self.sync()
        with self._lock:
            vi.save(self.directory, self._seq)

    # ---- reading ----------------------------------------------------------------------------------
    def dense_search(self, vector: np.ndarray, k: int, within: DocFilter | None = None) -> list[tuple[str, float]]:
        """(passage id, cosine) of the k nearest passages (of the documents `within` allows)."""
        vi = self.sync()
        allowed = self._scope(within)[1] if within else None
        with self._lock:
            hits = vi.search(vector, k, allowed)
        ids = self._ids_of_rows([r for r, _ in hits])
        return [(ids[r], s) for r, s in hits if r in ids]

    def _scope(self, within: DocFilter) -> tuple[str, np.ndarray]:
        """The documents `within` allows (their row ids as a JSON array, for `json_each`) and their passages' row
        ids (the FAISS selector's): found once by SQL (`qa_match` over the documents table) and kept until the
        index changes, so the three searches of a question, and the next questions with the same filter, reuse it."""
        key = within.to_json()
        conn = self._conn()
        seq = self._latest_seq(conn)
        with self._lock:
            hit = self._scopes.get(key)
            if hit is not None and hit[0] == seq:
                self._scopes.move_to_end(key)
                return hit[1], hit[2]
        conn.execute("BEGIN")  # the documents and passages of one snapshot
        try:
            seq = self._latest_seq(conn)
            docs = [r for (r,) in conn.execute(f"SELECT row FROM documents d WHERE {_MATCH}", (key,))]
            doc_json = json.dumps(docs)
            rows = conn.execute("SELECT row FROM passages WHERE doc IN (SELECT value FROM json_each(?))", (doc_json,))
            passages = np.array([r for (r,) in rows], dtype=np.int64)
        finally:
            conn.execute("COMMIT")
        with self._lock:
            self._scopes[key] = (seq, doc_json, passages)
            while len(self._scopes) > _SCOPES_KEPT:
                self._scopes.popitem(last=False)
        return doc_json, passages

    def _ids_of_rows(self, rows: Sequence[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for chunk in _chunks(list(rows)):
            q = f"SELECT row, id FROM passages WHERE row IN ({','.join('?' * len(chunk))})"
            out.update((int(r), i) for r, i in self._conn().execute(q, chunk))
        return out

    def keyword_search(self, query: str, k: int, within: DocFilter | None = None) -> list[tuple[str, float]]:
        """(passage id, BM25 score) of up to k passages matching any keyword of `query` (and `within`)."""
        q = fts_query(query)
        if not q or k <= 0:
            return []
        scope, args = ("", ()) if not within else (" AND p.doc IN (SELECT value FROM json_each(?))",
                                                   (self._scope(within)[0],))  # fmt: skip
        rows = self._conn().execute(
            "SELECT p.id, -f.rank FROM passage_fts f JOIN passages p ON p.row = f.rowid "
            f"WHERE passage_fts MATCH ?{scope} ORDER BY f.rank LIMIT ?",
            (q, *args, k),
        )
        return [(i, float(s)) for i, s in rows]

    def title_search(self, query: str, k: int, within: DocFilter | None = None) -> list[tuple[str, float]]:
        """(document id, BM25 score) of documents whose title or dateline shares a keyword with `query`."""
        q = fts_query(query)
        if not q or k <= 0:
            return []
        scope, args = ("", ()) if not within else (" AND d.row IN (SELECT value FROM json_each(?))",
                                                   (self._scope(within)[0],))  # fmt: skip
        rows = self._conn().execute(
            "SELECT d.id, -f.rank FROM title_fts f JOIN documents d ON d.row = f.rowid "
            f"WHERE title_fts MATCH ?{scope} ORDER BY f.rank LIMIT ?",
            (q, *args, k),
        )
        return [(i, float(s)) for i, s in rows]

    def count_documents(self, within: DocFilter | None = None) -> int:
        """How many documents `within` allows (all of them without a filter)."""
        if not within:
            return self.stats().documents
        return len(json.loads(self._scope(within)[0]))

    def passages(self, ids: Sequence[str]) -> dict[str, Passage]:
        """The passages with these ids that are still held."""
        out: dict[str, Passage] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            q = (
                "SELECT p.id, d.id, p.start_char, p.end_char, p.text, p.sentences FROM passages p "
                f"JOIN documents d ON d.row = p.doc WHERE p.id IN ({','.join('?' * len(chunk))})"
            )
            for pid, did, s, e, text, sents in self._conn().execute(q, chunk):
                out[pid] = Passage(pid, did, s, e, text, [tuple(x) for x in json.loads(sents)])
        return out

    def document_passages(self, doc_id: str) -> list[Passage]:
        """Every passage of one document, in order."""
        rows = (
            self._conn()
            .execute(
                "SELECT p.id FROM passages p JOIN documents d ON d.row = p.doc WHERE d.id = ? ORDER BY p.start_char",
                (doc_id,),
            )
            .fetchall()
        )
        got = self.passages([r[0] for r in rows])
        return [got[r[0]] for r in rows if r[0] in got]

    def cosines(self, ids: Sequence[str], vector: np.ndarray) -> dict[str, float]:
        """Cosine of each passage's stored vector with a unit vector."""
        out: dict[str, float] = {}
        for chunk in _chunks(list(ids)):
            q = f"SELECT id, vector FROM passages WHERE id IN ({','.join('?' * len(chunk))})"
            for pid, v in self._conn().execute(q, chunk):
                out[pid] = float(np.frombuffer(v, dtype=np.float32) @ vector)
        return out

    def titles(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """Title of each of these documents."""
        out: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(doc_ids))):
            q = f"SELECT id, title FROM documents WHERE id IN ({','.join('?' * len(chunk))})"
            out.update(self._conn().execute(q, chunk))
        return out

    def labels(self, doc_ids: Sequence[str]) -> dict[str, DocLabel]:
        """Title, date, source and page starts of each of these documents."""
        out: dict[str, DocLabel] = {}
        for chunk in _chunks(list(dict.fromkeys(doc_ids))):
            q = f"SELECT id, title, date, url, meta FROM documents WHERE id IN ({','.join('?' * len(chunk))})"
            for i, title, date, url, meta in self._conn().execute(q, chunk):
                m = json.loads(meta)
                out[i] = DocLabel.of(title, date, url, m if isinstance(m, dict) else {})
        return out

    def document(self, doc_id: str) -> Document | None:
        """One document by id or external id."""
        r = (
            self._conn()
            .execute(
                "SELECT id, external_id, title, text, url, date, source, dateline, meta FROM documents "
                "WHERE id = ? OR external_id = ? LIMIT 1",
                (doc_id, doc_id),
            )
            .fetchone()
        )
        if r is None:
            return None
        return Document(
            id=r[0], external_id=r[1] or "", title=r[2], text=r[3], url=r[4], date=r[5], source=r[6], dateline=r[7],
            meta=json.loads(r[8]),
        )  # fmt: skip

    def documents(self, offset: int = 0, limit: int | None = None) -> list[DocumentSummary]:
        """Documents in the order they were added, without their text."""
        rows = self._conn().execute(
            "SELECT d.id, d.title, d.url, d.date, d.source, coalesce(d.external_id, ''), length(d.text), "
            "(SELECT count(*) FROM passages p WHERE p.doc = d.row) FROM documents d ORDER BY d.row LIMIT ? OFFSET ?",
            (-1 if limit is None else limit, offset),
        )
        return [DocumentSummary(*r) for r in rows]

    def stats(self) -> StoreStats:
        """Counts of documents and passages now."""
        conn = self._conn()
        docs = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        passages = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
        return StoreStats(documents=int(docs), passages=int(passages))

    def info(self) -> dict[str, object]:
        """What the index was built with and holds, and its size on disk (for `qa info`)."""
        meta = dict(self._conn().execute("SELECT key, value FROM meta").fetchall())
        vi = self.sync()
        self._conn().execute("PRAGMA wal_checkpoint(PASSIVE)")  # so the database file holds what is committed
        return {
            "index": str(self.directory.resolve()),
            **asdict(self.stats()),
            "embedding_model": meta.get("embedding_model"),
            "dimension": self.embedder.dimension,
            "splitter": json.loads(meta.get("splitter", "{}")),
            "format_version": int(meta.get("format_version", 0)),
            "dense_index": "ivf (approximate)" if vi.approximate else "flat (exact)",
            "size_bytes": sum(
                f.stat().st_size
                for f in self.directory.iterdir()
                if f.is_file() and not f.name.endswith(("-wal", "-shm"))
            ),
        }


_MATCH = "qa_match(?, d.id, d.external_id, d.date, d.url, d.meta)"


def _match(filter_json: str, doc_id: str, external_id: str | None, date: str, url: str, meta: str) -> int:
    """SQLite's `qa_match`: 1 when the document passes the filter (`DocFilter.to_json`), else 0."""
    try:
        m = json.loads(meta)
    except (TypeError, json.JSONDecodeError):
        m = {}
    return int(from_json(filter_json).matches(doc_id, external_id or "", date, url, m if isinstance(m, dict) else {}))


def _chunks(items: list, size: int = _MAX_PARAMS) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _literal(text: str) -> str:
    """An SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def is_sqlite_index(directory: str | Path) -> bool:
    """True when `directory` holds a store of this format."""
    return (Path(directory) / DB_FILE).exists()
