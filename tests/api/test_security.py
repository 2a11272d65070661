"""Attacks on a public bind, as a visitor of a news site carrying the widget would make them: every write route
without a key, with a read key, with a wrong key (and with the hash the configuration holds); reads with and
without keys; a burst from one client while another's requests must still succeed; X-Forwarded-For from a
client that is not a trusted proxy; no key in any log line or response. Real servers bound to 0.0.0.0 (reached
through 127.0.0.1), over private copies of the seed index."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.conftest import FAST_READER, run_server

pytestmark = pytest.mark.slow

READ_1 = "rk-plain-7f3b9c2e1d"
READ_2 = "rk-hashed-5a8e0f4c6b"  # configured by its hash only
WRITE = "wk-hashed-2c9d7e1f0a"  # configured by its hash only
WRONG = "wk-guess-0000000000"
KEYS = (READ_1, READ_2, WRITE, WRONG)
Q = "Which countries are ready to send peacekeepers to Ukraine?"
STORY = {"title": "Fake", "text": "The prime minister resigned on Tuesday, the palace said.", "external_id": "x-1"}
SEEN: list[str] = []  # every response's headers and body, checked for keys at the end


def sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def kid(key: str) -> str:
    return "key-" + sha(key)[:8]


def bearer(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def call(method: str, url: str, **kw) -> httpx.Response:
    r = httpx.request(method, url, timeout=120, **kw)
    SEEN.append(json.dumps(dict(r.headers)) + r.text)
    return r


def copy_index(seed_index_dir: Path, tmp: Path) -> Path:
    index = tmp / "index"
    shutil.copytree(seed_index_dir, index)
    return index


@pytest.fixture(scope="module")
def open_public(seed_index_dir: Path, tmp_path_factory) -> Iterator[str]:
    """No key at all, bound to 0.0.0.0; 127.0.0.1 is a trusted proxy (X-Forwarded-For names the client)."""
    index = copy_index(seed_index_dir, tmp_path_factory.mktemp("open"))
    env = {**FAST_READER, "QA_API_KEY": "", "QA_TRUSTED_PROXIES": "127.0.0.1", "QA_RATE_LIMIT": "5/second"}
    with run_server(index, env=env, host="0.0.0.0") as base:
        yield base


@pytest.fixture(scope="module")
def keyed_public(seed_index_dir: Path, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """Read keys (one plain, one hashed) and a hashed write key, bound to 0.0.0.0, access log and audit log on."""
    tmp = tmp_path_factory.mktemp("keyed")
    env = {
        **FAST_READER,
        "QA_API_KEY": "",
        "QA_READ_KEYS": f"{READ_1}, sha256:{sha(READ_2)}",
        "QA_WRITE_KEYS": f"sha256:{sha(WRITE)}",
        "QA_RATE_LIMIT": "100/second",
        "QA_MAX_QUEUE": "4",
        "QA_AUDIT_LOG": str(tmp / "audit.jsonl"),
    }
    with run_server(copy_index(seed_index_dir, tmp), env=env, host="0.0.0.0", log=tmp / "server.log") as base:
        yield base, tmp


def write_attempts(base: str, doc_id: str) -> list[tuple[str, str, dict | None]]:
    """Every way to add, replace or delete a document: the routes, other methods, and path variants."""
    batch = {"documents": [STORY]}
    replace = {**STORY, "external_id": "wire-harbour", "text": "Replaced."}
    return [
        ("POST", f"{base}/documents", STORY),
        ("POST", f"{base}/documents", batch),
        ("POST", f"{base}/documents", replace),
        ("DELETE", f"{base}/documents/{doc_id}", None),
        ("DELETE", f"{base}/documents/wire-harbour", None),
        ("PUT", f"{base}/documents/{doc_id}", STORY),
        ("PATCH", f"{base}/documents/{doc_id}", STORY),
        ("POST", f"{base}/documents/", STORY),
        ("DELETE", f"{base}/documents/{doc_id}/", None),
    ]


def state(base: str, headers: dict[str, str]) -> list[tuple[str, str]]:
    r = call("GET", f"{base}/documents", headers=headers)
    assert r.status_code == 200, r.text
    return [(d["id"], d["title"]) for d in r.json()]


def test_no_write_route_is_reachable_without_a_write_key_on_a_public_bind(open_public: str) -> None:
    base = open_public
    before = state(base, {})
    [(doc_id, _)] = before
    for method, url, body in write_attempts(base, doc_id):
        for headers in ({}, bearer(WRONG), bearer("sha256:" + sha(WRONG)), {"X-HTTP-Method-Override": "DELETE"}):
            r = call(method, url, json=body, headers=headers)
            assert r.status_code == 403, (method, url, headers, r.status_code, r.text)
            assert "QA_WRITE_KEYS" in r.json()["detail"] and "public address" in r.json()["detail"]
    # every operation the service documents that is not a question or a read: all refused
    paths = call("GET", f"{base}/openapi.json").json()["paths"]
    writes = [
        (m.upper(), p)
        for p, ops in paths.items()
        for m in ops
        if m != "get" and p not in ("/ask", "/v1/chat/completions")
    ]
    assert sorted(writes) == [("DELETE", "/documents/{doc_id}"), ("POST", "/documents"), ("POST", "/feeds")]
    for method, path in writes:
        r = call(method, base + path.replace("{doc_id}", doc_id), json=STORY)
        assert r.status_code == 403, (method, path, r.text)
    assert state(base, {}) == before
    assert call("GET", f"{base}/documents/{doc_id}").status_code == 200
    r = call("POST", f"{base}/ask", json={"question": Q}, headers={"X-Forwarded-For": "198.51.100.1"})
    assert r.status_code == 200 and r.json()["answers"]  # reads stay open


def test_write_routes_refuse_missing_read_and_wrong_keys(keyed_public: tuple[str, Path]) -> None:
    base, _ = keyed_public
    before = state(base, bearer(READ_1))
    [(doc_id, _)] = before
    for method, url, body in write_attempts(base, doc_id):
        for key, status in ((None, 401), (WRONG, 401), (sha(WRITE), 401), ("sha256:" + sha(WRITE), 401),
                            (READ_1, 403), (READ_2, 403)):  # fmt: skip
            r = call(method, url, json=body, headers=bearer(key))
            assert r.status_code == status, (method, url, key, r.status_code, r.text)
            detail = r.json()["detail"]
            assert ("API key" in detail) if status == 401 else ("write key" in detail)
        r = call(method, url, json=body, headers={"Authorization": f"Basic {WRITE}"})
        assert r.status_code == 401
    assert state(base, bearer(READ_2)) == before


def test_reads_need_a_read_or_write_key(keyed_public: tuple[str, Path]) -> None:
    base, _ = keyed_public
    chat = {"model": "articleqa", "messages": [{"role": "user", "content": Q}]}
    reads = [("POST", "/ask", {"question": Q}), ("GET", "/search?q=peacekeepers", None), ("GET", "/documents", None),
             ("GET", "/v1/models", None), ("POST", "/v1/chat/completions", chat)]  # fmt: skip
    for method, path, body in reads:
        for key in (None, WRONG, sha(READ_2)):
            r = call(method, base + path, json=body, headers=bearer(key))
            assert r.status_code == 401, (path, key, r.text)
        for key in (READ_1, READ_2, WRITE):
            r = call(method, base + path, json=body, headers=bearer(key))
            assert r.status_code == 200, (path, key, r.text)
    assert "documents" not in call("GET", base + "/health").json()  # counts only for callers who may read
    assert call("GET", base + "/health", headers=bearer(READ_2)).json()["documents"] == 1
    reader = openai.OpenAI(base_url=base + "/v1", api_key=READ_2, max_retries=0, timeout=120)
    comp = reader.chat.completions.create(model="articleqa", messages=[{"role": "user", "content": Q}])
    assert "Ireland" in comp.choices[0].message.content


def test_the_write_key_writes_and_every_write_is_audited(keyed_public: tuple[str, Path]) -> None:
    base, tmp = keyed_public
    r = call("POST", f"{base}/documents", json=STORY, headers=bearer(WRITE))
    assert r.status_code == 201, r.text
    [added] = r.json()["added"]
    meta = call("GET", f"{base}/documents/{added}", headers=bearer(READ_1)).json()["metadata"]
    assert meta["articleqa"]["added_by"] == kid(WRITE) and meta["articleqa"]["added_at"].endswith("Z")
    newer = {**STORY, "text": STORY["text"].replace("Tuesday", "Wednesday")}
    r = call("POST", f"{base}/documents", json={"documents": [newer]}, headers=bearer(WRITE))
    assert r.status_code == 201 and r.json()["replaced"] == [added]
    [newest] = r.json()["added"]
    forged = {**STORY, "text": "Other.", "metadata": {"articleqa": {"added_by": kid(READ_1)}}}
    r = call("POST", f"{base}/documents", json=forged, headers=bearer(WRITE))
    assert r.status_code == 422 and "metadata.articleqa is set by the service" in r.json()["detail"]
    assert call("DELETE", f"{base}/documents/{newest}", headers=bearer(WRITE)).status_code == 200
    lines = [json.loads(x) for x in (tmp / "audit.jsonl").read_text().splitlines()]
    assert [(x["event"], x["ids"], x.get("replaced")) for x in lines] == [
        ("add", [added], []), ("add", [newest], [added]), ("delete", [newest], None)
    ]  # fmt: skip
    assert {(x["key"], x["client"]) for x in lines} == {(kid(WRITE), "127.0.0.1")}
    assert all(x["ts"].endswith("Z") and x["route"].startswith("/documents") for x in lines)


async def _burst_while_polite(base: str, greedy: dict, polite: dict, n: int, path: str, body: dict | None):
    """`n` requests at once from the greedy client while the polite one asks three questions, one at a time."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as c:

        async def one(headers: dict) -> httpx.Response:
            if body is None:
                return await c.get(path, headers=headers)
            return await c.post(path, json=body, headers=headers)

        async def polite_client() -> list[httpx.Response]:
            await asyncio.sleep(0.2)  # the burst has arrived
            return [await c.post("/ask", json={"question": Q, "top_k": 3}, headers=polite) for _ in range(3)]

        flood = [one(greedy) for _ in range(n)]
        *burst, mine = await asyncio.gather(*flood, polite_client())
    return burst, mine


