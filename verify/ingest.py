"""Files and folders -> cleaned :class:`~verify.types.Article` records, deduplicated by text hash.

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
import html
import json
import logging
import re
import unicodedata
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from verify.errors import InputError
from verify.timeinfo import infer_article_date
from verify.types import Article, short_hash

__all__ = ["CHAR_MAP", "OUTLETS", "SUFFIXES", "clean", "guess_title", "infer_source", "load_articles"]

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

# Known outlets: canonical name -> (aliases, web domains). Used for "Source:" lines, mastheads,
# boilerplate mentions and URLs. Aliases are matched case-insensitively, ignoring a leading "The".
OUTLETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Yonhap News Agency": (("Yonhap", "Yonhap News", "Yonhapi News Agency", "Yonhap News Agency"), ("yna.co.kr",)),
    "The Independent": (("The Independent", "Independent", "The Independent UK"), ("independent.co.uk",)),
    "The Star (Malaysia)": (("The Star Malaysia", "The Star Online", "TheStar"), ("thestar.com.my",)),
    "Associated Press": (("AP", "The Associated Press", "AP News"), ("apnews.com", "ap.org")),
    "Agence France-Presse": (("AFP", "Agence France Presse"), ("afp.com",)),
    "Reuters": (("Reuters", "Thomson Reuters"), ("reuters.com",)),
    "Korean Central News Agency": (("KCNA", "Korean Central News Agency"), ("kcna.kp", "kcnawatch.org")),
    "NK News": (("NK News", "NKNews"), ("nknews.org",)),
    "Daily NK": (("Daily NK",), ("dailynk.com",)),
    "38 North": (("38 North",), ("38north.org",)),
    "The Korea Herald": (("Korea Herald",), ("koreaherald.com",)),
    "The Korea Times": (("Korea Times",), ("koreatimes.co.kr",)),
    "Korea JoongAng Daily": (("JoongAng Daily", "Korea JoongAng Daily"), ("koreajoongangdaily.joins.com",)),
    "BBC News": (("BBC", "BBC News"), ("bbc.co.uk", "bbc.com")),
    "CNN": (("CNN",), ("cnn.com",)),
    "The Guardian": (("Guardian",), ("theguardian.com",)),
    "The New York Times": (("New York Times", "NYT"), ("nytimes.com",)),
    "The Washington Post": (("Washington Post",), ("washingtonpost.com",)),
    "Al Jazeera": (("Al Jazeera", "Al Jazeera English"), ("aljazeera.com",)),
    "Xinhua": (("Xinhua", "Xinhua News Agency"), ("xinhuanet.com", "news.cn")),
    "TASS": (("TASS",), ("tass.com", "tass.ru")),
    "NHK": (("NHK", "NHK World"), ("nhk.or.jp",)),
    "Kyodo News": (("Kyodo", "Kyodo News"), ("kyodonews.net",)),
    "The Japan Times": (("Japan Times",), ("japantimes.co.jp",)),
    "South China Morning Post": (("SCMP", "South China Morning Post"), ("scmp.com",)),
    "Bernama": (("Bernama",), ("bernama.com",)),
}

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
    r"[-\u2013\u2014]\s*(AFP|AP|Reuters|EPA|Getty Images|Bloomberg|Xinhua|Yonhap|Bernama|KCNA)\b(?! +[a-z])",
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
MD_MARKUP: tuple[tuple[str, int | None], ...] = (
    (r"^[ \t]{0,3}#{1,6}[ \t]+", None),  # heading markers
    (r"^[ \t]*>[ \t]?", None),  # block quotes
    (r"^[ \t]*[-*+][ \t]+(?=\S)", None),  # list bullets
    (r"!\[[^\]]*\]\([^)]*\)", None),  # images
    (r"\[([^\]\n]+)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)", 1),  # links -> their text
    (r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", 2),  # bold
    (r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])", 1),  # italics
    (r"`([^`\n]+)`", 1),  # inline code
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
    on_warning: Callable[[str], None] | None = None,
) -> list[Article]:
    """Read files and folders into cleaned articles, in input order, without duplicates.

    Skipped files (empty, binary, too big, nothing left after cleaning, duplicates) are reported
    through ``on_warning`` (or ``logger.warning`` when no callback is given). Raises
    :class:`InputError` for a missing path, an unsupported file named explicitly, a folder without a
    usable article, or when no article is left at all.
    """
    warn = _warner(on_warning)
    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise InputError("no input paths given; pass article files or folders")
    drafts: list[_Draft] = []
    problems: list[str] = []
    for item in paths:
        path = Path(item)
        if not path.exists():
            raise InputError(f"{path}: no such file or directory")
        if path.is_dir():
            found = _load_folder(path, max_bytes, warn, problems)
            if not found:
                raise InputError(f"{path}: no usable article in this folder (looked for {', '.join(SUFFIXES)} files)")
            drafts.extend(found)
        else:
            if path.suffix.lower() not in SUFFIXES:
                raise InputError(f"{path}: unsupported file type {path.suffix or '(no suffix)'!r}; "
                                 f"use one of {', '.join(SUFFIXES)}")  # fmt: skip
            drafts.extend(_load_file_or_warn(path, max_bytes, warn, problems))
    articles = _dedupe((_with_inferred_date(_to_article(draft, warn)) for draft in drafts), warn)
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


def canonical_outlet(name: str) -> str | None:
    """Canonical outlet for a name or alias ("The Star Malaysia" -> "The Star (Malaysia)")."""
    return _ALIASES.get(_alias_key(name))


def outlet_for_domain(domain: str) -> str:
    """Outlet for a web domain, or the bare domain ("www.example.com" -> "example.com")."""
    domain = domain.lower().split(":")[0].removeprefix("www.")
    for known, outlet in _DOMAINS.items():
        if domain == known or domain.endswith("." + known):
            return outlet
    return domain


# --------------------------------------------------------------------------------------------
# Files and folders
# --------------------------------------------------------------------------------------------


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


def _load_folder(folder: Path, max_bytes: int, warn: Callable[[str], None], problems: list[str]) -> list[_Draft]:
    drafts: list[_Draft] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_symlink() and not path.exists():
            warn(f"{path}: broken link, skipped")
            continue
        if not path.is_file():
            continue
        if path.name.lower() in SKIP_NAMES or _is_sidecar(path):
            logger.debug("%s: not an article, skipped", path)
            continue
        if path.suffix.lower() not in SUFFIXES:
            warn(f"{path}: skipped (unsupported file type {path.suffix or '(no suffix)'!r})")
            continue
        drafts.extend(_load_file_or_warn(path, max_bytes, warn, problems))
    return drafts


def _load_file_or_warn(path: Path, max_bytes: int, warn: Callable[[str], None], problems: list[str]) -> list[_Draft]:
    try:
        drafts = _load_file(path, max_bytes, warn)
    except _Skip as exc:
        message = f"{path}: {exc}"
        warn(message + ", skipped")
        problems.append(message)
        return []
    if not drafts:
        problems.append(f"{path}: no usable record")
    return drafts


def _load_file(path: Path, max_bytes: int, warn: Callable[[str], None]) -> list[_Draft]:
    size = path.stat().st_size
    if size > max_bytes:
        raise _Skip(f"file is too big ({size:,} bytes > max_bytes={max_bytes:,})")
    raw = scrub_surrogates(_decode(path.read_bytes(), path))
    if not raw.strip():
        raise _Skip("file is empty")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _read_jsonl(path, raw, warn)
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


def _decode(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252, else latin-1."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data:
        raise _Skip("binary file (contains NUL bytes)")
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        logger.info("%s: not UTF-8, read as %s", path, encoding)
        return text
    raise AssertionError("latin-1 decodes any bytes")  # pragma: no cover


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
        if not candidate.is_file():
            continue
        try:
            data = json.loads(candidate.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            warn(f"{candidate}: unreadable metadata ({exc}), ignored")
            return {}
        if not isinstance(data, dict):
            warn(f"{candidate}: metadata must be a JSON object, ignored")
            return {}
        return _pick_meta(data)
    return {}


def _pick_meta(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in META_KEYS if data.get(key) not in (None, "")}


# --------------------------------------------------------------------------------------------
# Readers: one per format, each returning tracked text mapped to the original
# --------------------------------------------------------------------------------------------


def _read_txt(path: Path, raw: str, warn: Callable[[str], None]) -> _Draft:
    text, offsets = clean(raw)
    return _Draft(str(path), path, raw, text, offsets, cue_text=raw)


def _read_md(path: Path, raw: str, warn: Callable[[str], None]) -> _Draft:
    meta: dict[str, Any] = {}
    body_start = 0
    if match := _FRONT_MATTER.match(raw):
        body_start = match.end()
        try:
            data = yaml.safe_load(match.group(1))
        except yaml.YAMLError as exc:
            warn(f"{path}: unreadable front matter ({exc.__class__.__name__}), ignored")
            data = None
        if isinstance(data, dict):
            meta = _pick_meta(data)
        elif data is not None:
            warn(f"{path}: front matter is not a mapping, ignored")
    body = raw[body_start:]
    plain, pos = _strip_markup(body, list(range(len(body))), _MD_RE)
    text, offsets = clean(plain)
    return _Draft(str(path), path, raw, text, _compose(offsets, pos, body_start), meta, cue_text=body)


def _read_html(path: Path, raw: str, warn: Callable[[str], None]) -> _Draft:
    page = _HTMLText(raw)
    page.feed(raw)
    page.close()
    plain, pos = page.result()
    text, offsets = clean(plain)
    meta = dict(page.meta)
    if page.title_text and "title" not in meta:
        meta["title"] = page.title_text
    return _Draft(str(path), path, raw, text, _compose(offsets, pos), _pick_meta(meta), cue_text=plain)


def _read_jsonl(path: Path, raw: str, warn: Callable[[str], None]) -> list[_Draft]:
    drafts: list[_Draft] = []
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            warn(f"{where}: bad JSON ({exc.msg}), skipped")
            continue
        if isinstance(record, dict):  # JSON escapes can encode lone surrogates ("\udcff"), which no UTF-8 can hold
            record = {k: scrub_surrogates(v) if isinstance(v, str) else v for k, v in record.items()}
        if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not record["text"].strip():
            warn(f"{where}: record needs a non-empty string field 'text', skipped")
            continue
        text, offsets = clean(record["text"])
        if not text:
            warn(f"{where}: no text left after cleaning, skipped")
            continue
        drafts.append(_Draft(where, path, record["text"], text, offsets, _pick_meta(record), record["text"]))
    return drafts


def _to_article(draft: _Draft, warn: Callable[[str], None]) -> Article:
    meta = draft.meta
    for key in ("source", "title", "url"):
        if key in meta and not isinstance(meta[key], str):
            warn(f"{draft.path}: metadata {key!r} must be a string, ignored")
            meta.pop(key)
    try:
        day = _iso_date(meta.get("date"))
    except ValueError:
        warn(f"{draft.path}: unreadable date {meta.get('date')!r}, ignored")
        day = None
    url = meta.get("url")
    source = meta.get("source") or (outlet_for_domain(m.group(1)) if url and (m := _URL.match(url)) else None)
    return Article(
        id="a:" + short_hash(draft.original),
        path=draft.path,
        source=(source or infer_source(draft.cue_text, draft.file)).strip(),
        title=meta.get("title") or guess_title(draft.text),
        date=day,
        url=url,
        text=draft.text,
        original=draft.original,
        offsets=array("i", draft.offsets),  # 4 bytes a character: a tuple of ints took ~36
        date_source="metadata" if day else None,
    )


def _with_inferred_date(article: Article) -> Article:
    """No date in the metadata: infer one from the text (anniversaries, datelines, explicit dates)."""
    if article.date:
        return article
    guess = infer_article_date(article.text)
    if guess is None:
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
    """``date``/``datetime``/common date strings -> "YYYY-MM-DD"; ValueError when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise ValueError(value)
    text = value.strip()
    if match := re.match(r"\d{4}-\d{2}-\d{2}", text):
        return date.fromisoformat(match.group()).isoformat()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(value)


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

    def result(self) -> tuple[str, list[int]]:
        """Text and source offsets; only <article>/<main> content when the page has any."""
        keep = range(len(self._chars))
        if any(m and not c.isspace() for m, c in zip(self._in_main, self._chars)):
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


