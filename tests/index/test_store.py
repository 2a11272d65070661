"""The index store on disk: building, save/load round trip, idempotent re-indexing, the manifest check,
atomic saves (a crash mid-save leaves the previous index loadable), and refusing to overwrite non-indexes.

Tampering tests work on copies of the session's seed index, so the model embeds the seed corpus once.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import faiss
import numpy as np
import pytest

from index.documents import Document, load_documents
from index.passages import SplitterSettings
from index.store import FORMAT_VERSION, MANIFEST, IndexStore, IndexStoreError, open_or_build

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


QUESTIONS = [
    "Which countries are ready to send peacekeepers?",
    "What did Macron fail to secure?",
    "Who is Steve Witkoff?",
    "Bulgarian parliament declaration",
]

EXTRA = [
    Document(text="The lighthouse in Oslo was repainted red. Tourists photographed it.", title="Lighthouse"),
    Document(text="A new bakery opened in Lyon. Its croissants sold out by noon.", title="Bakery"),
]


@pytest.fixture
def index_copy(seed_index_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the seed index that a test may damage."""
    d = tmp_path / "index"
    shutil.copytree(seed_index_dir, d)
    return d


def results(store: IndexStore, embedder) -> list:
    """Dense and sparse rankings (as passage ids) for a few questions: what a round trip must preserve."""
    out = []
    for q in QUESTIONS:
        v = embedder.embed([q])[0]
        out.append([(store.passages[r].id, round(s, 5)) for r, s in store.dense_search(v, 5)])
        out.append([(store.passages[r].id, round(s, 5)) for r, s in store.sparse_search(q, 5)])
    return out


def test_build_and_search(embedder) -> None:
    store = IndexStore(embedder)
    assert store.add(EXTRA) == 2
    assert len(store.documents) == 2
    assert store.vectors.ntotal == len(store.passages) == 2
    assert (store.manifest.documents, store.manifest.passages) == (2, 2)
    v = embedder.embed(["Which city has a repainted lighthouse?"])[0]
    [(row, cos)] = store.dense_search(v, 1)
    assert store.passages[row].document_id == EXTRA[0].id
    assert 0.3 < cos <= 1.0001
    [(row, bm)] = store.sparse_search("croissants in Lyon", 5)
    assert store.passages[row].document_id == EXTRA[1].id and bm > 0
    assert store.sparse_search("the of and", 5) == []  # stop words only
    assert store.sparse_search("zyzzyva", 5) == []  # unknown word
    # vectors are unit length (cosine = inner product)
    vecs = np.stack([store.vectors.reconstruct(i) for i in range(store.vectors.ntotal)])
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)


def test_save_load_round_trip(seed_index_dir: Path, embedder, tmp_path: Path) -> None:
    store = IndexStore.load(seed_index_dir, embedder)
    assert len(store.documents) == 1 and len(store.passages) >= 3
    assert store.add(EXTRA) == 2
    d = store.save(tmp_path / "rt")
    assert sorted(p.name for p in d.iterdir()) == sorted(
        ["bm25", "documents.jsonl", "manifest.json", "passages.jsonl", "vectors.faiss"]
    )
    m = json.loads((d / MANIFEST).read_text())
    assert m["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert m["dimension"] == 384
    assert m["format_version"] == FORMAT_VERSION
    assert m["splitter"] == {"max_tokens": 180, "overlap_sentences": 1}
    assert (m["documents"], m["passages"]) == (3, len(store.passages))

    back = IndexStore.load(d, embedder)
    assert back.documents == store.documents
    assert back.passages == store.passages
    assert back.splitter == store.splitter
    assert results(back, embedder) == results(store, embedder)
    assert back.passage(store.passages[-1].id) == store.passages[-1]
    assert back.disk_size(d) > 0


def test_reindexing_the_same_documents_adds_nothing(index_copy: Path, embedder) -> None:
    store = IndexStore.load(index_copy, embedder)
    counts = (len(store.documents), len(store.passages), store.vectors.ntotal)
    assert store.add(load_documents([SEEDS])) == 0
    assert store.add(load_documents([SEEDS, SEEDS])) == 0
    assert (len(store.documents), len(store.passages), store.vectors.ntotal) == counts
    assert store.add([*EXTRA, *EXTRA]) == 2  # duplicates within one batch count once
    assert store.add(EXTRA) == 0
    store.save(index_copy)
    again = IndexStore.load(index_copy, embedder)
    assert again.add(load_documents([SEEDS]) + EXTRA) == 0
    assert len(again.documents) == counts[0] + 2


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        ({"embedding_model": "sentence-transformers/all-mpnet-base-v2"}, r"built with sentence-transformers/all-mpnet"),
        ({"dimension": 768}, r"\(768 dims\), but this service embeds with .*\(384 dims\)"),
        ({"format_version": 99}, r"format version 99, this articleqa reads version 1"),
        ({"splitter": {"max_tokens": 180, "sentences": 3}}, r"manifest .* is damaged"),
        ({"splitter": "180 tokens"}, r"manifest .* is damaged"),
        ({"unexpected_field": 1}, r"manifest .* is damaged"),
    ],
)
def test_manifest_check_refuses_other_indexes(index_copy: Path, embedder, change: dict, pattern: str) -> None:
    mpath = index_copy / MANIFEST
    m = json.loads(mpath.read_text())
    m.update(change)
    mpath.write_text(json.dumps(m))
    with pytest.raises(IndexStoreError, match=pattern) as info:
        IndexStore.load(index_copy, embedder)
    assert "rebuild" in str(info.value) and "\n" not in str(info.value)


