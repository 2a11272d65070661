"""Names that denote the same thing: normalisation plus an extendable alias and demonym table.

List answers group spans such as "Britain", "the UK", "British" and "London" into one item. The table lives in
`qa/data/aliases.json` (countries with aliases, demonyms and capitals; other entities with aliases) so that a
reader of the code can add an entry without touching Python. A capital folds into its country only when a
question asks for countries ("London" answers "which cities" as London).
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DATA_PATH = Path(__file__).resolve().parent / "data" / "aliases.json"

_ARTICLES = re.compile(r"^(the|a|an)\s+", re.I)
_POSSESSIVE = re.compile(r"(['’ʼ]s|['’ʼ])$")
_PUNCT = re.compile(r"[^\w\s&+-]")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=65536)
def normalise(name: str) -> str:
    """Case-, accent-, article- and punctuation-insensitive key: "The U.K.'s" -> "uk"."""
    s = unicodedata.normalize("NFKD", name.strip())
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = _POSSESSIVE.sub("", s.strip())
    s = _ARTICLES.sub("", s.strip())
    s = _PUNCT.sub("", s)
    s = s.replace("-", " ")
    return _SPACES.sub(" ", s).strip().lower()


def is_acronym(name: str) -> bool:
    """Upper-case short forms ("UK", "WHO", "U.S.") match only with their own case ("who" is a question word)."""
    letters = [c for c in name if c.isalpha()]
    return 1 < len(letters) <= 6 and all(c.isupper() for c in letters)


@dataclass(frozen=True)
class Resolved:
    """What a surface name resolves to: the canonical name and how it matched."""

    name: str
    kind: str  # "country" | "entity"
    via: str  # "name" | "alias" | "demonym" | "capital"


@dataclass
class AliasTable:
    """Lookup from normalised surface names to canonical names, built from `aliases.json`."""

    countries: dict[str, Resolved] = field(default_factory=dict)
    capitals: dict[str, Resolved] = field(default_factory=dict)
    entities: dict[str, Resolved] = field(default_factory=dict)
    acronyms: dict[str, Resolved] = field(default_factory=dict)
    country_names: set[str] = field(default_factory=set)
    max_words: int = 1

    @classmethod
    def from_dict(cls, data: dict) -> AliasTable:
        """The table from the `aliases.json` layout: countries (aliases, demonyms, capitals) and entities."""
        t = cls()
        for c in data.get("countries", []):
            name = c["name"]
            t.country_names.add(name)
            t._add(t.countries, name, Resolved(name, "country", "name"))
            for a in c.get("aliases", []):
                t._add(t.countries, a, Resolved(name, "country", "alias"))
            for d in c.get("demonyms", []):
                t._add(t.countries, d, Resolved(name, "country", "demonym"))
            for cap in c.get("capitals", []):
                t._add(t.capitals, cap, Resolved(name, "country", "capital"))
        for e in data.get("entities", []):
            name = e["name"]
            t._add(t.entities, name, Resolved(name, "entity", "name"))
            for a in e.get("aliases", []):
                t._add(t.entities, a, Resolved(name, "entity", "alias"))
        return t

    def _add(self, table: dict[str, Resolved], surface: str, value: Resolved) -> None:
        if is_acronym(surface):
            self.acronyms[re.sub(r"[^A-Za-z]", "", surface)] = value
            return
        key = normalise(surface)
        if key:
            table.setdefault(key, value)
            self.max_words = max(self.max_words, len(key.split()))

    def _get(self, table: dict[str, Resolved], surface: str) -> Resolved | None:
        key = normalise(surface)
        if key in table:
            return table[key]
        for suffix in ("s", "es"):  # plural demonyms: "Germans", "Danes"
            if key.endswith(suffix) and key[: -len(suffix)] in table:
                hit = table[key[: -len(suffix)]]
                if hit.via == "demonym":
                    return hit
        return None

    def _acronym(self, surface: str) -> Resolved | None:
        s = _POSSESSIVE.sub("", _ARTICLES.sub("", surface.strip()))
        if not is_acronym(s):
            return None
        return self.acronyms.get(re.sub(r"[^A-Za-z]", "", s))

    def country(self, surface: str, capitals: bool = True) -> Resolved | None:
        """The country a name, alias, demonym or (if `capitals`) capital stands for, else None."""
        hit = self._acronym(surface)
        if hit is not None:
            return hit if hit.kind == "country" else None
        hit = self._get(self.countries, surface)
        if hit is None and capitals:
            hit = self._get(self.capitals, surface)
        return hit

    def is_capital(self, surface: str) -> bool:
        """True when `surface` is a capital listed in the table."""
        return self._get(self.capitals, surface) is not None

    def entity(self, surface: str) -> Resolved | None:
        """A non-country entity ("EU" -> European Union), else None."""
        hit = self._acronym(surface)
        if hit is not None:
            return hit if hit.kind == "entity" else None
        return self._get(self.entities, surface)

    def canonical(self, surface: str, want_countries: bool) -> str | None:
        """The table's name for `surface` (capitals fold into countries only when `want_countries`)."""
        hit = self.country(surface, capitals=want_countries) or self.entity(surface)
        return hit.name if hit else None

    def match_keys(self, surface: str) -> set[str]:
        """The normalised forms `surface` is known by: itself and the table's name for it ("UK" ->
        {"uk", "united kingdom"}). Two names denote the same thing when their keys meet."""
        return {normalise(surface), normalise(self.canonical(surface, want_countries=True) or "")} - {""}


@lru_cache(maxsize=4)
def load_aliases(path: str | Path = DATA_PATH) -> AliasTable:
    """The alias table (cached per path)."""
    return AliasTable.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
