"""Files and folders -> cleaned :class:`~verify.records.Article` records, deduplicated by text hash.

Formats: ``.txt`` (raw text as published), ``.md`` (optional YAML front matter, Markdown markup removed),
``.html``/``.htm`` (main text, see :mod:`verify.ingest.html`), each with an optional ``NAME.meta.json`` /
``NAME.json`` sidecar; and ``.jsonl`` (one article per line, read as a stream). A folder is searched
recursively (hidden files, READMEs, licences, changelogs and sidecars are not articles). Every kept
character of ``Article.text`` maps back to its position in ``Article.original`` (see ``Article.offsets``);
an article without a metadata date gets one inferred from its text. With a cache (the store), a file read
before with the same bytes and settings is not parsed again (:mod:`verify.ingest.filecache`).

Bad input is reported, not fatal: an unreadable, empty, binary or too big file, a file of another type in
a folder, a bad ``.jsonl`` line or a duplicate text is skipped with a warning. ``load_articles`` raises
:class:`~verify.errors.InputError` only for a missing path, an unsupported file named explicitly, a folder
without a usable article, or when nothing usable is left.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from verify.errors import InputError
from verify.ingest.cleaning import clean, compose, guess_title, strip_markup
from verify.ingest.filecache import (
    MAX_ENTRY_BYTES,
    FileCache,
    Loaded,
    bytes_digest,
    decode_entry,
    encode_entry,
    file_digest,
    file_id,
    file_key,
    new_digest,
    scope,
    sidecar_digest,
)
from verify.ingest.files import (
    UTF16_BOMS,
    SkipFile,
    Warn,
    decode,
    excerpt,
    open_regular,
    os_message,
    read_bounded,
    scrub_surrogates,
    shown_path,
)
from verify.ingest.html import read_page
from verify.ingest.metadata import front_matter, is_sidecar, iso_date, pick_meta, read_sidecar, with_inferred_date
from verify.ingest.outlets import infer_source, outlet_for_url
from verify.knowledge import Knowledge
from verify.records import Article, short_hash

__all__ = ["SUFFIXES", "load_articles"]

logger = logging.getLogger(__name__)

SUFFIXES: tuple[str, ...] = (".txt", ".md", ".html", ".htm", ".jsonl")
SKIP_NAMES: frozenset[str] = frozenset({"readme", "readme.md", "readme.txt", "license", "license.txt", "changelog.md"})
MAX_FILE_BYTES = 5_000_000  # one .txt/.md/.html file (Settings.max_file_bytes)
MAX_RECORD_BYTES = 5_000_000  # one line of a .jsonl archive, which is read as a stream (Settings.max_record_bytes)
_READ_CHUNK = 1 << 20

# Markdown markup removed before cleaning: (pattern, group to keep or None to drop the match).
# Spans are bounded ({1,200} characters of text, {0,500} of URL) and never backtracked ({...}+): unbounded
# ones made "**a " x 50,000 take minutes (every opener scanned to the end of the line); longer emphasis or
# links stay as written.
MD_MARKUP: tuple[tuple[str, int | None], ...] = (
    (r"^[ \t]{0,3}#{1,6}[ \t]+", None),  # heading markers
    (r"^[ \t]*>[ \t]?", None),  # block quotes
    (r"^[ \t]*[-*+][ \t]+(?=\S)", None),  # list bullets
    (r"!\[[^\]\n]{0,200}+\]\([^)\s]{0,500}+(?:\s++\"[^\"\n]{0,200}+\")?\)", None),  # images
    (r"\[([^\]\n]{1,200}+)\]\([^)\s]{0,500}+(?:\s++\"[^\"\n]{0,200}+\")?\)", 1),  # links -> their text
    (r"(\*\*|__)(?=\S)(.{1,120}?)(?<=\S)\1", 2),  # bold
    (r"(?<![\w*])\*(?=[^\s*])([^*\n]{1,200}?)(?<=[^\s*])\*(?![\w*])", 1),  # italics
    (r"`([^`\n]{1,200}+)`", 1),  # inline code
)

_MD_RE = [(re.compile(p, re.M), g) for p, g in MD_MARKUP]


@dataclass(frozen=True, slots=True)
class _Caps:
    """Size caps: one .txt/.md/.html file, one .jsonl record."""

    file_bytes: int
    record_bytes: int


@dataclass(frozen=True, slots=True)
class _Draft:
    """One article as read, before metadata is resolved."""

    path: str
    file: Path
    original: str
    text: str
    offsets: tuple[int, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)
    cue_text: str = ""  # text searched for outlet cues when metadata names none


@dataclass(slots=True)
class _Read:
    """What one ``load_articles`` call reads with, and the cache entries it made."""

    caps: _Caps
    warn: Warn
    knowledge: Knowledge | None
    cache: FileCache | None
    scope_key: str = ""  # the key part every file shares (filecache.scope)
    fresh: list[tuple[str, str, bytes]] = field(default_factory=list)  # (file id, key, entry) to store


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def load_articles(
    paths: Sequence[str | Path],
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_record_bytes: int = MAX_RECORD_BYTES,
    on_warning: Warn | None = None,
    knowledge: Knowledge | None = None,
    cache: FileCache | None = None,
) -> list[Article]:
    """Read files and folders into cleaned articles, in input order, without duplicates.

    ``knowledge`` (the packs the settings name) supplies the anniversaries that date an article from its
    text ("the 79th anniversary of Korea's liberation"); without it only datelines and explicit dates do.

    Only regular files are read (a FIFO or a device is refused unread), each .txt/.md/.html file up to
    ``max_bytes``, a .jsonl archive line by line with each record up to ``max_record_bytes``.
    Skipped files (empty, binary, too big, unreadable, nothing left after cleaning, duplicates) are
    reported through ``on_warning`` (or ``logger.warning`` when no callback is given). Raises
    :class:`InputError` for a missing path, an unsupported file named explicitly, a folder without a
    usable article, or when no article is left at all.

    ``cache`` (the store; see :mod:`verify.ingest.filecache`): a file read before with the same bytes, path,
    caps and knowledge gives its articles without being parsed again, and its warnings are reported again
    as they were; every other file is read as without a cache, and its entry is stored.
    """
    warn = _warner(on_warning)
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise InputError("no input paths given; pass article files or folders")
    read = _Read(_Caps(max_bytes, max_record_bytes), warn, knowledge, cache,
                 scope(max_bytes, max_record_bytes, knowledge) if cache is not None else "")
    loaded: list[Loaded] = []
    problems: list[str] = []
    for item in paths:
        path = Path(item)
        try:
            exists, is_dir = path.exists(), path.is_dir()
        except OSError as exc:  # a name too long, a loop of links: report this path, go on with the others
            _skipped(f"{shown_path(path)}: cannot be read ({os_message(exc)})", warn, problems)
            continue
        if not exists:
            raise InputError(f"{shown_path(path)}: no such file or directory")
        if is_dir:
            found = _load_folder(path, read, problems)
            if not found:
                raise InputError(f"{shown_path(path)}: no usable article in this folder "
                                 f"(looked for {', '.join(SUFFIXES)} files)")
            loaded.extend(found)
        else:
            if path.suffix.lower() not in SUFFIXES:
                raise InputError(f"{shown_path(path)}: unsupported file type {excerpt(path.suffix or '(no suffix)')}; "
                                 f"use one of {', '.join(SUFFIXES)}")  # fmt: skip
            loaded.extend(_load_file_or_warn(path, read, problems))
    if cache is not None and read.fresh:
        cache.put_ingest(read.fresh)
    articles = _dedupe(_noted(loaded, warn), warn)
    if not articles:
        detail = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        raise InputError(f"no usable article in the input: {detail or 'nothing to read'}")
    return articles


# --------------------------------------------------------------------------------------------
# Files and folders
# --------------------------------------------------------------------------------------------


def _warner(on_warning: Warn | None) -> Warn:
    def warn(message: str) -> None:
        if on_warning is None:
            logger.warning(message)
        else:
            logger.debug(message)
            on_warning(message)

    return warn


def _skipped(message: str, warn: Warn, problems: list[str]) -> None:
    """Report a path that is skipped, and keep the reason for the error raised when nothing is left."""
    warn(message + ", skipped")
    problems.append(message)


def _noted(loaded: Iterable[Loaded], warn: Warn) -> Iterator[Article]:
    """Each article, after the warnings making it gave (in article order, between the duplicate warnings)."""
    for item in loaded:
        for note in item.notes:
            warn(note)
        yield item.article


def _load_folder(folder: Path, read: _Read, problems: list[str]) -> list[Loaded]:
    warn = read.warn
    found: list[Loaded] = []
    try:
        entries = sorted(folder.rglob("*"))
    except OSError as exc:  # an unreadable folder, a name too long: the folder is reported, others go on
        _skipped(f"{shown_path(folder)}: cannot list the folder ({os_message(exc)})", warn, problems)
        return found
    for path in entries:
        try:
            rel = path.relative_to(folder)
            if any(part.startswith(".") for part in rel.parts):
                continue
            if path.is_symlink() and not path.exists():
                warn(f"{shown_path(path)}: broken link, skipped")
                continue
            if path.is_dir():
                continue
            is_file = path.is_file()
        except OSError as exc:
            warn(f"{shown_path(path)}: cannot be read ({os_message(exc)}), skipped")
            continue
        if path.name.lower() in SKIP_NAMES or (is_file and is_sidecar(path)):
            logger.debug("%s: not an article, skipped", shown_path(path))
            continue
        if path.suffix.lower() not in SUFFIXES:
            warn(f"{shown_path(path)}: skipped (unsupported file type {excerpt(path.suffix or '(no suffix)')})")
            continue
        found.extend(_load_file_or_warn(path, read, problems))  # devices and FIFOs are refused there
    return found


def _load_file_or_warn(path: Path, read: _Read, problems: list[str]) -> list[Loaded]:
    try:
        loaded = _load_jsonl(path, read) if path.suffix.lower() == ".jsonl" else _load_file(path, read)
    except SkipFile as exc:
        _skipped(f"{shown_path(path)}: {exc}", read.warn, problems)
        return []
    except OSError as exc:  # unreadable, vanished, a name too long: this file only
        _skipped(f"{shown_path(path)}: cannot be read ({os_message(exc)})", read.warn, problems)
        return []
    if not loaded:
        problems.append(f"{shown_path(path)}: no usable record")
    return loaded


# --------------------------------------------------------------------------------------------
# The cache: an unchanged file's articles and warnings without parsing it again
# --------------------------------------------------------------------------------------------


def _load_file(path: Path, read: _Read) -> list[Loaded]:
    """A .txt/.md/.html file: its bytes are read once, for the key and (on a miss) for the reader."""
    data = read_bounded(path, read.caps.file_bytes)
    key = sidecar = None
    if read.cache is not None and (sidecar := sidecar_digest(path)) is not None:
        key = file_key(read.scope_key, path, bytes_digest(data), sidecar)
        if (hit := _cached(read.cache, key, read.warn)) is not None:
            return hit
    warn, said = _recording(read.warn)
    loaded = [_loaded(_read_file(path, data, warn), read.knowledge)]
    if key is not None and sidecar_digest(path) == sidecar:  # the sidecar read is the one the key names
        _keep(read, path, key, said, loaded)
    return loaded


def _load_jsonl(path: Path, read: _Read) -> list[Loaded]:
    """A .jsonl archive: its digest is taken in one pass; on a miss it is read as a stream, and its entry is
    stored under the digest of the bytes that stream read."""
    if read.cache is not None:
        try:
            digest: str | None = file_digest(path)
        except (SkipFile, OSError):  # the reader below reports it
            digest = None
        key = file_key(read.scope_key, path, digest) if digest is not None else None
        if key is not None and (hit := _cached(read.cache, key, read.warn)) is not None:
            return hit
    warn, said = _recording(read.warn)
    drafts, digest = _read_jsonl(path, read.caps, warn)
    loaded = [_loaded(draft, read.knowledge) for draft in drafts]
    if read.cache is not None:
        _keep(read, path, file_key(read.scope_key, path, digest), said, loaded)
    return loaded


def _cached(cache: FileCache, key: str, warn: Warn) -> list[Loaded] | None:
    """The articles of a stored entry, its warnings reported again; None for a miss or an unusable entry."""
    blob = cache.get_ingest(key)
    if blob is None:
        return None
    try:
        warnings, loaded = decode_entry(blob)
    except Exception as exc:  # noqa: BLE001 - a damaged entry is a miss: the file is read again
        logger.debug("ingest cache entry %s unusable (%s), read again", key, type(exc).__name__)
        return None
    for message in warnings:
        warn(message)
    return loaded


def _keep(read: _Read, path: Path, key: str, warnings: list[str], loaded: list[Loaded]) -> None:
    entry = encode_entry(warnings, loaded)
    if len(entry) <= MAX_ENTRY_BYTES:
        read.fresh.append((file_id(path), key, entry))


def _recording(warn: Warn) -> tuple[Warn, list[str]]:
    """``warn``, and the list of what it was given (a file's warnings, for its cache entry)."""
    said: list[str] = []

    def record(message: str) -> None:
        said.append(message)
        warn(message)

    return record, said


def _loaded(draft: _Draft, knowledge: Knowledge | None) -> Loaded:
    """The article a draft becomes, dated, with the warnings making it gave (reported later, in article order)."""
    notes: list[str] = []
    article = with_inferred_date(_to_article(draft, notes.append), notes.append, knowledge)
    return Loaded(article, tuple(notes))


# --------------------------------------------------------------------------------------------
# Readers: one per format, each returning tracked text mapped to the original
# --------------------------------------------------------------------------------------------


def _read_file(path: Path, data: bytes, warn: Warn) -> _Draft:
    """A .txt/.md/.html file's bytes -> its draft, with its sidecar's metadata (SkipFile when nothing is left)."""
    suffix = path.suffix.lower()
    raw = scrub_surrogates(decode(data, path, warn))
    if not raw.strip():
        raise SkipFile("file is empty")
    reader = {".txt": _read_txt, ".md": _read_md, ".html": _read_html, ".htm": _read_html}[suffix]
    draft = reader(path, raw, warn)
    if not draft.text:
        raise SkipFile("no text left after cleaning" + ("; is it only markup or boilerplate?" if suffix != ".txt" else ""))
    return dataclasses.replace(draft, meta={**draft.meta, **read_sidecar(path, warn)})


def _read_txt(path: Path, raw: str, warn: Warn) -> _Draft:
    text, offsets = clean(raw)
    return _Draft(shown_path(path), path, raw, text, offsets, cue_text=raw)


def _read_md(path: Path, raw: str, warn: Warn) -> _Draft:
    meta, body_start = front_matter(raw, path, warn)
    body = raw[body_start:]
    plain, pos = strip_markup(body, list(range(len(body))), _MD_RE)
    text, offsets = clean(plain)
    return _Draft(shown_path(path), path, raw, text, compose(offsets, pos, body_start), meta, cue_text=body)


def _read_html(path: Path, raw: str, warn: Warn) -> _Draft:
    page = read_page(raw)
    return _Draft(shown_path(path), path, raw, page.text, page.offsets, pick_meta(page.meta, shown_path(path), warn),
                  cue_text=page.cue_text)


def _read_jsonl(path: Path, caps: _Caps, warn: Warn) -> tuple[list[_Draft], str]:
    """One article per line, read as a stream: the whole archive may be any size, each record is capped
    at ``caps.record_bytes``. A bad line (bad JSON, NUL bytes, nested too deep, too big) is skipped with
    a warning; the other lines are kept. Returns the drafts and the digest of the bytes read."""
    shown = shown_path(path)
    drafts: list[_Draft] = []
    bad_utf8 = 0
    seen_text = False
    with open_regular(path) as handle:
        head = handle.read(4)
        handle.seek(0)
        if head.startswith(UTF16_BOMS):  # UTF-16 JSONL: small files only, read whole
            data = read_bounded(path, caps.file_bytes)
            digest = new_digest()
            digest.update(data)
            raw = decode(data, path, warn)
            lines: Iterable[tuple[int, bytes | str | None]] = enumerate(raw.split("\n"), start=1)
        else:
            digest = new_digest()
            lines = _byte_lines(handle, caps.record_bytes, digest)
        for lineno, line in lines:
            where = f"{shown}:{lineno}"
            if line is None:
                warn(f"{where}: record is over max_record_bytes={caps.record_bytes:,}, skipped")
                continue
            if isinstance(line, bytes):
                if lineno == 1:
                    line = line.removeprefix(b"\xef\xbb\xbf")
                if not line.strip():
                    continue
                if b"\x00" in line:
                    warn(f"{where}: NUL bytes in the line, skipped")
                    continue
                try:
                    line = line.decode("utf-8")
                except UnicodeDecodeError:
                    line = line.decode("utf-8", errors="replace")
                    bad_utf8 += 1
            if not line.strip():
                continue
            seen_text = True
            draft = _jsonl_record(path, where, line, warn)
            if draft is not None:
                drafts.append(draft)
    if bad_utf8:
        warn(f"{shown}: invalid UTF-8 bytes on {bad_utf8} line{'s' if bad_utf8 != 1 else ''} replaced with U+FFFD")
    if not seen_text:
        raise SkipFile("file is empty")
    return drafts, digest.hexdigest()


def _byte_lines(handle: BinaryIO, max_bytes: int, digest: Any) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) for each line of a binary file; None for a line over ``max_bytes``, whose
    rest is skipped without being held in memory. Every byte read goes into ``digest`` (a hashlib object)."""
    lineno = 0
    while True:
        line = handle.readline(max_bytes + 1)
        digest.update(line)
        if not line:
            return
        lineno += 1
        if len(line) > max_bytes:
            while line and not line.endswith(b"\n"):
                line = handle.readline(_READ_CHUNK)
                digest.update(line)
            yield lineno, None
            continue
        yield lineno, line


def _jsonl_record(path: Path, where: str, line: str, warn: Warn) -> _Draft | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        warn(f"{where}: bad JSON ({exc.msg}), skipped")
        return None
    except RecursionError:
        warn(f"{where}: JSON nested too deeply, skipped")
        return None
    except ValueError as exc:  # e.g. an integer too long to convert
        warn(f"{where}: bad JSON ({excerpt(str(exc))}), skipped")
        return None
    if isinstance(record, dict):  # JSON escapes can encode lone surrogates ("\udcff"), which no UTF-8 can hold
        record = {k: scrub_surrogates(v) if isinstance(v, str) else v for k, v in record.items()}
    if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not record["text"].strip():
        warn(f"{where}: record needs a non-empty string field 'text', skipped")
        return None
    text, offsets = clean(record["text"])
    if not text:
        warn(f"{where}: no text left after cleaning, skipped")
        return None
    return _Draft(where, path, record["text"], text, offsets, pick_meta(record, where, warn), record["text"])


def _to_article(draft: _Draft, warn: Warn) -> Article:
    """The article a draft becomes: metadata checked (a bad value is reported and ignored), the outlet
    from the metadata, the URL or cues in the text, the title guessed when none is given."""
    meta = dict(draft.meta)
    for key in ("source", "title", "url"):
        if key in meta and not isinstance(meta[key], str):
            warn(f"{draft.path}: metadata {key!r} must be a string, ignored")
            meta.pop(key)
    try:
        day = iso_date(meta.get("date"))
    except (ValueError, OverflowError, TypeError):
        warn(f"{draft.path}: unreadable date {excerpt(meta.get('date'))}, ignored")
        day = None
    url = meta.get("url")
    source = meta.get("source") or (outlet_for_url(url) if url else None)
    return Article(
        id="a:" + short_hash(draft.original),
        path=draft.path,
        source=scrub_surrogates((source or infer_source(draft.cue_text, draft.file)).strip()),  # stems too
        title=meta.get("title") or guess_title(draft.text),
        date=day,
        url=url,
        text=draft.text,
        original=draft.original,
        offsets=array("i", draft.offsets),  # 4 bytes a character: a tuple of ints took ~36
        date_source="metadata" if day else None,
    )


def _dedupe(articles: Iterable[Article], warn: Warn) -> list[Article]:
    """The first article of each cleaned text, in order; later copies are reported."""
    first: dict[str, str] = {}
    kept: list[Article] = []
    for article in articles:
        key = short_hash(article.text)
        if key in first:
            warn(f"{article.path}: same text as {first[key]}, skipped as a duplicate")
            continue
        first[key] = article.path
        kept.append(article)
    return kept
