"""The `qa` command line, run as a real subprocess (`python -m qa.cli`) with `--index` in a temporary folder.

Covers: the first `qa ask` building the index from seeds/ and later calls loading it untouched, the human
and `--json` outputs, `qa index` (idempotent), `qa info`, `qa search`, and every bad input giving ONE line
on stderr (`qa: error: ...`) with a non-zero exit and no traceback.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from qa.answers import AskResponse, PassageHit

ROOT = Path(__file__).resolve().parents[3]
SEEDS = ROOT / "seeds"
PEACEKEEPERS = "Which countries are ready to send peacekeepers?"
IRELAND = "Irish Prime Minister Michaël Martin said his country was also ready to send peacekeepers"

pytestmark = pytest.mark.slow


def qa(
    *args: str | Path, cwd: Path, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m qa.cli ARGS` the way a user would (no QA_INDEX_DIR: every call passes --index)."""
    env = {**{k: v for k, v in os.environ.items() if k not in ("QA_INDEX_DIR", "QA_SEEDS_DIR")}, **(env or {})}
    # one torch thread: the 2 test machine cores are shared with other jobs (see test_retrieval.py)
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false", OMP_NUM_THREADS="1")
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def snapshot(d: Path) -> dict[str, tuple[int, bytes]]:
    return {f.relative_to(d).as_posix(): (f.stat().st_mtime_ns, f.read_bytes()) for f in d.rglob("*") if f.is_file()}


