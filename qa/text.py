"""Answer text normalisation (the official SQuAD rule): the one key for comparing and merging answers."""

from __future__ import annotations

import re
import string

_DROP_PUNCT = str.maketrans("", "", string.punctuation)


def normalize_answer(s: str) -> str:
    """Lower-case, drop punctuation, articles and extra white space (official SQuAD normalisation)."""
    s = s.lower().translate(_DROP_PUNCT)
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())
