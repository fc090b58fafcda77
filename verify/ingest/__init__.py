"""Files and folders -> cleaned :class:`~verify.records.Article` records, deduplicated by text hash.

Formats: ``.txt`` (raw text as published, optional ``NAME.meta.json`` / ``NAME.json`` sidecar),
``.md`` (optional YAML front matter), ``.html``/``.htm`` (main text via :mod:`html.parser`) and
``.jsonl`` (one article per line). Every kept character of ``Article.text`` maps back to its
position in ``Article.original`` (see ``Article.offsets``).

Cleaning works on *tracked text*: a string plus, for each of its characters, the offset of the
character it came from. Every step (character mapping, markup removal, line filters, joins)
edits both together, so offsets survive any number of steps.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import json
import logging
import os
import re
import reprlib
import stat
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from verify.errors import InputError
from verify.knowledge import Knowledge, available_packs, load_knowledge
from verify.extract.timeinfo import infer_article_date
from verify.records import Article, short_hash

__all__ = ["CHAR_MAP", "SUFFIXES", "clean", "guess_title", "infer_source", "load_articles"]

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------
# Tables (data, not code)
# --------------------------------------------------------------------------------------------

SUFFIXES: tuple[str, ...] = (".txt", ".md", ".html", ".htm", ".jsonl")
SIDECAR_PARTNERS: tuple[str, ...] = (".txt", ".md", ".html", ".htm")  # files a sidecar may describe
SKIP_NAMES: frozenset[str] = frozenset({"readme", "readme.md", "readme.txt", "license", "license.txt", "changelog.md"})
META_KEYS: tuple[str, ...] = ("source", "title", "date", "url")

# One-to-one character replacements (offsets stay 1:1). Characters in DROP_CHARS vanish.
CHAR_MAP: dict[str, str] = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",  # ‘ ’ ‚ ‛ ′
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',  # “ ” „ ‟ ″
    "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ",
    "\u3000": " ", "\t": " ", "\f": " ", "\v": " ",
    "\u2028": "\n", "\u2029": "\n",
}  # fmt: skip
DROP_CHARS: frozenset[str] = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")


# A whole line matching one of these (case-insensitive) is page furniture, not article text.
BOILERPLATE_LINES: tuple[str, ...] = (
    r"[^\w]*",  # no letters or digits at all: "-", "***", "??"
    r"newspapers (in|from) [\w .'-]+",  # PressReader footers: "Newspapers in English"
    r"source\s*:.*",  # "Source:Yonhapi News Agency"
    r"(general|world|asia|asia[- ]pacific|nation|national|politics|news|local|business|opinion|sports?|"
    r"entertainment|tech|world news|top news|latest|breaking news|breaking)",  # lone section labels
    r"advertisement|sponsored( content)?|related( articles| stories)?:?",
    r"(share|share this|share this article|print|email|comments?)( on \w+)?:?",
    r"(copyright|©|\(c\))\s*(©|\(c\))?\s*\d{4}\b.*|.*\ball rights reserved\b.*",
    r"(read|see) (more|also)(\s*[:»>].*)?",
)

# Photo captions and agency credits: drop lines that *start* like this.
CAPTION_LINES: tuple[str, ...] = (
    r"\?\?",  # "?? — AFP ?? Friendlier times: ..." (an icon the scraper could not decode)
    # "— AFP", "- Yonhap": a dash and a capitalised name of up to three words, not followed by a sentence
    r"[-\u2013\u2014]\s*[A-Z][\w.&'’-]*(?: [A-Z][\w.&'’-]*){0,2}\b(?! +[a-z])",
    r"\((AFP|AP|Reuters|EPA)\)",
    r"(?i:photo|picture|image|file photo|caption|photograph)( credit)?\s*:",
)

# A sentence matching one of these (case-insensitive search) is a donation/subscription appeal.
APPEAL_SENTENCES: tuple[str, ...] = (
    r"^your (support|donation|contribution|subscription|generosity)\b",
    r"\b(is|are) trusted by\b",
    r"\bon the ground when the story\b",
    r"\bwe need reporters on the ground\b",
    r"\b(lock|keep) \w+ out of our (reporting|journalism)\b",
    r"\bquality journalism should be\b",
    r"\bpaid for by (those|readers)\b",
    r"\bsupport (our|independent|quality|local) (journalism|reporting|newsroom)\b",
    r"^(please )?(consider )?(subscribe|subscribing|donate|donating|sign up|register) (now|today|to|for|here)\b",
    r"\bsubscribe (now|today|to our)\b",
    r"\bbecome a (member|subscriber|supporter)\b",
    r"\b(click|tap) here\b",
    r"\bdownload (our|the) app\b",
    r"\bfollow us on\b",
    r"\bsign up for (our|the|a) .*newsletter\b",
)
APPEAL_SHARE = 1 / 3  # a glued segment this full of appeal sentences is dropped whole

# Last words after which a line break is a wrapped sentence, never a word broken in two.
FUNCTION_WORDS: frozenset[str] = frozenset(
    "a an the and or but nor of to in on at by for from with as is was are were be been has have had "
    "its his her their our my your this that these those which who whom whose it he she they we i "
    "not no than then so if into onto over under after before about".split()
)
WRAPPED_MIN_JOINS = 3  # this many lowercase continuation lines means the text is hard-wrapped
DUP_MIN_CHARS = 20  # shorter repeated lines ("Photo", "AFP") are not treated as duplicates
TITLE_MAX_CHARS = 200

_DATE_FORMATS = ("%Y/%m/%d", "%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%b. %d, %Y")

# HTML: elements whose content is never article text, and elements that start a new block.
HTML_SKIP = frozenset({"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template",
                       "svg", "iframe", "button", "select", "figcaption"})  # fmt: skip
HTML_BLOCK = frozenset({"address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "figure", "h1", "h2",
                        "h3", "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section", "table", "tr",
                        "td", "th", "ul", "body"})  # fmt: skip
HTML_MAIN = frozenset({"article", "main"})
HTML_META = {  # meta property/name -> metadata key
    "og:site_name": "source",
    "article:published_time": "date",
    "og:published_time": "date",
    "datepublished": "date",
    "pubdate": "date",
    "og:title": "title",
    "og:url": "url",
}

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

_BOILERPLATE_RE = [re.compile(p, re.I) for p in BOILERPLATE_LINES]
_CAPTION_RE = [re.compile(p) for p in CAPTION_LINES]  # agency names are matched case-sensitively
_APPEAL_RE = [re.compile(p, re.I) for p in APPEAL_SENTENCES]
_MD_RE = [(re.compile(p, re.M), g) for p, g in MD_MARKUP]
_GLUED = re.compile(r"(?<=[a-z0-9][.!?])(?=[A-Z])|(?<=[a-z0-9][.!?][\"'])(?=[A-Z])")  # "difference.North"
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+")
_TERMINAL = ".!?:;"
_CLOSERS = "\"')]"
_SPACES = re.compile(r" {2,}")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)
_SOURCE_LINE = re.compile(r"^[ \t]*source[ \t]*:[ \t]*(\S.*?)[ \t]*$", re.I | re.M)
_URL = re.compile(r"https?://([^/\s\"'<>]+)", re.I)
_NAME = r"(?P<name>(?:The )?[A-Z][\w&'.-]*(?: [A-Z][\w&'.-]*){0,4})"
_OUTLET_MENTIONS = [
    re.compile(_NAME + r" (?:is|are) (?:trusted by|on the ground when)"),
    re.compile(r"(?:©|\(c\)|copyright)\s*(?:©|\(c\))?\s*(?:\d{4}\s*)?" + _NAME, re.I),
]

# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def load_articles(
    paths: Sequence[str | Path],
    *,
    max_bytes: int = 5_000_000,
    max_record_bytes: int = 5_000_000,
    on_warning: Callable[[str], None] | None = None,
    knowledge: Knowledge | None = None,
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
    """
    warn = _warner(on_warning)
    caps = _Caps(max_bytes, max_record_bytes)
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise InputError("no input paths given; pass article files or folders")
    drafts: list[_Draft] = []
    problems: list[str] = []
    for item in paths:
        path = Path(item)
        try:
            exists, is_dir = path.exists(), path.is_dir()
        except OSError as exc:  # a name too long, a loop of links: report this path, go on with the others
            message = f"{shown_path(path)}: cannot be read ({_os_message(exc)})"
            warn(message + ", skipped")
            problems.append(message)
            continue
        if not exists:
            raise InputError(f"{shown_path(path)}: no such file or directory")
        if is_dir:
            found = _load_folder(path, caps, warn, problems)
            if not found:
                raise InputError(f"{shown_path(path)}: no usable article in this folder "
                                 f"(looked for {', '.join(SUFFIXES)} files)")
            drafts.extend(found)
        else:
            if path.suffix.lower() not in SUFFIXES:
                raise InputError(f"{shown_path(path)}: unsupported file type {excerpt(path.suffix or '(no suffix)')}; "
                                 f"use one of {', '.join(SUFFIXES)}")  # fmt: skip
            drafts.extend(_load_file_or_warn(path, caps, warn, problems))
    articles = _dedupe((_with_inferred_date(_to_article(draft, warn), warn, knowledge) for draft in drafts), warn)
    if not articles:
        detail = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if len(problems) > 3 else "")
        raise InputError(f"no usable article in the input: {detail or 'nothing to read'}")
    return articles