def assert_one_line_error(r: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert r.returncode != 0, r
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("qa: error: "), r.stderr
    for frag in fragments:
        assert frag in lines[0], (frag, lines[0])
    assert r.stdout == ""


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def first_ask(work: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The first `qa ask` on a machine: there is no index yet, so it builds one from seeds/."""
    index = work / "index"
    r = qa("ask", PEACEKEEPERS, "--index", index, cwd=work)
    return index, r


def test_first_ask_builds_the_index_and_answers(first_ask) -> None:
    index, r = first_ask
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert "building it from" in r.stderr
    assert (index / "store.sqlite").exists()
    assert not (index.parent / ".qa-index").exists()  # --index was honoured

    out = r.stdout.splitlines()
    assert out[0] == f"Q: {PEACEKEEPERS}"
    answer_at = next(i for i, line in enumerate(out) if line.startswith(("Answer:", "Answer (list):")))
    sources_at = out.index("Sources:")
    assert answer_at < sources_at, "the answer comes first, then the sources"
    assert out[sources_at + 1].startswith("  [1] Britain and France struggle")
    # the top three answers include the Ireland sentence (as the answer, or as the context quoted under it)
    block = out[answer_at:sources_at]
    starts = [i for i, line in enumerate(block) if re.match(r"(Answer: |  • |  \d+\. )", line)]
    ireland = next(i for i, line in enumerate(block) if IRELAND in line)
    assert 1 <= sum(s <= ireland for s in starts) <= 3, r.stdout
    assert "Passages:" in out and out.index("Passages:") > sources_at


def test_second_ask_loads_without_rebuilding(first_ask, work: Path) -> None:
    index, first = first_ask
    assert first.returncode == 0
    before = snapshot(index)
    r = qa("ask", "Who is Steve Witkoff?", "--json", "--top-k", "3", "--index", index, cwd=work)
    assert r.returncode == 0, r.stderr
    assert "building" not in r.stderr
    assert snapshot(index) == before, "the index on disk was not rewritten"

    resp = AskResponse.model_validate_json(r.stdout)
    raw = json.loads(r.stdout)
    assert set(raw) >= {"question", "answers", "passages"}
    assert raw["question"] == "Who is Steve Witkoff?"
    assert 1 <= len(raw["passages"]) <= 3 and 1 <= len(raw["answers"]) <= 3
    for a in raw["answers"]:
        assert set(a) >= {"text", "score", "document_id", "passage_id", "start", "end", "context"}
    for p in raw["passages"]:
        assert set(p) >= {"id", "document_id", "title", "text", "score", "start", "end"}
    assert any("Witkoff" in a.context for a in resp.answers)
    text = (SEEDS / "peacekeepers-ukraine.txt").read_text(encoding="utf-8").split("---\n", 2)[2].strip()
    for a in resp.answers:
        assert text[a.start : a.end] == a.text
    for p in resp.passages:
        assert text[p.start : p.end] == p.text


def test_info_and_search(first_ask, work: Path) -> None:
    index, _ = first_ask
    r = qa("info", "--json", "--index", index, cwd=work)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["documents"] == 1 and info["passages"] >= 3
    assert info["embedding_model"] == "sentence-transformers/all-MiniLM-L6-v2" and info["dimension"] == 384
    assert info["size_bytes"] == sum(f.stat().st_size for f in index.rglob("*") if f.is_file())
    assert info["index"] == str(index.resolve())

    r = qa("search", "Irish peacekeepers", "-k", "2", "--json", "--index", index, cwd=work)
    assert r.returncode == 0, r.stderr
    hits = [PassageHit.model_validate(h) for h in json.loads(r.stdout)]
    assert len(hits) == 2 and IRELAND in hits[0].text


def test_index_is_idempotent_and_adds_new_documents(first_ask, work: Path, tmp_path: Path) -> None:
    src, _ = first_ask
    index = tmp_path / "index"
    shutil.copytree(src, index)
    before = snapshot(index)
    r = qa("index", SEEDS, "--quiet", "--index", index, cwd=work)
    assert r.returncode == 0, r.stderr
    assert "indexed 0 new document(s) (1 already present), 0 new passage(s)" in r.stdout
    assert snapshot(index) == before, "re-indexing the same documents leaves the index untouched"

    more = tmp_path / "more"
    more.mkdir()
    (more / "bergen.md").write_text("---\ntitle: Bergen freeze\n---\nThe harbour of Bergen froze over.\n")
    (more / "lyon.jsonl").write_text(json.dumps({"title": "Lyon", "text": "A bakery opened in Lyon."}) + "\n")
    r = qa("index", more, SEEDS, "--quiet", "--index", index, cwd=work)
    assert r.returncode == 0, r.stderr
    counts = re.search(r"index at .*: (\d+) documents, (\d+) passages", r.stdout)
    assert "indexed 2 new document(s) (1 already present), 2 new passage(s)" in r.stdout
    assert counts and counts.group(1) == "3"
    r = qa("index", more, "--quiet", "--index", index, cwd=work)
    assert r.returncode == 0 and "indexed 0 new document(s) (2 already present), 0 new passage(s)" in r.stdout
    assert counts.group(0) in r.stdout, "indexing the same documents twice leaves the same counts"


def test_filters_on_ask_and_search(first_ask, work: Path, tmp_path: Path) -> None:
    src, _ = first_ask
    index = tmp_path / "index"
    shutil.copytree(src, index)
    wire = tmp_path / "wire.jsonl"
    records = [
        {"title": "Bergen harbour", "text": "The new harbour in Bergen will cost four billion kroner.",
         "date": "2026-03-02", "source": "NRK", "id": "nrk-1", "section": "Local"},
        {"title": "Hamburg harbour", "text": "The new harbour in Hamburg will cost two billion euros.",
         "date": "10 March 2026", "url": "https://www.reuters.com/hamburg", "id": "reuters-1", "section": "Business"},
    ]  # fmt: skip
    wire.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert qa("index", wire, "--quiet", "--index", index, cwd=work).returncode == 0
    question = "How much will the new harbour cost?"
    for flags, title in [
        (["--source", "nrk"], "Bergen harbour"),
        (["--source", "reuters.com"], "Hamburg harbour"),
        (["--since", "2026-03-05"], "Hamburg harbour"),
        (["--until", "2026-03-05", "--where", "section=local"], "Bergen harbour"),
        (["--doc", "reuters-1"], "Hamburg harbour"),
    ]:
        r = qa("ask", question, *flags, "--json", "--index", index, cwd=work)
        assert r.returncode == 0, r.stderr
        resp = AskResponse.model_validate_json(r.stdout)
        assert resp.passages and {p.title for p in resp.passages} == {title}, flags
        assert {a.title for a in resp.answers} <= {title}
    r = qa("ask", question, "--source", "nrk", "--index", index, cwd=work)
    assert "four billion kroner" in r.stdout and "(NRK, 2026-03-02)" in r.stdout  # the source line says so
    r = qa("search", "harbour", "--where", "section=business", "--json", "--index", index, cwd=work)
    hits = [PassageHit.model_validate(h) for h in json.loads(r.stdout)]
    assert hits and {(h.source, h.date) for h in hits} == {("reuters.com", "2026-03-10")}
    r = qa("ask", question, "--source", "bbc", "--index", index, cwd=work)
    assert r.returncode == 0 and "No answer found" in r.stdout and "the filter matched no document" in r.stdout


def test_a_batch_with_bad_files_indexes_the_good_ones(work: Path, bad_files: Path, tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    shutil.copytree(bad_files, batch)
    (batch / "good.md").write_text("---\ntitle: Good\n---\nThe ferry to Bergen runs twice a day.\n")
    index = tmp_path / "index"
    r = qa("index", batch, "--index", index, cwd=work)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "indexed 2 new document(s)" in r.stdout  # good.md and notes/mine.txt
    errors = [line for line in r.stderr.splitlines() if line.startswith("qa: error: ")]
    assert any("broken.json: invalid JSON" in e for e in errors)
    assert any("photo.txt: not a text file" in e for e in errors)
    assert any("latin1.txt: not a text file" in e for e in errors)
    assert any("report.pdf: not a readable PDF" in e for e in errors)
    assert errors[-1] == "qa: error: 4 file(s) could not be indexed (named above)"
    r = qa("search", "ferry Bergen", "--json", "--index", index, cwd=work)
    assert "twice a day" in json.loads(r.stdout)[0]["text"]


def test_size_limit_progress_and_delete(work: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "huge.txt").write_text("Words upon words. " * 2000)
    (docs / "small.jsonl").write_text(
        "\n".join(
            json.dumps({"id": f"wire-{i}", "title": f"Note {i}", "text": f"Note {i} is short."}) for i in range(3)
        )
    )
    index = tmp_path / "index"
    env_limit = {"QA_MAX_DOCUMENT_CHARS": "10000"}
    r = qa("index", docs, "--index", index, "--batch", "1", cwd=work, env=env_limit)
    assert r.returncode == 1
    assert "huge.txt: document too large (35,999 characters; the limit is 10,000" in r.stderr
    assert "indexed 3 new document(s)" in r.stdout
    progress = [line for line in r.stderr.splitlines() if "passages committed" in line]
    assert len(progress) == 3 and re.search(r"\d+(\.\d)? docs/s, \d+ passages/s", progress[-1])
    r = qa("delete", "wire-1", "--index", index, cwd=work)  # by external id
    assert r.returncode == 0 and r.stdout.strip() == "deleted 1 document(s)"
    r = qa("info", "--json", "--index", index, cwd=work)
    assert json.loads(r.stdout)["documents"] == 2
    r = qa("delete", "wire-1", "nope", "--index", index, cwd=work)
    assert_one_line_error(r, "no document with id wire-1, nope")


# ---- bad inputs -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bad_files(work: Path) -> Path:
    d = work / "bad"
    d.mkdir()
    (d / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01")
    (d / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (d / "latin1.txt").write_bytes("Café".encode("latin-1"))
    (d / "report.pdf").write_bytes(b"%PDF-1.4")
    (d / "broken.json").write_text('{"text": ')
    (d / "notes").mkdir()
    (d / "notes" / "mine.txt").write_text("precious notes")
    return d


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["ask", ""], ["question is empty"]),
        (["ask", "   \t "], ["question is empty"]),
        (["ask", "x" * 1001], ["question is too long (1001 characters; at most 1000)"]),
        (["ask", PEACEKEEPERS, "--top-k", "0"], ["top_k must be a whole number from 1 to 50 (got 0)"]),
        (["ask", PEACEKEEPERS, "--top-k", "51"], ["top_k must be a whole number from 1 to 50 (got 51)"]),
        (["ask", PEACEKEEPERS, "--top-k", "x"], ["invalid int value: 'x'"]),
        (["search", " ", "--index", "{work}/none"], ["query is empty"]),
        (["index", "{work}/does-not-exist.txt"], ["does-not-exist.txt: no such file or directory"]),
        (["index", "{bad}/photo.txt"], ["photo.txt: not a text file (binary content)"]),
        (["index", "{bad}/latin1.txt"], ["latin1.txt: not a text file (not valid UTF-8)"]),
        (["index", "{bad}/report.pdf"], ["report.pdf: not a readable PDF"]),
        (["index", "{bad}/photo.png"], ["unsupported file type '.png'"]),
        (["index", "{bad}/broken.json"], ["broken.json: invalid JSON"]),
        (["info"], ["no index at", "qa index"]),
        (["index", "--quiet", "--index", "{bad}/notes"], ["is not an index; refusing to overwrite it"]),
        (["ask", PEACEKEEPERS, "--index", "{bad}/notes"], ["is not an index; refusing to overwrite it"]),
        (["frobnicate"], ["invalid choice: 'frobnicate'"]),
        (["ask", PEACEKEEPERS, "--since", "2024-02-30"], ["since: '2024-02-30' is not a date (use YYYY-MM-DD)"]),
        (["search", "x", "--until", "May"], ["until: 'May' is not a date"]),
        (["ask", PEACEKEEPERS, "--where", "section"], ["'section' is not KEY=VALUE"]),
    ],
)
def test_bad_input_is_one_line_on_stderr(work: Path, bad_files: Path, args: list[str], fragments: list[str]) -> None:
    args = [a.format(work=work, bad=bad_files) for a in args]
    if "--index" not in args and args[0] != "frobnicate":
        args += ["--index", str(work / "no-index-here")]
    r = qa(*args, cwd=work)
    assert_one_line_error(r, *fragments)
    assert not (work / "no-index-here").exists(), "a bad input never builds an index"
    assert (bad_files / "notes" / "mine.txt").read_text() == "precious notes"
    assert sorted(p.name for p in (bad_files / "notes").iterdir()) == ["mine.txt"]


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        (
            "embedding_model",
            "sentence-transformers/all-mpnet-base-v2",
            "was built with sentence-transformers/all-mpnet",
        ),
        ("format_version", 7, "format version 7"),
    ],
)
def test_index_from_another_model_or_format_is_refused(
    first_ask, work: Path, tmp_path: Path, field: str, value: object, fragment: str
) -> None:
    src, _ = first_ask
    index = tmp_path / "index"
    shutil.copytree(src, index)
    with sqlite3.connect(index / "store.sqlite") as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (str(value), field))
    conn.close()
    before = snapshot(index)
    for args in (["ask", PEACEKEEPERS], ["index", SEEDS, "--quiet"]):
        r = qa(*args, "--index", index, cwd=work)
        assert_one_line_error(r, fragment, "rebuild it with: qa index --rebuild")
    assert snapshot(index) == before, "a refused index is left exactly as it was"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"QA_WRITE_KEYS": "sha256:1234"}, "QA_WRITE_KEYS: entry 1 starts with 'sha256:' but is not followed by 64"),
        ({"QA_RATE_LIMIT": "plenty"}, "QA_RATE_LIMIT must read like '5/second'"),
        ({"QA_TRUSTED_PROXIES": "nginx"}, "QA_TRUSTED_PROXIES: 'nginx' is not an IP address or network"),
    ],
)
def test_serve_refuses_bad_security_settings_in_one_line(tmp_path: Path, env: dict[str, str], fragment: str) -> None:
    r = qa("serve", "--index", tmp_path / "index", "--port", "9", cwd=tmp_path, env=env, timeout=60)
    assert_one_line_error(r, fragment)


def test_version_names_the_package_and_the_reader() -> None:
    res = subprocess.run([sys.executable, "-m", "qa.cli", "--version"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0
    from qa.version import package_version

    assert res.stdout.strip() == f"articleqa {package_version()} (reader minilm-l6-chunk16 + mpnet-chunk5)"


def test_backup_is_an_index_that_answers_the_same(first_ask, work: Path, tmp_path: Path) -> None:
    index, _ = first_ask
    r = qa("backup", tmp_path / "copy", "--index", index, cwd=work)
    assert r.returncode == 0, r.stderr
    assert "backed up" in r.stdout and not list((tmp_path).glob(".copy-*")), "no temporary folder is left"
    a = qa("ask", PEACEKEEPERS, "--json", "--index", index, cwd=work)
    b = qa("ask", PEACEKEEPERS, "--json", "--index", tmp_path / "copy", cwd=work)
    assert a.returncode == b.returncode == 0
    assert [i["name"] for i in json.loads(a.stdout)["items"]] == [i["name"] for i in json.loads(b.stdout)["items"]]
    assert_one_line_error(qa("backup", tmp_path / "copy", "--index", index, cwd=work), "is not empty")
    assert_one_line_error(qa("backup", tmp_path / "x", "--index", tmp_path / "none", cwd=work), "no index at")
