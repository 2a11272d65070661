"""Crashes and concurrent writers against real `qa index` processes.

A `qa index` is SIGKILLed at random moments (20+ times): after each kill the index opens, holds every document
the process reported as added, and holds no half document (every document has all its passages, the keyword
index agrees with the passages, FAISS holds one vector per passage), and no temporary files pile up. Two
`qa index` processes started together on one index end with the union of their documents.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index.backends import open_store
from index.documents import load_documents
from index.passages import SplitterSettings, make_passages
from index.sqlite_store import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

TOWNS = ["Ghent", "Bergen", "Lyon", "Turin", "Graz", "Porto", "Malmo", "Brno", "Cork", "Split"]


def write_round(folder: Path, round_no: int, n: int = 24) -> Path:
    """A JSON Lines file of n short stories; every fourth is long enough for several passages."""
    path = folder / f"round{round_no:02d}.jsonl"
    rng = random.Random(round_no)
    with open(path, "w") as f:
        for i in range(n):
            town = rng.choice(TOWNS)
            sentences = [
                f"The council of {town} approved budget number {round_no * 1000 + i} on day {i % 28 + 1}.",
                f"Story {round_no}-{i} says {rng.randint(2, 90)} people attended the meeting in {town}.",
            ]
            if i % 4 == 0:
                sentences += [f"Speaker {k} in {town} argued about roads, schools and the harbour." for k in range(24)]
            f.write(json.dumps({"title": f"{town} council {round_no}-{i}", "text": " ".join(sentences)}) + "\n")
    return path


def qa_index(index: Path, *paths: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "index", *map(str, paths), "--index", str(index), "-v", "--batch", "8"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def check_whole(index: Path, embedder, acknowledged: set[str]) -> int:
    """Assert the index opens, holds every acknowledged document whole, and nothing half; returns its size."""
    store = open_store(index, embedder)
    assert isinstance(store, SQLiteStore)
    held = {d.id: d for d in store.documents()}
    missing = acknowledged - set(held)
    assert not missing, f"acknowledged but lost: {sorted(missing)}"
    for d in held.values():
        doc = store.document(d.id)
        assert doc is not None
        want = make_passages(doc, embedder.count_tokens, SplitterSettings())
        assert [p.id for p in store.document_passages(d.id)] == [p.id for p in want], f"half document {d.id}"
    with sqlite3.connect(index / "store.sqlite") as conn:
        conn.execute("INSERT INTO passage_fts(passage_fts) VALUES ('integrity-check')")
        conn.execute("INSERT INTO title_fts(title_fts) VALUES ('integrity-check')")
    conn.close()
    assert len(store.sync()) == store.stats().passages
    store.close()
    leftovers = [p.name for p in index.iterdir() if not (p.name.startswith("store.sqlite") or p.suffix == ".faiss")]
    assert leftovers == []
    return len(held)


def test_sigkill_at_random_moments_never_loses_or_halves_a_document(tmp_path: Path, embedder) -> None:
    index = tmp_path / "index"
    rng = random.Random(11)
    acknowledged: set[str] = set()
    kills_while_adding = 0
    for round_no in range(22):
        src = write_round(tmp_path, round_no)
        proc = qa_index(index, src)
        lines: list[str] = []
        first_add = threading.Event()

        def read(p: subprocess.Popen[str] = proc, out: list[str] = lines, seen: threading.Event = first_add) -> None:
            assert p.stdout is not None
            for line in p.stdout:
                out.append(line)
                if line.startswith("added "):
                    seen.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        if round_no % 3 == 0:  # any moment: loading the model, reading the index, or writing
            time.sleep(rng.uniform(0.2, 6.0))
        else:  # while batches are being committed
            first_add.wait(timeout=120)
            time.sleep(rng.uniform(0.0, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        reader.join(timeout=60)
        added = {line.split()[1] for line in lines if line.startswith("added ")}
        kills_while_adding += bool(added) and proc.returncode == -signal.SIGKILL
        acknowledged |= added
        check_whole(index, embedder, acknowledged)
    assert kills_while_adding >= 10, "the kills should land while documents are being committed"
    # a rerun of every round completes the index: nothing is stuck
    proc = qa_index(index, *sorted(tmp_path.glob("round*.jsonl")))
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    total = check_whole(index, embedder, acknowledged)
    assert total == len(load_documents(sorted(tmp_path.glob("round*.jsonl"))))


def test_two_writers_started_together_end_with_the_union(tmp_path: Path, embedder) -> None:
    index = tmp_path / "index"
    a, b = write_round(tmp_path, 1, n=30), write_round(tmp_path, 2, n=30)
    procs = [qa_index(index, a), qa_index(index, b)]
    results = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, results):
        assert p.returncode == 0, err
    total = check_whole(index, embedder, set())
    assert total == 60
    # and two writers adding the SAME documents store each once
    procs = [qa_index(index, a, b), qa_index(index, b, a)]
    for p in procs:
        p.communicate(timeout=600)
        assert p.returncode == 0
    assert check_whole(index, embedder, set()) == 60
