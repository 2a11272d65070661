"""Group mentions that name the same thing beyond what the alias table knows.

The alias table folds countries, demonyms, capitals and listed acronyms. Within one answer, two more rules
fold names the table cannot list:

- a person's shorter name that ends exactly one longer name: "Macron" -> "Emmanuel Macron", "de Wever" ->
  "Bart de Wever" ("Smith" stays apart when both "John Smith" and "Mary Smith" occur);
- an acronym made of a longer name's initials: "WSJ" -> "Wall Street Journal", "ACME" stays itself;
- a person named with a title, by surname or through the country their title names is one item
  (`fold_entities`: "Venezuelan President Hugo Chavez", "Chavez", "Venezuela" -> Hugo Chavez).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def initials(key: str) -> str:
    """Initials of a normalised multi-word key ("wall street journal" -> "wsj")."""
    words = [w for w in key.split() if w not in ("of", "the", "and", "for", "&")]
    return "".join(w[0] for w in words) if len(words) > 1 else ""


def _ends_longer(name: list[str], words: list[str]) -> bool:
    """Whether the words of a person's `name` end in `words` and hold more ("isaac newton" ends in "newton")."""
    return len(name) > len(words) > 0 and name[-len(words) :] == words


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
            if kind == "person" and _ends_longer(longer.split(), words):
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


@dataclass(frozen=True)
class EntityName:
    """What one item's name says of its entity: the bare name of a person ("hugo chavez" of "Venezuelan
    President Hugo Chavez", normalised), or "" for anything else, and the country its words name ("venezuela")."""

    person: str = ""
    country: str = ""


def fold_entities(names: dict[str, EntityName], countries: set[str]) -> dict[str, str]:
    """Map each item key to the key of the entity it names (itself if no other): one person is one item
    whatever they are called, by title plus name (folded into the bare name's item), surname (into the one
    longer name it ends, `fold_keys`; also when the tagger did not take the surname alone for a person) or
    country (a country item folds into the one person item whose title names that country: "Venezuela"
    beside "Venezuelan President Hugo Chavez" is him, speaking for it).
    `countries` are the keys that are countries."""
    people = {n.person: n.person for n in names.values() if n.person}
    by_name = fold_keys(dict.fromkeys(people, "person"))
    entity = {k: by_name.get(n.person, k) if n.person else k for k, n in names.items()}
    for k in countries & set(names):
        persons = {entity[p] for p, n in names.items() if n.person and n.country == k}
        if len(persons) == 1:
            entity[k] = persons.pop()
    for k, n in names.items():  # a surname the tagger took for a place ("calculus by Newton and Leibniz")
        words = k.split()
        if n.person or k in countries or len(words) > 2:
            continue
        persons = {entity[p] for p, m in names.items() if _ends_longer(m.person.split(), words)}
        if len(persons) == 1:
            entity[k] = persons.pop()
    first: dict[str, str] = {}
    for k in names:  # each entity keeps the key of its first item
        first.setdefault(entity[k], k)
    return {k: first[entity[k]] for k in names}
