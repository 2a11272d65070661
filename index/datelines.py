"""News datelines ("KABUL, Afghanistan (CNN) -- ", "LONDON, Dec. 1 (Reuters) - ") recognised at ingest.

A dateline says where a story was filed, not what it is about: offered as an answer ("Which country …?" →
"KABUL, Afghanistan (CNN) --") it is wrong. The loaders cut it out of the text and keep it as metadata.
"""

from __future__ import annotations

import re

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_PLACE = r"[A-Z][A-Z.'’\-]+(?:\s+[A-Z][A-Z.'’\-]+){0,3}"  # KABUL, NEW YORK, ST. LOUIS (all capitals)
_REGION = r"(?:,\s*[A-Z][A-Za-z.'’\-]+(?:\s+[A-Z][A-Za-z.'’\-]+){0,2})?"  # , Afghanistan / , New Jersey
_DATE = rf"(?:,?\s*{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?)?"
_AGENCY = r"\((?:[A-Z][\w.&'’]*(?:\s+[\w.&'’]+){0,3})\)"  # (CNN), (AP), (Reuters), (CNN Student News)
_DASH = r"(?:--|—|–|\s-)"

_DATELINE = re.compile(
    rf"""\A\s*(?:
        {_PLACE}{_REGION}{_DATE}\s*(?:{_AGENCY}\s*)?{_DASH}   # KABUL, Afghanistan (CNN) --  /  LONDON —
      | {_AGENCY}\s*{_DASH}                                   # (CNN) --
    )\s*""",
    re.X,
)


def split_dateline(text: str) -> tuple[str, str]:
    """(dateline, rest of the text); the dateline is "" when the text does not start with one.

    Also looks past a first line that is a headline (short, no closing full stop), where web copies put it.
    """
    m = _DATELINE.match(text)
    if m and _looks_like_dateline(m.group(0)):
        return _tidy(m.group(0)), text[m.end() :]
    first, nl, rest = text.partition("\n")
    if nl and len(first) <= 150 and not first.rstrip().endswith((".", "!", "?")):
        m = _DATELINE.match(rest)
        if m and _looks_like_dateline(m.group(0)):
            return _tidy(m.group(0)), first + nl + rest[m.end() :]
    return "", text


def _looks_like_dateline(s: str) -> bool:
    """At least three capitals in a row (a place) or an agency in brackets: not a capitalised word and a dash."""
    return bool(re.search(r"[A-Z]{3,}|\([A-Z]", s)) and len(s) <= 90


def _tidy(s: str) -> str:
    return re.sub(r"\s*(?:--|—|–|-|:)\s*\Z", "", s.strip()).strip()
