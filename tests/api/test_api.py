"""The HTTP service, against a real `qa serve` (uvicorn on 127.0.0.1) over the seed index, with httpx.

Covers every route of issue 2, the `/ask` JSON schema, offsets into the documents' text, and bad input:
each a 4xx with a JSON `detail` string, never a 500 or a traceback.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

import httpx
import pytest

from qa.answers import AskResponse, PassageHit

PEACEKEEPERS = "Which countries are ready to send peacekeepers?"

pytestmark = pytest.mark.slow

ANSWER_FIELDS = {"text", "score", "document_id", "passage_id", "start", "end", "context"}
PASSAGE_FIELDS = {"id", "document_id", "title", "text", "score", "start", "end"}


@pytest.fixture(scope="module")
def client(server: str):
    with httpx.Client(base_url=server, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def seed_doc(client: httpx.Client) -> dict:
    [summary] = client.get("/documents").json()
    r = client.get(f"/documents/{summary['id']}")
    assert r.status_code == 200
    return r.json()


def test_health(client: httpx.Client) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"  # the index was loaded at start-up, before any question
    assert body["documents"] == 1 and body["passages"] >= 3
    from qa.version import package_version

    assert body["version"] == package_version() != "0+unknown"
    assert body["reader_version"] == "minilm-l6-chunk16 + mpnet-chunk5"  # the cascade: both weights' records


def test_ask_schema_and_offsets(client: httpx.Client, seed_doc: dict) -> None:
    r = client.post("/ask", json={"question": PEACEKEEPERS, "top_k": 5})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    raw = r.json()
    assert raw["question"] == PEACEKEEPERS
    assert isinstance(raw["answers"], list) and isinstance(raw["passages"], list)
    assert 1 <= len(raw["passages"]) <= 5 and raw["answers"]
    for a in raw["answers"]:
        assert ANSWER_FIELDS <= set(a)
        assert isinstance(a["text"], str) and isinstance(a["score"], float)
        assert isinstance(a["start"], int) and isinstance(a["end"], int)
    for p in raw["passages"]:
        assert PASSAGE_FIELDS <= set(p)
    resp = AskResponse.model_validate(raw)

    text = seed_doc["text"]
    for a in resp.answers:
        assert a.document_id == seed_doc["id"]
        assert text[a.start : a.end] == a.text
        assert text[a.context_start : a.context_end] == a.context
    for p in resp.passages:
        assert text[p.start : p.end] == p.text
        assert p.title == seed_doc["title"]
    assert any("Irish Prime Minister Michaël Martin" in a.context for a in resp.answers[:3])


def test_ask_default_top_k_and_small_top_k(client: httpx.Client) -> None:
    r = client.post("/ask", json={"question": "Who is Steve Witkoff?"})
    assert r.status_code == 200
    assert len(r.json()["passages"]) <= 5
    r = client.post("/ask", json={"question": "Who is Steve Witkoff?", "top_k": 1})
    assert r.status_code == 200
    assert len(r.json()["passages"]) == 1


def test_concurrent_questions(client: httpx.Client, server: str) -> None:
    questions = ["What did Macron fail to secure?", "Who is Thomas Süssli?", "What could Romania become?"]

    def ask(q: str) -> httpx.Response:
        return httpx.post(server + "/ask", json={"question": q, "top_k": 2}, timeout=60)

    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(ask, questions))
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.json()["question"] for r in responses] == questions


def test_search(client: httpx.Client, seed_doc: dict) -> None:
    r = client.get("/search", params={"q": "Irish peacekeepers", "k": 2})
    assert r.status_code == 200
    hits = [PassageHit.model_validate(h) for h in r.json()]
    assert len(hits) == 2
    assert all(PASSAGE_FIELDS <= set(h) for h in r.json())
    assert "Irish Prime Minister" in hits[0].text
    for h in hits:
        assert seed_doc["text"][h.start : h.end] == h.text
    assert len(client.get("/search", params={"q": "Macron"}).json()) <= 5


def test_documents(client: httpx.Client, seed_doc: dict) -> None:
    r = client.get("/documents")
    assert r.status_code == 200
    [d] = r.json()
    assert set(d) >= {"id", "title", "url", "date", "source", "chars", "passages"}
    assert "text" not in d
    assert d["title"].startswith("Britain and France struggle to convince")
    assert seed_doc["id"] == d["id"] and seed_doc["chars"] == len(seed_doc["text"]) == d["chars"]
    assert seed_doc["text"].startswith("Britain and France are struggling")
    assert seed_doc["text"].endswith("please follow us on X.")
    assert "Irish Prime Minister Michaël Martin" in seed_doc["text"]
    assert seed_doc["passages"] >= 3


def test_docs_and_openapi(client: httpx.Client) -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and "swagger" in r.text.lower()
    spec = client.get("/openapi.json").json()
    assert {"/ask", "/search", "/documents", "/documents/{doc_id}", "/health"} <= set(spec["paths"])
    assert "post" in spec["paths"]["/ask"]
    assert "AskResponse" in spec["components"]["schemas"]


def test_the_schema_calls_blank_exactly_what_the_server_strips(client: httpx.Client) -> None:
    """A question, query or text the schema allows is never "empty" to the server: the schema's pattern agrees
    with `str.strip()` on every code point (a schema `\\S` let U+001F through, and the server refused it)."""
    from pydantic import Field, TypeAdapter, ValidationError

    from qa.pipeline import NOT_BLANK

    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    search_q = next(p for p in spec["paths"]["/search"]["get"]["parameters"] if p["name"] == "q")
    assert schemas["AskRequest"]["properties"]["question"]["pattern"] == NOT_BLANK
    assert schemas["DocumentIn"]["properties"]["text"]["pattern"] == NOT_BLANK
    assert search_q["schema"]["pattern"] == NOT_BLANK
    one = TypeAdapter(Annotated[str, Field(pattern=NOT_BLANK)])
    wrong = []
    for cp in (*range(0xD800), *range(0xE000, sys.maxunicode + 1)):
        c = chr(cp)
        try:
            one.validate_python(c)
            accepted = True
        except ValidationError:
            accepted = False
        if accepted != bool(c.strip()):
            wrong.append(hex(cp))
    assert not wrong, wrong[:20]
    assert_detail(client.post("/ask", json={"question": "\x1f"}), 422, "question is empty")


# ---- bad input ------------------------------------------------------------------------------------


def assert_detail(r: httpx.Response, status: int, *fragments: str) -> None:
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/json")
    detail = r.json()["detail"]
    assert isinstance(detail, str) and detail
    assert "Traceback" not in detail
    for frag in fragments:
        assert frag in detail, (frag, detail)


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ({"question": ""}, ["question is empty"]),
        ({"question": "  \n\t "}, ["question is empty"]),
        ({"question": "x" * 1001}, ["question", "1000"]),
        ({"question": PEACEKEEPERS, "top_k": 0}, ["top_k", "greater than or equal to 1"]),
        ({"question": PEACEKEEPERS, "top_k": 51}, ["top_k", "less than or equal to 50"]),
        ({"question": PEACEKEEPERS, "top_k": "x"}, ["top_k", "valid integer"]),
        ({"question": PEACEKEEPERS, "top_k": True}, ["top_k"]),
        ({"question": PEACEKEEPERS, "top_k": 2.5}, ["top_k"]),
        ({"top_k": 3}, ["question", "required"]),
        ({"question": None}, ["question", "string"]),
        ({"question": 42}, ["question", "string"]),
        ([PEACEKEEPERS], []),
    ],
)
def test_ask_bad_input(client: httpx.Client, body: object, fragments: list[str]) -> None:
    assert_detail(client.post("/ask", json=body), 422, *fragments)


@pytest.mark.parametrize(
    "content", [b'{"question": "Who?", ', b"question=Who", b"", b'{"question": "Who?"} trailing', b"\xff\xfe{"]
)
def test_ask_malformed_json(client: httpx.Client, content: bytes) -> None:
    r = client.post("/ask", content=content, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500
    assert_detail(r, r.status_code)


@pytest.mark.parametrize(
    ("params", "fragments"),
    [
        ({"q": ""}, ["query is empty"]),
        ({"q": "   "}, ["query is empty"]),
        ({}, ["q", "required"]),
        ({"q": "x" * 1001}, ["q", "1000"]),
        ({"q": "Macron", "k": 0}, ["k"]),
        ({"q": "Macron", "k": 51}, ["k"]),
        ({"q": "Macron", "k": "x"}, ["k", "integer"]),
    ],
)
def test_search_bad_input(client: httpx.Client, params: dict, fragments: list[str]) -> None:
    assert_detail(client.get("/search", params=params), 422, *fragments)


def test_unknown_document_and_route(client: httpx.Client) -> None:
    assert_detail(client.get("/documents/0123456789abcdef"), 404, "no document with id '0123456789abcdef'")
    assert_detail(client.get("/documents/..%2F..%2Fetc%2Fpasswd"), 404)
    assert_detail(client.get("/no-such-route"), 404)
    assert_detail(client.get("/ask"), 405)


def test_server_still_healthy_after_bad_input(client: httpx.Client) -> None:
    client.post("/ask", content=b"{", headers={"content-type": "application/json"})
    r = client.post("/ask", json={"question": PEACEKEEPERS, "top_k": 3})
    assert r.status_code == 200 and r.json()["passages"]
    assert client.get("/health").json()["status"] == "ok"
