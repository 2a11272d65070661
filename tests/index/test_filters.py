"""Document filters: parsing (every wrong part named), the facets derived from a document, and filtered search
inside both stores (SQLite: SQL and a FAISS id selector; Milvus: a boolean expression), which must rank the
allowed passages exactly as an index holding only them would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from index.backends import open_store
from index.documents import Document
from index.filters import DocFilter, FilterError, facets, published_date, source_names
from index.store import Store

DOCS = [
    Document(
        text="The harbour of Bergen reopened after the storm. Ferries sailed again on Monday.",
        title="Bergen harbour reopens",
        url="https://www.nrk.no/bergen/harbour",
        date="2024-03-04",
        external_id="nrk-1",
        meta={"site": "NRK", "author": ["Kari Nordmann"], "section": "Local"},
    ),
    Document(
        text="The minister said the harbour budget would double. Critics called the plan vague.",
        title="Minister doubles harbour budget",
        url="https://reuters.com/world/harbour-budget",
        date="2024-03-11",
        external_id="reuters-7",
        meta={"site": "Reuters", "section": "Politics"},
    ),
    Document(
        text="A storm closed the harbour of Hamburg. Ships waited outside the port for two days.",
        title="Storm closes Hamburg harbour",
        url="https://www.dw.com/en/hamburg",
        date="March 20, 2024",
        meta={"section": "Politics", "author": "Hans Weber"},
    ),
    Document(text="The harbour festival had no date and no source. Visitors came anyway.", title="Festival"),
]


def test_parse_names_the_wrong_part() -> None:
    assert not DocFilter.parse({})
    f = DocFilter.parse({"since": "2024-03-01", "sources": ["Reuters", "https://www.nrk.no/x"], "meta": {"Section": 1}})
    assert f.since == "2024-03-01" and f.sources == ("reuters", "nrk.no") and f.meta == (("section", "1"),)
    bad = [
        ({"sinse": "2024-01-01"}, "filters.sinse: unknown filter key"),
        ({"since": "2024-02-30"}, "filters.since: '2024-02-30' is not a date"),
        ({"until": "last week"}, "filters.until: 'last week' is not a date"),
        ({"sources": [""]}, "filters.sources must be a list of non-empty strings"),
        ({"documents": [3]}, "filters.documents must be a list of non-empty strings"),
        ({"meta": {"k": ["a"]}}, "filters.meta.k: a value must be a string, number or boolean"),
        ([1], "filters must be an object"),
    ]
    for obj, message in bad:
        with pytest.raises(FilterError, match=message.replace("(", r"\(").replace(")", r"\)")):
            DocFilter.parse(obj)
    with pytest.raises(FilterError, match="where: 'section' is not KEY=VALUE"):
        DocFilter.from_args(where=["section"], sep="=")


def test_facets_of_a_document() -> None:
    assert published_date("2024-03-04T10:00:00+01:00") == "2024-03-04"
    assert published_date("Mon, 04 Mar 2024 10:00:00 GMT") == "2024-03-04"
    assert published_date("4 March 2024") == published_date("March 4, 2024") == "2024-03-04"
    assert published_date("2024") == published_date("soon") == published_date("2024-13-01") == ""
    assert source_names("https://www.nrk.no/a", {"site": " NRK "}) == ["nrk", "nrk.no"]
    assert facets({"Author": ["A B", "C"], "n": 3, "nested": {"x": 1}}) == {"author": ["a b", "c"], "n": ["3"]}


@pytest.fixture(params=["sqlite", pytest.param("milvus", marks=pytest.mark.slow)])
def store(request, tmp_path: Path, embedder) -> Iterator[Store]:
    if request.param == "milvus":
        pytest.importorskip("milvus_lite")
    location = tmp_path / ("idx" if request.param == "sqlite" else "milvus.db")
    s = open_store(location, embedder)
    s.add(DOCS)
    yield s
    s.close()


def _docs(store: Store, hits: list[tuple[str, float]]) -> set[str]:
    got = store.passages([p for p, _ in hits])
    return {got[p].document_id for p, _ in hits}


CASES = [
    ({"since": "2024-03-05"}, {1, 2}),
    ({"until": "2024-03-11"}, {0, 1}),
    ({"since": "2024-03-11", "until": "2024-03-11"}, {1}),
    ({"sources": ["reuters"]}, {1}),
    ({"sources": ["nrk.no", "dw.com"]}, {0, 2}),
    ({"documents": ["reuters-7", DOCS[3].id]}, {1, 3}),
    ({"meta": {"section": "politics"}}, {1, 2}),
    ({"meta": {"author": "Kari Nordmann"}}, {0}),
    ({"meta": {"section": "Politics"}, "until": "2024-03-15"}, {1}),
    ({"sources": ["bbc"]}, set()),
    ({"documents": ["nothing-here"]}, set()),
    ({"since": "2024-03-12", "until": "2024-03-10"}, set()),  # an empty range: nothing, not an error
]


@pytest.mark.parametrize("spec,allowed", CASES)
def test_filtered_search_returns_only_allowed_documents(store: Store, embedder, spec, allowed: set[int]) -> None:
    f = DocFilter.parse(spec)
    want = {DOCS[i].id for i in allowed}
    v = embedder.embed(["Why was the harbour closed?"])[0]
    assert _docs(store, store.dense_search(v, 10, f)) == want  # every allowed passage, none other
    assert _docs(store, store.keyword_search("harbour", 10, f)) == want
    assert {d for d, _ in store.title_search("harbour budget storm festival", 10, f)} <= want
    assert store.count_documents(f) == len(want)
    assert _docs(store, store.dense_search(v, 10)) == {d.id for d in DOCS}  # no filter: everything


def test_filtered_ranking_equals_an_index_of_the_subset(store: Store, tmp_path: Path, embedder) -> None:
    f = DocFilter.parse({"meta": {"section": "politics"}})
    alone = open_store(tmp_path / "subset", embedder)
    try:
        alone.add([DOCS[1], DOCS[2]])
        v = embedder.embed(["What did the minister say?"])[0]
        assert [p for p, _ in store.dense_search(v, 1, f)] == [p for p, _ in alone.dense_search(v, 1)]
        assert [p for p, _ in store.keyword_search("minister harbour", 1, f)] == [
            p for p, _ in alone.keyword_search("minister harbour", 1)
        ]
    finally:
        alone.close()


def test_a_filter_sees_documents_added_and_deleted_after_its_first_use(store: Store, embedder) -> None:
    f = DocFilter.parse({"sources": ["reuters"]})
    v = embedder.embed(["harbour budget"])[0]
    assert store.count_documents(f) == 1 and len(_docs(store, store.dense_search(v, 10, f))) == 1
    extra = Document(
        text="Reuters reports that the harbour of Antwerp will be dredged.", title="Antwerp", meta={"site": "Reuters"}
    )
    store.add([extra])
    assert store.count_documents(f) == 2
    assert _docs(store, store.dense_search(v, 10, f)) == {DOCS[1].id, extra.id}
    assert _docs(store, store.keyword_search("harbour", 10, f)) == {DOCS[1].id, extra.id}
    store.delete([DOCS[1].id])
    assert store.count_documents(f) == 1 and _docs(store, store.dense_search(v, 10, f)) == {extra.id}
