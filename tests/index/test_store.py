"""The SQLite store: search, round trips, idempotent and replacing adds, deletes, the compatibility check,
the derived FAISS index (snapshots, incremental updates, changes made by another process, IVF past a size),
refusing to overwrite non-indexes, building once from the seeds, and migrating format-1 indexes.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from subprocess import PIPE

import faiss
import numpy as np
import pytest

from index.backends import check_target, index_exists, open_or_build, open_store, remove_index
from index.documents import Document, DocumentTooLarge, load_documents
from index.passages import SplitterSettings, make_passages
from index.sqlite_store import DB_FILE, SQLiteStore, store_error
from index.store import IndexStoreError, Store
from index.vectors import VectorIndex, snapshots

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"

EXTRA = [
    Document(text="The lighthouse in Oslo was repainted red. Tourists photographed it.", title="Lighthouse"),
    Document(text="A new bakery opened in Lyon. Its croissants sold out by noon.", title="Bakery"),
]


@pytest.fixture
def index_copy(seed_index_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the seed index that a test may change or damage."""
    d = tmp_path / "index"
    shutil.copytree(seed_index_dir, d)
    return d


def test_build_and_search(tmp_path: Path, embedder) -> None:
    store = open_store(tmp_path / "idx", embedder)
    assert isinstance(store, Store)
    result = store.add(EXTRA)
    assert result.added == [d.id for d in EXTRA] and result.passages == 2
    assert store.stats().documents == 2 and store.stats().passages == 2
    v = embedder.embed(["Which city has a repainted lighthouse?"])[0]
    [(pid, cos)] = store.dense_search(v, 1)
    assert store.passages([pid])[pid].document_id == EXTRA[0].id
    assert 0.3 < cos <= 1.0001
    assert store.cosines([pid], v)[pid] == pytest.approx(cos, abs=1e-5)
    [(pid2, bm)] = store.keyword_search("croissants in Lyon", 5)
    assert store.passages([pid2])[pid2].document_id == EXTRA[1].id and bm > 0
    assert store.keyword_search("the of and", 5) == []  # stop words only
    assert store.keyword_search("zyzzyva", 5) == []  # unknown word
    assert store.keyword_search('croissants" OR "x', 5)  # quotes in a query are not FTS syntax
    assert [d for d, _ in store.title_search("bakery news", 5)] == [EXTRA[1].id]
    assert store.titles([EXTRA[0].id]) == {EXTRA[0].id: "Lighthouse"}
    assert store.document(EXTRA[1].id) == EXTRA[1]
    assert [d.id for d in store.documents()] == [EXTRA[0].id, EXTRA[1].id]
    assert [d.id for d in store.documents(offset=1, limit=5)] == [EXTRA[1].id]
    [p] = store.document_passages(EXTRA[0].id)
    assert EXTRA[0].text[p.start : p.end] == p.text
    assert store.document("nope") is None and store.passages(["nope"]) == {}


