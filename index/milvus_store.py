"""The Milvus store: documents, passages and both searches kept by a Milvus server or a milvus-lite data folder.

Locations: `milvus://host:19530` (connects to `http://host:19530`), `http(s)://host:port` as given (user and
password in the address are passed on), or a path ending in `.db` for milvus-lite (a local data folder served
in-process). An optional `?collection=NAME` suffix names the collections (default `articleqa`).

Four collections, all with Strong consistency, so a search right after an add or a delete sees it:

- `NAME_passages`: one row per passage (primary key: the passage id): document id, offsets, text (analysed for
  BM25), sentence offsets as JSON, the unit embedding (FLOAT_VECTOR, AUTOINDEX, COSINE) and a sparse vector that a
  BM25 `Function` derives from the text (SPARSE_INVERTED_INDEX, metric BM25). Keyword search is Milvus full-text
  search, queried with the query's `bm25_tokens` joined by spaces; the analyser (standard tokenizer, lowercase,
  ascii folding where the server has it, the project's stop words) cuts `\\w+` words as `bm25_tokens` does.
- `NAME_documents`: one row per document: id, a hash of its external id (looked up on replacement; the id itself
  is kept in the record), the heading (title and dateline, analysed, with its own BM25 sparse vector for
  `title_search`: also the vector field Milvus wants in every collection), the record (title, url, date, source,
  dateline, external id and meta as JSON), the text length, the passage count and when it was added (ns: the
  order of `documents()`).
- `NAME_texts`: long strings in pieces. A Milvus VARCHAR holds at most 65,535 bytes (the default and largest
  `max_length`), and a document may have 5,000,000 characters, so every document text is kept here in pieces of
  16,000 characters (at most 64,000 bytes of UTF-8), with a running number. A record too long for its field, and
  a passage whose text or sentence list is (a single sentence longer than 65,535 bytes), are kept here too as
  JSON in pieces; the passage row then holds the first 16,000 characters of its text for BM25 only.
- `NAME_meta`: format version, embedding model, dimension and splitter. An index built with another model or
  format is refused ("... rebuild it with: qa index --rebuild").

Passages and documents both carry the document's filter fields (`published` ISO date, `names` of its source,
`facets` JSON of its metadata; see `index.filters`), so a filtered search is one boolean expression on the
collection searched, evaluated by Milvus inside the search.

`texts` and `meta` have a 2-dimensional dummy vector (FLAT, L2): Milvus requires a vector field in every collection.

Milvus has no transactions. An add writes a batch's texts and passages first, then the document rows, which
are the commit: searches return only passages whose document row exists, so a crash leaves no half document
visible, and adding the same document again overwrites the pieces left behind (ids are derived from the content;
every write is an upsert). A replacement (a new text for a known external id) writes the new parts, swaps the
document rows, then removes the old parts; a delete removes the document row first. Until a re-add, passages a
crash left behind count in `stats()` but are never returned by a search.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import parse_qs, urlsplit

import numpy as np
from pymilvus import DataType, Function, FunctionType, MilvusClient
from pymilvus.exceptions import MilvusException

from index.batching import add_in_batches
from index.documents import Document
from index.embedder import Embedder
from index.filters import DocFilter, facets, published_date, source_names
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
from index.text import STOP_WORDS, bm25_tokens

FORMAT_VERSION = 2  # 2: the filter fields (published, names, facets) on passages and documents
DEFAULT_COLLECTION = "articleqa"
BATCH_PASSAGES = 256  # passages embedded and written together: the unit of progress
MAX_VARCHAR = 65_535  # bytes: the default and largest max_length of a Milvus VARCHAR
PIECE_CHARS = 16_000  # characters per stored piece of a long string: at most 64,000 bytes of UTF-8
ID_LENGTH = 128
KEY_LENGTH = 256
MAX_TOP_K = 16_384  # Milvus's largest search limit
DENSE_INDEX = "AUTOINDEX"
BM25_PARAMS = {"bm25_k1": 1.2, "bm25_b": 0.75}  # as SQLite FTS5 ranks
ANALYZER: dict[str, Any] = {
    "tokenizer": "standard",
    "filter": ["lowercase", "asciifolding", {"type": "stop", "stop_words": sorted(STOP_WORDS)}],
}
MAX_NAMES = 16  # source names kept per document (its publication's names and its URL's host)
MAX_FACETS_BYTES = 60_000  # the facets JSON of one document (Milvus's JSON field takes 65,536)
_IN_CHUNK = 500  # values per `in [...]` filter
_PIECES_PER_CALL = 64  # pieces per write or read (at most 4 MB)
_ROWS_PER_CALL = 512
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,200}")
_DUMMY = [0.0, 0.0]

P = ParamSpec("P")
R = TypeVar("R")


class _QuietIterator(logging.Filter):
    """Drop pymilvus's warning that milvus-lite sends no iterator timestamp (it falls back, correctly)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("failed to get mvccTs")