def test_a_greedy_key_cannot_make_another_clients_questions_fail(keyed_public: tuple[str, Path]) -> None:
    base, _ = keyed_public  # 100/second: the rate limit lets the burst through; the work queue must stay fair
    burst, mine = asyncio.run(_burst_while_polite(base, bearer(READ_1), bearer(READ_2), 40, "/ask", {"question": Q}))
    assert [r.status_code for r in mine] == [200, 200, 200], [r.text for r in mine]
    statuses = [r.status_code for r in burst]
    assert 503 in statuses and set(statuses) <= {200, 503}, statuses  # the greedy client is refused itself


def test_a_burst_from_one_address_is_limited_and_another_address_is_served(open_public: str) -> None:
    base = open_public  # 5/second per client
    greedy, polite = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "203.0.113.8"}
    burst, mine = asyncio.run(_burst_while_polite(base, greedy, polite, 50, "/search?q=peacekeepers", None))
    assert [r.status_code for r in mine] == [200, 200, 200], [r.text for r in mine]
    limited = [r for r in burst if r.status_code == 429]
    assert len(limited) >= 40 and {r.status_code for r in burst} == {200, 429}
    assert all(int(r.headers["retry-after"]) >= 1 and "rate limit exceeded" in r.json()["detail"] for r in limited)
    client = openai.OpenAI(base_url=base + "/v1", api_key="unused", max_retries=0,
                           default_headers={"X-Forwarded-For": "203.0.113.9"})  # fmt: skip
    with pytest.raises(openai.RateLimitError) as err:
        for _ in range(10):
            client.models.list()
    assert err.value.body["code"] == "rate_limit_exceeded" and err.value.response.headers["retry-after"]
    metrics = call("GET", base + "/metrics").text
    [line] = [x for x in metrics.splitlines() if x.startswith('articleqa_rate_limited_total{by="address"}')]
    assert float(line.split()[-1]) >= len(limited) + 1