def test_reopen_gives_the_same_results(index_copy: Path, embedder) -> None:
    store = open_store(index_copy, embedder)
    store.add(EXTRA)
    questions = ["Which countries are ready to send peacekeepers?", "croissants", "Who is Steve Witkoff?"]

    def results(s: Store) -> list:
        out = []
        for q in questions:
            out.append([(p, round(x, 5)) for p, x in s.dense_search(embedder.embed([q])[0], 5)])
            out.append([(p, round(x, 5)) for p, x in s.keyword_search(q, 5)])
        return out

    before = results(store)
    store.close()
    again = open_store(index_copy, embedder)
    assert results(again) == before
    assert again.stats().documents == 3
    info = again.info()
    assert info["format_version"] == 2 and info["dense_index"] == "flat (exact)"
    assert info["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2" and info["dimension"] == 384


def test_the_same_content_is_indexed_once(index_copy: Path, embedder) -> None:
    store = open_store(index_copy, embedder)
    n = store.stats()
    assert store.add(load_documents([SEEDS])).added == []
    assert store.stats() == n
    result = store.add([*EXTRA, *EXTRA])  # duplicates within one batch count once
    assert len(result.added) == 2
    assert store.add(EXTRA).unchanged == [d.id for d in EXTRA]
    assert store.stats().documents == n.documents + 2


def test_a_new_text_under_a_known_external_id_replaces_the_old_version(tmp_path: Path, embedder) -> None:
    store = open_store(tmp_path / "idx", embedder)
    v1 = Document(text="The mayor of Ghent resigned on Monday.", title="Ghent", external_id="wire-7")
    v2 = Document(text="The mayor of Ghent resigned on Tuesday, not Monday.", title="Ghent", external_id="wire-7")
    store.add([v1])
    result = store.add([v2])
    assert result.added == [v2.id] and result.replaced == [v1.id]
    assert [d.id for d in store.documents()] == [v2.id]
    assert store.document("wire-7") == v2  # found by its external id
    hits = store.keyword_search("Ghent mayor resigned", 5)
    assert [store.passages([p])[p].document_id for p, _ in hits] == [v2.id]
    dense = store.dense_search(embedder.embed(["When did the mayor of Ghent resign?"])[0], 5)
    assert [store.passages([p])[p].document_id for p, _ in dense] == [v2.id]


def test_delete_removes_a_document_from_every_search(index_copy: Path, embedder) -> None:
    store = open_store(index_copy, embedder)
    store.add(EXTRA)
    doomed = EXTRA[1]
    assert store.delete([doomed.id, doomed.id]) == [doomed.id]
    assert store.delete([doomed.id]) == []
    assert store.document(doomed.id) is None
    assert store.keyword_search("croissants Lyon", 5) == []
    assert not store.title_search("bakery", 5)
    v = embedder.embed(["Where did a bakery open?"])[0]
    assert all(store.passages([p])[p].document_id != doomed.id for p, _ in store.dense_search(v, 50))
    assert store.stats().documents == 2
    store.close()
    again = open_store(index_copy, embedder)  # and after a reopen (FAISS rebuilt or replayed)
    assert all(again.passages([p])[p].document_id != doomed.id for p, _ in again.dense_search(v, 50))


def test_changes_by_another_writer_show_on_the_next_search(index_copy: Path, embedder) -> None:
    """Two store objects on one index stand for two processes: the server sees the other's add and delete."""
    server = open_store(index_copy, embedder)
    writer = open_store(index_copy, embedder)
    v = embedder.embed(["Which city has a repainted lighthouse?"])[0]
    assert server.dense_search(v, 1)  # FAISS loaded before the change
    writer.add(EXTRA[:1])
    [(pid, _)] = server.dense_search(v, 1)
    assert server.passages([pid])[pid].document_id == EXTRA[0].id
    assert server.stats().documents == 2
    writer.delete([EXTRA[0].id])
    assert all(server.passages([p])[p].document_id != EXTRA[0].id for p, _ in server.dense_search(v, 50))


def test_snapshots_are_a_cache(tmp_path: Path, embedder) -> None:
    d = tmp_path / "idx"
    store = open_store(d, embedder)
    assert isinstance(store, SQLiteStore)
    store.add(EXTRA)
    store.snapshot()
    [(snap, seq)] = snapshots(d)
    assert seq == 2
    store.add([Document(text="Snow closed the Brenner pass for a day.", title="Pass")])
    store.close()
    again = open_store(d, embedder)  # loads the snapshot and replays the one later add
    v = embedder.embed(["Which pass did snow close?"])[0]
    [(pid, _)] = again.dense_search(v, 1)
    assert "Brenner" in again.passages([pid])[pid].text
    snap.write_bytes(b"garbage")  # a damaged snapshot is rebuilt from the store
    fresh = open_store(d, embedder)
    assert fresh.dense_search(v, 1)[0][0] == pid


def test_ivf_past_the_exact_limit_finds_what_exact_search_finds(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(40, 64)).astype(np.float32)
    vecs = centres[rng.integers(0, 40, 4000)] + 0.3 * rng.normal(size=(4000, 64)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = np.arange(10, 4010, dtype=np.int64)
    exact = VectorIndex.build(64, ids, vecs, exact_limit=10_000)
    approx = VectorIndex.build(64, ids, vecs, exact_limit=1_000)
    assert not exact.approximate and approx.approximate
    found = total = 0
    for q in vecs[:50]:
        want = {i for i, _ in exact.search(q, 10)}
        found += len(want & {i for i, _ in approx.search(q, 10)})
        total += 10
    assert found / total >= 0.95
    approx.remove(ids[:1])
    assert ids[0] not in {i for i, _ in approx.search(vecs[0], 10)}
    approx.save(tmp_path, 7)
    back, seq = VectorIndex.load_latest(tmp_path, 64, 7) or (None, 0)
    assert seq == 7 and back is not None and back.approximate and len(back) == 3999


def test_documents_over_the_size_limit_are_refused(tmp_path: Path, embedder) -> None:
    store = open_store(tmp_path / "idx", embedder, max_document_chars=100)
    with pytest.raises(DocumentTooLarge, match=r"too large \(200 characters; the limit is 100"):
        store.add([EXTRA[0], Document(text="word " * 40, title="Long")])
    assert store.stats().documents == 0  # refused before anything was written


@pytest.mark.parametrize(
    ("key", "value", "pattern"),
    [
        ("embedding_model", "sentence-transformers/all-mpnet-base-v2", r"built with sentence-transformers/all-mpnet"),
        ("format_version", "99", r"format version 99, this articleqa reads version 2"),
        ("splitter", "180 tokens", r"damaged settings"),
    ],
)
def test_an_index_built_otherwise_is_refused(index_copy: Path, embedder, key: str, value: str, pattern: str) -> None:
    with sqlite3.connect(index_copy / DB_FILE) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    with pytest.raises(IndexStoreError, match=pattern) as info:
        open_store(index_copy, embedder)
    assert "rebuild" in str(info.value) and "\n" not in str(info.value)


def test_a_damaged_database_gives_a_clear_error(index_copy: Path, embedder) -> None:
    for f in index_copy.iterdir():
        f.unlink()
    (index_copy / DB_FILE).write_bytes(b"not a database at all" * 100)
    with pytest.raises(IndexStoreError, match=r"damaged.*rebuild it with: qa index --rebuild"):
        open_store(index_copy, embedder)


def test_refuses_a_folder_that_is_not_an_index(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "precious.txt").write_text("my notes")
    for call in (
        lambda: open_store(folder, embedder),
        lambda: open_or_build(folder, embedder, lambda: [SEEDS]),
        lambda: remove_index(folder),
    ):
        with pytest.raises(IndexStoreError, match="exists and is not an index"):
            call()
    assert (folder / "precious.txt").read_text() == "my notes"
    a_file = tmp_path / "file.txt"
    a_file.write_text("data")
    with pytest.raises(IndexStoreError, match="is not an index"):
        check_target(a_file)
    empty = tmp_path / "empty"
    empty.mkdir()
    open_store(empty, embedder).add(EXTRA[:1])
    assert index_exists(empty)


def test_check_target_accepts_an_index_another_writer_is_creating(tmp_path: Path, monkeypatch) -> None:
    """Two `qa index` runs started together: the other one's database appears right after this one looks."""
    import index.backends as backends
    from index.sqlite_store import DB_FILE

    folder = tmp_path / "index"
    folder.mkdir()
    real = backends.index_exists

    def index_exists_then_the_other_writer_creates_it(location):
        found = real(location)
        (folder / DB_FILE).touch()
        return found

    monkeypatch.setattr(backends, "index_exists", index_exists_then_the_other_writer_creates_it)
    check_target(folder)  # empty when looked at, or an index by the time it is asked: either way not refused
    (folder / DB_FILE).touch()
    check_target(folder)  # an index from now on
    (folder / DB_FILE).unlink()
    (folder / "precious.txt").write_text("my notes")
    with pytest.raises(IndexStoreError, match="is not an index"):
        check_target(folder)


OPEN_WHEN_TOLD = """
import sys, time
from pathlib import Path
from index.embedder import Embedder
from index.sqlite_store import SQLiteStore
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
SQLiteStore(sys.argv[1], Embedder()).close()
"""


def test_processes_opening_a_new_index_together_all_open_it(tmp_path: Path) -> None:
    """SQLite refuses the switch to WAL at once (no busy wait) while another process reads: CI saw 'locked'."""
    for round_no in range(8):
        folder, go = tmp_path / f"index{round_no}", tmp_path / f"go{round_no}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN_WHEN_TOLD, str(folder), str(go)], cwd=ROOT, stderr=PIPE, text=True
            )
            for _ in range(3)
        ]
        time.sleep(1.5)  # every process imported and waiting
        go.touch()
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
        with sqlite3.connect(folder / DB_FILE) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.close()


