"""The Milvus store against milvus-lite: the SQLite store's contract (search, round trips, idempotent and replacing
adds, deletes, reopening, the size limit, the compatibility check), long texts kept in pieces, a crashed add left
invisible, a real `milvus-lite server` shared by two store objects, and the pipeline answering over it.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from index.backends import is_milvus, open_store, remove_index  # noqa: E402
from index.documents import Document, DocumentTooLarge, load_documents  # noqa: E402
from index.milvus_store import (  # noqa: E402
    MAX_VARCHAR,
    PIECE_CHARS,
    MilvusStore,
    collection_exists,
    drop_collection,
    parse_location,
)
from index.store import IndexStoreError, Store  # noqa: E402
from tests.conftest import free_port, stop_process

pytestmark = pytest.mark.slow  # about a minute: creating a collection's indexes waits 0.5 s each in pymilvus

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"

EXTRA = [
    Document(text="The lighthouse in Oslo was repainted red. Tourists photographed it.", title="Lighthouse"),
    Document(text="A new bakery opened in Lyon. Its croissants sold out by noon.", title="Bakery"),
]


@pytest.fixture
def lite(tmp_path: Path) -> str:
    """A fresh milvus-lite location (served in-process by pymilvus)."""
    return str(tmp_path / "milvus.db")


@pytest.fixture
def store(lite: str, embedder) -> Iterator[MilvusStore]:
    s = MilvusStore(lite, embedder)
    yield s
    s.close()


def doc_of(store: Store, pid: str) -> str:
    return store.passages([pid])[pid].document_id


def test_milvus_build_and_search(lite: str, embedder) -> None:
    assert is_milvus(lite)
    store = open_store(lite, embedder)
    assert isinstance(store, MilvusStore) and isinstance(store, Store)
    result = store.add(EXTRA)
    assert result.added == [d.id for d in EXTRA] and result.passages == 2
    assert store.stats().documents == 2 and store.stats().passages == 2
    v = embedder.embed(["Which city has a repainted lighthouse?"])[0]
    [(pid, cos)] = store.dense_search(v, 1)
    assert doc_of(store, pid) == EXTRA[0].id
    assert 0.3 < cos <= 1.0001
    assert store.cosines([pid], v)[pid] == pytest.approx(cos, abs=1e-5)
    [(pid2, bm)] = store.keyword_search("croissants in Lyon", 5)
    assert doc_of(store, pid2) == EXTRA[1].id and bm > 0
    assert store.keyword_search("the of and", 5) == []  # stop words only
    assert store.keyword_search("zyzzyva", 5) == []  # unknown word
    assert store.keyword_search('croissants" OR "x', 5)  # quotes in a query are not filter syntax
    assert [d for d, _ in store.title_search("bakery news", 5)] == [EXTRA[1].id]
    assert store.title_search("zyzzyva", 5) == []
    assert store.titles([EXTRA[0].id]) == {EXTRA[0].id: "Lighthouse"}
    assert store.document(EXTRA[1].id) == EXTRA[1]
    assert [d.id for d in store.documents()] == [EXTRA[0].id, EXTRA[1].id]
    assert [d.id for d in store.documents(offset=1, limit=5)] == [EXTRA[1].id]
    summary = store.documents()[1]
    assert (summary.title, summary.chars, summary.passages) == ("Bakery", len(EXTRA[1].text), 1)
    [p] = store.document_passages(EXTRA[0].id)
    assert EXTRA[0].text[p.start : p.end] == p.text and p.sentences == [(0, 41), (42, 67)]
    assert store.document("nope") is None and store.passages(["nope"]) == {}
    assert store.document_passages("nope") == []
    info = store.info()
    assert info["backend"] == "milvus" and info["documents"] == 2 and info["passages"] == 2
    assert info["embedding_model"] == embedder.name and info["dimension"] == 384
    assert info["splitter"] == {"max_tokens": 180, "overlap_sentences": 1} and info["format_version"] == 2
    store.close()


def test_milvus_reopen_gives_the_same_results(lite: str, embedder) -> None:
    store = MilvusStore(lite, embedder)
    store.add([*load_documents([SEEDS]), *EXTRA])
    questions = ["Which countries are ready to send peacekeepers?", "croissants", "Who is Steve Witkoff?"]

    def results(s: Store) -> list:
        out = []
        for q in questions:
            out.append([(p, round(x, 4)) for p, x in s.dense_search(embedder.embed([q])[0], 5)])
            out.append([(p, round(x, 4)) for p, x in s.keyword_search(q, 5)])
        return out

    before = results(store)
    assert all(before[0::2]) and before[1] and before[3]
    n = store.stats()
    store.close()  # the last client here: the in-process server stops, and starts again from disk below
    assert collection_exists(lite)
    again = MilvusStore(lite, embedder)
    assert results(again) == before
    assert again.stats() == n and n.documents == 3
    again.close()


def test_milvus_the_same_content_is_indexed_once(store: MilvusStore) -> None:
    seeds = load_documents([SEEDS])
    store.add(seeds)
    n = store.stats()
    assert store.add(load_documents([SEEDS])).unchanged == [seeds[0].id]
    assert store.stats() == n
    result = store.add([*EXTRA, *EXTRA])  # duplicates within one batch count once
    assert len(result.added) == 2
    assert store.add(EXTRA).unchanged == [d.id for d in EXTRA]
    assert store.stats().documents == n.documents + 2


def test_milvus_a_new_text_under_a_known_external_id_replaces_the_old_version(store: MilvusStore, embedder) -> None:
    v1 = Document(text="The mayor of Ghent resigned on Monday.", title="Ghent", external_id='wire-7 "a"')
    v2 = Document(text="The mayor of Ghent resigned on Tuesday, not Monday.", title="Ghent", external_id='wire-7 "a"')
    store.add([v1])
    result = store.add([v2])
    assert result.added == [v2.id] and result.replaced == [v1.id]
    assert [d.id for d in store.documents()] == [v2.id]
    assert store.document('wire-7 "a"') == v2  # found by its external id
    hits = store.keyword_search("Ghent mayor resigned", 5)
    assert [doc_of(store, p) for p, _ in hits] == [v2.id]
    dense = store.dense_search(embedder.embed(["When did the mayor of Ghent resign?"])[0], 5)
    assert [doc_of(store, p) for p, _ in dense] == [v2.id]
    assert store.stats().passages == 1
    # two versions in one add: the later replaces the earlier, as one after the other would
    v3 = Document(text="Ghent elected a new mayor.", title="Ghent", external_id='wire-7 "a"')
    v4 = Document(text="Ghent elected a new mayor on Sunday.", title="Ghent", external_id='wire-7 "a"')
    result = store.add([v3, v4])
    assert result.added == [v3.id, v4.id] and result.replaced == [v2.id, v3.id]
    assert [d.id for d in store.documents()] == [v4.id] and store.stats().passages == 1
    assert store.delete(['wire-7 "a"']) == [v4.id] and store.stats().documents == 0


def test_milvus_delete_removes_a_document_from_every_search(lite: str, embedder) -> None:
    store = MilvusStore(lite, embedder)
    store.add([*load_documents([SEEDS]), *EXTRA])
    doomed = EXTRA[1]
    assert store.delete([doomed.id, doomed.id]) == [doomed.id]
    assert store.delete([doomed.id]) == []
    assert store.document(doomed.id) is None
    assert store.keyword_search("croissants Lyon", 5) == []
    assert not store.title_search("bakery", 5)
    v = embedder.embed(["Where did a bakery open?"])[0]
    assert all(doc_of(store, p) != doomed.id for p, _ in store.dense_search(v, 50))
    assert store.stats().documents == 2
    store.close()
    again = MilvusStore(lite, embedder)
    assert all(doc_of(again, p) != doomed.id for p, _ in again.dense_search(v, 50))
    assert again.keyword_search("croissants Lyon", 5) == []
    again.close()


def test_milvus_documents_over_the_size_limit_are_refused(lite: str, embedder) -> None:
    store = MilvusStore(lite, embedder, max_document_chars=100)
    with pytest.raises(DocumentTooLarge, match=r"too large \(200 characters; the limit is 100"):
        store.add([EXTRA[0], Document(text="word " * 40, title="Long")])
    assert store.stats().documents == 0 and store.stats().passages == 0  # refused before anything was written
    store.close()


def test_milvus_an_index_built_otherwise_is_refused(lite: str, embedder) -> None:
    store = MilvusStore(lite, embedder)
    assert store.client is not None
    good = store._read_meta()
    for key, value, pattern in [
        ("embedding_model", "sentence-transformers/all-mpnet-base-v2", r"built with sentence-transformers/all-mpnet"),
        ("format_version", "99", r"format version 99, this articleqa reads version 2"),
        ("splitter", "180 tokens", r"damaged settings"),
    ]:
        store.client.upsert(store.names["meta"], [{"key": key, "value": value, "dummy": [0.0, 0.0]}])
        with pytest.raises(IndexStoreError, match=pattern) as info:
            MilvusStore(lite, embedder)
        assert str(info.value).endswith("rebuild it with: qa index --rebuild") and "\n" not in str(info.value)
        store.client.upsert(store.names["meta"], [{"key": key, "value": good[key], "dummy": [0.0, 0.0]}])
    MilvusStore(lite, embedder).close()  # as built: opens
    store.close()


def test_milvus_long_texts_are_kept_in_pieces(lite: str, embedder) -> None:
    """A document far past one VARCHAR, a record past one, and one sentence past one (3-byte characters)."""
    body = " ".join(f"Paragraph {i} tells of the harbour of Bergen and its ferries." for i in range(600))
    long_sentence = "港" * (MAX_VARCHAR // 3 + 10)  # one sentence of 65,555 bytes: the passage cannot be cut
    doc = Document(
        text=f"{body}\n{long_sentence}\nThe end of the Bergen story.",
        title="Bergen",
        external_id="long-1",
        meta={"notes": "n" * (MAX_VARCHAR + 5)},
    )
    assert len(doc.text) > 3 * PIECE_CHARS
    store = MilvusStore(lite, embedder)
    result = store.add([doc])
    store.close()
    again = MilvusStore(lite, embedder)
    assert again.document(doc.id) == doc and again.document("long-1") == doc
    passages = again.document_passages(doc.id)
    assert len(passages) == result.passages > 10
    assert all(doc.text[p.start : p.end] == p.text for p in passages)
    [big] = [p for p in passages if "港" in p.text]
    assert big.text == long_sentence and again.passages([big.id])[big.id] == big
    assert again.titles([doc.id]) == {doc.id: "Bergen"}
    assert again.documents()[0].chars == len(doc.text)
    assert again.keyword_search("ferries Bergen", 3)
    assert again.delete([doc.id]) == [doc.id]
    assert again.stats().passages == 0 and again._texts([f"{doc.id}:t"]) == {f"{doc.id}:t": ""}
    again.close()


def test_milvus_a_crashed_add_leaves_nothing_visible(store: MilvusStore, embedder) -> None:
    """Passages written without their document row (a crash mid-batch) are never returned; re-adding heals."""
    store.add(EXTRA[:1])
    doc = EXTRA[1]
    from index.passages import make_passages

    [p] = make_passages(doc, embedder.count_tokens)
    store._upsert("passages", [store._passage_row(p, embedder.embed([p.text])[0], [], doc)], 10)
    assert store.keyword_search("croissants Lyon", 5) == []
    v = embedder.embed(["Where did a bakery open?"])[0]
    assert [doc_of(store, pid) for pid, _ in store.dense_search(v, 5)] == [EXTRA[0].id]
    assert store.add([doc]).added == [doc.id]
    assert store.stats().passages == 2  # the re-add overwrote the piece left behind
    assert [doc_of(store, pid) for pid, _ in store.keyword_search("croissants Lyon", 5)] == [doc.id]


def test_milvus_locations_and_errors(tmp_path: Path, embedder) -> None:
    assert parse_location("milvus://db.example:19530").uri == "http://db.example:19530"
    assert parse_location("https://u:secret@db.example").shown == "https://u:***@db.example"
    assert parse_location("milvus://h:1?collection=news_2").name == "news_2"
    local = parse_location(str(tmp_path / "x.db"))
    assert local.local == local.uri == str(tmp_path / "x.db") and local.name == "articleqa"
    for bad, says in [
        ("milvus://h:port", "the port must be a number"),
        ("milvus://:19530", "no host name"),
        ("milvus://h:1?collection=bad-name", "bad collection name"),
        ("ftp://h", "is not a Milvus address"),
    ]:
        with pytest.raises(IndexStoreError, match=says):
            parse_location(bad)
    port = free_port()  # nothing listens there
    t0 = time.perf_counter()
    with pytest.raises(IndexStoreError, match=rf"^cannot reach Milvus at milvus://127.0.0.1:{port}: ") as info:
        MilvusStore(f"milvus://127.0.0.1:{port}", embedder, timeout=2)
    assert "\n" not in str(info.value) and time.perf_counter() - t0 < 10
    held = tmp_path / "held.db"  # a milvus-lite folder another process has open
    hold = f"import milvus_lite, time; db = milvus_lite.MilvusLite({str(held)!r}); print(1, flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", hold], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"1"
        with pytest.raises(IndexStoreError, match=r"^cannot open the milvus-lite index at .*held\.db: another process"):
            MilvusStore(str(held), embedder)
    finally:
        holder.kill()
        holder.wait()


def test_milvus_collections_are_named_dropped_and_rebuilt(tmp_path: Path, embedder) -> None:
    base = str(tmp_path / "two.db")
    a = MilvusStore(base, embedder)
    b = MilvusStore(base + "?collection=other", embedder)
    a.add(EXTRA[:1])
    b.add(EXTRA)
    assert (a.stats().documents, b.stats().documents) == (1, 2)
    remove_index(base)  # what `qa index --rebuild` does
    assert not collection_exists(base) and collection_exists(base + "?collection=other")
    a.close()
    again = MilvusStore(base, embedder)
    assert again.stats().documents == 0 and b.stats().documents == 2
    drop_collection(base + "?collection=other")
    drop_collection(base + "?collection=other")  # none there is fine
    b.close()
    again.close()


@pytest.fixture
def milvus_server(tmp_path: Path) -> Iterator[str]:
    """`milvus-lite server` on a free loopback port, in a subprocess; stopped at the end."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(tmp_path / "server-data"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.time() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"milvus-lite server exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("milvus-lite server did not start in time") from None
                time.sleep(0.2)
        yield f"milvus://127.0.0.1:{port}"
    finally:
        stop_process(proc)


