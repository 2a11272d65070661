"""docs/configuration.md is generated from the code, and every variable the settings read is documented."""

from __future__ import annotations

import re
from pathlib import Path

from qa.cli.reference import environment_table, markdown, variables_read

DOC = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"


def test_the_configuration_reference_is_what_the_code_says():
    assert DOC.read_text() == markdown(), "docs/configuration.md is stale: python -m qa.cli.reference > it"


def test_every_variable_read_is_in_the_table_and_every_row_is_read():
    documented = {v for row in environment_table() for v in re.findall(r"QA_[A-Z0-9_]+", row[0])}
    read = set(variables_read())
    assert read - documented == set(), "read by Settings.from_env but missing from qa/settings.py's table"
    assert documented - read == set(), "in qa/settings.py's table but never read"


def test_every_command_line_flag_has_a_help_text():
    from qa.cli.reference import command_flags

    missing = [(c, f) for c, f, _, text in command_flags() if not text.strip()]
    assert missing == []