def test_forwarded_for_from_an_untrusted_peer_is_ignored(keyed_public: tuple[str, Path]) -> None:
    base, tmp = keyed_public  # no trusted proxies: whatever the header says, the client is the peer
    spoofed = {**bearer(WRITE), "X-Forwarded-For": "192.0.2.66"}
    r = call("POST", f"{base}/documents", json={**STORY, "text": "Spoof test.", "external_id": "s"}, headers=spoofed)
    assert r.status_code == 201
    last = json.loads((tmp / "audit.jsonl").read_text().splitlines()[-1])
    assert last["client"] == "127.0.0.1"


def test_write_keys_alone_keep_reads_open_and_guard_writes(seed_index_dir: Path, tmp_path: Path) -> None:
    env = {**FAST_READER, "QA_API_KEY": "", "QA_WRITE_KEYS": WRITE}
    with run_server(copy_index(seed_index_dir, tmp_path), env=env, host="0.0.0.0") as base:
        before = state(base, {})  # reads open, with no key or any
        assert call("POST", f"{base}/ask", json={"question": Q}, headers=bearer(WRONG)).status_code == 200
        [(doc_id, _)] = before
        for method, url, body in write_attempts(base, doc_id):
            for key in (None, WRONG, "sha256:" + sha(WRITE)):
                r = call(method, url, json=body, headers=bearer(key))
                assert r.status_code == 401, (method, url, key, r.text)
        assert call("POST", f"{base}/v1/files", json={}, headers=bearer(WRONG)).status_code == 401  # no such route
        assert state(base, {}) == before
        assert call("POST", f"{base}/documents", json=STORY, headers=bearer(WRITE)).status_code == 201


