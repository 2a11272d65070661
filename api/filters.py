"""The `filters` object of `POST /ask` and the chat endpoint, and the same as `GET /search` query parameters.

Its schema says what each key takes; `to_filter` then applies `index.filters.DocFilter.parse`, whose errors
(a date that is no date, `since` after `until`) become a 422 naming the part that is wrong.
"""

from __future__ import annotations

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from index.filters import MAX_VALUES, DocFilter

DATE = r"^\d{4}-\d{2}-\d{2}$"


class Filters(BaseModel):
    """Which documents may answer: every key optional, all given keys must hold."""

    model_config = ConfigDict(extra="forbid")
    since: str | None = Field(default=None, pattern=DATE, description="published on or after (YYYY-MM-DD)")
    until: str | None = Field(default=None, pattern=DATE, description="published on or before (YYYY-MM-DD)")
    sources: list[StrictStr] | None = Field(
        default=None,
        max_length=MAX_VALUES,
        description="publication names (from the page, the feed or the record) or hosts of the documents' URLs",
    )
    documents: list[StrictStr] | None = Field(default=None, max_length=MAX_VALUES, description="ids or external ids")
    meta: dict[str, StrictStr | StrictInt | StrictFloat | StrictBool] | None = Field(
        default=None, description="metadata KEY: VALUE pairs that must all hold (case-insensitive)"
    )

    def to_filter(self) -> DocFilter:
        """The store's filter (a `FilterError`, answered 422, when a part is wrong)."""
        return DocFilter.parse(self.model_dump(exclude_none=True))


def search_filter(
    since: str | None = Query(None, description="published on or after (YYYY-MM-DD)"),
    until: str | None = Query(None, description="published on or before (YYYY-MM-DD)"),
    source: list[str] = Query([], description="a publication name or host (repeatable: any of them)"),
    doc: list[str] = Query([], description="a document id or external id (repeatable: any of them)"),
    where: list[str] = Query([], description="KEY:VALUE metadata that must hold (repeatable: all of them)"),
) -> DocFilter:
    """The filter of `GET /search`'s query parameters."""
    return DocFilter.from_args(since, until, source, doc, where, sep=":")
