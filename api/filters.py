"""The `filters` object of `POST /ask` and the chat endpoint, and the same as `GET /search` query parameters.

The schema says what each key takes (ISO dates, non-blank names and ids, `KEY:VALUE` pairs); `to_filter` then
makes the store's `index.filters.DocFilter` of it. A wrong part is a 422 that names it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    StringConstraints,
)

from index.filters import MAX_VALUE_CHARS, MAX_VALUES, DocFilter
from qa.pipeline import NOT_BLANK

Name = Annotated[StrictStr, StringConstraints(min_length=1, max_length=2 * MAX_VALUE_CHARS, pattern=NOT_BLANK)]


def _iso_text(value: object) -> object:
    """Only a "YYYY-MM-DD" string is a date here (pydantic alone also takes a number of seconds)."""
    if not isinstance(value, str | date):
        raise ValueError("a date must be a YYYY-MM-DD string")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_text)]
WHERE = r"^[^:]*[^\s\x1c-\x1f:][^:]*:"  # KEY:VALUE with a key that is not blank


class Filters(BaseModel):
    """Which documents may answer: every key optional, all given keys must hold."""

    model_config = ConfigDict(extra="forbid")
    since: IsoDate | None = Field(default=None, description="published on or after (YYYY-MM-DD)")
    until: IsoDate | None = Field(default=None, description="published on or before (YYYY-MM-DD)")
    sources: list[Name] | None = Field(
        default=None,
        max_length=MAX_VALUES,
        description="publication names (from the page, the feed or the record) or hosts of the documents' URLs",
    )
    documents: list[Name] | None = Field(default=None, max_length=MAX_VALUES, description="ids or external ids")
    meta: dict[Name, StrictStr | StrictInt | StrictFloat | StrictBool] | None = Field(
        default=None, max_length=MAX_VALUES, description="metadata KEY: VALUE pairs that must all hold (any case)"
    )

    def to_filter(self) -> DocFilter:
        """The store's filter."""
        return DocFilter.parse(self.model_dump(exclude_none=True, mode="json"))


def search_filter(
    since: date | None = Query(None, description="published on or after (YYYY-MM-DD)"),
    until: date | None = Query(None, description="published on or before (YYYY-MM-DD)"),
    source: list[Name] = Query([], description="a publication name or host (repeatable: any of them)"),
    doc: list[Name] = Query([], description="a document id or external id (repeatable: any of them)"),
    where: list[Annotated[str, StringConstraints(pattern=WHERE)]] = Query(
        [], description="KEY:VALUE metadata that must hold (repeatable: all of them)"
    ),
) -> DocFilter:
    """The filter of `GET /search`'s query parameters."""
    return DocFilter.from_args(
        since.isoformat() if since else None, until.isoformat() if until else None, source, doc, where, sep=":"
    )
