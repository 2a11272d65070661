"""Document filters: which documents a question may be answered from (published date, source, ids, metadata).

A `DocFilter` is parsed once at the edge (`DocFilter.parse`, a `FilterError` naming the part that is wrong)
and handed to the store, which applies it inside retrieval (SQL and a FAISS id selector on SQLite, a boolean
expression on Milvus), so a filter that leaves ten passages still ranks the best of those ten. Every key is
optional and all given keys must hold, as in Haystack's filters and Milvus's expressions.

A document's facets are derived here, once, for both stores: its published date as ISO `YYYY-MM-DD`, the
names of its source (the publication's name from the page, the feed or the record, and the host of its URL),
and its metadata values as lower-case strings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

FILTER_KEYS = ("since", "until", "sources", "documents", "meta")
SOURCE_KEYS = ("site", "sitename", "publisher", "source")  # metadata keys that name the publication
MAX_VALUES = 1000  # ids, sources or metadata pairs in one filter
MAX_VALUE_CHARS = 512
_ISO = re.compile(r"\A(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?\Z")
_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y", "%d %b %Y", "%Y/%m/%d", "%d.%m.%Y", "%Y%m%d")


class FilterError(ValueError):
    """A filter the user got wrong; the message names the part (`filters.since: ...`)."""


def published_date(value: object) -> str:
    """`value` as an ISO date `YYYY-MM-DD` ('' when it is no date): ISO dates and times, RFC 2822 (feeds) and
    the usual written forms ("March 5, 2024", "5 March 2024")."""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if not isinstance(value, str):
        return ""
    s = " ".join(value.split())
    m = _ISO.match(s)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        except ValueError:
            return ""
    try:
        return parsedate_to_datetime(s).date().isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in _FORMATS:
        try:
            return datetime.strptime(s, fmt).date().isoformat()
        except ValueError:
            continue
    return ""


def url_host(url: str) -> str:
    """The host of a URL, lower case, without a leading `www.` ('' when there is none)."""
    try:
        host = (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def norm(value: object) -> str:
    """A value as filters compare it: a string, white space collapsed, lower case."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return " ".join(text.split()).lower()


def source_names(url: str, meta: Mapping[str, Any]) -> list[str]:
    """The names a `sources` filter finds a document by: its publication's name(s) and its URL's host."""
    names = [norm(meta[k]) for k in SOURCE_KEYS if isinstance(meta.get(k), str) and meta[k].strip()]
    host = url_host(url) if url else ""
    return list(dict.fromkeys(n for n in [*names, host] if n))


def display_source(url: str, meta: Mapping[str, Any]) -> str:
    """The source as answers show it: the publication's name as given, else its URL's host ('' for none)."""
    for k in SOURCE_KEYS:
        v = meta.get(k)
        if isinstance(v, str) and v.strip():
            return " ".join(v.split())
    return url_host(url) if url else ""


def facets(meta: Mapping[str, Any]) -> dict[str, list[str]]:
    """Metadata as `meta` filters match it: lower-case key -> lower-case string values (a list's elements)."""
    out: dict[str, list[str]] = {}
    for k, v in meta.items():
        values = v if isinstance(v, list) else [v]
        got = [norm(x) for x in values if isinstance(x, str | int | float | bool) and len(str(x)) <= MAX_VALUE_CHARS]
        if got:
            out.setdefault(norm(k), []).extend(got)
    return out