def test_milvus_server_shared_by_two_stores(milvus_server: str, embedder) -> None:
    """Two store objects on one server stand for two processes: each sees the other's add and delete at once."""
    server = open_store(milvus_server, embedder)
    writer = open_store(milvus_server, embedder)
    assert isinstance(server, MilvusStore) and server.info()["server"]
    v = embedder.embed(["Which city has a repainted lighthouse?"])[0]
    assert server.dense_search(v, 1) == []
    writer.add(EXTRA)
    [(pid, _)] = server.dense_search(v, 1)
    assert doc_of(server, pid) == EXTRA[0].id
    assert [doc_of(server, p) for p, _ in server.keyword_search("croissants", 5)] == [EXTRA[1].id]
    assert server.stats().documents == 2
    assert server.delete([EXTRA[0].id]) == [EXTRA[0].id]
    assert all(doc_of(writer, p) != EXTRA[0].id for p, _ in writer.dense_search(v, 50))
    assert writer.document(EXTRA[0].id) is None and writer.stats().documents == 1
    server.close()
    writer.close()
    again = MilvusStore(milvus_server, embedder)
    assert [d.id for d in again.documents()] == [EXTRA[1].id]
    again.close()


def test_milvus_pipeline_answers_over_the_seed_article(store: MilvusStore, embedder) -> None:
    from qa.pipeline import QAPipeline
    from qa.reader import SentenceReader

    store.add(load_documents([SEEDS]))
    pipeline = QAPipeline(store, embedder, SentenceReader(embedder))
    resp = pipeline.ask("Which countries are ready to send peacekeepers?")
    said = [i.name for i in resp.items] + [a.text for a in resp.answers] + [a.context for a in resp.answers]
    assert any("Ireland" in s for s in said), json.dumps(resp.model_dump(), default=str)[:2000]
    assert resp.passages
