"""Word tokens and the one English stop-word list, shared by keyword search, relevance and titles."""

from __future__ import annotations

import re

from bm25s.stopwords import STOPWORDS_EN

STOP_WORDS: frozenset[str] = frozenset(STOPWORDS_EN)  # what keyword search ignores
# Question and function words that keyword search keeps (changing that would change its rankings) but that
# name nothing: left out where a question's topic words are wanted (chat titles).
FUNCTION_WORDS: frozenset[str] = frozenset(
    "were been do does did has have had would can could should may might what which who whom whose why when "
    "where how those its them here about than so yes also just you your i my we our us me".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)


def bm25_tokens(text: str) -> list[str]:
    """Lower-cased word tokens without English stop words (the same for passages and queries)."""
    return [t for t in _WORD.findall(text.lower()) if t not in STOP_WORDS]