def clean(raw: str) -> tuple[str, tuple[int, ...]]:
    """Clean published text; return it with ``offsets`` (``len(text) + 1`` entries) into ``raw``.

    Normalises quotes and spaces, drops page furniture (appeals, captions, section labels,
    mastheads, repeated lines), repairs words broken across lines and separates paragraphs by
    a single ``"\\n"``.
    """
    lines = _split_lines(*_normalise_chars(raw), len(raw))
    lines = _join_broken_lines(lines)
    kept: list[_Line] = []
    seen: set[str] = set()
    for line in lines:
        stripped = _strip_appeals(line)
        if stripped is None or _is_furniture(stripped.text):
            continue
        if len(stripped.text) >= DUP_MIN_CHARS:
            if stripped.text in seen:
                continue
            seen.add(stripped.text)
        kept.append(stripped)
    chars: list[str] = []
    offsets: list[int] = []
    for i, line in enumerate(kept):
        if i:
            chars.append("\n")
            offsets.append(kept[i - 1].end)
        chars.append(line.text)
        offsets.extend(line.pos)
    offsets.append(offsets[-1] + 1 if offsets else 0)
    return "".join(chars), tuple(offsets)


def guess_title(text: str) -> str | None:
    """First cleaned line that looks like a headline: short and without a final period."""
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        last = line.rstrip(_CLOSERS)[-1:]
        if len(line) < TITLE_MAX_CHARS and last and last not in ".!?" and len(line.split()) >= 2:
            return line
        return None
    return None


def infer_source(raw: str, path: Path) -> str:
    """Guess the outlet from text cues: a "Source:" line, a masthead line, an outlet named in
    boilerplate ("The Independent is trusted by ..."), a URL's domain; else the file stem."""
    for match in _SOURCE_LINE.finditer(raw):
        name = match.group(1).strip().rstrip(".")
        if name:
            return canonical_outlet(name) or name
    head = [line.strip() for line in raw.splitlines() if line.strip()][:5]
    for line in head:
        if len(line) <= 60 and (name := canonical_outlet(line)):
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


