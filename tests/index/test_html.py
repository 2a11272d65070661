"""Saved news pages (tests/data/pages, written by bench/make_saved_pages.py): the article text without the page's
boilerplate, and its metadata, as `qa index` reads them; a page with no article falls back to its plain text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.make_saved_pages import COMMENTS, COOKIE, NAV, TEASERS
from index.documents import load_file
from index.html import extract_page, plain_text
from index.passages import split_sentences

DATA = Path(__file__).resolve().parents[1] / "data"
PAGES = DATA / "pages"
TRUTH = json.loads((PAGES / "truth.json").read_text(encoding="utf-8"))
HELD_OUT = DATA / "pages-heldout"  # written after the clean-up rules were settled (bench/make_heldout_pages.py)
ALL = [(PAGES, p, t) for p, t in TRUTH.items()] + [
    (HELD_OUT, p, t) for p, t in json.loads((HELD_OUT / "truth.json").read_text(encoding="utf-8")).items()
]


def norm(s: str) -> str:
    return " ".join(s.split()).casefold()


@pytest.mark.parametrize("folder,page,truth", ALL, ids=[p for _, p, _ in ALL])
def test_a_saved_page_gives_its_article_and_nothing_else(folder: Path, page: str, truth: dict) -> None:
    [doc] = load_file(folder / page)
    text = norm(doc.text)
    for paragraph in truth["body"]:
        assert norm(paragraph) in text  # the whole article reaches the index
    article = norm(" ".join([truth["title"], truth.get("standfirst", ""), *truth["body"]]))
    stray = [doc.text[s:e] for s, e in split_sentences(doc.text) if norm(doc.text[s:e]) not in article]
    assert stray == []  # no menu, banner, teaser, share line or comment among the sentences
    for boilerplate in [COOKIE[:40], *TEASERS, *(t for _, t in COMMENTS), "Share on", "©"]:
        assert norm(boilerplate) not in text
    assert doc.title == truth["title"]
    assert doc.date == truth["date"]
    assert doc.source == str(folder / page)


def test_metadata_found_on_the_pages_that_state_it() -> None:
    found = {"author": 0, "site": 0, "language": 0}
    stated = {"author": 0, "site": 0, "language": 0}
    for folder, page, truth in ALL:
        doc = load_file(folder / page)[0]
        if truth["authors"]:
            stated["author"] += 1
            found["author"] += [norm(a) for a in doc.meta.get("author", [])] == [norm(a) for a in truth["authors"]]
        if truth["site"]:
            stated["site"] += 1
            found["site"] += norm(doc.meta.get("site", "")) == norm(truth["site"])
        if truth["language"]:
            stated["language"] += 1
            found["language"] += doc.meta.get("language", "").startswith(truth["language"])
    assert found["author"] == stated["author"]
    assert found["language"] == stated["language"]
    assert found["site"] >= 0.7 * stated["site"]  # a site named only in <title> or microdata is missed


def test_canonical_url_and_authors_of_a_json_ld_page() -> None:
    [doc] = load_file(PAGES / "rail-strike.html")
    assert doc.url == "https://www.lowlandsherald.example/2025/rail-strike"
    assert doc.meta["author"] == ["Pieter de Vries", "Anouk Janssen"] and doc.meta["site"] == "Lowlands Herald"
    assert doc.meta["language"] == "en"


def test_a_page_without_an_article_falls_back_to_its_plain_text() -> None:
    html = (
        "<html><head><title>Index</title></head><body><ul>"
        + "".join(f"<li><a href='/{n}'>{n}</a></li>" for n in NAV)
        + "</ul></body></html>"
    )
    page = extract_page(html)
    assert page.text == plain_text(html).text and page.title == "Index"
    assert extract_page("").text == ""
