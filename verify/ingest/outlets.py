"""Which outlet published an article: names, aliases and web domains looked up in the knowledge packs.

Outlet names, aliases and domains are data (``verify/knowledge/*/outlets.json``). A publisher's name is not
story knowledge, so every shipped pack's outlets are recognised, whatever packs the settings name.
``infer_source`` guesses the outlet of an article without metadata from cues in its text; cleaning uses
``canonical_outlet`` to drop masthead lines.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from verify.knowledge import available_packs, load_knowledge

__all__ = ["canonical_outlet", "infer_source", "outlet_for_domain", "outlet_for_url", "outlets_digest"]

_SOURCE_LINE = re.compile(r"^[ \t]*source[ \t]*:[ \t]*(\S.*?)[ \t]*$", re.I | re.M)
_URL = re.compile(r"https?://([^/\s\"'<>]+)", re.I)
_NAME = r"(?P<name>(?:The )?[A-Z][\w&'.-]*(?: [A-Z][\w&'.-]*){0,4})"
_OUTLET_MENTIONS = [
    re.compile(_NAME + r" (?:is|are) (?:trusted by|on the ground when)"),
    re.compile(r"(?:©|\(c\)|copyright)\s*(?:©|\(c\))?\s*(?:\d{4}\s*)?" + _NAME, re.I),
]
MASTHEAD_MAX_CHARS = 60  # a line this short that names an outlet is a masthead


def infer_source(raw: str, path: Path) -> str:
    """Guess the outlet from text cues: a "Source:" line, a masthead line, an outlet named in
    boilerplate ("The Independent is trusted by ..."), a URL's domain; else the file stem."""
    for match in _SOURCE_LINE.finditer(raw):
        name = match.group(1).strip().rstrip(".")
        if name:
            return canonical_outlet(name) or name
    head = [line.strip() for line in raw.splitlines() if line.strip()][:5]
    for line in head:
        if len(line) <= MASTHEAD_MAX_CHARS and (name := canonical_outlet(line)):
            return name
    for pattern in _OUTLET_MENTIONS:
        for match in pattern.finditer(raw):
            name = match.group("name").strip().rstrip(".")
            if known := canonical_outlet(name):
                return known
            if pattern is _OUTLET_MENTIONS[0]:
                return name
    if match := _URL.search(raw):
        return outlet_for_domain(match.group(1))
    return path.stem


def canonical_outlet(name: str) -> str | None:
    """Canonical outlet for a name or alias ("The Star Malaysia" -> "The Star (Malaysia)")."""
    return _outlet_tables()[0].get(_alias_key(name))


def outlet_for_domain(domain: str) -> str:
    """Outlet for a web domain, or the bare domain ("www.example.com" -> "example.com")."""
    domain = domain.lower().split(":")[0].removeprefix("www.")
    for known, outlet in _outlet_tables()[1].items():
        if domain == known or domain.endswith("." + known):
            return outlet
    return domain


def outlet_for_url(url: str) -> str | None:
    """Outlet for the domain of a URL that starts with http(s)://; None for anything else."""
    match = _URL.match(url)
    return outlet_for_domain(match.group(1)) if match else None


def _alias_key(name: str) -> str:
    key = re.sub(r"[^\w ]+", " ", name.lower())
    key = " ".join(key.split())
    return key.removeprefix("the ")


def outlets_digest() -> str:
    """The digest of the packs the outlet tables come from (every shipped pack): part of the ingest cache's key."""
    return load_knowledge(tuple(available_packs())).digest


@functools.cache
def _outlet_tables() -> tuple[dict[str, str], dict[str, str]]:
    """(alias key -> outlet, domain -> outlet) from the shipped packs."""
    outlets = load_knowledge(tuple(available_packs())).outlets
    aliases = {_alias_key(alias): outlet for outlet, (names, _) in outlets.items() for alias in (outlet, *names)}
    domains = {domain: outlet for outlet, (_, names) in outlets.items() for domain in names}
    return aliases, domains
