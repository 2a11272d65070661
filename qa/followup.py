"""Follow-up questions: rewrite "And Sweden?" into a standalone question from the earlier turns.

(First version: questions pass through unchanged; issue 5 fills this in.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Turn = Any  # a mapping or object with `role` and `content`


def rewrite_followup(question: str, history: Sequence[Turn]) -> str:
    """The standalone form of `question` given earlier turns (oldest first)."""
    return question