def canonical_outlet(name: str, knowledge: Knowledge | None = None) -> str | None:
    """Canonical outlet for a name or alias ("The Star Malaysia" -> "The Star (Malaysia)")."""
    return _outlet_tables(knowledge)[0].get(_alias_key(name))


def outlet_for_domain(domain: str) -> str:
    """Outlet for a web domain, or the bare domain ("www.example.com" -> "example.com")."""
    domain = domain.lower().split(":")[0].removeprefix("www.")
    for known, outlet in _outlet_tables(None)[1].items():
        if domain == known or domain.endswith("." + known):
            return outlet
    return domain


# --------------------------------------------------------------------------------------------
# Files and folders
# --------------------------------------------------------------------------------------------

MAX_FILE_BYTES = 5_000_000  # one .txt/.md/.html file (Settings.max_file_bytes)
MAX_RECORD_BYTES = 5_000_000  # one line of a .jsonl archive, which is read as a stream (Settings.max_record_bytes)
MAX_FRONT_MATTER_BYTES = 64_000  # YAML front matter of a .md file
MAX_YAML_DEPTH = 16  # nesting of front matter (metadata is flat; deep nesting is an attack)
MAX_META_CHARS = 2_000  # a metadata string (source, title, date, url) longer than this is cut
EXCERPT_CHARS = 60  # warnings quote at most this much of a value from the data
MIN_YEAR, MAX_YEAR = 1000, 2999  # an article date outside this range is ignored (year 1 breaks date arithmetic)
_READ_CHUNK = 1 << 20