def test_open_or_build_builds_once(tmp_path: Path, embedder) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("The harbour of Bergen froze over. Ferries stopped running.")
    d = tmp_path / "idx"
    store = open_or_build(d, embedder, lambda: [seeds])
    assert store.stats().documents == 1
    (seeds / "b.txt").write_text("Not indexed: the index exists already.")
    store.delete([store.documents()[0].id])
    again = open_or_build(d, embedder, lambda: [seeds])
    assert again.stats().documents == 0  # an index emptied on purpose is not refilled from the seeds


# ---- format-1 indexes --------------------------------------------------------------------------------


def write_format1(directory: Path, docs: list[Document], embedder) -> None:
    """An index as articleqa 0.1 saved it: JSON lines, a flat FAISS file and a manifest."""
    directory.mkdir(parents=True)
    passages = [p for d in docs for p in make_passages(d, embedder.count_tokens, SplitterSettings())]
    index = faiss.IndexFlatIP(384)
    index.add(embedder.embed([p.text for p in passages]))
    faiss.write_index(index, str(directory / "vectors.faiss"))
    with open(directory / "documents.jsonl", "w") as f:
        for d in docs:
            rec = d.to_dict()
            rec.pop("external_id")
            f.write(json.dumps(rec) + "\n")
    with open(directory / "passages.jsonl", "w") as f:
        for p in passages:
            f.write(json.dumps(p.to_dict()) + "\n")
    manifest = {
        "format_version": 1, "embedding_model": embedder.name, "dimension": 384,
        "splitter": {"max_tokens": 180, "overlap_sentences": 1}, "documents": len(docs),
        "passages": len(passages), "created": 0.0, "updated": 0.0,
    }  # fmt: skip
    (directory / "manifest.json").write_text(json.dumps(manifest))


