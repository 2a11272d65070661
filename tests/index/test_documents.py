"""Document loaders: every supported format, metadata, stable ids, folders, and the errors users can cause.

No model is needed here: these tests only read files, so they run in well under a second.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.documents import Document, DocumentError, document_id, iter_files, load_documents, load_file

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---- formats --------------------------------------------------------------------------------------


def test_txt_keeps_full_text_and_titles_from_file_name(tmp_path: Path) -> None:
    f = write(tmp_path / "oslo_talks-2025.txt", "  First line.\nSecond line here.\n\n")
    [doc] = load_file(f)
    assert doc.text == "First line.\nSecond line here."
    assert doc.title == "oslo talks 2025"
    assert doc.source == str(f)


def test_front_matter_becomes_metadata_not_text(tmp_path: Path) -> None:
    f = write(
        tmp_path / "a.md",
        '---\ntitle: "Talks in Oslo"\nurl: https://example.org/a\ndate: 2025-03-27\ntopic: peace\n---\n'
        "# Heading\nBody text.\n",
    )
    [doc] = load_file(f)
    assert doc.title == "Talks in Oslo"
    assert doc.url == "https://example.org/a"
    assert doc.date == "2025-03-27"
    assert doc.meta == {"topic": "peace"}
    assert doc.text == "# Heading\nBody text."
    assert "---" not in doc.text


def test_front_matter_with_windows_line_endings(tmp_path: Path) -> None:
    f = tmp_path / "crlf.txt"
    f.write_bytes(b"---\r\ntitle: CRLF article\r\n---\r\nLine one.\r\nLine two.\r\n")
    [doc] = load_file(f)
    assert doc.title == "CRLF article"
    assert doc.text == "Line one.\nLine two."


def test_seed_article_has_title_and_full_text() -> None:
    [doc] = load_documents([SEEDS])
    assert doc.title.startswith("Britain and France struggle")
    assert "Irish Prime Minister Michaël Martin" in doc.text
    assert doc.text.startswith("Britain and France are struggling")
    assert not doc.text.startswith("---")


def test_html_visible_text_only(tmp_path: Path) -> None:
    f = write(
        tmp_path / "page.html",
        """<!DOCTYPE html>
