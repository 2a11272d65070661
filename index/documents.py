"""Documents: what the loaders read from files (.txt, .md, .html, .json, .jsonl, .pdf) and what the index keeps.

A saved web page is read for its article and metadata (index.html), a PDF for its text layer with the offset of
each page (index.pdf: `meta["pages"]`, so that answers cite their page), an RSS or Atom feed (.xml, .rss, .atom)
for its entries, one document each with its link as external id (index.feeds).

A document's id is a hash of its title and text, so loading the same content again yields the same id and
re-indexing is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from index.datelines import split_dateline
from index.feeds import FEED_SUFFIXES, FeedError, parse_feed
from index.filters import published_date
from index.html import extract_page
from index.pdf import PdfError, read_pdf

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
HTML_SUFFIXES = {".html", ".htm"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSON_SUFFIXES | PDF_SUFFIXES | FEED_SUFFIXES


class DocumentError(ValueError):
    """A file or record that cannot be read as a document; the message says which and why."""


class DocumentTooLarge(DocumentError):
    """A document over the configured size limit."""


@dataclass
class Document:
    """One article: its full text plus optional metadata. `id` is derived from the content."""

    text: str
    title: str = ""
    url: str = ""
    date: str = ""
    source: str = ""
    dateline: str = ""  # "KABUL, Afghanistan (CNN)": cut from the text at ingest (see index.datelines)
    id: str = ""
    external_id: str = ""  # the publisher's own id: re-posting it with a new text replaces the old version
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id:
            self.id = document_id(self.title, self.text)
        self.date = published_date(self.date) or self.date  # ISO when it is a date in any usual form

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict, as saved in the index's documents.jsonl."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        """A document from `to_dict` output; keys that are not fields are ignored."""
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def document_id(title: str, text: str) -> str:
    """Stable content id: the same title and text always give the same 16 hex digits."""
    h = hashlib.sha256()
    h.update(title.strip().encode("utf-8"))
    h.update(b"\x00")
    h.update(text.encode("utf-8"))
    return h.hexdigest()[:16]


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*\n", re.S)


def _split_front_matter(raw: str) -> tuple[dict[str, str], str]:
    """`---` delimited `key: value` lines at the top of a text or Markdown file become metadata."""
    m = _FRONT_MATTER.match(raw)
    if not m:
        return {}, raw
    meta: dict[str, str] = {}
    for line in m.group(1).splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            meta[k.strip().lower()] = v.strip().strip('"').strip("'")
    return meta, raw[m.end() :]


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{path}: not a text file (binary content)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentError(f"{path}: not a text file (not valid UTF-8)") from None


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _record_to_document(rec: Any, where: str) -> Document:
    if not isinstance(rec, dict):
        raise DocumentError(f"{where}: a record must be a JSON object with a 'text' field")
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        raise DocumentError(f"{where}: record has no non-empty 'text' string")
    fields = ("text", "title", "url", "date", "id", "external_id", "dateline")
    extra = {k: v for k, v in rec.items() if k not in fields}
    dateline, body = split_dateline(_clean(text))
    return Document(
        text=body,
        dateline=str(rec.get("dateline") or dateline),
        title=str(rec.get("title") or ""),
        url=str(rec.get("url") or ""),
        date=str(rec.get("date") or ""),
        source=where,
        external_id=str(rec.get("external_id") or rec.get("id") or ""),
        meta=extra,
    )


def _json_documents(path: Path, raw: str) -> list[Document]:
    """One document per record of a JSON file (an object, a list, or `{"documents": [...]}`) or JSON Lines."""
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as err:
            raise DocumentError(f"{path}: invalid JSON ({err})") from None
        if isinstance(data, dict) and isinstance(data.get("documents"), list):
            data = data["documents"]
        records = data if isinstance(data, list) else [data]
        return [_record_to_document(r, f"{path}[{i}]") for i, r in enumerate(records)]
    docs = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as err:
            raise DocumentError(f"{path}:{n}: invalid JSON ({err})") from None
        docs.append(_record_to_document(rec, f"{path}:{n}"))
    return docs


def load_file(path: str | Path) -> list[Document]:
    """Documents in one file: one for text, Markdown, HTML and PDF; one per record for JSON and JSON Lines, one
    per entry for a feed."""
    path = Path(path)
    if not path.exists():
        raise DocumentError(f"{path}: no such file or directory")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            f"{path}: unsupported file type '{suffix or '(none)'}' (supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
        )
    if suffix in PDF_SUFFIXES:
        return [_pdf_document(path)]
    if suffix in FEED_SUFFIXES:
        docs = feed_documents(path.read_bytes(), str(path))
        if not docs:
            raise DocumentError(f"{path}: the feed has no entry with text")
        return docs
    raw = _read_text(path)
    if suffix in JSON_SUFFIXES:
        return _json_documents(path, raw)
    meta: dict[str, Any]
    if suffix in HTML_SUFFIXES:
        page = extract_page(raw)
        text, title, meta = page.text, page.title, {**page.meta, "url": page.url, "date": page.date}
    else:
        meta, body = _split_front_matter(raw.replace("\r\n", "\n").replace("\r", "\n"))
        text, title = _clean(body), meta.pop("title", "")
    dateline, text = split_dateline(text)
    if not text:
        raise DocumentError(f"{path}: no text in file")
    return [
        Document(
            text=text,
            title=title or path.stem.replace("_", " ").replace("-", " "),
            url=meta.pop("url", ""),
            date=meta.pop("date", ""),
            source=str(path),
            dateline=dateline,
            meta=meta,
        )
    ]


def feed_documents(data: bytes | str, where: str) -> list[Document]:
    """The entries of an RSS or Atom feed as documents (the dateline cut from each text, as for files); a
    `DocumentError` naming `where` when the data is no feed."""
    try:
        records = parse_feed(data, where)
    except FeedError as err:
        raise DocumentError(str(err)) from None
    docs = []
    for r in records:
        dateline, text = split_dateline(_clean(r["text"]))
        docs.append(
            Document(
                text=text or _clean(r["text"]),
                title=r["title"],
                url=r["url"],
                date=r["date"],
                source=where,
                dateline=dateline,
                external_id=r["external_id"],
                meta=r["meta"],
            )  # fmt: skip
        )
    return docs


_FILE_TITLE = re.compile(r"\.(?:docx?|pdf|indd|odt|rtf|txt)$|^untitled$", re.I)  # a title that names a file


def _pdf_document(path: Path) -> Document:
    """One PDF as a document: its text (the dateline cut), page starts moved with the cut, its metadata."""
    try:
        pdf = read_pdf(path)
    except PdfError as err:
        raise DocumentError(str(err)) from None
    dateline, text = split_dateline(pdf.text)
    cut = len(pdf.text) - len(text)
    at = next((i for i, (a, b) in enumerate(zip(pdf.text, text)) if a != b), len(text))
    pages = [s if s <= at else max(at, s - cut) for s in pdf.pages]
    title = pdf.title if pdf.title and not _FILE_TITLE.search(pdf.title) else ""
    return Document(
        text=text, title=title or path.stem.replace("_", " ").replace("-", " "), date=pdf.date, source=str(path),
        dateline=dateline, meta={**pdf.meta, "pages": pages},
    )  # fmt: skip


def iter_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders to the supported files below them (sorted); named files are kept as given."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise DocumentError(f"{p}: no such file or directory")
        if p.is_dir():
            out += sorted(
                f
                for f in p.rglob("*")
                if f.is_file()
                and f.suffix.lower() in SUPPORTED_SUFFIXES
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        else:
            out.append(p)
    return out


def check_size(doc: Document, max_chars: int) -> Document:
    """`doc`, or a `DocumentError` naming it when its text is longer than `max_chars` characters."""
    if max_chars and len(doc.text) > max_chars:
        raise DocumentTooLarge(
            f"{doc.source or doc.title or doc.id}: document too large ({len(doc.text):,} characters; the limit "
            f"is {max_chars:,}: split it, or raise QA_MAX_DOCUMENT_CHARS)"
        )
    return doc


def load_each(paths: Iterable[str | Path], max_chars: int = 0) -> tuple[list[Document], list[DocumentError]]:
    """Every readable document under the given files and folders, and an error for each file that is not
    (unreadable, unsupported, too large): one bad file does not cost the others."""
    seen: dict[str, Document] = {}
    errors: list[DocumentError] = []
    for f in iter_files(paths):
        try:
            if max_chars and f.suffix.lower() in TEXT_SUFFIXES and f.stat().st_size > 4 * max_chars:
                raise DocumentTooLarge(
                    f"{f}: file too large ({f.stat().st_size:,} bytes; documents are limited to {max_chars:,} "
                    "characters: split it, or raise QA_MAX_DOCUMENT_CHARS)"
                )
            for doc in load_file(f):
                seen.setdefault(doc.id, check_size(doc, max_chars))
        except DocumentError as err:
            errors.append(err)
    return list(seen.values()), errors


def load_documents(paths: Iterable[str | Path]) -> list[Document]:
    """Load every document under the given files and folders; duplicates (same id) are kept once."""
    seen: dict[str, Document] = {}
    for f in iter_files(paths):
        for doc in load_file(f):
            seen.setdefault(doc.id, doc)
    return list(seen.values())