def test_manifest_not_json(index_copy: Path, embedder) -> None:
    (index_copy / MANIFEST).write_text("{ not json")
    with pytest.raises(IndexStoreError, match="is damaged"):
        IndexStore.load(index_copy, embedder)


def test_splitter_mismatch(index_copy: Path, embedder) -> None:
    with pytest.raises(IndexStoreError, match="was split with"):
        IndexStore.load(index_copy, embedder, splitter=SplitterSettings(max_tokens=100))
    assert IndexStore.load(index_copy, embedder, splitter=SplitterSettings()).passages


def test_missing_index(tmp_path: Path, embedder) -> None:
    assert not IndexStore.exists(tmp_path / "nothing")
    with pytest.raises(IndexStoreError, match=r"no index at .*nothing \(build one with: qa index"):
        IndexStore.load(tmp_path / "nothing", embedder)


@pytest.mark.parametrize("damage", ["delete-vectors", "corrupt-vectors", "delete-passages", "truncate-passages"])
def test_damaged_files_give_a_clear_error(index_copy: Path, embedder, damage: str) -> None:
    if damage == "delete-vectors":
        (index_copy / "vectors.faiss").unlink()
    elif damage == "corrupt-vectors":
        (index_copy / "vectors.faiss").write_bytes(b"garbage")
    elif damage == "delete-passages":
        (index_copy / "passages.jsonl").unlink()
    else:
        lines = (index_copy / "passages.jsonl").read_text().splitlines()
        (index_copy / "passages.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(IndexStoreError, match=r"(damaged|inconsistent).*rebuild it with: qa index --rebuild"):
        IndexStore.load(index_copy, embedder)


def snapshot(d: Path) -> dict[str, bytes]:
    return {f.relative_to(d).as_posix(): f.read_bytes() for f in sorted(d.rglob("*")) if f.is_file()}


def test_crash_while_writing_leaves_previous_index(index_copy: Path, embedder, monkeypatch) -> None:
    before = snapshot(index_copy)
    store = IndexStore.load(index_copy, embedder)
    store.add(EXTRA)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", boom)
    with pytest.raises(OSError, match="disk full"):
        store.save(index_copy)
    monkeypatch.undo()
    assert snapshot(index_copy) == before
    assert sorted(p.name for p in index_copy.parent.iterdir()) == ["index"]  # no temporary folder left behind
    assert len(IndexStore.load(index_copy, embedder).documents) == 1


def test_crash_between_the_renames_restores_previous_index(index_copy: Path, embedder, monkeypatch) -> None:
    before = snapshot(index_copy)
    store = IndexStore.load(index_copy, embedder)
    store.add(EXTRA)
    real_replace = os.replace
    calls = []

    def second_rename_fails(src, dst):
        calls.append((Path(src).name, Path(dst).name))
        if len(calls) == 2:  # the old index has been moved aside; the new one is not in place yet
            raise OSError("power cut")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", second_rename_fails)
    with pytest.raises(OSError, match="power cut"):
        store.save(index_copy)
    monkeypatch.undo()
    assert calls[0] == ("index", ".index.old")
    assert snapshot(index_copy) == before
    assert not (index_copy.parent / ".index.old").exists()
    assert len(IndexStore.load(index_copy, embedder).documents) == 1


def test_recovers_an_old_index_left_between_the_renames(index_copy: Path, embedder) -> None:
    """A process killed between its two renames leaves only `.NAME.old`; the next load puts it back."""
    before = snapshot(index_copy)
    old = index_copy.with_name(".index.old")
    os.replace(index_copy, old)
    assert IndexStore.exists(index_copy)
    store = IndexStore.load(index_copy, embedder)
    assert len(store.documents) == 1
    assert snapshot(index_copy) == before
    assert not old.exists()


def test_save_replaces_and_cleans_up(index_copy: Path, embedder) -> None:
    store = IndexStore.load(index_copy, embedder)
    store.add(EXTRA)
    store.save(index_copy)
    assert sorted(p.name for p in index_copy.parent.iterdir()) == ["index"]
    assert len(IndexStore.load(index_copy, embedder).documents) == 3


def test_refuses_to_overwrite_a_folder_that_is_not_an_index(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "precious.txt").write_text("my notes")
    store = IndexStore(embedder)
    store.add(EXTRA[:1])
    with pytest.raises(IndexStoreError, match="exists and is not an index; refusing to overwrite it"):
        store.save(folder)
    assert (folder / "precious.txt").read_text() == "my notes"
    a_file = tmp_path / "file.txt"
    a_file.write_text("data")
    with pytest.raises(IndexStoreError, match="is not an index"):
        store.save(a_file)
    with pytest.raises(IndexStoreError, match="is not an index"):
        open_or_build(folder, embedder, lambda: [SEEDS])
    assert a_file.read_text() == "data" and (folder / "precious.txt").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    store.save(empty)
    assert IndexStore.load(empty, embedder).documents.keys() == {EXTRA[0].id}


def test_open_or_build_builds_once_then_loads(tmp_path: Path, embedder) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("The harbour of Bergen froze over. Ferries stopped running.")
    d = tmp_path / "idx"
    store = open_or_build(d, embedder, lambda: [seeds])
    assert len(store.documents) == 1
    mtime = (d / MANIFEST).stat().st_mtime_ns
    (seeds / "b.txt").write_text("Not indexed: the index exists already.")
    again = open_or_build(d, embedder, lambda: [seeds])
    assert len(again.documents) == 1
    assert (d / MANIFEST).stat().st_mtime_ns == mtime
