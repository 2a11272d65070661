"""What is running: the package's version and the reader's, as `qa --version` and `GET /health` report them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

READER_VERSION_KEY = "version"  # in the reader's reader.json (compact form) or training.json (full weights)


def package_version() -> str:
    """The installed articleqa's version (from its metadata; `0+unknown` when it is not installed)."""
    try:
        return metadata.version("articleqa")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def reader_version(reader_dir: Path) -> str:
    """The reader's version as its folder records it (`reader.json`, else `training.json`), else `unversioned`."""
    for name in ("reader.json", "training.json"):
        f = reader_dir / name
        if f.is_file():
            try:
                value = json.loads(f.read_text()).get(READER_VERSION_KEY)
            except (OSError, ValueError, AttributeError):
                continue
            if isinstance(value, str) and value:
                return value
    return "unversioned"


def readers_version(reader_dirs: Sequence[Path]) -> str:
    """The versions of the readers that answer, joined: `fast + strong` for a cascade."""
    return " + ".join(reader_version(d) for d in reader_dirs) or "unversioned"


def version_line(reader_dirs: Sequence[Path]) -> str:
    """`articleqa X.Y.Z (reader R)`."""
    return f"articleqa {package_version()} (reader {readers_version(reader_dirs)})"