# --------------------------------------------------------------------------------------------
# Outlet lookup tables (built from OUTLETS)
# --------------------------------------------------------------------------------------------


def _alias_key(name: str) -> str:
    key = re.sub(r"[^\w ]+", " ", name.lower())
    key = " ".join(key.split())
    return key.removeprefix("the ")


_ALIASES: dict[str, str] = {
    _alias_key(alias): outlet for outlet, (aliases, _) in OUTLETS.items() for alias in (outlet, *aliases)
}
_DOMAINS: dict[str, str] = {domain: outlet for outlet, (_, domains) in OUTLETS.items() for domain in domains}


def override_dates(articles: Sequence[Article], specs: Sequence[str]) -> list[Article]:
    """Apply ``--date`` overrides: "YYYY-MM-DD" for every article, or "NAME=YYYY-MM-DD" for the article
    whose file name, stem or path is NAME. Raises InputError for a bad date or a NAME that matches nothing."""
    out = list(articles)
    for spec in specs:
        name, _, value = spec.rpartition("=")
        try:
            day = date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            raise InputError(f"--date {spec!r}: dates are YYYY-MM-DD (optionally NAME=YYYY-MM-DD)") from None
        hits = [i for i, a in enumerate(out) if not name or name in (a.path, Path(a.path).name, Path(a.path).stem)]
        if not hits:
            raise InputError(f"--date {spec!r}: no article file is named {name!r}")
        for i in hits:
            out[i] = dataclasses.replace(out[i], date=day, date_source="command line")
    return out
