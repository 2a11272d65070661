"""The `qa` command line (`main`): parsing and commands in `main.py`, text rendering in `render.py`."""

from qa.cli.main import main

__all__ = ["main"]
