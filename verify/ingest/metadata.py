"""Article metadata: sidecar files, Markdown front matter, the keys verify uses, and dates.

Metadata comes from a ``NAME.meta.json`` / ``NAME.json`` sidecar, a ``.md`` file's YAML front matter,
an HTML page's tags or a ``.jsonl`` record; ``pick_meta`` keeps ``source``, ``title``, ``date`` and
``url``. Front matter is parsed without aliases, custom tags, timestamps or deep nesting. ``iso_date``
reads a metadata date; an article without one gets a date inferred from its text
(``with_inferred_date``), and ``override_dates`` applies the command line's ``--date``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from verify.errors import InputError
from verify.extract.timeinfo import infer_article_date
from verify.ingest.files import SkipFile, Warn, excerpt, os_message, read_bounded, scrub_surrogates, shown_path
from verify.knowledge import Knowledge
from verify.records import Article

__all__ = ["MAX_YEAR", "MIN_YEAR", "front_matter", "is_sidecar", "iso_date", "override_dates", "pick_meta",
           "read_sidecar", "with_inferred_date"]

META_KEYS: tuple[str, ...] = ("source", "title", "date", "url")
SIDECAR_PARTNERS: tuple[str, ...] = (".txt", ".md", ".html", ".htm")  # files a sidecar may describe
MAX_FRONT_MATTER_BYTES = 64_000  # YAML front matter of a .md file, and a sidecar file
MAX_YAML_DEPTH = 16  # nesting of front matter (metadata is flat; deep nesting is an attack)
MAX_META_CHARS = 2_000  # a metadata string (source, title, date, url) longer than this is cut
MIN_YEAR, MAX_YEAR = 1000, 2999  # an article date outside this range is ignored (year 1 breaks date arithmetic)

_DATE_FORMATS = ("%Y/%m/%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%b. %d, %Y")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)


# --------------------------------------------------------------------------------------------
# Metadata keys, sidecars, front matter
# --------------------------------------------------------------------------------------------


def pick_meta(data: Mapping[str, Any], where: str, warn: Warn) -> dict[str, Any]:
    """The metadata keys verify uses; strings lose lone surrogates and are cut at MAX_META_CHARS."""
    picked: dict[str, Any] = {}
    for key in META_KEYS:
        value = data.get(key)
        if value in (None, ""):
            continue
        if isinstance(value, str):
            value = scrub_surrogates(value)
            if len(value) > MAX_META_CHARS:
                warn(f"{where}: metadata {key!r} is {len(value):,} characters long, cut to {MAX_META_CHARS:,}")
                value = value[:MAX_META_CHARS]
        picked[key] = value
    return picked


def is_sidecar(path: Path) -> bool:
    """``path`` is the metadata of an article file beside it (``a.meta.json`` or ``a.json`` for ``a.txt``)."""
    name = path.name
    if name.lower().endswith(".meta.json"):
        stem = name[: -len(".meta.json")]
    elif path.suffix.lower() == ".json":
        stem = path.stem
    else:
        return False
    return any(path.with_name(stem + suffix).exists() for suffix in SIDECAR_PARTNERS)


def read_sidecar(path: Path, warn: Warn) -> dict[str, Any]:
    """The metadata in the sidecar of article file ``path`` ({} when none; a bad one is reported and ignored)."""
    for candidate in (path.with_name(path.stem + ".meta.json"), path.with_suffix(".json")):
        try:
            present = candidate.is_file()
        except OSError:  # e.g. the sidecar's name would be too long: it cannot exist
            continue
        if not present:
            continue
        try:
            data = json.loads(read_bounded(candidate, MAX_FRONT_MATTER_BYTES, "the metadata limit").decode("utf-8-sig"))
        except SkipFile as exc:
            warn(f"{shown_path(candidate)}: metadata {exc}, ignored")
            return {}
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            reason = "nested too deeply" if isinstance(exc, RecursionError) else \
                os_message(exc) if isinstance(exc, OSError) else excerpt(str(exc))
            warn(f"{shown_path(candidate)}: unreadable metadata ({reason}), ignored")
            return {}
        if not isinstance(data, dict):
            warn(f"{shown_path(candidate)}: metadata must be a JSON object, ignored")
            return {}
        return pick_meta(data, shown_path(candidate), warn)
    return {}


def front_matter(raw: str, path: Path, warn: Warn) -> tuple[dict[str, Any], int]:
    """The metadata in a Markdown file's YAML front matter, and where its body starts (0 without front matter).
    Unreadable front matter, or front matter that is not a mapping, is reported and ignored."""
    match = _FRONT_MATTER.match(raw)
    if not match:
        return {}, 0
    try:
        data = _load_front_matter(match.group(1))
    except ValueError as exc:
        warn(f"{shown_path(path)}: unreadable front matter ({exc}), ignored")
        data = None
    if isinstance(data, dict):
        return pick_meta(data, shown_path(path), warn), match.end()
    if data is not None:
        warn(f"{shown_path(path)}: front matter is not a mapping, ignored")
    return {}, match.end()


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (a 400-byte "billion laughs" expands to gigabytes) and deep
    nesting, and keeps timestamps as strings (``2019-04-23T25:99:99`` would raise in the loader)."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in front matter",
                                              event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_YAML_DEPTH} levels",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _load_front_matter(text: str) -> Any:
    """Parse front matter with _FrontMatterLoader; ValueError with a short reason when it is unusable."""
    if len(text.encode("utf-8", errors="replace")) > MAX_FRONT_MATTER_BYTES:
        raise ValueError(f"longer than {MAX_FRONT_MATTER_BYTES:,} bytes")
    loader = _FrontMatterLoader(text)
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        raise ValueError(f"{exc.problem or exc.context or type(exc).__name__}"
                         + (f" at line {exc.problem_mark.line + 1}" if exc.problem_mark else "")) from None
    except yaml.YAMLError as exc:
        raise ValueError(type(exc).__name__) from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a constructor refused a value (!!timestamp, !!int)
        raise ValueError(f"bad value ({excerpt(str(exc))})") from None
    finally:
        loader.dispose()


# --------------------------------------------------------------------------------------------
# Dates: from metadata, from the text, from the command line
# --------------------------------------------------------------------------------------------


def _plausible(day: date) -> bool:
    """A year dates can be computed with (see MIN_YEAR, MAX_YEAR)."""
    return MIN_YEAR <= day.year <= MAX_YEAR


def iso_date(value: Any) -> str | None:
    """``date``/``datetime``/common date strings -> "YYYY-MM-DD"; ValueError when unreadable or outside
    MIN_YEAR..MAX_YEAR."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str):
        day = _parse_date(value.strip()[:100])
    else:
        raise ValueError(value)
    if not _plausible(day):
        raise ValueError(value)
    return day.isoformat()


