"""The typed results of a question: retrieved passages, answer spans, list items, and the response.

These models are the JSON schema of `POST /ask` and `qa ask --json`. Every `start`/`end` is a
character offset into the document's text, and `document.text[start:end] == text` always holds.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PassageHit(BaseModel):
    """A retrieved passage with its fused retrieval score."""

    model_config = ConfigDict(strict=True)  # `false` is not an offset: what the schema says is what is accepted

    id: str
    document_id: str
    title: str
    text: str
    score: float
    start: int
    end: int
    date: str = Field(default="", description="the document's published date (ISO YYYY-MM-DD when known)")
    source: str = Field(default="", description="the document's publication (its name, else its URL's host)")
    page: int | None = Field(default=None, description="1-based page of a PDF where the passage starts")


class Answer(BaseModel):
    """An extractive answer: a span of a document, with the sentence it stands in as `context`."""

    model_config = ConfigDict(strict=True)  # `false` is not an offset: what the schema says is what is accepted

    text: str
    score: float = Field(description="calibrated confidence in [0, 1]; comparable across questions")
    document_id: str
    passage_id: str
    start: int
    end: int
    context: str = Field(description="the sentence holding the span")
    context_start: int = Field(description="document offset of `context`")
    context_end: int
    title: str = ""
    date: str = Field(default="", description="the document's published date (ISO YYYY-MM-DD when known)")
    source: str = Field(default="", description="the document's publication (its name, else its URL's host)")
    page: int | None = Field(default=None, description="1-based page of a PDF holding the answer")


Stance = Literal["affirmed", "conditional", "negated"]


class ListItem(BaseModel):
    """One item of a list answer (e.g. one country), with the spans that support it."""

    model_config = ConfigDict(strict=True)  # `false` is not an offset: what the schema says is what is accepted

    name: str
    stance: Stance
    score: float
    evidence: list[Answer]
    reason: str = ""


class AskResponse(BaseModel):
    """Everything the service says about one question."""

    model_config = ConfigDict(strict=True)  # `false` is not an offset: what the schema says is what is accepted

    question: str
    kind: Literal["single", "list", "none"] = "single"
    answers: list[Answer]
    items: list[ListItem] = Field(default_factory=list)
    excluded: list[ListItem] = Field(
        default_factory=list, description="items named in the evidence but not answering the question"
    )
    passages: list[PassageHit]
    notes: list[str] = Field(
        default_factory=list,
        description="what the service had to change to answer, e.g. a question cut to the length its models read",
    )
    rewritten_question: str | None = Field(
        default=None, description="the standalone question a follow-up was rewritten into"
    )
