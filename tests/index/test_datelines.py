"""News datelines are recognised at ingest, kept as metadata and never left in the text."""

from __future__ import annotations

import json

import pytest

from index.datelines import split_dateline
from index.documents import load_file


@pytest.mark.parametrize(
    ("text", "dateline", "rest"),
    [
        ("KABUL, Afghanistan (CNN) -- The Taliban said", "KABUL, Afghanistan (CNN)", "The Taliban said"),
        ("(CNN) -- A man was arrested.", "(CNN)", "A man was arrested."),
        ("LONDON, Dec. 1 (Reuters) - Britain said", "LONDON, Dec. 1 (Reuters)", "Britain said"),
        ("NEW YORK (AP) — Stocks fell", "NEW YORK (AP)", "Stocks fell"),
        ("WASHINGTON — The president", "WASHINGTON", "The president"),
        ("Storm hits coast\nMIAMI, Florida (CNN) -- The storm", "MIAMI, Florida (CNN)", "Storm hits coast\nThe storm"),
    ],
)
def test_datelines_are_split_off(text, dateline, rest):
    assert split_dateline(text) == (dateline, rest)


@pytest.mark.parametrize(
    "text",
    [
        "Britain and France struggle to convince allies.",
        "The US - and others - disagreed.",
        "Paris - The French capital.",
        "NATO said on Monday - that it would",
        "UN: peacekeepers needed",
    ],
)
def test_ordinary_openings_are_left_alone(text):
    assert split_dateline(text) == ("", text)


def test_loaders_keep_the_dateline_as_metadata(tmp_path):
    f = tmp_path / "story.txt"
    f.write_text("KABUL, Afghanistan (CNN) -- Taliban fighters attacked a base in Helmand province.")
    (doc,) = load_file(f)
    assert doc.dateline == "KABUL, Afghanistan (CNN)"
    assert doc.text == "Taliban fighters attacked a base in Helmand province."
    j = tmp_path / "stories.jsonl"
    j.write_text(json.dumps({"title": "t", "text": "LONDON (Reuters) - Prices rose."}) + "\n")
    (doc,) = load_file(j)
    assert (doc.dateline, doc.text) == ("LONDON (Reuters)", "Prices rose.")
