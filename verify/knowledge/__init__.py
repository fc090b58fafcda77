"""Topic knowledge as data: packs of JSON files loaded into one frozen ``Knowledge`` object.

A pack is a folder under ``verify/knowledge/`` (or any folder path) holding some of:

- ``entities.json``: canonical name -> ``{"type": <spaCy NER label>, "aliases": [...]}``, optionally with
  ``"contextual_aliases": [...]`` and ``"requires": regex``: aliases that name the entity only in a text
  matching ``requires`` ("the North" is North Korea only in articles about it)
- ``generic.json``: ``{"names": [...]}`` canonical names too common in a story to pair or compare on
- ``outlets.json``: outlet name -> ``{"aliases": [...], "domains": [...]}``
- ``anniversaries.json``: ``{"events": [[regex, "YYYY-MM-DD" or "YYYY"], ...]}`` exact events whose
  "Nth anniversary" dates an article
- ``commemorations.json``: ``{"honour_cues": regex, "events": {label: regex}}`` what a monument may be
  said to honour
- ``rewrites.json``: ``{"rewrites": [{"pattern", "replacement", "requires"}]}`` stand-alone rewrites
  ("the North" -> "North Korea") applied only in articles that match ``requires``
- ``descriptions.json``: ``{NER label: regex of nouns}`` definite descriptions ("the obelisk") that
  refer back to the last entity of that type

``default`` is language-general (countries, international outlets, description nouns); a story's pack
(``korea`` for the seed articles) is opt-in through the ``knowledge`` setting. Core code holds no topic
names: everything about a story is here, and ``Knowledge.digest`` goes into every cache key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from verify.errors import ConfigError
from verify.records import short_hash

FILES = ("entities.json", "generic.json", "outlets.json", "anniversaries.json", "commemorations.json",
         "rewrites.json", "descriptions.json")


@dataclass(frozen=True, slots=True)
class Rewrite:
    pattern: re.Pattern[str]
    replacement: str  # "{person}" stands for the article's main person
    requires: re.Pattern[str] | None  # the article must match this for the rewrite to apply


@dataclass(frozen=True, eq=False)
class Knowledge:
    """Everything the loaded packs know. Equal (and hashed) by ``digest``: the same data, the same object."""

    packs: tuple[str, ...]
    digest: str  # hash of every loaded data file: part of every cache key
    aliases: Mapping[str, str] = field(default_factory=dict)  # alias (case-sensitive) -> canonical name
    contextual: tuple[tuple[str, str, re.Pattern[str]], ...] = ()  # (alias, canonical, the context it needs)
    types: Mapping[str, str] = field(default_factory=dict)  # canonical name -> NER label
    generic: frozenset[str] = frozenset()
    outlets: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    anniversaries: Mapping[str, date | int] = field(default_factory=dict)  # event regex -> date or year
    honour_cues: re.Pattern[str] | None = None
    commemorations: Mapping[str, re.Pattern[str]] = field(default_factory=dict)
    rewrites: tuple[Rewrite, ...] = ()
    descriptions: Mapping[str, re.Pattern[str]] = field(default_factory=dict)  # NER label -> description nouns

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Knowledge) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def find(self, text: str, context: str | None = None) -> list[tuple[int, int, str]]:
        """(start, end, canonical) for every alias mention in ``text``, longest alias first. ``context`` (the
        whole article; default ``text``) decides which contextual aliases apply."""
        context = text if context is None else context
        active = tuple(i for i, (_, _, needs) in enumerate(self.contextual) if mentions(needs, context))
        table, pattern = _alias_table(self, active)
        if pattern is None:
            return []
        return [(m.start(), m.end(), table[m.group(0)]) for m in pattern.finditer(text)]


@lru_cache(maxsize=64)
def _alias_table(knowledge: Knowledge, active: tuple[int, ...]) -> tuple[dict[str, str], re.Pattern[str] | None]:
    """The alias table with the contextual aliases ``active`` names, and its pattern (longest alias first):
    built once per pack set and context, not for every sentence."""
    table = {**knowledge.aliases, **{knowledge.contextual[i][0]: knowledge.contextual[i][1] for i in active}}
    if not table:
        return table, None
    aliases = sorted(table, key=len, reverse=True)
    return table, re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(a) for a in aliases) + r")(?!\w)")


@lru_cache(maxsize=16)  # a few articles' texts at most (each up to the file cap)
def mentions(pattern: re.Pattern[str], text: str) -> bool:
    """Whether ``text`` (an article) matches a pack's ``requires`` pattern; remembered, because every sentence
    of the article asks again."""
    return pattern.search(text) is not None


def available_packs() -> list[str]:
    """The packs shipped with verify."""
    root = resources.files("verify.knowledge")
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def _pack_dir(name: str) -> Any:
    path = Path(name).expanduser()
    if ("/" in name or name.startswith(".")) and path.is_dir():
        return path
    root = resources.files("verify.knowledge")
    folder = root.joinpath(name)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not folder.is_dir():
        known = ", ".join(available_packs())
        raise ConfigError(f"unknown knowledge pack {name!r}; shipped packs: {known} (or give a folder path)")
    return folder


def _read(folder: Any, name: str, pack: str) -> Any:
    file = folder.joinpath(name)
    if not file.is_file():
        return None
    text = file.read_text(encoding="utf-8")
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise ConfigError(f"knowledge pack {pack!r}: {name} is not valid JSON ({exc.msg}, line {exc.lineno})") from None


def _compile(regex: str, pack: str, where: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(regex, flags)
    except re.error as exc:
        raise ConfigError(f"knowledge pack {pack!r}: bad regex in {where}: {exc}") from None


def _event_date(value: str, pack: str) -> date | int:
    try:
        return int(value) if re.fullmatch(r"\d{4}", value) else date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"knowledge pack {pack!r}: anniversary date {value!r} is not YYYY or YYYY-MM-DD") from None


@lru_cache(maxsize=16)
def load_knowledge(packs: Sequence[str] = ("default",)) -> Knowledge:
    """Merge the named packs in order (later packs add aliases and tables; a later type wins)."""
    packs = tuple(packs)
    aliases: dict[str, str] = {}
    contextual: list[tuple[str, str, re.Pattern[str]]] = []
    types: dict[str, str] = {}
    generic: set[str] = set()
    outlets: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    anniversaries: dict[str, date | int] = {}
    commemorations: dict[str, re.Pattern[str]] = {}
    cues: list[str] = []
    rewrites: list[Rewrite] = []
    descriptions: dict[str, re.Pattern[str]] = {}
    texts: list[str] = []
    for pack in packs:
        folder = _pack_dir(pack)
        loaded = {name: _read(folder, name, pack) for name in FILES}
        texts += [pack] + [f"{name}\0{found[1]}" for name, found in loaded.items() if found]
        data = {name: found[0] for name, found in loaded.items() if found}
        for canonical, spec in data.get("entities.json", {}).items():
            if canonical.startswith("_"):
                continue
            types[canonical] = spec.get("type", "")
            for alias in (canonical, *spec.get("aliases", ())):
                aliases[alias] = canonical
            if spec.get("contextual_aliases"):
                if not spec.get("requires"):
                    raise ConfigError(f"knowledge pack {pack!r}: {canonical}'s contextual_aliases need 'requires'")
                needs = _compile(spec["requires"], pack, "entities.json")
                contextual += [(alias, canonical, needs) for alias in spec["contextual_aliases"]]
        generic |= set(data.get("generic.json", {}).get("names", ()))
        for name, spec in data.get("outlets.json", {}).items():
            if not name.startswith("_"):
                outlets[name] = (tuple(spec.get("aliases", ())), tuple(spec.get("domains", ())))
        for regex, when in data.get("anniversaries.json", {}).get("events", ()):
            _compile(regex, pack, "anniversaries.json", re.IGNORECASE)
            anniversaries[regex] = _event_date(when, pack)
        spec = data.get("commemorations.json", {})
        if spec.get("honour_cues"):
            cues.append(spec["honour_cues"])
        for label, regex in spec.get("events", {}).items():
            commemorations[label] = _compile(regex, pack, "commemorations.json")
        for rule in data.get("rewrites.json", {}).get("rewrites", ()):
            requires = rule.get("requires")
            rewrites.append(Rewrite(_compile(rule["pattern"], pack, "rewrites.json"), rule["replacement"],
                                    _compile(requires, pack, "rewrites.json") if requires else None))
        for label, regex in data.get("descriptions.json", {}).items():
            if not label.startswith("_"):
                descriptions[label] = _compile(regex, pack, "descriptions.json")
    honour = _compile("|".join(f"(?:{c})" for c in cues), "+".join(packs), "honour_cues", re.IGNORECASE) if cues else None
    return Knowledge(
        packs=packs, digest=short_hash(*texts), aliases=aliases, contextual=tuple(contextual), types=types, generic=frozenset(generic),
        outlets=outlets, anniversaries=anniversaries, honour_cues=honour, commemorations=commemorations,
        rewrites=tuple(rewrites), descriptions=descriptions,
    )


def default_knowledge() -> Knowledge:
    return load_knowledge(("default",))
