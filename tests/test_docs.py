"""The documentation's examples work: every `qa ...` command and every `curl` call shown in README.md and docs/.

Each `qa` command runs as a user would type it (bash, the project's `qa`), on its own copy of the seed index;
each `curl` runs against a real server over another copy. A command must succeed, and what the docs show
of its output must still hold in substance: the answer's text, a list's items, "no answer", the response's
`kind` and first answer, the status code. Commands that cannot run here say why in `NOT_RUN`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_server

pytestmark = pytest.mark.slow

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_RUN = {
    "serve": "a server runs until stopped: the curl examples run against a real one instead",
    "train-reader": "hours of training; the model card gives its runs",
    "eval": "minutes to hours per file; docs/quality.md gives each figure's command and result",
}
WRITE_KEY = "my-write-key"
SKIP_WORDS = {"milvus.internal": "needs a Milvus server", "PATH ...": "a placeholder, not a command"}


@dataclass
class Example:
    """One command shown in a document, with the output lines shown after it (`$ ` blocks) and the JSON
    block that follows it (curl)."""

    doc: str
    command: str
    shown: list[str] = field(default_factory=list)
    response: dict | None = None


def _blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1).strip(), m.group(2)) for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.S)]


def _joined(body: str) -> list[str]:
    """Lines with their backslash continuations joined."""
    out: list[str] = []
    for line in body.replace("\\\n", " ").splitlines():
        if line.strip():
            out.append(line.strip())
    return out


def _strip_comment(line: str) -> str:
    """The command without a trailing `# comment` (a `#` inside quotes stays)."""
    quote = ""
    for i, ch in enumerate(line):
        if ch in "'\"" and not quote:
            quote = ch
        elif ch == quote:
            quote = ""
        elif ch == "#" and not quote and (i == 0 or line[i - 1] == " "):
            return line[:i].rstrip()
    return line


def _is_ours(command: str) -> bool:
    words = [w for w in command.split() if not re.match(r"^[A-Z_][A-Z0-9_]*=", w)]
    return bool(words) and words[0] in ("qa", "curl")


def examples() -> list[Example]:
    """Every `qa`/`curl` command in the documents' code blocks."""
    found: list[Example] = []
    for doc in DOCS:
        blocks = _blocks(doc.read_text())
        for i, (lang, body) in enumerate(blocks):
            lines = _joined(body)
            if lang in ("", "text", "console") and any(ln.startswith("$ ") for ln in lines):
                for ln in lines:
                    if ln.startswith("$ "):
                        found.append(Example(doc.name, ln[2:]))
                    elif found and found[-1].doc == doc.name:
                        found[-1].shown.append(ln)
            elif lang in ("bash", "sh", "shell"):
                for ln in lines:
                    cmd = _strip_comment(ln)
                    if _is_ours(cmd):
                        ex = Example(doc.name, cmd)
                        if cmd.startswith("curl") and i + 1 < len(blocks) and blocks[i + 1][0] == "json":
                            try:
                                ex.response = json.loads(blocks[i + 1][1])
                            except ValueError:
                                ex.response = None
                        found.append(ex)
    return [e for e in found if _is_ours(e.command)]


def _why_not_run(ex: Example) -> str | None:
    words = [w for w in shlex.split(ex.command) if not re.match(r"^[A-Z_][A-Z0-9_]*=", w)]
    if words[0] == "qa" and len(words) > 1 and words[1] in NOT_RUN:
        return NOT_RUN[words[1]]
    return next((why for word, why in SKIP_WORDS.items() if word in ex.command), None)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, seed_index_dir) -> Path:
    """A folder to run the examples in: the repository's seeds, tests data and docs beside a shared data link."""
    w = tmp_path_factory.mktemp("docs")
    for name in ("seeds", "tests", "docs", "README.md"):
        (w / name).symlink_to(ROOT / name)
    return w


def _index_copy(seed_index_dir: Path, where: Path) -> Path:
    if where.exists():
        shutil.rmtree(where)
    shutil.copytree(seed_index_dir, where)
    return where


def _bash(command: str, cwd: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _env(index: Path) -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(PATH=f"{bin_dir}:{env.get('PATH', '')}", QA_INDEX_DIR=str(index), OMP_NUM_THREADS="1")
    return env


def _seed_id(seed_index_dir: Path) -> str:
    import sqlite3

    with sqlite3.connect(seed_index_dir / "store.sqlite") as conn:
        return conn.execute("SELECT id FROM documents LIMIT 1").fetchone()[0]


def _check_shown(ex: Example, out: str) -> None:
    """The substance of the shown output holds: the answer's text, each list item, 'no answer'."""
    for line in ex.shown:
        if line.startswith("Answer:"):
            text = re.sub(r"\s+\(score.*$", "", line.removeprefix("Answer:")).strip()
            assert text in out, (ex.command, text, out[:800])
        elif line.startswith("•"):
            item = line.lstrip("• ").split(" — ")[0].strip()
            assert item in out, (ex.command, item, out[:800])
        elif line.startswith("No answer"):
            assert "No answer" in out, (ex.command, out[:800])
        elif line.startswith("articleqa "):
            assert out.startswith("articleqa "), (ex.command, out)


def test_the_documents_show_examples_to_check():
    found = examples()
    assert sum(e.command.startswith("qa") for e in found) >= 5
    assert sum(e.command.startswith("curl") for e in found) >= 2
    assert all(e.doc for e in found)


def test_every_qa_command_shown_works(workspace, seed_index_dir, tmp_path):
    ran = 0
    for n, ex in enumerate(e for e in examples() if e.command.startswith(("qa", "QA_")) or " qa " in e.command):
        if _why_not_run(ex):
            continue
        index = _index_copy(seed_index_dir, tmp_path / f"index-{n}")
        command = re.sub(r"(?<= )/(?=[a-z])", "./", ex.command)  # an absolute path in an example: in the workspace
        command = re.sub(r"--index \S+", f"--index {index}", command).replace(" ID", f" {_seed_id(index)}")
        res = _bash(command, workspace, _env(index))
        assert res.returncode == 0, f"{ex.doc}: {ex.command}\n{res.stderr[-1500:]}"
        _check_shown(ex, res.stdout)
        ran += 1
    assert ran >= 5


def test_every_curl_example_works_against_a_real_server(workspace, seed_index_dir, tmp_path):
    index = _index_copy(seed_index_dir, tmp_path / "served")
    curls = [e for e in examples() if e.command.startswith("curl") and not _why_not_run(e)]
    with run_server(index, env={"QA_WRITE_KEYS": WRITE_KEY}) as base:  # the key the write examples show
        hostport = base.removeprefix("http://")
        for ex in curls:
            command = re.sub(r"(https?://)?(localhost|127\.0\.0\.1|HOST):8000", f"http://{hostport}", ex.command)
            command = command.replace("curl ", "curl -w '\\n%{http_code}' ", 1)
            res = _bash(command, workspace, _env(index), timeout=120)
            assert res.returncode == 0, f"{ex.doc}: {ex.command}\n{res.stderr}"
            body, _, status = res.stdout.rpartition("\n")
            assert status.startswith("2"), f"{ex.doc}: {ex.command} -> {status}: {body[:500]}"
            if ex.response is not None:
                got = json.loads(body)
                for key in ("kind",):
                    if key in ex.response:
                        assert got[key] == ex.response[key], (ex.command, key)
                if ex.response.get("answers"):
                    assert got["answers"] and got["answers"][0]["text"] == ex.response["answers"][0]["text"]
    assert curls