@dataclass(frozen=True)
class DocFilter:
    """Documents allowed to answer: published in [since, until] (inclusive ISO dates), from one of `sources`,
    one of `documents` (ids or external ids), with every `meta` (key, value) pair. Empty parts allow all."""

    since: str = ""
    until: str = ""
    sources: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    meta: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.since or self.until or self.sources or self.documents or self.meta)

    @classmethod
    def parse(cls, obj: object, where: str = "filters") -> DocFilter:
        """A filter from its JSON form; a `FilterError` naming the wrong part (`where.since`, or `since` when
        `where` is '')."""
        if obj is None:
            return cls()
        at = f"{where}." if where else ""
        if not isinstance(obj, Mapping):
            raise FilterError(f"{where} must be an object with keys {', '.join(FILTER_KEYS)}")
        unknown = [k for k in obj if k not in FILTER_KEYS]
        if unknown:
            raise FilterError(f"{at}{unknown[0]}: unknown filter key (known: {', '.join(FILTER_KEYS)})")
        since, until = (_date_arg(obj.get(k), f"{at}{k}") for k in ("since", "until"))  # since > until: none
        meta = obj.get("meta") or {}
        if not isinstance(meta, Mapping):
            raise FilterError(f"{at}meta must be an object of KEY: VALUE pairs")
        pairs = []
        for k, v in meta.items():
            if not isinstance(v, str | int | float | bool) or not str(k).strip():
                raise FilterError(f"{at}meta.{k}: a value must be a string, number or boolean")
            pairs.append((norm(k), norm(v)))
        return cls(
            since=since,
            until=until,
            sources=_strings(obj.get("sources"), f"{at}sources", lower=True),
            documents=_strings(obj.get("documents"), f"{at}documents", lower=False),
            meta=tuple(_bounded(pairs, f"{at}meta")),
        )

    @classmethod
    def from_args(
        cls,
        since: str | None = None,
        until: str | None = None,
        sources: Iterable[str] = (),
        documents: Iterable[str] = (),
        where: Iterable[str] = (),
        sep: str = ":",
    ) -> DocFilter:
        """A filter from query parameters or command-line options (`where`: `KEY{sep}VALUE` strings)."""
        meta: dict[str, str] = {}
        for w in where:
            k, found, v = w.partition(sep)
            if not found or not k.strip():
                raise FilterError(f"where: {w!r} is not KEY{sep}VALUE")
            meta[k.strip()] = v.strip()
        return cls.parse(
            {"since": since or None, "until": until or None, "sources": list(sources), "documents": list(documents),
             "meta": meta},
            where="",
        )  # fmt: skip

    def to_json(self) -> str:
        """A canonical JSON form (the key SQLite's matching function caches the parsed filter under)."""
        return json.dumps([self.since, self.until, self.sources, self.documents, self.meta])

    def describe(self) -> str:
        """The filter in a few words, for notes ("since 2024-03-01, sources reuters")."""
        parts = []
        if self.since:
            parts.append(f"since {self.since}")
        if self.until:
            parts.append(f"until {self.until}")
        if self.sources:
            parts.append(f"sources {', '.join(self.sources)}")
        if self.documents:
            parts.append(f"documents {', '.join(self.documents)}")
        parts += [f"{k}={v}" for k, v in self.meta]
        return "; ".join(parts)

    def matches(self, doc_id: str, external_id: str, date_: str, url: str, meta: Mapping[str, Any]) -> bool:
        """Whether a document with these fields passes (the reference the stores' queries agree with)."""
        if self.documents and doc_id not in self.documents and (external_id or "") not in self.documents:
            return False
        if self.since or self.until:
            d = published_date(date_)
            if not d or (self.since and d < self.since) or (self.until and d > self.until):
                return False
        if self.sources and not set(self.sources) & set(source_names(url, meta)):
            return False
        if self.meta:
            f = facets(meta)
            if not all(v in f.get(k, ()) for k, v in self.meta):
                return False
        return True


@lru_cache(maxsize=256)
def from_json(text: str) -> DocFilter:
    """The filter `DocFilter.to_json` wrote (cached: SQLite calls the matcher once per document)."""
    since, until, sources, documents, meta = json.loads(text)
    return DocFilter(since, until, tuple(sources), tuple(documents), tuple((k, v) for k, v in meta))


def _date_arg(value: object, where: str) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise FilterError(f"{where}: {value!r} is not a date (use YYYY-MM-DD)")
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise FilterError(f"{where}: {value!r} is not a date (use YYYY-MM-DD)") from None


def _strings(value: object, where: str, lower: bool) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise FilterError(f"{where} must be a list of non-empty strings")
    out = [(url_host(v) or norm(v)) if lower and "://" in v else (norm(v) if lower else v.strip()) for v in value]
    if lower:
        out = [v[4:] if v.startswith("www.") else v for v in out]
    return tuple(_bounded(list(dict.fromkeys(out)), where))


def _bounded(values: list, where: str) -> list:
    if len(values) > MAX_VALUES:
        raise FilterError(f"{where}: at most {MAX_VALUES} values (got {len(values)})")
    if any(len(str(v)) > 2 * MAX_VALUE_CHARS for v in values):
        raise FilterError(f"{where}: a value is longer than {2 * MAX_VALUE_CHARS} characters")
    return values
