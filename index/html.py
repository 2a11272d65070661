"""Saved web pages: the article's main text without boilerplate (navigation, cookie banners, teasers of other
stories, share buttons, comments, footers), and its title, author(s), publication date, site name, canonical
URL and language as metadata.

Extraction is trafilatura's (made for news pages, and the best-kept library for it); a page where it finds no
article falls back to the plain converter, which keeps every visible text block.
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from index.filters import published_date

_HTML_BLOCKS = [
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "td", "th", "title", "tr", "ul",
]  # fmt: skip
_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?)", re.I)
_META_LANG = re.compile(
    r"<meta\b[^>]*?(?:http-equiv\s*=\s*[\"']content-language[\"']|property\s*=\s*[\"']og:locale[\"'])[^>]*?"
    r"content\s*=\s*[\"']([A-Za-z]{2,3})",
    re.I,
)


@dataclass
class PageText:
    """What a page gives the index: its text (one block per line), title, canonical URL, date and metadata."""

    text: str
    title: str = ""
    url: str = ""
    date: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def plain_text(html: str) -> PageText:
    """Visible text of an HTML page (no scripts, styles or head), one block per line; and its title."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for tag in soup(["script", "style", "noscript", "template", "head", "svg", "iframe"]):
        tag.decompose()
    # Line breaks only around block elements: inline ones (<b>, <a>, <span>) stay inside their sentence,
    # because a line break always ends a sentence for the passage splitter.
    for tag in soup.find_all(_HTML_BLOCKS):
        if tag.name == "br":
            tag.replace_with("\n")
        else:
            tag.insert_before("\n")
            tag.insert_after("\n")
    text = soup.get_text("")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return PageText("\n".join(line for line in lines if line), title)


def page_language(html: str) -> str:
    """The language the page declares (`<html lang>`, Content-Language, og:locale), lower case; '' if none."""
    m = _LANG.search(html[:20_000]) or _META_LANG.search(html[:20_000])
    return m.group(1).lower().replace("_", "-") if m else ""


_LAYOUT_CELL = "./tr/td//p | ./tr/td//h1 | ./tr/td//h2 | ./tr/td//h3 | ./tbody/tr/td//p | ./tbody/tr/td//h1 | " \
    "./tbody/tr/td//h2 | ./tbody/tr/td//h3"  # fmt: skip
_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:·]\s+")


def _prepared(html: str):
    """The page as an lxml tree, with two things undone that extraction misreads: a layout table (cells that
    hold headings or paragraphs: the page's grid, not data) becomes plain blocks, and a short paragraph that
    is mostly a link (a "Read more: ..." teaser of another story) is dropped, as Readability's link density does.
    None when the page does not parse."""
    import lxml.html
    from lxml.etree import ParserError

    try:
        tree = lxml.html.fromstring(html)
    except (ParserError, ValueError):
        return None
    for table in list(tree.iter("table")):
        if table.xpath(_LAYOUT_CELL):
            for el in [table, *table.iter("tbody", "thead", "tfoot", "tr", "td", "th")]:
                el.tag = "div"
    for p in list(tree.iter("p")):
        text = " ".join(p.text_content().split())
        linked = sum(len(" ".join(a.text_content().split())) for a in p.iter("a"))
        if text and len(text.split()) <= 20 and linked > 0.5 * len(text) and p.getparent() is not None:
            p.drop_tree()
    return tree


def _is_meta_line(line: str, authors: list[str], date_: str) -> bool:
    """A byline ("By Jane Roe", "Von Thomas Weber") or date line left in the text: short, and nothing but the
    page's own author names, its date and a few words around them."""
    words = line.split()
    if len(words) > 12:
        return False
    rest = line
    found = False
    for name in authors:
        if name and name.casefold() in rest.casefold():
            rest = re.sub(re.escape(name), " ", rest, flags=re.I)
            found = True
    if date_ and date_ in rest:
        rest, found = rest.replace(date_, " "), True
    elif published_date(line.split(":", 1)[-1]) == date_ and date_:
        return True
    return found and len(re.findall(r"\w+", rest)) <= 3


def _fix_title(title: str, site: str, page_title: str, first_line: str) -> str:
    """The headline when extraction took the site's name for it from a `<title>` of "Site - Headline": the part
    that is not the site, or that the article's text starts with."""
    parts = [p.strip() for p in _TITLE_SEPARATORS.split(page_title) if p.strip()]
    if len(parts) < 2 or title.strip() not in parts:
        return title
    if first_line in parts and first_line != title.strip():
        return first_line
    if site and title.strip().casefold() == site.strip().casefold():
        others = [p for p in parts if p.casefold() != site.strip().casefold()]
        return max(others, key=len) if others else title
    return title


def _drop_dangling(lines: list[str]) -> list[str]:
    """Without a last line that only announces what was removed after it ("See also:", "Related stories:")."""
    while lines and lines[-1].endswith(":") and len(lines[-1].split()) <= 6:
        lines = lines[:-1]
    return lines


def _authors(value: str | None) -> list[str]:
    """trafilatura's author string ("A; B") as a list of names."""
    return [a.strip() for a in (value or "").split(";") if a.strip()]


def extract_page(html: str) -> PageText:
    """The article of a saved page with its metadata, or the plain text of the page when no article is found."""
    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)  # "discarding data" notes are not errors
    found: Any = None  # trafilatura's Document
    tree = _prepared(html)
    if tree is not None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = trafilatura.bare_extraction(
                    tree, with_metadata=True, include_comments=False, include_tables=True, favor_precision=True
                )
        except Exception:  # a page trafilatura cannot read: the plain converter still does
            found = None
    authors = _authors(getattr(found, "author", None))
    date_ = getattr(found, "date", None) or ""
    lines = [" ".join(line.split()) for line in (getattr(found, "text", None) or "").splitlines()]
    text = "\n".join(_drop_dangling([line for line in lines if line and not _is_meta_line(line, authors, date_)]))
    language = page_language(html)
    if found is None or not text.strip():
        page = plain_text(html)
        if language:
            page.meta["language"] = language
        return page
    meta: dict[str, Any] = {}
    if authors:
        meta["author"] = authors
    for key, value in (("site", found.sitename), ("description", found.description)):
        if value and value.strip():
            meta[key] = " ".join(value.split())
    for key, values in (("categories", found.categories), ("tags", found.tags)):
        got = [v.strip() for v in (values or []) if isinstance(v, str) and v.strip()]
        if got:
            meta[key] = got
    if language:
        meta["language"] = language
    page_title = plain_text(html).title
    title = _fix_title(found.title or page_title, found.sitename or "", page_title, text.partition("\n")[0])
    return PageText(text=text, title=" ".join(title.split()), url=found.url or "", date=date_, meta=meta)
