"""Group mentions that name the same thing beyond what the alias table knows.

The alias table folds countries, demonyms, capitals and listed acronyms. Within one answer, two more rules
fold names the table cannot list:

- a person's shorter name that ends exactly one longer name: "Macron" -> "Emmanuel Macron", "de Wever" ->
  "Bart de Wever" ("Smith" stays apart when both "John Smith" and "Mary Smith" occur);
- an acronym made of a longer name's initials: "WSJ" -> "Wall Street Journal", "ACME" stays itself.
"""

from __future__ import annotations

import re


def initials(key: str) -> str:
    """Initials of a normalised multi-word key ("wall street journal" -> "wsj")."""
    words = [w for w in key.split() if w not in ("of", "the", "and", "for", "&")]
    return "".join(w[0] for w in words) if len(words) > 1 else ""


def fold_keys(keys: dict[str, str]) -> dict[str, str]:
    """Map each key (normalised name -> kind) to the key it folds into (itself if none)."""
    out = {k: k for k in keys}
    for k in keys:
        words = k.split()
        kind = keys[k]
        targets = []
        for longer in keys:
            if longer == k or keys[longer] != kind or len(longer.split()) <= len(words):
                continue
            if kind == "person" and longer.split()[-len(words) :] == words:
                targets.append(longer)
            elif re.fullmatch(r"[a-z]{2,6}", k) and initials(longer) == k:
                targets.append(longer)
        if len(set(targets)) == 1:  # "Smith" with both "John Smith" and "Mary Smith" stays unfolded
            out[k] = targets[0]
    # follow chains ("de wever" -> "bart de wever" -> itself)
    for k in out:
        seen = {k}
        while out[out[k]] != out[k] and out[k] not in seen:
            seen.add(out[k])
            out[k] = out[out[k]]
    return out
