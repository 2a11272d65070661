"""PDF files (wire copy, press releases, reports): the text layer, page by page, with the offset where each page
starts kept so that an answer can cite its page; title, author and date from the PDF's own metadata.

pypdf breaks text at every printed line, and a line break ends a sentence for the passage splitter, so lines are
joined into paragraphs again (a line ends its paragraph when it is short and ends a sentence, or is a heading);
a word hyphenated across lines is joined. A PDF without a text layer (a scan) is refused with a message, never
indexed as an empty document.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_END = re.compile(r"[.!?:;\"”’)\]]$")


class PdfError(ValueError):
    """A PDF that cannot be read as text; the message says why and what to do."""


@dataclass
class PdfText:
    """The text of a PDF (pages joined by line breaks), where each page starts in it, and its metadata."""

    text: str
    pages: list[int]
    title: str = ""
    date: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def reflow(page: str) -> str:
    """A page's printed lines joined back into paragraphs, one per line."""
    lines = [" ".join(line.split()) for line in page.splitlines()]
    width = sorted(len(line) for line in lines if line)
    typical = width[int(0.75 * (len(width) - 1))] if width else 0
    out: list[str] = []
    current = ""
    for line in lines:
        if not line:
            if current:
                out.append(current)
            current = ""
            continue
        if current.endswith("-") and line[:1].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}" if current else line
        short = len(line) < 0.85 * typical
        if (short and _END.search(line)) or (len(line) < 0.6 * typical and not _END.search(line)):
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return "\n".join(out)


def _pdf_date(value: object) -> str:
    """`D:20240305...` (the PDF date format) as `2024-03-05`; '' otherwise."""
    m = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", str(value or ""))
    return f"{m[1]}-{m[2]}-{m[3]}" if m else ""


def read_pdf(path: Path) -> PdfText:
    """The text of every page of a PDF with its page starts and metadata; a `PdfError` for a PDF that is
    damaged, encrypted or has no text layer."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)  # what it warns of, the error below says in one line
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise PdfError(f"{path}: the PDF is encrypted; save an unprotected copy to index it")
        pages = [reflow(p.extract_text() or "") for p in reader.pages]
        info: Any = reader.metadata or {}
    except PdfError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as err:
        raise PdfError(f"{path}: not a readable PDF ({' '.join(str(err).split()) or type(err).__name__})") from None
    if not any(p.strip() for p in pages):
        raise PdfError(
            f"{path}: the PDF has no text layer ({len(pages)} page(s) of images: a scan?); "
            "run OCR on it first (e.g. ocrmypdf) and index the result"
        )
    starts: list[int] = []
    text = ""
    for p in pages:
        if text and p:
            text += "\n"
        starts.append(len(text))
        text += p
    meta: dict[str, Any] = {"pages": starts, "page_count": len(pages)}
    author = str(info.get("/Author") or "").strip()
    if author:
        meta["author"] = [a.strip() for a in re.split(r";| and ", author) if a.strip()]
    return PdfText(text, starts, str(info.get("/Title") or "").strip(), _pdf_date(info.get("/CreationDate")), meta)
