"""RSS (0.9x, 1.0, 2.0) and Atom feeds, read with feedparser: each entry becomes a document.

An entry's link is its external id, so a feed indexed again adds only what is new (an entry already held with
the same text is unchanged) and replaces what changed (a new text under a known link). Its title, published
date, author(s) and the feed's own title (the publication's name: `meta["site"]`) come along; its text is the
entry's full content when the feed carries it, else its summary, as plain text.
"""

from __future__ import annotations

import time
from typing import Any

from index.html import plain_text

FEED_SUFFIXES = {".xml", ".rss", ".atom"}


class FeedError(ValueError):
    """Bytes that are not an RSS or Atom feed, or a feed without a readable entry; the message says which."""


def _text(entry: Any) -> str:
    """The entry's full content (the longest HTML or text part), else its summary, as plain text."""
    parts = [c.get("value", "") for c in entry.get("content", []) if isinstance(c, dict)]
    best = max(parts, key=len, default="") or entry.get("summary", "") or entry.get("description", "")
    return plain_text(f"<html><body>{best}</body></html>").text if best else ""


def _date(entry: Any) -> str:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        t = entry.get(key)
        if t:
            return time.strftime("%Y-%m-%d", t)
    return ""


def _authors(entry: Any) -> list[str]:
    names = [a.get("name", "").strip() for a in entry.get("authors", []) if isinstance(a, dict)]
    names = [n for n in names if n] or ([entry["author"].strip()] if entry.get("author", "").strip() else [])
    return list(dict.fromkeys(names))


def parse_feed(data: bytes | str, where: str) -> list[dict[str, Any]]:
    """The entries of a feed as document records (text, title, url, date, external_id, meta); a `FeedError`
    naming `where` when the data is no feed. Entries without any text are left out."""
    import feedparser

    parsed = feedparser.parse(data.encode("utf-8") if isinstance(data, str) else data)
    if not parsed.get("version") and not parsed.entries:
        why = parsed.get("bozo_exception")
        raise FeedError(f"{where}: not an RSS or Atom feed" + (f" ({' '.join(str(why).split())})" if why else ""))
    channel = parsed.get("feed", {})
    site = " ".join(str(channel.get("title", "")).split())
    records = []
    for entry in parsed.entries:
        text = _text(entry)
        if not text.strip():
            continue
        meta: dict[str, Any] = {"feed": where}
        if site:
            meta["site"] = site
        if _authors(entry):
            meta["author"] = _authors(entry)
        tags = [t.get("term", "").strip() for t in entry.get("tags", []) if isinstance(t, dict) and t.get("term")]
        if tags:
            meta["categories"] = tags
        link = str(entry.get("link", "")).strip()
        records.append(
            {
                "text": text,
                "title": " ".join(str(entry.get("title", "")).split()),
                "url": link,
                "date": _date(entry),
                "external_id": link or str(entry.get("id", "")).strip(),
                "meta": meta,
            }
        )
    if not records and not parsed.entries and parsed.get("bozo"):
        raise FeedError(f"{where}: not a readable feed ({' '.join(str(parsed.get('bozo_exception')).split())})")
    return records