def test_a_format1_index_is_migrated_on_open(tmp_path: Path, embedder) -> None:
    d = tmp_path / "old"
    write_format1(d, EXTRA, embedder)
    assert index_exists(d)
    store = open_store(d, embedder)
    assert sorted(p.name for p in d.iterdir() if not p.name.startswith("store.sqlite-")) == [
        DB_FILE,
        "vectors-2.faiss",
    ]
    assert [x.id for x in store.documents()] == [x.id for x in EXTRA]
    v = embedder.embed(["Which city has a repainted lighthouse?"])[0]
    [(pid, _)] = store.dense_search(v, 1)
    assert store.passages([pid])[pid].document_id == EXTRA[0].id
    assert store.keyword_search("croissants", 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]  # nothing left beside it


def test_a_format1_index_left_aside_by_a_crash_is_found(tmp_path: Path, embedder) -> None:
    """0.1 moved the index to `.NAME.old` during a save; a kill there left only that."""
    d = tmp_path / "idx"
    write_format1(d.with_name(".idx.old"), EXTRA[:1], embedder)
    assert index_exists(d)
    store = open_store(d, embedder)
    assert [x.id for x in store.documents()] == [EXTRA[0].id]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]


def test_a_damaged_format1_index_says_how_to_rebuild(tmp_path: Path, embedder) -> None:
    d = tmp_path / "old"
    write_format1(d, EXTRA, embedder)
    (d / "vectors.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexStoreError, match=r"could not be migrated.*qa index --rebuild"):
        open_store(d, embedder)
    assert (d / "manifest.json").exists()  # the old index is left as it was
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]


def test_a_mapped_snapshot_takes_changes_like_an_index_in_memory(tmp_path: Path) -> None:
    """Exact snapshots are memory-mapped (shared by a server's workers); changes go beside them."""
    rng = np.random.default_rng(2)
    vecs = rng.normal(size=(500, 32)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = np.arange(1, 501, dtype=np.int64)
    VectorIndex.build(32, ids, vecs).save(tmp_path, 3)
    mapped, seq = VectorIndex.load_latest(tmp_path, 32, 3) or (None, 0)
    assert mapped is not None and mapped.mapped and seq == 3
    memory = VectorIndex.build(32, ids, vecs)
    extra = rng.normal(size=(5, 32)).astype(np.float32)
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    for vi in (mapped, memory):
        vi.remove(ids[:50])
        vi.add(np.arange(1000, 1005, dtype=np.int64), extra)
        vi.remove(np.array([1002], dtype=np.int64))
    assert len(mapped) == len(memory) == 454
    for q in [*vecs[:60:7], *extra]:
        assert [i for i, _ in mapped.search(q, 10)] == [i for i, _ in memory.search(q, 10)]
    mapped.save(tmp_path, 8)  # the new snapshot holds the changes
    back, _ = VectorIndex.load_latest(tmp_path, 32, 8) or (None, 0)
    assert back is not None and len(back) == 454 and back.search(extra[0], 1)[0][0] == 1000


def test_a_lock_held_too_long_says_busy_not_damaged(tmp_path: Path) -> None:
    busy = str(store_error(tmp_path, sqlite3.OperationalError("database is locked")))
    assert "is busy" in busy and "rebuild" not in busy
    assert "rebuild it with" in str(store_error(tmp_path, sqlite3.DatabaseError("file is not a database")))
