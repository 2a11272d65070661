# ruff: noqa: E501  (the feeds are XML as publishers write it, one element a line)
"""RSS 0.91, RSS 1.0, RSS 2.0 and Atom feeds as documents (one per entry, its link the external id, the feed's
title its source); a feed indexed again adds only what is new or changed; a file that is no feed is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.backends import open_store
from index.documents import DocumentError, load_each, load_file
from index.filters import DocFilter

RSS2 = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Harbour Gazette</title><link>https://gazette.example/</link><description>News</description>
<item><title>Ferries return to Bergen</title><link>https://gazette.example/ferries</link>
<guid>gz-1</guid><pubDate>Mon, 03 Mar 2025 08:00:00 GMT</pubDate><dc:creator>Kari Nordmann</dc:creator>
<category>Transport</category>
<description>Ferries are back.</description>
<content:encoded><![CDATA[<p>Ferries returned to <b>Bergen</b> on Monday after the storm.</p><p>The first boat left at six.</p>]]></content:encoded></item>
<item><title>Fish market reopens</title><link>https://gazette.example/market</link>
<pubDate>Tue, 04 Mar 2025 09:30:00 +0100</pubDate><description>&lt;p&gt;The fish market reopened on Tuesday.&lt;/p&gt;</description></item>
<item><title>No text here</title><link>https://gazette.example/empty</link></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Alpine Wire</title><id>urn:alpine</id><updated>2025-02-01T10:00:00Z</updated>
<entry><title>Avalanche warning raised</title><link href="https://alpine.example/avalanche"/><id>urn:a1</id>
<published>2025-02-01T07:00:00Z</published><updated>2025-02-01T09:00:00Z</updated>
<author><name>Lena Huber</name></author><author><name>Jonas Weber</name></author>
<content type="html">&lt;p&gt;The avalanche warning in Tyrol was raised to level four on Saturday.&lt;/p&gt;</content></entry>
</feed>"""

RSS1 = """<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://rdf.example/"><title>RDF Times</title><link>https://rdf.example/</link><description>d</description></channel>
<item rdf:about="https://rdf.example/bridge"><title>Bridge opens</title><link>https://rdf.example/bridge</link>
<description>The new bridge over the Rhine opened to traffic.</description><dc:date>2024-11-05T12:00:00Z</dc:date></item>
</rdf:RDF>"""

RSS091 = """<?xml version="1.0"?><rss version="0.91"><channel><title>Old Wire</title><link>https://old.example/</link>
<description>d</description><language>en</language>
<item><title>Council meets</title><link>https://old.example/council</link><description>The council met on Friday to vote on the budget.</description></item>
</channel></rss>"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_rss2_entries_become_documents(tmp_path: Path) -> None:
    docs = load_file(write(tmp_path / "gazette.rss", RSS2))
    assert [d.title for d in docs] == ["Ferries return to Bergen", "Fish market reopens"]  # the empty entry is left out
    ferries, market = docs
    assert ferries.text == "Ferries returned to Bergen on Monday after the storm.\nThe first boat left at six."
    assert (ferries.url, ferries.external_id, ferries.date) == (
        "https://gazette.example/ferries", "https://gazette.example/ferries", "2025-03-03"
    )  # fmt: skip
    assert ferries.meta["site"] == "Harbour Gazette" and ferries.meta["author"] == ["Kari Nordmann"]
    assert ferries.meta["categories"] == ["Transport"]
    assert market.text == "The fish market reopened on Tuesday." and market.date == "2025-03-04"


@pytest.mark.parametrize(
    "name,feed,title,site,date,authors",
    [
        ("alpine.atom", ATOM, "Avalanche warning raised", "Alpine Wire", "2025-02-01", ["Lena Huber", "Jonas Weber"]),
        ("rdf.xml", RSS1, "Bridge opens", "RDF Times", "2024-11-05", None),
        ("old.xml", RSS091, "Council meets", "Old Wire", "", None),
    ],
)
def test_atom_rss1_and_rss091(tmp_path: Path, name, feed, title, site, date, authors) -> None:
    [doc] = load_file(write(tmp_path / name, feed))
    assert (doc.title, doc.meta["site"], doc.date) == (title, site, date)
    assert doc.meta.get("author") == authors
    assert doc.external_id.startswith("https://")


def test_not_a_feed_is_refused_and_a_folder_of_feeds_is_read(tmp_path: Path) -> None:
    bad = write(tmp_path / "sitemap.xml", "<urlset><url><loc>https://x.example/</loc></url></urlset>")
    with pytest.raises(DocumentError, match="sitemap.xml: not an RSS or Atom feed"):
        load_file(bad)
    with pytest.raises(DocumentError, match="broken.rss: not an RSS or Atom feed"):
        load_file(write(tmp_path / "broken.rss", "this is not xml at all"))
    (tmp_path / "feeds").mkdir()
    write(tmp_path / "feeds" / "a.atom", ATOM)
    docs, errors = load_each([tmp_path])
    assert [d.title for d in docs] == ["Avalanche warning raised"]
    assert len(errors) == 2


def test_a_feed_indexed_again_adds_only_what_is_new_or_changed(tmp_path: Path, embedder) -> None:
    store = open_store(tmp_path / "idx", embedder)
    try:
        feed = write(tmp_path / "gazette.xml", RSS2)
        first = store.add(load_file(feed))
        assert len(first.added) == 2
        again = store.add(load_file(feed))
        assert again.added == [] and len(again.unchanged) == 2
        changed = RSS2.replace("The first boat left at six.", "The first boat left at seven.").replace(
            "</channel>",
            "<item><title>Bridge tolls cut</title><link>https://gazette.example/tolls</link>"
            "<description>Tolls on the city bridge were cut by half.</description></item></channel>",
        )
        update = store.add(load_file(write(feed, changed)))
        assert len(update.added) == 2 and len(update.replaced) == 1 and len(update.unchanged) == 1
        assert store.stats().documents == 3
        assert "seven" in store.document("https://gazette.example/ferries").text  # by its link
        assert store.count_documents(DocFilter.parse({"sources": ["harbour gazette"]})) == 3
        assert store.count_documents(DocFilter.parse({"sources": ["gazette.example"], "since": "2025-03-04"})) == 1
    finally:
        store.close()