def test_the_openapi_document_states_the_refusals(keyed_public: tuple[str, Path]) -> None:
    base, _ = keyed_public
    paths = call("GET", base + "/openapi.json", headers=bearer(READ_1)).json()["paths"]
    for path, method in (("/documents", "post"), ("/documents/{doc_id}", "delete")):
        assert {"401", "403", "429"} <= set(paths[path][method]["responses"]), path
    for path, method in (("/ask", "post"), ("/search", "get"), ("/documents", "get"), ("/v1/chat/completions", "post")):
        assert {"401", "429"} <= set(paths[path][method]["responses"]), path


def test_no_key_appears_in_any_log_line_or_response(keyed_public: tuple[str, Path]) -> None:
    base, tmp = keyed_public
    call("GET", base + "/documents", headers=bearer(READ_1))  # one more line, then read the logs
    log = (tmp / "server.log").read_text()
    access = [json.loads(x) for x in log.splitlines() if x.startswith('{"ts"')]
    assert len(access) > 100 and {kid(READ_1), kid(READ_2), kid(WRITE), None} <= {x["key"] for x in access}
    assert not any(x["key"] == kid(WRONG) for x in access)  # a wrong key is no identity
    texts = {"server log": log, "audit log": (tmp / "audit.jsonl").read_text(), "responses": "\n".join(SEEN)}
    assert len(SEEN) > 100
    for where, text in texts.items():
        for key in KEYS:
            assert key not in text, (key, where)
