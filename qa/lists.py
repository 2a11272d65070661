"""List answers: questions that ask for every item the articles name (issue 4 fills this in)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa.answers import AskResponse

if TYPE_CHECKING:
    from qa.pipeline import QAPipeline


def is_list_question(question: str) -> bool:
    """True for questions that ask for several items ("Which countries ...", "List ...")."""
    return False


def answer_list(pipeline: QAPipeline, question: str, top_k: int) -> AskResponse:
    """A list response: items grouped across passages, each with stance and evidence."""
    raise NotImplementedError