def _parse_date(text: str) -> date:
    """A date string in ISO form (a prefix) or one of _DATE_FORMATS -> date; ValueError otherwise."""
    if match := _ISO_DAY.match(text):
        return date.fromisoformat(match.group())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def with_inferred_date(article: Article, warn: Warn, knowledge: Knowledge | None = None) -> Article:
    """No date in the metadata: infer one from the text (datelines, explicit dates, and the anniversaries of
    ``knowledge``); a year alone when only the year is known. Undated when nothing (plausible) is found."""
    if article.date:
        return article
    try:
        guess = infer_article_date(article.text, anniversaries=knowledge.anniversaries if knowledge else None)
    except (ValueError, OverflowError, RecursionError) as exc:  # an impossible date in the text: no date, go on
        warn(f"{article.path}: could not infer a date from the text ({type(exc).__name__}), left undated")
        return article
    if guess is None or not _plausible(guess.date):
        return article
    iso = guess.date.isoformat() if guess.precision == "day" else str(guess.date.year)
    source = f"inferred from the text: {guess.evidence!r} (confidence {guess.confidence:.1f})"
    return dataclasses.replace(article, date=iso, date_source=source)


def override_dates(articles: Sequence[Article], specs: Sequence[str]) -> list[Article]:
    """Apply ``--date`` overrides: "YYYY-MM-DD" for every article, or "NAME=YYYY-MM-DD" for the article
    whose file name, stem or path is NAME. Raises InputError for a bad date or a NAME that matches nothing."""
    out = list(articles)
    for spec in specs:
        name, _, value = spec.rpartition("=")
        try:
            day = date.fromisoformat(value.strip())
            if not _plausible(day):
                raise ValueError(day)
        except ValueError:
            raise InputError(f"--date {excerpt(spec)}: dates are YYYY-MM-DD between {MIN_YEAR} and {MAX_YEAR} "
                             "(optionally NAME=YYYY-MM-DD)") from None
        hits = [i for i, a in enumerate(out) if not name or name in (a.path, Path(a.path).name, Path(a.path).stem)]
        if not hits:
            raise InputError(f"--date {excerpt(spec)}: no article file is named {excerpt(name)}")
        for i in hits:
            out[i] = dataclasses.replace(out[i], date=day.isoformat(), date_source="command line")
    return out
