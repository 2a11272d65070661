"""Filters on every question path over HTTP, against a real server: `POST /ask` `filters`, `GET /search` query
parameters, the chat endpoint's extra `filters` field; answers carry their document's date and source; a filter
that matches nothing answers with a note; a malformed one is a 4xx naming the part that is wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from tests.conftest import FAST_READER, run_server

pytestmark = pytest.mark.slow

WIRE = [
    {
        "title": "Minister promises new harbour in Bergen",
        "text": "The fisheries minister Anna Berg said on Monday that Bergen would get a new harbour by 2030. "
        "The harbour will cost four billion kroner.",
        "url": "https://www.nrk.no/vestland/harbour",
        "date": "2026-03-02",
        "external_id": "nrk-harbour",
        "metadata": {"site": "NRK", "author": ["Kari Nordmann"], "section": "Politics"},
    },
    {
        "title": "Minister doubles harbour budget in Hamburg",
        "text": "The transport minister Jonas Vogel said on Tuesday that the Hamburg harbour budget would double. "
        "Critics called the plan vague.",
        "url": "https://www.reuters.com/world/europe/hamburg-harbour",
        "date": "March 10, 2026",
        "external_id": "reuters-hamburg",
        "metadata": {"site": "Reuters", "section": "Business"},
    },
]
QUESTION = "What did the minister say about the harbour?"
COST = "How much will the new harbour cost?"


@pytest.fixture(scope="module")
def base(seed_index_dir: Path, tmp_path_factory) -> str:
    index = tmp_path_factory.mktemp("filters") / "index"
    shutil.copytree(seed_index_dir, index)
    with run_server(index, env={**FAST_READER, "QA_API_KEY": ""}) as url:
        r = httpx.post(url + "/documents", json={"documents": WIRE}, timeout=120)
        assert r.status_code == 201, r.text
        yield url


def ask(base: str, filters: object) -> httpx.Response:
    return httpx.post(base + "/ask", json={"question": QUESTION, "top_k": 5, "filters": filters}, timeout=60)


def test_ask_answers_only_from_allowed_documents_with_date_and_source(base: str) -> None:
    ids = {d["external_id"]: httpx.get(f"{base}/documents/{d['external_id']}").json()["id"] for d in WIRE}
    for filters, want, source, date in [
        ({"sources": ["reuters"]}, ids["reuters-hamburg"], "Reuters", "2026-03-10"),
        ({"since": "2026-03-01", "until": "2026-03-05"}, ids["nrk-harbour"], "NRK", "2026-03-02"),
        ({"meta": {"author": "kari nordmann"}}, ids["nrk-harbour"], "NRK", "2026-03-02"),
        ({"documents": ["reuters-hamburg"], "sources": ["reuters.com"]}, ids["reuters-hamburg"], "Reuters", None),
    ]:
        r = ask(base, filters)
        assert r.status_code == 200, r.text
        body = r.json()
        assert {p["document_id"] for p in body["passages"]} == {want}, filters
        assert {a["document_id"] for a in body["answers"]} <= {want}, filters
        assert {p["source"] for p in body["passages"]} == {source}
        if date:
            assert {p["date"] for p in body["passages"]} == {date}
    unfiltered = ask(base, None).json()
    assert len({p["document_id"] for p in unfiltered["passages"]}) >= 2  # without a filter, both outlets compete


def test_the_filter_decides_which_story_answers(base: str) -> None:
    def best(filters: object) -> dict | None:
        body = httpx.post(base + "/ask", json={"question": COST, "filters": filters}, timeout=60).json()
        return body["answers"][0] if body["answers"] else None

    nrk = best({"sources": ["NRK"]})
    assert nrk and nrk["text"] == "four billion kroner" and (nrk["source"], nrk["date"]) == ("NRK", "2026-03-02")
    other = best({"sources": ["Reuters"]})
    assert other is None or (other["source"] == "Reuters" and "kroner" not in other["text"])


def test_a_filter_matching_nothing_says_so(base: str) -> None:
    body = ask(base, {"sources": ["bbc"], "since": "2026-01-01"}).json()
    assert body["kind"] == "none" and body["answers"] == [] and body["passages"] == []
    assert any("the filter matched no document" in n and "bbc" in n for n in body["notes"])


@pytest.mark.parametrize(
    "filters,fragment",
    [
        ({"sinse": "2026-01-01"}, "filters.sinse"),
        ({"since": "2026-02-30"}, "filters.since: Input should be a valid date"),
        ({"until": "last week"}, "filters.until"),
        ({"sources": "reuters"}, "filters.sources"),
        ({"documents": [""]}, "filters.documents.0"),
        ({"meta": {"author": ["x"]}}, "filters.meta.author"),
    ],
)
def test_malformed_filters_are_422_naming_the_part(base: str, filters: object, fragment: str) -> None:
    r = ask(base, filters)
    assert r.status_code == 422 and fragment in r.json()["detail"], r.text


def test_search_takes_the_filter_as_query_parameters(base: str) -> None:
    def search(**params) -> list[dict]:
        r = httpx.get(base + "/search", params={"q": "harbour minister", "k": 10, **params}, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()

    nrk = search(source="NRK")
    assert nrk and {h["source"] for h in nrk} == {"NRK"}
    assert {h["source"] for h in search(source=["nrk.no", "Reuters"])} == {"NRK", "Reuters"}
    assert {h["date"] for h in search(since="2026-03-05")} == {"2026-03-10"}
    assert {h["source"] for h in search(where="section:business")} == {"Reuters"}
    assert {h["source"] for h in search(doc="nrk-harbour")} == {"NRK"}
    assert search(source="bbc") == []
    r = httpx.get(base + "/search", params={"q": "harbour", "until": "2026-13-01"}, timeout=60)
    assert r.status_code == 422 and "until" in r.json()["detail"]
    r = httpx.get(base + "/search", params={"q": "harbour", "where": "section"}, timeout=60)
    assert r.status_code == 422 and "where.0" in r.json()["detail"]


def test_document_shows_iso_date_and_metadata(base: str) -> None:
    got = httpx.get(f"{base}/documents/reuters-hamburg").json()
    assert got["date"] == "2026-03-10" and got["metadata"]["site"] == "Reuters"


def test_chat_takes_filters_in_an_extra_field(base: str) -> None:
    def chat(filters: object) -> httpx.Response:
        body = {"model": "articleqa", "messages": [{"role": "user", "content": COST}], "filters": filters}
        return httpx.post(base + "/v1/chat/completions", json=body, timeout=60)

    r = chat({"sources": ["NRK"]})
    assert r.status_code == 200, r.text
    answer = r.json()["articleqa"]
    assert answer["answers"] and {a["source"] for a in answer["answers"]} == {"NRK"}
    content = r.json()["choices"][0]["message"]["content"]
    assert "(NRK, 2026-03-02)" in content  # the citation names the source and date
    r = chat({"since": "yesterday"})
    assert r.status_code == 400 and "filters.since" in r.json()["error"]["message"]
    assert chat({"sources": ["NRK"], "since": "2026-03-05"}).json()["articleqa"]["kind"] == "none"
