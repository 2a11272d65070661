"""PDF files: the text layer read with pypdf, printed lines joined back into sentences, page starts kept so that
answers cite their page (also through the whole pipeline), metadata from the PDF, and a scan or a damaged file
refused with one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.documents import DocumentError, load_each, load_file
from index.store import DocLabel


def make_pdf(pages: list[list[str]], info: dict[str, str] | None = None) -> bytes:
    """A PDF whose pages print these lines in Helvetica (an empty page list item: a page with only a drawing)."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    parent_at = len(objects) + 2 * len(pages) + 1  # the Pages object comes after every page and stream
    for lines in pages:
        if lines:
            ops = (
                b"BT /F1 11 Tf 14 TL 72 760 Td "
                + b" ".join(
                    b"(" + ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1") + b") '"
                    for ln in lines
                )
                + b" ET"
            )
        else:
            ops = b"0.5 g 72 300 400 400 re f"  # an image-like rectangle and no text: what a scan looks like
        stream = add(b"<< /Length %d >>\nstream\n" % len(ops) + ops + b"\nendstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> "
                b"/Contents %d 0 R >>" % (parent_at, font, stream)
            )
        )
    add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids)))
    assert len(objects) == parent_at
    add(b"<< /Type /Catalog /Pages %d 0 R >>" % parent_at)
    catalog = len(objects)
    info_ref = b""
    if info:
        entries = b" ".join(b"/%s (%s)" % (k.encode(), v.encode("latin-1")) for k, v in info.items())
        info_ref = b" /Info %d 0 R" % add(b"<< " + entries + b" >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, catalog, info_ref, xref,
    )  # fmt: skip
    return out


PAGE1 = [
    "GENEVA (Reuters) - The World Health Organization said on Tuesday that a new",
    "malaria vaccine had cut cases among young children by more than three quarters",
    "in a two-year trial in Kenya and Burkina Faso.",
    "",
    "The agency will review the data early next year, its director for immuni-",
    "zation said.",
]
PAGE2 = [
    "Results",
    "The manufacturer said it could produce 100 million doses a year by 2027, and",
    "that the price would be set with the Gavi vaccine alliance.",
]


@pytest.fixture
def report(tmp_path: Path) -> Path:
    f = tmp_path / "who-release.pdf"
    info = {"Title": "Malaria vaccine trial results", "Author": "WHO Press Office", "CreationDate": "D:20241120093000Z"}
    f.write_bytes(make_pdf([PAGE1, PAGE2], info))
    return f


def test_a_pdf_gives_its_text_pages_and_metadata(report: Path) -> None:
    [doc] = load_file(report)
    assert doc.title == "Malaria vaccine trial results" and doc.date == "2024-11-20"
    assert doc.meta["author"] == ["WHO Press Office"] and doc.meta["page_count"] == 2
    assert doc.dateline == "GENEVA (Reuters)"
    lines = doc.text.split("\n")  # printed lines are joined into paragraphs; a hyphenated word is whole again
    assert lines[0].startswith("The World Health Organization said on Tuesday that a new malaria vaccine")
    assert lines[0].endswith("in a two-year trial in Kenya and Burkina Faso.")
    assert "its director for immunization said." in lines[1]
    assert "Results" in lines and "100 million doses a year by 2027, and that the price" in doc.text
    label = DocLabel.of(doc.title, doc.date, doc.url, doc.meta)
    assert label.page_of(doc.text.index("Kenya")) == 1
    assert label.page_of(doc.text.index("100 million")) == 2
    assert label.page_of(doc.text.index("Results")) == 2


def test_a_scan_or_a_damaged_pdf_is_refused_in_one_line(tmp_path: Path, report: Path) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(make_pdf([[], []]))
    with pytest.raises(DocumentError, match=r"scan.pdf: the PDF has no text layer \(2 page\(s\) .*run OCR"):
        load_file(scan)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nnot really")
    with pytest.raises(DocumentError, match="broken.pdf: not a readable PDF"):
        load_file(broken)
    docs, errors = load_each([tmp_path])  # in a folder: the good PDF is read, the others named
    assert [d.title for d in docs] == ["Malaria vaccine trial results"]
    assert sorted(Path(str(e).split(":")[0]).name for e in errors) == ["broken.pdf", "scan.pdf"]


@pytest.mark.slow
def test_an_answer_from_a_pdf_cites_its_page(report: Path, tmp_path: Path, embedder) -> None:
    from qa.pipeline import QAPipeline
    from qa.settings import Settings

    pipe = QAPipeline.open(Settings(index_dir=tmp_path / "idx", seeds_dir=report.parent), embedder=embedder)
    resp = pipe.ask("How many doses a year can the manufacturer produce?")
    assert resp.answers and "100 million" in resp.answers[0].text
    assert resp.answers[0].page == 2 and resp.answers[0].date == "2024-11-20"
    hit = next(p for p in resp.passages if "100 million" in p.text)
    assert hit.page is not None