class _LiteStartFailure(logging.Filter):
    """Keep the reason milvus-lite could not start a server (say, another process holds the folder) for our one
    line of error, instead of the traceback it logs."""

    def __init__(self) -> None:
        super().__init__()
        self.local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().startswith("Failed to start MilvusLite server") and record.exc_info:
            self.local.reason = " ".join(str(record.exc_info[1]).split())
            return False
        return True

    def take(self) -> str | None:
        """The reason of the last failure in this thread, once."""
        reason, self.local.reason = getattr(self.local, "reason", None), None
        return reason


logging.getLogger("pymilvus.client.iterator.query_iterator").addFilter(_QuietIterator())
_lite_failure = _LiteStartFailure()
logging.getLogger("milvus_lite.server_manager").addFilter(_lite_failure)


# ---- locations and connections -----------------------------------------------------------------------


@dataclass(frozen=True)
class MilvusLocation:
    """Where an index is: the URI pymilvus connects to, the collection prefix, and the path of a milvus-lite
    data folder (None for a server)."""

    uri: str
    name: str
    shown: str  # the location without a password, for messages
    local: str | None = None

    @property
    def collections(self) -> dict[str, str]:
        """Collection names by role: meta, documents, passages, texts."""
        return {role: f"{self.name}_{role}" for role in ("meta", "documents", "passages", "texts")}


def parse_location(location: str) -> MilvusLocation:
    """`milvus://host:port`, `http(s)://...` or `*.db`, with an optional `?collection=NAME`."""
    base, _, query = location.partition("?")
    names = parse_qs(query).get("collection", [DEFAULT_COLLECTION])
    name = names[-1]
    shown = _redact(location)
    if not _NAME.fullmatch(name):
        raise IndexStoreError(
            f"bad collection name {name!r} in {shown}: use letters, digits and underscores, starting with a letter"
        )
    if base.endswith(".db") and "://" not in base:
        local = str(Path(base).expanduser().resolve())
        return MilvusLocation(uri=local, name=name, shown=shown, local=local)
    if not base.startswith(("milvus://", "http://", "https://")):
        raise IndexStoreError(
            f"{shown} is not a Milvus address: use milvus://host:19530, http(s)://host:port or a path ending in .db"
        )
    parts = urlsplit(base)
    try:
        _ = parts.port
    except ValueError:
        raise IndexStoreError(f"bad Milvus address {shown}: the port must be a number") from None
    if not parts.hostname:
        raise IndexStoreError(f"bad Milvus address {shown}: no host name")
    uri = base if parts.scheme != "milvus" else f"http://{parts.netloc}{parts.path}"
    return MilvusLocation(uri=uri, name=name, shown=shown)


def _redact(location: str) -> str:
    """The location with any password replaced by ***."""
    return re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", location)


_lite_lock = threading.Lock()
_lite_users: dict[str, int] = {}  # milvus-lite data folder -> open clients in this process


def _reason(err: Exception) -> str:
    """The message of a pymilvus error, on one line."""
    text = str(getattr(err, "message", "") or err)
    return " ".join(text.split())


def _connect(loc: MilvusLocation, timeout: float) -> MilvusClient:
    """A client of its own for `loc` (for milvus-lite: the in-process server, started on first use)."""
    if loc.local is not None:
        Path(loc.local).parent.mkdir(parents=True, exist_ok=True)
        _lite_failure.take()
        with _lite_lock:
            _lite_users[loc.local] = _lite_users.get(loc.local, 0) + 1
    try:
        return MilvusClient(uri=loc.uri, timeout=timeout, dedicated=True)
    except MilvusException as err:
        _release_lite(loc)
        if loc.local is not None:
            reason = _lite_failure.take() or f"{_reason(err)} (is another process using it?)"
            raise IndexStoreError(f"cannot open the milvus-lite index at {loc.shown}: {reason}") from None
        raise IndexStoreError(f"cannot reach Milvus at {loc.shown}: {_reason(err)}") from None


def _release_lite(loc: MilvusLocation) -> None:
    """Stop the in-process milvus-lite server of `loc` when its last client in this process is gone."""
    if loc.local is None:
        return
    with _lite_lock:
        left = _lite_users.get(loc.local, 0) - 1
        if left > 0:
            _lite_users[loc.local] = left
            return
        _lite_users.pop(loc.local, None)
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(loc.local)


def _disconnect(client: MilvusClient, loc: MilvusLocation) -> None:
    try:
        client.close()
    finally:
        _release_lite(loc)


