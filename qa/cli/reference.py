"""The configuration reference (`docs/configuration.md`), generated from the code so that it cannot go stale.

Environment variables come from the table in `qa.settings`' docstring (the one place they are described),
each with the `Settings` field `from_env` reads it into; command-line flags come from the `qa` parser itself
and from `qa train-reader`'s (`TrainConfig`). `python -m qa.cli.reference > docs/configuration.md` writes it;
a test fails when the file differs from what this prints, or when `from_env` reads a variable the table lacks.
"""

from __future__ import annotations

import argparse
import inspect
import re

HEADER = """# Configuration

Every environment variable and command-line flag, generated from the code by `python -m qa.cli.reference >
docs/configuration.md` (`tests/qa/cli/test_reference.py` fails when this file is stale). Settings are read once,
at the edge: `Settings.from_env()` in `qa/settings.py` for the service and the CLI; a flag given on the command
line wins over the variable.
"""


def environment_table() -> list[tuple[str, str, str]]:
    """(variable(s), default, meaning) rows of the table in `qa.settings`' docstring."""
    import qa.settings

    rows = []
    for line in (qa.settings.__doc__ or "").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`QA_"):
            rows.append((cells[0], cells[1], cells[2]))
    return rows


def variables_read() -> dict[str, str]:
    """Each `QA_*` variable `Settings.from_env` reads, with the field it sets."""
    import qa.settings
    from qa.settings import Settings

    source = inspect.getsource(Settings.from_env)
    out: dict[str, str] = {}
    field = ""
    for line in source.splitlines():
        m = re.match(r"\s*(\w+)=", line)
        if m:
            field = m.group(1) if m.group(1) in Settings.__dataclass_fields__ else ""
        names = re.findall(r'"(QA_[A-Z0-9_]+)"', line)
        for helper in re.findall(r"\b(_\w+)\(env\)", line):  # a helper that reads its own variable
            names += re.findall(r'"(QA_[A-Z0-9_]+)"', inspect.getsource(getattr(qa.settings, helper)))
        for var in names:
            out.setdefault(var, field)
    return out


def _flags(parser: argparse.ArgumentParser) -> list[tuple[str, str, str]]:
    rows = []
    for a in parser._actions:
        if isinstance(a, argparse._HelpAction) or isinstance(a, argparse._SubParsersAction):
            continue
        name = ", ".join(a.option_strings) or a.dest
        unset = a.default is None or a.default is False or a.default == "" or a.default == argparse.SUPPRESS
        default = "" if unset or not a.option_strings else str(a.default)
        choices = f" ({', '.join(map(str, a.choices))})" if a.choices else ""
        rows.append((name, default, (a.help or "") + choices))
    return rows


def command_flags() -> list[tuple[str, str, str, str]]:
    """(command, flag, default, help) for every `qa` subcommand and `qa train-reader`."""
    from qa.cli.main import build_parser
    from qa.offline.train import build_parser as train_parser

    rows = []
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for command, p in sub.choices.items():
        if command == "train-reader":
            p = train_parser()
        rows += [(command, *r) for r in _flags(p)]
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown() -> str:
    """The whole of `docs/configuration.md`."""
    read = variables_read()
    lines = [HEADER, "## Environment variables", "", "| variable | default | what it does | read into |"]
    lines.append("|---|---|---|---|")
    for var, default, meaning in environment_table():
        fields = sorted({read[v] for v in re.findall(r"QA_[A-Z0-9_]+", var) if read.get(v)})
        where = ", ".join(f"`Settings.{f}`" for f in fields) or "—"
        lines.append(f"| {var} | {default} | {meaning} | {where} |")
    lines += ["", "## Command-line flags", "", "| command | flag | default | what it does |", "|---|---|---|---|"]
    for command, flag, default, text in command_flags():
        shown = f"`{_cell(default)}`" if default else ""
        lines.append(f"| `qa {command}` | `{_cell(flag)}` | {shown} | {_cell(text)} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