@dataclass(slots=True)
class _Draft:
    """One article as read, before metadata is resolved."""

    path: str
    file: Path
    original: str
    text: str
    offsets: tuple[int, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    cue_text: str = ""  # text searched for outlet cues when metadata names none


class _Skip(Exception):
    """A file that is reported and skipped, not fatal."""


def _warner(on_warning: Callable[[str], None] | None) -> Callable[[str], None]:
    def warn(message: str) -> None:
        if on_warning is None:
            logger.warning(message)
        else:
            logger.debug(message)
            on_warning(message)

    return warn


def shown_path(path: str | Path, limit: int = 160) -> str:
    """A path as it may appear in a message or a report: undecodable bytes as U+FFFD, a very long path
    shortened in the middle."""
    text = scrub_surrogates(os.fspath(path) if not isinstance(path, str) else path)
    return text if len(text) <= limit else text[: limit // 2] + "…" + text[-(limit // 2) :]


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = EXCERPT_CHARS
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist = 2, 4, 4


def excerpt(value: Any) -> str:
    """A short quote of a value from the data, for a warning: never the whole thing (a front matter
    alias graph, a megabyte string)."""
    if isinstance(value, str):
        value = scrub_surrogates(value[: EXCERPT_CHARS * 2])
    try:
        return _REPR.repr(value)
    except RecursionError:  # pragma: no cover - maxlevel stops it first
        return f"<{type(value).__name__}>"


def _os_message(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _load_folder(folder: Path, caps: _Caps, warn: Callable[[str], None], problems: list[str]) -> list[_Draft]:
    drafts: list[_Draft] = []
    try:
        entries = sorted(folder.rglob("*"))
    except OSError as exc:  # an unreadable folder, a name too long: the folder is reported, others go on
        message = f"{shown_path(folder)}: cannot list the folder ({_os_message(exc)})"
        warn(message + ", skipped")
        problems.append(message)
        return drafts
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
            warn(f"{shown_path(path)}: cannot be read ({_os_message(exc)}), skipped")
            continue
        if path.name.lower() in SKIP_NAMES or (is_file and _is_sidecar(path)):
            logger.debug("%s: not an article, skipped", shown_path(path))
            continue
        if path.suffix.lower() not in SUFFIXES:
            warn(f"{shown_path(path)}: skipped (unsupported file type {excerpt(path.suffix or '(no suffix)')})")
            continue
        drafts.extend(_load_file_or_warn(path, caps, warn, problems))  # devices and FIFOs are refused there
    return drafts


@dataclass(frozen=True, slots=True)
class _Caps:
    file_bytes: int
    record_bytes: int


def _load_file_or_warn(path: Path, caps: _Caps, warn: Callable[[str], None], problems: list[str]) -> list[_Draft]:
    try:
        drafts = _load_file(path, caps, warn)
    except _Skip as exc:
        message = f"{shown_path(path)}: {exc}"
        warn(message + ", skipped")
        problems.append(message)
        return []
    except OSError as exc:  # unreadable, vanished, a name too long: this file only
        message = f"{shown_path(path)}: cannot be read ({_os_message(exc)})"
        warn(message + ", skipped")
        problems.append(message)
        return []
    if not drafts:
        problems.append(f"{shown_path(path)}: no usable record")
    return drafts


def _open_regular(path: Path) -> Any:
    """Open ``path`` for binary reading only if it is a regular file: a FIFO would block forever and a
    device (``/dev/zero``, a terminal) never ends, so both are refused without reading."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _Skip(f"cannot be read ({_os_message(exc)})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else \
                "a socket" if stat.S_ISSOCK(mode) else "not a file"
            raise _Skip(f"not a regular file ({kind})")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(path: Path, max_bytes: int, cap: str = "max_file_bytes") -> bytes:
    """The bytes of a regular file, refusing it once more than ``max_bytes`` have been read (the size
    on disk can lie: a growing file, /proc). Raises _Skip with the reason, naming the ``cap``."""
    with _open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise _Skip(f"file is too big ({size:,} bytes > {cap}={max_bytes:,})")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _Skip(f"file is too big (more than {cap}={max_bytes:,} bytes)")
    return data


def _load_file(path: Path, caps: _Caps, warn: Callable[[str], None]) -> list[_Draft]:
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _read_jsonl(path, caps, warn)
    data = read_bounded(path, caps.file_bytes)
    raw = scrub_surrogates(_decode(data, path, warn))
    if not raw.strip():
        raise _Skip("file is empty")
    reader = {".txt": _read_txt, ".md": _read_md, ".html": _read_html, ".htm": _read_html}[suffix]
    draft = reader(path, raw, warn)
    if not draft.text:
        raise _Skip("no text left after cleaning" + ("; is it only markup or boilerplate?" if suffix != ".txt" else ""))
    sidecar = _read_sidecar(path, warn)
    draft.meta = {**draft.meta, **{k: v for k, v in sidecar.items() if v is not None}}
    return [draft]


_SURROGATE = re.compile("[\ud800-\udfff]")


def scrub_surrogates(text: str) -> str:
    """Replace lone surrogates (undecodable halves of UTF-16 pairs) with U+FFFD, one for one, so offsets hold."""
    return _SURROGATE.sub("\ufffd", text)


# Single-byte and multi-byte encodings charset-normalizer may name for a file that is not UTF-8
_LATIN_SHARE = 0.3  # cp1252 is trusted when fewer than this share of its letters are non-ASCII


def _decode(data: bytes, path: Path, warn: Callable[[str], None]) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM; UTF-8 with a few bad bytes is read as UTF-8 with
    U+FFFD for them (with a warning); other files as cp1252 when that reads as Western text, else in the
    encoding charset-normalizer detects (EUC-KR, Shift-JIS, cp1251, ...), else latin-1; each with a warning."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data:
        raise _Skip("binary file (contains NUL bytes)")
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError:
        pass
    as_utf8 = data.decode("utf-8-sig" if bom else "utf-8", errors="replace")
    bad = as_utf8.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    good = sum(1 for ch in as_utf8 if ord(ch) > 0x7F and ch != "\ufffd")
    if bom or good >= bad:  # mostly UTF-8: a damaged file, not another encoding
        warn(f"{shown_path(path)}: {bad} invalid UTF-8 byte sequence{'s' if bad != 1 else ''} replaced with U+FFFD")
        return as_utf8
    text, encoding = _legacy_decode(data)
    warn(f"{shown_path(path)}: not UTF-8; read as {encoding}")
    return text


def _legacy_decode(data: bytes) -> tuple[str, str]:
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None:
        letters = [ch for ch in western if ch.isalpha()]
        if letters and sum(ord(ch) > 0x7F for ch in letters) < _LATIN_SHARE * len(letters):
            return western, "cp1252"
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except Exception:  # noqa: BLE001 - detection is a best effort; latin-1 below always works
        best = None
    if best is not None and best.encoding:
        try:
            return data.decode(best.encoding), best.encoding
        except (UnicodeDecodeError, LookupError):
            pass
    if western is not None:
        return western, "cp1252"
    return data.decode("latin-1"), "latin-1"


def _is_sidecar(path: Path) -> bool:
    name = path.name
    if name.lower().endswith(".meta.json"):
        stem = name[: -len(".meta.json")]
    elif path.suffix.lower() == ".json":
        stem = path.stem
    else:
        return False
    return any(path.with_name(stem + suffix).exists() for suffix in SIDECAR_PARTNERS)


def _read_sidecar(path: Path, warn: Callable[[str], None]) -> dict[str, Any]:
    for candidate in (path.with_name(path.stem + ".meta.json"), path.with_suffix(".json")):
        try:
            present = candidate.is_file()
        except OSError:  # e.g. the sidecar's name would be too long: it cannot exist
            continue
        if not present:
            continue
        try:
            data = json.loads(read_bounded(candidate, MAX_FRONT_MATTER_BYTES, "the metadata limit").decode("utf-8-sig"))
        except _Skip as exc:
            warn(f"{shown_path(candidate)}: metadata {exc}, ignored")
            return {}
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
            reason = "nested too deeply" if isinstance(exc, RecursionError) else \
                _os_message(exc) if isinstance(exc, OSError) else excerpt(str(exc))
            warn(f"{shown_path(candidate)}: unreadable metadata ({reason}), ignored")
            return {}
        if not isinstance(data, dict):
            warn(f"{shown_path(candidate)}: metadata must be a JSON object, ignored")
            return {}
        return _pick_meta(data, shown_path(candidate), warn)
    return {}


def _pick_meta(data: dict[str, Any], where: str = "", warn: Callable[[str], None] | None = None) -> dict[str, Any]:
    """The metadata keys verify uses; strings lose lone surrogates and are cut at MAX_META_CHARS."""
    picked: dict[str, Any] = {}
    for key in META_KEYS:
        value = data.get(key)
        if value in (None, ""):
            continue
        if isinstance(value, str):
            value = scrub_surrogates(value)
            if len(value) > MAX_META_CHARS:
                if warn:
                    warn(f"{where}: metadata {key!r} is {len(value):,} characters long, cut to {MAX_META_CHARS:,}")
                value = value[:MAX_META_CHARS]
        picked[key] = value
    return picked


# --------------------------------------------------------------------------------------------
# Front matter: YAML without aliases, custom tags, timestamps or deep nesting
# --------------------------------------------------------------------------------------------


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
# Readers: one per format, each returning tracked text mapped to the original
# --------------------------------------------------------------------------------------------


def _read_txt(path: Path, raw: str, warn: Callable[[str], None]) -> _Draft:
    text, offsets = clean(raw)
    return _Draft(shown_path(path), path, raw, text, offsets, cue_text=raw)


def _read_md(path: Path, raw: str, warn: Callable[[str], None]) -> _Draft:
    meta: dict[str, Any] = {}
    body_start = 0
    if match := _FRONT_MATTER.match(raw):
        body_start = match.end()
        try:
            data = _load_front_matter(match.group(1))
        except ValueError as exc:
            warn(f"{shown_path(path)}: unreadable front matter ({exc}), ignored")
            data = None
        if isinstance(data, dict):
            meta = _pick_meta(data, shown_path(path), warn)
        elif data is not None:
            warn(f"{shown_path(path)}: front matter is not a mapping, ignored")
    body = raw[body_start:]
    plain, pos = _strip_markup(body, list(range(len(body))), _MD_RE)
    text, offsets = clean(plain)
    return _Draft(shown_path(path), path, raw, text, _compose(offsets, pos, body_start), meta, cue_text=body)


def _read_html(path: Path, raw: str, warn: Callable[[str], None]) -> _Draft:
    page = _HTMLText(raw)
    page.feed(raw)
    page.close()
    meta = dict(page.meta)
    if page.title_text and "title" not in meta:
        meta["title"] = page.title_text
    main = _main_text(raw, page)
    if main is not None:
        text, offsets, plain = main
    else:
        plain, pos = page.result()
        text, offsets = clean(plain)
        offsets = _compose(offsets, pos)
    return _Draft(shown_path(path), path, raw, text, offsets, _pick_meta(meta, shown_path(path), warn), cue_text=plain)


def _read_jsonl(path: Path, caps: _Caps, warn: Callable[[str], None]) -> list[_Draft]:
    """One article per line, read as a stream: the whole archive may be any size, each record is capped
    at ``caps.record_bytes``. A bad line (bad JSON, NUL bytes, nested too deep, too big) is skipped with
    a warning; the other lines are kept."""
    shown = shown_path(path)
    drafts: list[_Draft] = []
    bad_utf8 = 0
    seen_text = False
    with _open_regular(path) as handle:
        head = handle.read(4)
        handle.seek(0)
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 JSONL: small files only, read whole
            raw = read_bounded(path, caps.file_bytes).decode("utf-16", errors="replace")
            lines: Iterable[tuple[int, bytes | str]] = enumerate(raw.split("\n"), start=1)
        else:
            lines = _byte_lines(handle, caps.record_bytes)
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
        raise _Skip("file is empty")
    return drafts


def _byte_lines(handle: Any, max_bytes: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) for each line of a binary file; None for a line over ``max_bytes``, whose
    rest is skipped without being held in memory."""
    lineno = 0
    while True:
        line = handle.readline(max_bytes + 1)
        if not line:
            return
        lineno += 1
        if len(line) > max_bytes:
            while line and not line.endswith(b"\n"):
                line = handle.readline(_READ_CHUNK)
            yield lineno, None
            continue
        yield lineno, line


def _jsonl_record(path: Path, where: str, line: str, warn: Callable[[str], None]) -> _Draft | None:
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
    return _Draft(where, path, record["text"], text, offsets, _pick_meta(record, where, warn), record["text"])


def _to_article(draft: _Draft, warn: Callable[[str], None]) -> Article:
    meta = draft.meta
    for key in ("source", "title", "url"):
        if key in meta and not isinstance(meta[key], str):
            warn(f"{draft.path}: metadata {key!r} must be a string, ignored")
            meta.pop(key)
    try:
        day = _iso_date(meta.get("date"))
    except (ValueError, OverflowError, TypeError):
        warn(f"{draft.path}: unreadable date {excerpt(meta.get('date'))}, ignored")
        day = None
    url = meta.get("url")
    source = meta.get("source") or (outlet_for_domain(m.group(1)) if url and (m := _URL.match(url)) else None)
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


def _with_inferred_date(article: Article, warn: Callable[[str], None] | None = None,
                        knowledge: Knowledge | None = None) -> Article:
    """No date in the metadata: infer one from the text (anniversaries, datelines, explicit dates)."""
    if article.date:
        return article
    try:
        guess = infer_article_date(article.text, anniversaries=knowledge.anniversaries if knowledge else None)
    except (ValueError, OverflowError, RecursionError) as exc:  # an impossible date in the text: no date, go on
        if warn:
            warn(f"{article.path}: could not infer a date from the text ({type(exc).__name__}), left undated")
        return article
    if guess is None or not MIN_YEAR <= guess.date.year <= MAX_YEAR:
        return article
    iso = guess.date.isoformat() if guess.precision == "day" else str(guess.date.year)
    source = f"inferred from the text: {guess.evidence!r} (confidence {guess.confidence:.1f})"
    return dataclasses.replace(article, date=iso, date_source=source)


def _dedupe(articles: Iterable[Article], warn: Callable[[str], None]) -> list[Article]:
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


def _iso_date(value: Any) -> str | None:
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
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(value)
    return day.isoformat()


def _parse_date(text: str) -> date:
    if match := re.match(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(match.group())
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


# --------------------------------------------------------------------------------------------
# Cleaning: tracked lines
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    text: str
    pos: list[int]  # offset of each char of ``text`` in the input of ``clean``
    end: int  # offset of the newline that ends the line (input length for the last line)
    gap_before: bool  # a blank line (or the start of the text) comes before it
    loose_start: bool  # the line began with whitespace
    loose_end: bool  # the line had whitespace before its newline


def _normalise_chars(raw: str) -> tuple[str, list[int]]:
    """Drop invisible and control characters, map typographic ones; runs of plain text are copied whole."""
    chars: list[str] = []
    pos: list[int] = []
    last = 0
    for m in _SPECIAL_CHARS.finditer(raw):
        i = m.start()
        if i > last:
            chars.append(raw[last:i])
            pos.extend(range(last, i))
        last = i + 1
        ch = raw[i]
        if ch == "\r":
            if raw[i + 1 : i + 2] == "\n":
                continue
            ch = "\n"
        if ch in DROP_CHARS:
            continue
        ch = CHAR_MAP.get(ch, ch)
        if ch != "\n" and unicodedata.category(ch) == "Cc":
            continue
        chars.append(ch)
        pos.append(i)
    if last < len(raw):
        chars.append(raw[last:])
        pos.extend(range(last, len(raw)))
    return "".join(chars), pos


# every character _normalise_chars may change: CR, invisible ones, typographic ones, controls but newline
_SPECIAL_CHARS = re.compile(
    "[" + re.escape("".join(sorted({"\r", *DROP_CHARS, *CHAR_MAP}))) + "\x00-\x09\x0b-\x1f\x7f-\x9f]"
)


def _split_lines(text: str, pos: list[int], raw_len: int) -> list[_Line]:
    lines: list[_Line] = []
    start = 0
    gap = True
    for piece in text.split("\n"):
        stop = start + len(piece)
        end = pos[stop] if stop < len(text) else raw_len
        body, body_pos = _squeeze(piece, pos[start:stop])
        if body:
            lines.append(_Line(body, body_pos, end, gap, piece[:1].isspace(), piece[-1:].isspace()))
            gap = False
        else:
            gap = True
        start = stop + 1
    return lines


def _squeeze(text: str, pos: list[int]) -> tuple[str, list[int]]:
    """Collapse runs of spaces (keeping the first) and strip both ends."""
    text, pos = _strip_markup(text, pos, [(_SPACES, 0)]) if "  " in text else (text, pos)
    lead = len(text) - len(text.lstrip())
    stop = len(text.rstrip())
    return text[lead:stop], pos[lead:stop]


def _strip_markup(
    text: str, pos: list[int], patterns: Iterable[tuple[re.Pattern[str], int | None]]
) -> tuple[str, list[int]]:
    """Apply each (pattern, keep) to tracked text: a match is replaced by its group ``keep``
    (group 0 keeps just the first char of the match), or removed when ``keep`` is None."""
    for pattern, keep in patterns:
        chars: list[str] = []
        kept: list[int] = []
        last = 0
        for match in pattern.finditer(text):
            chars.append(text[last : match.start()])
            kept.extend(pos[last : match.start()])
            if keep is not None:
                a, b = match.span(keep)
                b = a + 1 if keep == 0 else b
                chars.append(text[a:b])
                kept.extend(pos[a:b])
            last = match.end()
        chars.append(text[last:])
        kept.extend(pos[last:])
        text, pos = "".join(chars), kept
    return text, pos


def _is_continuation(prev: _Line, line: _Line) -> bool:
    """``line`` carries on the sentence of the line just above it."""
    last = prev.text.rstrip(_CLOSERS)[-1:]
    return not line.gap_before and line.text[0].islower() and last not in _TERMINAL


def _join_broken_lines(lines: list[_Line]) -> list[_Line]:
    """Join lines that continue a sentence: "bui" + "lding" -> "building" (a word broken
    in two), or with a space when the text is hard-wrapped or the break falls after a word."""
    pairs = sum(_is_continuation(a, b) for a, b in zip(lines, lines[1:]))
    wrapped = pairs >= WRAPPED_MIN_JOINS
    out: list[_Line] = []
    for line in lines:
        if not out or not _is_continuation(out[-1], line):
            out.append(line)
            continue
        prev = out[-1]
        last_word = prev.text.rsplit(" ", 1)[-1].lstrip("\"'([")
        broken_word = (
            not wrapped
            and not (prev.loose_end or line.loose_start)
            and (prev.text[-1].isalpha() and prev.text[-1].islower() or last_word.endswith("-"))
            and last_word.lower() not in FUNCTION_WORDS
        )
        sep, sep_pos = ("", []) if broken_word else (" ", [prev.end])
        out[-1] = _Line(prev.text + sep + line.text, prev.pos + sep_pos + line.pos, line.end,
                        prev.gap_before, prev.loose_start, line.loose_end)  # fmt: skip
    return out


def _spans(text: str, pattern: re.Pattern[str], start: int, stop: int) -> list[tuple[int, int]]:
    """Split text[start:stop] after each match of ``pattern``; return non-empty spans."""
    cuts = [start] + [start + m.end() for m in pattern.finditer(text[start:stop])] + [stop]
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if text[a:b].strip()]


def _strip_appeals(line: _Line) -> _Line | None:
    """Remove donation/subscription appeals. Text glued without a space ("difference.North")
    marks a seam where markup was removed; an appeal-heavy segment between seams is dropped
    whole, otherwise only its appeal sentences are."""
    cuts: list[tuple[int, int]] = []
    for seg in _spans(line.text, _GLUED, 0, len(line.text)):
        sentences = _spans(line.text, _SENTENCE_END, *seg)
        appeals = [s for s in sentences if any(p.search(line.text[s[0] : s[1]].strip()) for p in _APPEAL_RE)]
        if not appeals:
            continue
        cuts.extend([seg] if len(appeals) >= APPEAL_SHARE * len(sentences) else appeals)
    if not cuts:
        return line
    keep = [i for i in range(len(line.text)) if not any(a <= i < b for a, b in cuts)]
    text, pos = _squeeze("".join(line.text[i] for i in keep), [line.pos[i] for i in keep])
    if not text:
        return None
    return _Line(text, pos, line.end, line.gap_before, line.loose_start, line.loose_end)


def _is_furniture(text: str) -> bool:
    """Section labels, footers, "Source:" lines, captions and mastheads."""
    if any(p.fullmatch(text) for p in _BOILERPLATE_RE):
        return True
    if any(p.match(text) for p in _CAPTION_RE):
        return True
    return len(text) <= 60 and canonical_outlet(text) is not None


def _compose(offsets: tuple[int, ...], pos: Sequence[int], base: int = 0) -> tuple[int, ...]:
    """Offsets into an intermediate text -> offsets into the original, via ``pos``."""
    mapped = [pos[o] + base for o in offsets[:-1]]
    return tuple(mapped + [mapped[-1] + 1 if mapped else base])


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


class _HTMLText(HTMLParser):
    """Main text of an HTML page, each character tracked to its offset in the source."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self._source = source
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self._chars: list[str] = []
        self._pos: list[int] = []
        self._in_main: list[bool] = []
        self._skip = 0
        self._main = 0
        self._pre = 0
        self._in_title = False
        self._cursor = 0
        self._title: list[str] = []
        self.meta: dict[str, str] = {}

    @property
    def title_text(self) -> str:
        return " ".join("".join(self._title).split())

    def result(self, whole_page: bool = False) -> tuple[str, list[int]]:
        """Text and source offsets; only <article>/<main> content when the page has any (unless ``whole_page``)."""
        keep = range(len(self._chars))
        if not whole_page and any(m and not c.isspace() for m, c in zip(self._in_main, self._chars)):
            keep = [i for i in keep if self._in_main[i]]
        return "".join(self._chars[i] for i in keep), [self._pos[i] for i in keep]

    def _here(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def _emit(self, text: str, at: int | Sequence[int], *, verbatim: bool = False) -> None:
        positions = [at] * len(text) if isinstance(at, int) else at
        for ch, p in zip(text, positions):
            if ch in "\r\n\t\f" and not (self._pre or verbatim):
                ch = " "  # HTML whitespace; only block elements break lines
            self._chars.append(ch)
            self._pos.append(p)
            self._in_main.append(self._main > 0)

    def _block(self) -> None:
        self._emit("\n\n", self._here(), verbatim=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HTML_SKIP:
            self._skip += 1
            return
        self._attrs(tag, attrs)
        if tag == "title":
            self._in_title = True
        self._main += tag in HTML_MAIN
        self._pre += tag == "pre"
        if tag in HTML_BLOCK and not self._skip:
            self._block()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)
        if tag in HTML_BLOCK and not self._skip:
            self._block()

    def handle_endtag(self, tag: str) -> None:
        if tag in HTML_SKIP:
            self._skip = max(0, self._skip - 1)
            return
        if tag == "title":
            self._in_title = False
        if tag in HTML_BLOCK and not self._skip:
            self._block()
        self._main = max(0, self._main - (tag in HTML_MAIN))
        self._pre = max(0, self._pre - (tag == "pre"))

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
        if self._skip or self._in_title:
            return
        start = self._here()
        if not self._source.startswith(data, start):  # defensive: find it after the last text
            found = self._source.find(data, self._cursor)
            start = found if found >= 0 else start
        self._cursor = start + len(data)
        self._emit(data, range(start, start + len(data)))

    def handle_entityref(self, name: str) -> None:
        self._reference(f"&{name};", name)

    def handle_charref(self, name: str) -> None:
        self._reference(f"&#{name};", "#" + name)

    def _reference(self, entity: str, name: str) -> None:
        text = html.unescape(entity)
        if self._in_title:
            self._title.append(text)
        if self._skip or self._in_title:
            return
        start = self._here()
        if text == entity:  # unknown entity: keep it literally, char for char
            literal = "&" + name + (";" if self._source.startswith(";", start + len(name) + 1) else "")
            self._emit(literal, range(start, start + len(literal)))
        else:
            self._emit(text, start)

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "").strip() for k, v in attrs}
        if tag == "meta":
            key = HTML_META.get((values.get("property") or values.get("name") or values.get("itemprop", "")).lower())
            if key and values.get("content") and key not in self.meta:
                self.meta[key] = html.unescape(values["content"])
        elif tag == "link" and values.get("rel", "").lower() == "canonical" and values.get("href"):
            self.meta.setdefault("url", values["href"])


MIN_MAIN_COVER = 0.6  # trafilatura's text is used when this share of it is found in the page's own text
MIN_PIECE_CHARS = 20  # a sentence of trafilatura's text shorter than this is not searched on its own
MAX_ALIGN_MISSES = 64  # searches that find nothing (each scans the page) before the built-in extractor is used


def _main_text(raw: str, page: _HTMLText) -> tuple[str, tuple[int, ...], str] | None:
    """The page's main text as trafilatura finds it, but made of the page's own offset-tracked cleaned
    text: each paragraph trafilatura returns is looked up (ignoring spaces and typographic quotes)
    in the cleaned text of the whole page, and the matched stretches are kept, so every character still
    maps back to the original file. None (use the built-in extractor) when trafilatura is missing,
    fails, returns nothing, or too little of its text is found."""
    try:
        import trafilatura
    except ImportError:  # pragma: no cover - a dependency
        return None
    try:
        extracted = trafilatura.extract(raw, output_format="txt", include_comments=False, include_tables=True,
                                        include_images=False, deduplicate=False, with_metadata=False)
    except Exception as exc:  # noqa: BLE001 - a page trafilatura cannot read falls back to ours
        logger.debug("trafilatura failed (%s); using the built-in extractor", type(exc).__name__)
        return None
    if not extracted or not extracted.strip():
        return None
    plain, pos = page.result(whole_page=True)
    text, offsets = clean(plain)
    spans, found, wanted = _align_paragraphs(text, extracted)
    if not spans or found < MIN_MAIN_COVER * wanted:
        logger.debug("trafilatura's text not found in the page (%d of %d chars); using the built-in extractor",
                     found, wanted)
        return None
    chars: list[str] = []
    kept: list[int] = []
    for n, (start, end) in enumerate(spans):
        if n:
            chars.append("\n")
            kept.append(offsets[spans[n - 1][1]])
        chars.append(text[start:end])
        kept.extend(offsets[start:end])
    kept.append(kept[-1] + 1)
    main = "".join(chars)
    return main, _compose(tuple(kept), pos), main


_FOLD = str.maketrans({k: v for k, v in CHAR_MAP.items() if len(v) == 1})  # typographic quotes -> ASCII, 1:1
_NON_SPACE = re.compile(r"\S+")


def _squash(text: str) -> tuple[str, list[int]]:
    """``text`` with typographic characters folded and all whitespace removed, and for each character
    left its index in ``text`` (trafilatura re-spaces and re-quotes text, it does not change letters)."""
    folded = text.translate(_FOLD)
    where: list[int] = []
    pieces: list[str] = []
    for match in _NON_SPACE.finditer(folded):
        pieces.append(match.group())
        where.extend(range(match.start(), match.end()))
    return "".join(pieces), where


def _align_paragraphs(text: str, extracted: str) -> tuple[list[tuple[int, int]], int, int]:
    """Spans [start, end) of ``text`` holding the paragraphs of ``extracted`` (in document order, merged),
    the number of ``extracted``'s non-space characters found, and its total."""
    haystack, where = _squash(text)
    spans: list[tuple[int, int]] = []
    found = wanted = misses = 0
    cursor = 0
    for paragraph in extracted.split("\n"):
        pieces = [paragraph] + [s for s in re.split(r"(?<=[.!?])\s+", paragraph) if len(s) >= MIN_PIECE_CHARS]
        needle = _squash(paragraph)[0]
        if not needle:
            continue
        wanted += len(needle)
        for n, piece in enumerate(pieces):
            key = needle if n == 0 else _squash(piece)[0]
            at = haystack.find(key, cursor)
            if at < 0 and len(key) >= MIN_PIECE_CHARS:
                at = haystack.find(key)
            if at < 0:
                misses += 1
                if misses > MAX_ALIGN_MISSES:  # not this page's text: stop before the searches cost seconds
                    return [], 0, wanted
                continue
            start, end = where[at], where[at + len(key) - 1] + 1
            whole_line = (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")
            if len(key) < MIN_PIECE_CHARS and at != cursor and not whole_line:
                continue  # a short piece ("Menu", "sanctions") counts only next to the last match or as a line
            spans.append((start, end))
            found += len(key)
            cursor = at + len(key)
            if n == 0:
                break  # the whole paragraph was found: its sentences need no search
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and (start <= merged[-1][1] or not text[merged[-1][1] : start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))  # overlapping, or only spaces between
        else:
            merged.append((start, end))
    return merged, min(found, wanted), wanted


# --------------------------------------------------------------------------------------------
# Outlet lookup tables: outlet names, aliases and domains are data in the knowledge packs
# (verify/knowledge/*/outlets.json). A publisher's name is not story knowledge, so every shipped pack's
# outlets are recognised; packs named by configuration and folders given as packs add theirs.
# --------------------------------------------------------------------------------------------


def _alias_key(name: str) -> str:
    key = re.sub(r"[^\w ]+", " ", name.lower())
    key = " ".join(key.split())
    return key.removeprefix("the ")


@functools.lru_cache(maxsize=16)
def _outlet_tables(knowledge: Knowledge | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(alias key -> outlet, domain -> outlet) from the shipped packs plus ``knowledge``'s."""
    outlets = dict(load_knowledge(tuple(available_packs())).outlets)
    if knowledge is not None:
        outlets.update(knowledge.outlets)
    aliases = {_alias_key(alias): outlet for outlet, (names, _) in outlets.items() for alias in (outlet, *names)}
    domains = {domain: outlet for outlet, (_, names) in outlets.items() for domain in names}
    return aliases, domains


def override_dates(articles: Sequence[Article], specs: Sequence[str]) -> list[Article]:
    """Apply ``--date`` overrides: "YYYY-MM-DD" for every article, or "NAME=YYYY-MM-DD" for the article
    whose file name, stem or path is NAME. Raises InputError for a bad date or a NAME that matches nothing."""
    out = list(articles)
    for spec in specs:
        name, _, value = spec.rpartition("=")
        try:
            day = date.fromisoformat(value.strip()).isoformat()
            if not MIN_YEAR <= int(day[:4]) <= MAX_YEAR:
                raise ValueError(day)
        except ValueError:
            raise InputError(f"--date {excerpt(spec)}: dates are YYYY-MM-DD between {MIN_YEAR} and {MAX_YEAR} "
                             "(optionally NAME=YYYY-MM-DD)") from None
        hits = [i for i, a in enumerate(out) if not name or name in (a.path, Path(a.path).name, Path(a.path).stem)]
        if not hits:
            raise InputError(f"--date {excerpt(spec)}: no article file is named {excerpt(name)}")
        for i in hits:
            out[i] = dataclasses.replace(out[i], date=day, date_source="command line")
    return out