def collection_exists(location: str) -> bool:
    """True when `location` holds an articleqa index (its meta collection) in this collection prefix."""
    loc = parse_location(location)
    client = _connect(loc, timeout=10)
    try:
        return bool(client.has_collection(loc.collections["meta"]))
    except MilvusException as err:
        raise IndexStoreError(f"Milvus at {loc.shown} failed: {_reason(err)}") from None
    finally:
        _disconnect(client, loc)


def drop_collection(location: str) -> None:
    """Drop every collection of the index at `location` (for `qa index --rebuild`); none there is fine."""
    loc = parse_location(location)
    client = _connect(loc, timeout=10)
    try:
        for name in loc.collections.values():  # meta first: a half-dropped index reads as none
            if client.has_collection(name):
                client.drop_collection(name)
    except MilvusException as err:
        raise IndexStoreError(f"Milvus at {loc.shown} failed: {_reason(err)}") from None
    finally:
        _disconnect(client, loc)


def _milvus_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn a pymilvus error in a store method into one line of `IndexStoreError`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except MilvusException as err:
            where = getattr(getattr(args[0], "loc", None), "shown", "?") if args else "?"
            raise IndexStoreError(f"Milvus at {where} failed: {_reason(err)}") from None

    return wrapper


# ---- schemas -----------------------------------------------------------------------------------------


def _passages_schema(dim: int) -> Any:
    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=ID_LENGTH)
    s.add_field("doc", DataType.VARCHAR, max_length=ID_LENGTH)
    s.add_field("start_char", DataType.INT64)
    s.add_field("end_char", DataType.INT64)
    s.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True, analyzer_params=ANALYZER)
    s.add_field("sentences", DataType.VARCHAR, max_length=MAX_VARCHAR)
    s.add_field("whole", DataType.BOOL)  # False: text and sentences are kept in the texts collection
    _add_filter_fields(s)
    s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_function(
        Function("passage_bm25", FunctionType.BM25, input_field_names=["text"], output_field_names=["sparse"])
    )
    return s


def _documents_schema() -> Any:
    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=ID_LENGTH)
    s.add_field("ext_key", DataType.VARCHAR, max_length=ID_LENGTH)  # sha256 of the external id, or ""
    s.add_field("heading", DataType.VARCHAR, max_length=MAX_VARCHAR, enable_analyzer=True, analyzer_params=ANALYZER)
    s.add_field("record", DataType.VARCHAR, max_length=MAX_VARCHAR)  # JSON, or "" when kept in the texts
    s.add_field("chars", DataType.INT64)
    s.add_field("passages", DataType.INT64)
    s.add_field("added", DataType.INT64)
    _add_filter_fields(s)
    s.add_field("heading_sparse", DataType.SPARSE_FLOAT_VECTOR)
    s.add_function(
        Function(
            "heading_bm25", FunctionType.BM25, input_field_names=["heading"], output_field_names=["heading_sparse"]
        )
    )
    return s


def _add_filter_fields(s: Any) -> None:
    """The document's facets that filters test (index.filters), on passages too: a filtered search is one
    boolean expression over the collection it searches."""
    s.add_field("published", DataType.VARCHAR, max_length=10)  # ISO date, or ""
    s.add_field("names", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=MAX_NAMES, max_length=KEY_LENGTH)
    s.add_field("facets", DataType.JSON)


def filter_fields(d: Document) -> dict[str, Any]:
    """The filter fields of a document's rows: published date, source names, metadata facets (bounded)."""
    kept: dict[str, list[str]] = {}
    size = 2
    for k, values in facets(d.meta).items():
        n = len(json.dumps({k: values}, ensure_ascii=False).encode("utf-8"))
        if size + n <= MAX_FACETS_BYTES:
            kept[k], size = values, size + n
    names = [n for n in source_names(d.url, d.meta) if len(n.encode("utf-8")) <= KEY_LENGTH][:MAX_NAMES]
    return {"published": published_date(d.date), "names": names, "facets": kept}


def filter_expression(f: DocFilter, doc_ids: Sequence[str] | None, id_field: str = "doc") -> str:
    """The Milvus boolean expression of a filter (`doc_ids`: the ids its `documents` resolved to, tested on
    `id_field`: `doc` on passages, `id` on documents)."""
    parts = []
    if doc_ids is not None:
        parts.append(_in(id_field, doc_ids))
    if f.since:
        parts.append(f"published >= {_quote(f.since)}")
    if f.until:
        parts.append(f'published != "" and published <= {_quote(f.until)}')
    if f.sources:
        parts.append(f"array_contains_any(names, [{', '.join(_quote(v) for v in f.sources)}])")
    parts += [f"json_contains(facets[{_quote(k)}], {_quote(v)})" for k, v in f.meta]
    return " and ".join(f"({p})" for p in parts)


