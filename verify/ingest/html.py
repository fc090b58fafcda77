"""The main text of an HTML page, every character tracked to its offset in the file.

``read_page`` parses the page with :mod:`html.parser` (``_PageText``: the text outside scripts, styles,
navigation, headers, footers, asides, forms and captions (``HTML_SKIP``), block elements as line breaks,
entities decoded; metadata from ``<meta>``, ``<link rel=canonical>`` and ``<title>``). The main text is
trafilatura's, but made of the page's own cleaned text: each paragraph trafilatura returns is looked up
in it (``_align_paragraphs``), so offsets still point into the file. When trafilatura is missing, fails,
returns nothing, or too little of its text is found, the built-in extractor is used: the
``<article>``/``<main>`` content when the page has any, else the whole page, cleaned.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

from verify.ingest.cleaning import CHAR_MAP, clean, compose

__all__ = ["Page", "read_page"]

logger = logging.getLogger(__name__)

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
MIN_MAIN_COVER = 0.6  # trafilatura's text is used when this share of it is found in the page's own text
MIN_PIECE_CHARS = 20  # a sentence of trafilatura's text shorter than this is not searched on its own
MAX_ALIGN_MISSES = 64  # searches that find nothing (each scans the page) before the built-in extractor is used

_FOLD = str.maketrans({k: v for k, v in CHAR_MAP.items() if len(v) == 1})  # typographic quotes -> ASCII, 1:1
_NON_SPACE = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class Page:
    """What a page holds for ingest: its cleaned main text with offsets into the file, the text searched
    for outlet cues, and the metadata of its ``<meta>``, ``<link rel=canonical>`` and ``<title>`` tags."""

    text: str
    offsets: tuple[int, ...]
    cue_text: str
    meta: Mapping[str, str]


def read_page(raw: str) -> Page:
    """The main text and metadata of the HTML page ``raw`` (see the module docstring)."""
    page = _PageText(raw)
    page.feed(raw)
    page.close()
    meta = dict(page.meta)
    if page.title_text and "title" not in meta:
        meta["title"] = page.title_text
    main = _main_text(raw, page)
    if main is not None:
        text, offsets = main
        return Page(text, offsets, text, meta)
    plain, pos = page.result()
    text, offsets = clean(plain)
    return Page(text, compose(offsets, pos), plain, meta)


class _PageText(HTMLParser):
    """The text of an HTML page (outside HTML_SKIP elements), each character tracked to its offset in the
    source, remembering which characters lie inside <article>/<main>; plus the page's metadata."""

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
        """The text of the page's <title>, whitespace collapsed."""
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


def _main_text(raw: str, page: _PageText) -> tuple[str, tuple[int, ...]] | None:
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
    return "".join(chars), compose(tuple(kept), pos)


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