<html><head><title>Envoy visits Kyiv</title><style>body { color: red; }</style>
<script>var secret = "SCRIPT_TEXT";</script></head>
<body><!-- COMMENT_TEXT -->
<h1>Envoy visits Kyiv</h1>
<p>The <b>U.S.</b> envoy met <a href="/x">Ukrainian officials</a> on Monday.</p>
<script>document.write("MORE_SCRIPT")</script><noscript>NOSCRIPT_TEXT</noscript>
<div>Talks continue.<br>More later.</div>
<style>.x { display: none }</style>
</body></html>""",
    )
    [doc] = load_file(f)
    assert doc.title == "Envoy visits Kyiv"
    for hidden in ("SCRIPT_TEXT", "MORE_SCRIPT", "COMMENT_TEXT", "NOSCRIPT_TEXT", "color: red", "display", "DOCTYPE"):
        assert hidden not in doc.text
    # inline elements stay inside their sentence; block elements and <br> start new lines
    assert doc.text.split("\n") == [
        "Envoy visits Kyiv",
        "The U.S. envoy met Ukrainian officials on Monday.",
        "Talks continue.",
        "More later.",
    ]


def test_json_list_and_jsonl_records(tmp_path: Path) -> None:
    recs = [
        {"text": "Alpha text.", "title": "Alpha", "url": "https://a.example", "date": "2025-01-01", "section": "x"},
        {"text": "Beta text.", "date": 2024},
    ]
    j = write(tmp_path / "a.json", json.dumps(recs))
    docs = load_file(j)
    assert [d.text for d in docs] == ["Alpha text.", "Beta text."]
    assert (docs[0].title, docs[0].url, docs[0].date, docs[0].meta) == (
        "Alpha",
        "https://a.example",
        "2025-01-01",
        {"section": "x"},
    )
    assert (docs[1].title, docs[1].url, docs[1].date) == ("", "", "2024")

    wrapped = write(tmp_path / "b.json", json.dumps({"documents": recs}))
    assert [d.id for d in load_file(wrapped)] == [d.id for d in docs]
    single = write(tmp_path / "c.json", json.dumps(recs[0]))
    assert [d.id for d in load_file(single)] == [docs[0].id]

    jl = write(tmp_path / "d.jsonl", "\n".join(json.dumps(r) for r in recs) + "\n\n")
    assert [d.id for d in load_file(jl)] == [d.id for d in docs]


# ---- ids ------------------------------------------------------------------------------------------


def test_same_content_same_id_across_files_and_formats(tmp_path: Path) -> None:
    a = write(tmp_path / "a.txt", "---\ntitle: Same\n---\nSame body.\n")
    b = write(tmp_path / "sub" / "b.md", "---\ntitle: Same\n---\nSame body.")
    c = write(tmp_path / "c.jsonl", json.dumps({"title": "Same", "text": "Same body."}) + "\n")
    ids = {load_file(p)[0].id for p in (a, b, c)}
    assert len(ids) == 1
    assert ids == {document_id("Same", "Same body.")}
    assert load_file(a)[0].id == load_file(a)[0].id
    # different content, different id
    assert document_id("Same", "Other body.") not in ids
    assert document_id("Other", "Same body.") not in ids
    # loading them together keeps one copy
    assert len(load_documents([tmp_path])) == 1


def test_document_dict_round_trip() -> None:
    d = Document(text="Körper — “quoted”.", title="T", url="u", date="d", meta={"k": [1, 2]})
    back = Document.from_dict(json.loads(json.dumps(d.to_dict())))
    assert back == d


# ---- folders --------------------------------------------------------------------------------------


def test_folder_expansion_is_recursive_sorted_and_skips_other_files(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "B text.")
    write(tmp_path / "a.md", "A text.")
    write(tmp_path / "deep" / "c.html", "<p>C text.</p>")
    write(tmp_path / "deep" / "d.jsonl", json.dumps({"text": "D text."}))
    write(tmp_path / "notes.csv", "not,a,document")
    write(tmp_path / ".hidden" / "e.txt", "hidden text")
    write(tmp_path / ".f.txt", "hidden file")
    files = iter_files([tmp_path])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == ["a.md", "b.txt", "deep/c.html", "deep/d.jsonl"]
    texts = sorted(d.text for d in load_documents([tmp_path]))
    assert texts == ["A text.", "B text.", "C text.", "D text."]
    # files and folders mixed; a file named twice counts once
    assert len(load_documents([tmp_path / "b.txt", tmp_path, tmp_path / "b.txt"])) == 4


# ---- errors ---------------------------------------------------------------------------------------


def test_nonexistent_path(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="no such file or directory"):
        load_documents([tmp_path / "missing.txt"])
    with pytest.raises(DocumentError, match="no such file or directory"):
        load_file(tmp_path / "missing.txt")


def test_binary_file(tmp_path: Path) -> None:
    f = tmp_path / "image.txt"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(DocumentError, match=r"image\.txt: not a text file \(binary content\)"):
        load_file(f)


def test_non_utf8_file(tmp_path: Path) -> None:
    f = tmp_path / "latin1.txt"
    f.write_bytes("Café in Zürich.".encode("latin-1"))
    with pytest.raises(DocumentError, match=r"latin1\.txt: not a text file \(not valid UTF-8\)"):
        load_file(f)


def test_unsupported_type(tmp_path: Path) -> None:
    f = write(tmp_path / "slides.pptx", "pretend slides")
    with pytest.raises(DocumentError, match=r"unsupported file type '\.pptx' \(supported: .*\.pdf.*\.txt"):
        load_file(f)
    g = write(tmp_path / "README", "no suffix")
    with pytest.raises(DocumentError, match=r"unsupported file type '\(none\)'"):
        load_documents([g])


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("bad.json", '{"text": "unterminated', r"bad\.json: invalid JSON"),
        ("bad.jsonl", '{"text": "ok."}\n{oops}\n', r"bad\.jsonl:2: invalid JSON"),
        ("notext.json", '[{"title": "no text"}]', r"notext\.json\[0\]: record has no non-empty 'text' string"),
        ("blank.jsonl", '{"text": "   "}\n', r"blank\.jsonl:1: record has no non-empty 'text' string"),
        ("scalar.jsonl", "42\n", r"scalar\.jsonl:1: a record must be a JSON object"),
        ("empty.txt", "  \n\n ", r"empty\.txt: no text in file"),
        ("onlymeta.md", "---\ntitle: x\n---\n", r"onlymeta\.md: no text in file"),
    ],
)
def test_bad_content(tmp_path: Path, name: str, content: str, pattern: str) -> None:
    with pytest.raises(DocumentError, match=pattern) as info:
        load_file(write(tmp_path / name, content))
    assert "\n" not in str(info.value)  # one line, fit for `qa: error: ...`


def test_one_bad_file_fails_the_whole_load(tmp_path: Path) -> None:
    write(tmp_path / "good.txt", "Fine.")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x00\x00")
    with pytest.raises(DocumentError, match="bad.txt"):
        load_documents([tmp_path])