def _texts_schema() -> Any:
    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=KEY_LENGTH)  # key:piece number
    s.add_field("doc", DataType.VARCHAR, max_length=ID_LENGTH)
    s.add_field("key", DataType.VARCHAR, max_length=KEY_LENGTH)
    s.add_field("n", DataType.INT64)
    s.add_field("data", DataType.VARCHAR, max_length=MAX_VARCHAR)
    s.add_field("dummy", DataType.FLOAT_VECTOR, dim=len(_DUMMY))
    return s


def _meta_schema() -> Any:
    s = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=KEY_LENGTH)
    s.add_field("value", DataType.VARCHAR, max_length=MAX_VARCHAR)
    s.add_field("dummy", DataType.FLOAT_VECTOR, dim=len(_DUMMY))
    return s


def _index_params(role: str) -> Any:
    ip = MilvusClient.prepare_index_params()
    if role == "passages":
        ip.add_index("vector", index_type=DENSE_INDEX, metric_type="COSINE")
        ip.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=dict(BM25_PARAMS))
    elif role == "documents":
        ip.add_index("heading_sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=dict(BM25_PARAMS))
    else:
        ip.add_index("dummy", index_type="FLAT", metric_type="L2")
    return ip


# ---- small helpers -----------------------------------------------------------------------------------


def _quote(s: str) -> str:
    """A Milvus filter string literal."""
    escaped = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + escaped.replace("\t", "\\t") + '"'


def _in(field: str, values: Iterable[str]) -> str:
    return f"{field} in [{', '.join(_quote(v) for v in values)}]"


def _chunks(items: Sequence[Any], size: int = _IN_CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _fits(s: str) -> bool:
    return len(s) <= MAX_VARCHAR // 4 or len(s.encode("utf-8")) <= MAX_VARCHAR


def _pieces(s: str) -> list[str]:
    return [s[i : i + PIECE_CHARS] for i in range(0, len(s), PIECE_CHARS)]


def external_key(external_id: str) -> str:
    """What the documents collection keeps of an external id: its SHA-256 (any length, no quoting)."""
    return hashlib.sha256(external_id.encode("utf-8")).hexdigest() if external_id else ""


def _score(distance: float) -> float:
    """A BM25 score from a hit: Milvus reports it as is, milvus-lite negated (smaller = better)."""
    return abs(float(distance))


_clock_lock = threading.Lock()
_clock_last = 0


def _added_now() -> int:
    """Nanoseconds since the epoch, strictly increasing within this process (the order of additions)."""
    global _clock_last
    with _clock_lock:
        _clock_last = max(time.time_ns(), _clock_last + 1)
        return _clock_last


_PASSAGE_FIELDS = ["id", "doc", "start_char", "end_char", "text", "sentences", "whole"]
_SUMMARY_FIELDS = ["id", "record", "chars", "passages"]


# ---- the store ---------------------------------------------------------------------------------------


class MilvusStore:
    """The `Store` over four Milvus collections; one client per store, safe to share between threads."""

    def __init__(
        self,
        location: str,
        embedder: Embedder,
        max_document_chars: int = DEFAULT_MAX_DOCUMENT_CHARS,
        batch_passages: int = BATCH_PASSAGES,
        splitter: SplitterSettings = SplitterSettings(),
        timeout: float = 10.0,
    ) -> None:
        self.loc = parse_location(location)
        self.embedder = embedder
        self.max_document_chars = max_document_chars
        self.batch_passages = max(1, batch_passages)
        self.names = self.loc.collections
        self.client: MilvusClient | None = _connect(self.loc, timeout)
        try:
            self.splitter = self._open(splitter)
        except BaseException:
            self.close()
            raise

    @property
    def _c(self) -> MilvusClient:
        if self.client is None:
            raise IndexStoreError(f"the Milvus store at {self.loc.shown} is closed")
        return self.client

    # ---- collections and settings -----------------------------------------------------------------
    @_milvus_errors
    def _open(self, splitter: SplitterSettings) -> SplitterSettings:
        """Create the collections on first use (meta last); check an existing index was built like this service."""
        c = self._c
        if c.has_collection(self.names["meta"]):
            missing = [n for n in self.names.values() if not c.has_collection(n)]
            if missing:
                raise IndexStoreError(
                    f"index at {self.loc.shown} is damaged (collection {missing[0]} is missing); "
                    "rebuild it with: qa index --rebuild"
                )
            for name in self.names.values():
                c.load_collection(name)
            meta = self._read_meta()
            if meta:
                return self._check_compatible(meta)
        else:
            for role in ("documents", "passages", "texts", "meta"):
                self._create(role)
        self._write_meta(splitter)
        return self._check_compatible(self._read_meta())

    def _create(self, role: str) -> None:
        name = self.names[role]
        if self._c.has_collection(name):
            self._c.load_collection(name)
            return
        schema = {
            "documents": _documents_schema,
            "passages": lambda: _passages_schema(self.embedder.dimension),
            "texts": _texts_schema,
            "meta": _meta_schema,
        }[role]()
        try:
            self._c.create_collection(name, schema=schema, index_params=_index_params(role), consistency_level="Strong")
        except MilvusException:
            if not self._c.has_collection(name):  # not another process creating it at the same moment
                raise
            self._c.load_collection(name)

    def _read_meta(self) -> dict[str, str]:
        rows = self._c.query(self.names["meta"], filter='key != ""', output_fields=["key", "value"], limit=100)
        return {r["key"]: r["value"] for r in rows}

    def _write_meta(self, splitter: SplitterSettings) -> None:
        """Record what the index is built with; keys already there are kept."""
        have = self._read_meta()
        want = {
            "format_version": str(FORMAT_VERSION),
            "embedding_model": self.embedder.name,
            "dimension": str(self.embedder.dimension),
            "splitter": json.dumps(asdict(splitter), sort_keys=True),
            "created": str(time.time()),
        }
        rows = [{"key": k, "value": v, "dummy": _DUMMY} for k, v in want.items() if k not in have]
        if rows:
            self._c.upsert(self.names["meta"], rows)

    def _check_compatible(self, meta: dict[str, str]) -> SplitterSettings:
        return check_compatible(meta, str(self.loc.shown), FORMAT_VERSION, self.embedder.name)

    def close(self) -> None:
        """Close the connection (and stop an in-process milvus-lite server nothing else here uses)."""
        client, self.client = self.client, None
        if client is not None:
            _disconnect(client, self.loc)

    # ---- writing ----------------------------------------------------------------------------------
    @_milvus_errors
    def add(self, docs: Iterable[Document], progress: ProgressFn | None = None) -> AddResult:
        """Add documents in batches of about `batch_passages` passages (each batch's document rows commit it)."""
        return add_in_batches(
            docs, self.embedder, self.splitter, self.batch_passages, self.max_document_chars,
            self._held_ids, self._commit, progress,
        )  # fmt: skip

    def _commit(self, docs: list[Document], passages: list[Passage], vecs: np.ndarray, result: AddResult) -> None:
        """Write one batch: texts and passages, then the document rows (replacing older versions), then drop
        what the replaced versions left; a document another writer added meanwhile is skipped."""
        held = self._held_ids([d.id for d in docs])
        fresh = [d for d in docs if d.id not in held]
        result.unchanged += [d.id for d in docs if d.id in held]
        by_doc: dict[str, list[int]] = {}
        for i, p in enumerate(passages):
            by_doc.setdefault(p.document_id, []).append(i)
        pieces: list[dict[str, Any]] = []
        passage_rows: list[dict[str, Any]] = []
        doc_rows: dict[str, dict[str, Any]] = {}
        for d in fresh:
            pieces += self._piece_rows(d.id, f"{d.id}:t", d.text)
            for i in by_doc.get(d.id, []):
                passage_rows.append(self._passage_row(passages[i], vecs[i], pieces, d))
            doc_rows[d.id] = {**self._document_row(d, len(by_doc.get(d.id, [])), pieces), **filter_fields(d)}
        self._upsert("texts", pieces, _PIECES_PER_CALL)
        self._upsert("passages", passage_rows, _ROWS_PER_CALL)
        olds = self._ids_by_external([d.external_id for d in fresh if d.external_id])
        replaced: list[str] = []
        newest: dict[str, str] = {}  # external key -> this batch's newest version
        for d in fresh:
            key = external_key(d.external_id)
            if key:
                replaced += olds.pop(key, [])
                if key in newest:  # two versions in one add: the later replaces the earlier
                    replaced.append(newest[key])
                    doc_rows.pop(newest[key])
                newest[key] = d.id
            result.added.append(d.id)
            result.passages += len(by_doc.get(d.id, []))
        if replaced:
            self._c.delete(self.names["documents"], filter=_in("id", replaced))
        for rows in _chunks(list(doc_rows.values()), _ROWS_PER_CALL):
            for r in rows:
                r["added"] = _added_now()
            self._c.upsert(self.names["documents"], list(rows))
        if replaced:
            self._delete_parts(replaced)
        result.replaced += replaced

    def _piece_rows(self, doc_id: str, key: str, s: str) -> list[dict[str, Any]]:
        return [
            {"id": f"{key}:{n}", "doc": doc_id, "key": key, "n": n, "data": piece, "dummy": _DUMMY}
            for n, piece in enumerate(_pieces(s))
        ]

    def _passage_row(self, p: Passage, vec: np.ndarray, pieces: list[dict[str, Any]], d: Document) -> dict[str, Any]:
        """A passage's row, with its document `d`'s filter fields."""
        sentences = json.dumps(p.sentences)
        whole = _fits(p.text) and _fits(sentences)
        if not whole:  # a sentence longer than a VARCHAR: the passage is kept whole in the texts
            pieces += self._piece_rows(p.document_id, f"{p.id}:p", json.dumps({"text": p.text, "sentences": sentences}))
        return {
            "id": p.id, "doc": p.document_id, "start_char": p.start, "end_char": p.end,
            "text": p.text if whole else p.text[:PIECE_CHARS], "sentences": sentences if whole else "",
            "whole": whole, "vector": np.asarray(vec, dtype=np.float32).tolist(), **filter_fields(d),
        }  # fmt: skip

    def _document_row(self, d: Document, n_passages: int, pieces: list[dict[str, Any]]) -> dict[str, Any]:
        record = json.dumps(
            {"title": d.title, "url": d.url, "date": d.date, "source": d.source, "dateline": d.dateline,
             "external_id": d.external_id, "meta": d.meta},
            ensure_ascii=False, default=str,
        )  # fmt: skip
        if not _fits(record):
            pieces += self._piece_rows(d.id, f"{d.id}:r", record)
            record = ""
        heading = f"{d.title}\n{d.dateline}"
        return {
            "id": d.id, "ext_key": external_key(d.external_id),
            "heading": heading if _fits(heading) else heading[:PIECE_CHARS], "record": record,
            "chars": len(d.text), "passages": n_passages, "added": 0,
        }  # fmt: skip

    def _upsert(self, role: str, rows: list[dict[str, Any]], per_call: int) -> None:
        for chunk in _chunks(rows, per_call):
            self._c.upsert(self.names[role], list(chunk))

    def _delete_parts(self, doc_ids: Sequence[str]) -> None:
        """Remove the passages and stored texts of documents whose rows are gone."""
        for chunk in _chunks(list(doc_ids)):
            self._c.delete(self.names["passages"], filter=_in("doc", chunk))
            self._c.delete(self.names["texts"], filter=_in("doc", chunk))

    @_milvus_errors
    def delete(self, doc_ids: Sequence[str]) -> list[str]:
        """Remove documents by id or external id with their passages; the document rows go first."""
        keys = list(dict.fromkeys(doc_ids))
        held = self._held_ids(keys)
        by_ext = self._ids_by_external([k for k in keys if k not in held])
        found: list[str] = []
        for k in keys:  # by external id: every version held under it (concurrent writers may leave two)
            for i in [k] if k in held else by_ext.get(external_key(k), []):
                if i not in found:
                    found.append(i)
        if found:
            for chunk in _chunks(found):
                self._c.delete(self.names["documents"], filter=_in("id", chunk))
            self._delete_parts(found)
        return found

    # ---- lookups ----------------------------------------------------------------------------------
    def _get(self, role: str, ids: Sequence[str], fields: list[str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for chunk in _chunks(list(dict.fromkeys(ids))):
            out += self._c.get(self.names[role], ids=list(chunk), output_fields=fields)
        return out

    def _held_ids(self, ids: Sequence[str]) -> set[str]:
        return {r["id"] for r in self._get("documents", ids, ["id"])}

    def _ids_by_external(self, external_ids: Sequence[str]) -> dict[str, list[str]]:
        """External key -> ids of the documents held under it, oldest first."""
        keys = list(dict.fromkeys(external_key(e) for e in external_ids if e))
        rows: list[dict[str, Any]] = []
        for chunk in _chunks(keys):
            rows += self._c.query(
                self.names["documents"], filter=_in("ext_key", chunk), output_fields=["id", "ext_key", "added"]
            )
        out: dict[str, list[str]] = {}
        for r in sorted(rows, key=lambda r: (r["added"], r["id"])):
            out.setdefault(r["ext_key"], []).append(r["id"])
        return out

    def _scan(self, role: str, filter: str, fields: list[str]) -> Iterator[dict[str, Any]]:
        """Every row matching `filter`, a thousand per request."""
        it = self._c.query_iterator(self.names[role], batch_size=1000, filter=filter, output_fields=fields)
        try:
            while rows := it.next():
                yield from rows
        finally:
            it.close()

    def _texts(self, keys: Sequence[str]) -> dict[str, str]:
        """The long strings stored under these keys, joined from their pieces."""
        out: dict[str, str] = {}
        for key in dict.fromkeys(keys):
            parts: dict[int, str] = {}
            start = 0
            while True:
                rows = self._c.query(
                    self.names["texts"],
                    filter=f"key == {_quote(key)} and n >= {start} and n < {start + _PIECES_PER_CALL}",
                    output_fields=["n", "data"],
                )
                parts.update((int(r["n"]), r["data"]) for r in rows)
                if len(rows) < _PIECES_PER_CALL:
                    break
                start += _PIECES_PER_CALL
            out[key] = "".join(parts[n] for n in sorted(parts))
        return out

    def _records(self, rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Document id -> its record (title, url, ... , meta)."""
        long = self._texts([f"{r['id']}:r" for r in rows if not r["record"]])
        return {r["id"]: json.loads(r["record"] or long[f"{r['id']}:r"]) for r in rows}

    def _live(self, hits: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The hits whose document is committed (a crash may leave passages of a document never committed)."""
        docs = {h["entity"]["doc"] for h in hits}
        held = self._held_ids(sorted(docs)) if docs else set()
        return [h for h in hits if h["entity"]["doc"] in held]

    # ---- searching --------------------------------------------------------------------------------
    def _expression(self, within: DocFilter | None, field: str = "doc") -> str | None:
        """The search filter of `within` ('' for none; None when its `documents` name no held document)."""
        if not within:
            return ""
        ids: list[str] | None = None
        if within.documents:
            held = self._held_ids(within.documents)
            by_ext = self._ids_by_external([k for k in within.documents if k not in held])
            ids = sorted(held | {i for found in by_ext.values() for i in found})
            if not ids:
                return None
        return filter_expression(within, ids, field)

    @_milvus_errors
    def dense_search(self, vector: np.ndarray, k: int, within: DocFilter | None = None) -> list[tuple[str, float]]:
        """(passage id, cosine) of the k nearest passages (of the documents `within` allows: Milvus filters
        inside the search)."""
        expr = self._expression(within)
        if k <= 0 or expr is None:
            return []
        res = self._c.search(
            self.names["passages"],
            data=[np.asarray(vector, dtype=np.float32).tolist()],
            anns_field="vector",
            limit=min(k, MAX_TOP_K),
            filter=expr,
            output_fields=["doc"],
            search_params={"metric_type": "COSINE"},
        )
        return [(h["id"], float(h["distance"])) for h in self._live(list(res[0]))]

    @_milvus_errors
    def keyword_search(self, query: str, k: int, within: DocFilter | None = None) -> list[tuple[str, float]]:
        """(passage id, BM25 score) of up to k passages matching any keyword of `query` (and `within`)."""
        text = " ".join(dict.fromkeys(bm25_tokens(query)))
        expr = self._expression(within)
        if not text or k <= 0 or expr is None:
            return []
        res = self._c.search(
            self.names["passages"],
            data=[text],
            anns_field="sparse",
            limit=min(k, MAX_TOP_K),
            filter=expr,
            output_fields=["doc"],
            search_params={"metric_type": "BM25"},
        )
        hits = [h for h in res[0] if _score(h["distance"]) > 0]
        return [(h["id"], _score(h["distance"])) for h in self._live(hits)]

    @_milvus_errors
    def title_search(self, query: str, k: int, within: DocFilter | None = None) -> list[tuple[str, float]]:
        """(document id, BM25 score) of documents whose title or dateline shares a keyword with `query`."""
        text = " ".join(dict.fromkeys(bm25_tokens(query)))
        expr = self._expression(within, field="id")
        if not text or k <= 0 or expr is None:
            return []
        res = self._c.search(
            self.names["documents"],
            data=[text],
            anns_field="heading_sparse",
            limit=min(k, MAX_TOP_K),
            filter=expr,
            output_fields=["id"],
            search_params={"metric_type": "BM25"},
        )
        return [(h["id"], _score(h["distance"])) for h in res[0] if _score(h["distance"]) > 0]

    @_milvus_errors
    def count_documents(self, within: DocFilter | None = None) -> int:
        """How many documents `within` allows (all of them without a filter)."""
        expr = self._expression(within, field="id")
        if expr is None:
            return 0
        rows = self._c.query(self.names["documents"], filter=expr, output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    # ---- reading ----------------------------------------------------------------------------------
    def _passages_of_rows(self, rows: Sequence[dict[str, Any]]) -> dict[str, Passage]:
        long = self._texts([f"{r['id']}:p" for r in rows if not r["whole"]])
        out: dict[str, Passage] = {}
        for r in rows:
            text, sentences = r["text"], r["sentences"]
            if not r["whole"]:
                stored = json.loads(long[f"{r['id']}:p"])
                text, sentences = stored["text"], stored["sentences"]
            spans = [(int(a), int(b)) for a, b in json.loads(sentences)]
            out[r["id"]] = Passage(r["id"], r["doc"], int(r["start_char"]), int(r["end_char"]), text, spans)
        return out

    @_milvus_errors
    def passages(self, ids: Sequence[str]) -> dict[str, Passage]:
        """The passages with these ids that are still held."""
        return self._passages_of_rows(self._get("passages", ids, _PASSAGE_FIELDS))

    @_milvus_errors
    def document_passages(self, doc_id: str) -> list[Passage]:
        """Every passage of one document, in order."""
        if not self._held_ids([doc_id]):
            return []
        got = self._passages_of_rows(list(self._scan("passages", f"doc == {_quote(doc_id)}", _PASSAGE_FIELDS)))
        return sorted(got.values(), key=lambda p: (p.start, p.end))

    @_milvus_errors
    def cosines(self, ids: Sequence[str], vector: np.ndarray) -> dict[str, float]:
        """Cosine of each passage's stored vector with a unit vector."""
        v = np.asarray(vector, dtype=np.float32)
        rows = self._get("passages", ids, ["id", "vector"])
        return {r["id"]: float(np.asarray(r["vector"], dtype=np.float32) @ v) for r in rows}

    @_milvus_errors
    def titles(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """Title of each of these documents."""
        records = self._records(self._get("documents", doc_ids, ["id", "record"]))
        return {i: str(rec["title"]) for i, rec in records.items()}

    @_milvus_errors
    def labels(self, doc_ids: Sequence[str]) -> dict[str, DocLabel]:
        """Title, date, source and page starts of each of these documents."""
        records = self._records(self._get("documents", doc_ids, ["id", "record"]))
        return {i: DocLabel.of(r["title"], r["date"], r["url"], r["meta"]) for i, r in records.items()}

    @_milvus_errors
    def document(self, doc_id: str) -> Document | None:
        """One document by id or external id."""
        rows = self._get("documents", [doc_id], ["id", "record", "chars"])
        if not rows and doc_id:
            ids = self._ids_by_external([doc_id]).get(external_key(doc_id), [])
            rows = self._get("documents", ids[-1:], ["id", "record", "chars"])  # the newest version
        if not rows:
            return None
        row = rows[0]
        rec = self._records([row])[row["id"]]
        text = self._texts([f"{row['id']}:t"])[f"{row['id']}:t"]
        return Document(
            id=row["id"], external_id=rec["external_id"], title=rec["title"], text=text, url=rec["url"],
            date=rec["date"], source=rec["source"], dateline=rec["dateline"], meta=rec["meta"],
        )  # fmt: skip

    @_milvus_errors
    def documents(self, offset: int = 0, limit: int | None = None) -> list[DocumentSummary]:
        """Documents in the order they were added, without their text (reads every id to order them)."""
        order = sorted(self._scan("documents", 'id != ""', ["id", "added"]), key=lambda r: (r["added"], r["id"]))
        page = [r["id"] for r in order[offset : None if limit is None else offset + max(limit, 0)]]
        rows = {r["id"]: r for r in self._get("documents", page, _SUMMARY_FIELDS)}
        records = self._records(list(rows.values()))
        out: list[DocumentSummary] = []
        for i in page:
            if i in rows:
                rec, r = records[i], rows[i]
                out.append(
                    DocumentSummary(
                        id=i, title=rec["title"], url=rec["url"], date=rec["date"], source=rec["source"],
                        external_id=rec["external_id"], chars=int(r["chars"]), passages=int(r["passages"]),
                    )
                )  # fmt: skip
        return out

    def _count(self, role: str) -> int:
        rows = self._c.query(self.names[role], filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    @_milvus_errors
    def stats(self) -> StoreStats:
        """Counts of documents and passages now."""
        return StoreStats(documents=self._count("documents"), passages=self._count("passages"))

    @_milvus_errors
    def info(self) -> dict[str, object]:
        """What the index was built with and holds, and where (for `qa info`)."""
        meta = self._read_meta()
        return {
            "index": self.loc.shown,
            "backend": "milvus",
            "server": self._c.get_server_version(),
            "collections": list(self.names.values()),
            **asdict(self.stats()),
            "embedding_model": meta.get("embedding_model"),
            "dimension": self.embedder.dimension,
            "splitter": json.loads(meta.get("splitter", "{}")),
            "format_version": int(meta.get("format_version", 0)),
            "dense_index": f"{DENSE_INDEX} (COSINE)",
            "keyword_index": "SPARSE_INVERTED_INDEX (BM25 full-text search)",
        }
