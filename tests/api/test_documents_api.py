"""Live corpus over HTTP against a real server on 127.0.0.1: `POST /documents` (one or a batch), re-posting,
replacing by external id, `DELETE /documents/{id}`, size and validation errors, the API key on writes, and a
server answering from documents that another process (`qa index`, `qa delete`) changed, with no restart.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import FAST_READER, ROOT, run_server

pytestmark = pytest.mark.slow

HARBOUR = {
    "title": "Harbour strike ends",
    "text": "Dockers in Rotterdam ended their strike on Friday after the union FNV accepted a pay rise of 6 percent.",
    "url": "https://example.org/harbour",
    "date": "2026-11-30",
    "external_id": "wire-harbour",
    "metadata": {"desk": "economy"},
}


@pytest.fixture(scope="module")
def live(seed_index_dir: Path, tmp_path_factory) -> tuple[str, Path]:
    index = tmp_path_factory.mktemp("live") / "index"
    shutil.copytree(seed_index_dir, index)
    with run_server(index, env={**FAST_READER, "QA_API_KEY": "", "QA_MAX_DOCUMENT_CHARS": "2000"}) as base:
        yield base, index


def ask(base: str, question: str) -> dict:
    r = httpx.post(base + "/ask", json={"question": question, "top_k": 3}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def test_post_makes_a_document_answerable_at_once_and_delete_removes_it(live) -> None:
    base, _ = live
    r = httpx.post(base + "/documents", json=HARBOUR, timeout=60)
    assert r.status_code == 201, r.text
    body = r.json()
    [doc_id] = body["added"]
    assert body["documents"] == 2 and body["passages"] == 1 and body["replaced"] == []
    resp = ask(base, "What pay rise did the FNV union accept?")
    assert resp["answers"] and resp["answers"][0]["document_id"] == doc_id
    assert "6 percent" in resp["answers"][0]["context"]
    got = httpx.get(f"{base}/documents/{doc_id}").json()
    assert got["external_id"] == "wire-harbour" and got["metadata"]["desk"] == "economy" and got["passages"] == 1
    assert got["metadata"]["articleqa"]["added_by"] is None  # no key: a loopback bind with no write key
    assert httpx.get(f"{base}/documents/wire-harbour").json()["id"] == doc_id  # by external id too
    again = httpx.post(base + "/documents", json=HARBOUR, timeout=60)
    assert again.status_code == 200 and again.json()["unchanged"] == [doc_id]  # re-posting is a no-op

    newer = {**HARBOUR, "text": HARBOUR["text"].replace("6 percent", "7 percent")}
    r = httpx.post(base + "/documents", json={"documents": [newer]}, timeout=60)
    assert r.status_code == 201 and r.json()["replaced"] == [doc_id]
    [new_id] = r.json()["added"]
    resp = ask(base, "What pay rise did the FNV union accept?")
    assert resp["answers"][0]["document_id"] == new_id and "7 percent" in resp["answers"][0]["context"]
    assert httpx.get(f"{base}/documents/{doc_id}").status_code == 404

    r = httpx.delete(f"{base}/documents/{new_id}")
    assert r.status_code == 200 and r.json() == {"deleted": [new_id], "documents": 1}
    resp = ask(base, "What pay rise did the FNV union accept?")
    assert all(a["document_id"] != new_id for a in resp["answers"])
    assert all(p["document_id"] != new_id for p in resp["passages"])
    r = httpx.delete(f"{base}/documents/{new_id}")
    assert r.status_code == 404 and "no document with id" in r.json()["detail"]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"title": "Big", "text": "word " * 500}, 413, "too large (2,499 characters; the limit is 2,000"),
        ({"title": "Empty", "text": ""}, 422, "text"),
        ({"title": "Blank", "text": "   \n  "}, 422, "text is empty"),
        ({"text": "ok", "colour": "red"}, 422, "colour"),
        ({"documents": []}, 422, "documents"),
        ({"documents": [{"text": "fine"}, {"text": "word " * 500}]}, 413, "documents[1]"),
    ],
)
def test_bad_documents_get_a_json_error(live, body: dict, status: int, fragment: str) -> None:
    base, _ = live
    before = httpx.get(base + "/health").json()["documents"]
    r = httpx.post(base + "/documents", json=body, timeout=60)
    assert r.status_code == status, r.text
    assert fragment in r.json()["detail"]
    assert httpx.get(base + "/health").json()["documents"] == before  # nothing half-added


def test_an_oversized_body_is_refused_before_it_is_read(live) -> None:
    base, _ = live
    r = httpx.post(base + "/documents", content=b"x" * 20_000_000, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "request body too large" in r.json()["detail"]


def qa(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


def test_the_server_sees_what_another_process_indexed_or_deleted(live, tmp_path: Path) -> None:
    base, index = live
    story = tmp_path / "glacier.md"
    story.write_text("---\ntitle: Glacier\n---\nThe Aletsch glacier lost 40 metres of length in the summer of 2026.\n")
    r = qa("index", story, "--quiet", "--index", index)
    assert r.returncode == 0, r.stderr
    resp = ask(base, "How much length did the Aletsch glacier lose?")
    assert resp["answers"] and "40 metres" in resp["answers"][0]["context"]
    doc_id = resp["answers"][0]["document_id"]
    r = qa("delete", doc_id, "--index", index)
    assert r.returncode == 0 and "deleted 1 document(s)" in r.stdout, r.stderr
    resp = ask(base, "How much length did the Aletsch glacier lose?")
    assert all(p["document_id"] != doc_id for p in resp["passages"])
    r = qa("delete", doc_id, "--index", index)
    assert r.returncode == 1 and r.stderr.strip() == f"qa: error: no document with id {doc_id}"


def test_writes_need_the_api_key(seed_index_dir: Path, tmp_path: Path) -> None:
    index = tmp_path / "index"
    shutil.copytree(seed_index_dir, index)
    with run_server(index, env={**FAST_READER, "QA_API_KEY": "sesame"}) as base:
        assert httpx.post(base + "/documents", json=HARBOUR).status_code == 401
        assert httpx.delete(base + "/documents/x").status_code == 401
        ok = {"Authorization": "Bearer sesame"}
        assert httpx.post(base + "/documents", json=HARBOUR, headers=ok, timeout=60).status_code == 201


def test_post_feeds_indexes_each_entry_once(live) -> None:
    from tests.index.test_feeds import RSS2

    base, _ = live
    headers = {"content-type": "application/rss+xml"}
    r = httpx.post(base + "/feeds", content=RSS2.encode(), headers=headers, timeout=120)
    assert r.status_code == 201, r.text
    assert len(r.json()["added"]) == 2
    again = httpx.post(base + "/feeds", content=RSS2.encode(), headers=headers, timeout=120)
    assert again.status_code == 200 and len(again.json()["unchanged"]) == 2  # only what is new is added
    got = httpx.get(base + "/documents/https://gazette.example/ferries").json()
    assert got["date"] == "2025-03-03" and got["metadata"]["site"] == "Harbour Gazette"
    body = {"question": "When did the fish market reopen?", "filters": {"sources": ["Harbour Gazette"]}}
    resp = httpx.post(base + "/ask", json=body, timeout=60).json()
    assert resp["passages"] and {p["source"] for p in resp["passages"]} == {"Harbour Gazette"}
    for content, fragment in [(b"", "the request body is empty"), (b"<html>no feed</html>", "not an RSS or Atom feed")]:
        r = httpx.post(base + "/feeds", content=content, headers=headers, timeout=60)
        assert r.status_code == 422 and fragment in r.json()["detail"], r.text
