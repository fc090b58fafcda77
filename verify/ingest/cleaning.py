"""Offset-tracked cleaning of published text: ``clean`` and ``guess_title``.

Cleaning works on *tracked text*: a string plus, for each of its characters, the offset of the
character it came from. Every step (character mapping, markup removal, line filters, joins)
edits both together, so offsets survive any number of steps. ``clean`` normalises quotes and
spaces, drops page furniture (section labels, footers, captions, mastheads, donation appeals,
repeated lines) and repairs lines broken inside a sentence. The readers share the tracked-text
helpers ``strip_markup`` (regex edits) and ``compose`` (offsets through two steps).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from verify.ingest.outlets import MASTHEAD_MAX_CHARS, canonical_outlet

__all__ = ["CHAR_MAP", "DROP_CHARS", "clean", "compose", "guess_title", "strip_markup"]

# --------------------------------------------------------------------------------------------
# Tables (data, not code)
# --------------------------------------------------------------------------------------------

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

_BOILERPLATE_RE = [re.compile(p, re.I) for p in BOILERPLATE_LINES]
_CAPTION_RE = [re.compile(p) for p in CAPTION_LINES]  # agency names are matched case-sensitively
_APPEAL_RE = [re.compile(p, re.I) for p in APPEAL_SENTENCES]
_GLUED = re.compile(r"(?<=[a-z0-9][.!?])(?=[A-Z])|(?<=[a-z0-9][.!?][\"'])(?=[A-Z])")  # "difference.North"
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+")
_TERMINAL = ".!?:;"
_CLOSERS = "\"')]"
_SPACES = re.compile(r" {2,}")
# every character _normalise_chars may change: CR, invisible ones, typographic ones, controls but newline
_SPECIAL_CHARS = re.compile(
    "[" + re.escape("".join(sorted({"\r", *DROP_CHARS, *CHAR_MAP}))) + "\x00-\x09\x0b-\x1f\x7f-\x9f]"
)

# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


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


def compose(offsets: tuple[int, ...], pos: Sequence[int], base: int = 0) -> tuple[int, ...]:
    """Offsets into an intermediate text -> offsets into the original, via ``pos`` (shifted by ``base``)."""
    mapped = [pos[o] + base for o in offsets[:-1]]
    return tuple(mapped + [mapped[-1] + 1 if mapped else base])


def strip_markup(
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


# --------------------------------------------------------------------------------------------
# Tracked lines
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Line:
    """One line of tracked text, with what the joins and filters need to know about its surroundings."""

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
    text, pos = strip_markup(text, pos, [(_SPACES, 0)]) if "  " in text else (text, pos)
    lead = len(text) - len(text.lstrip())
    stop = len(text.rstrip())
    return text[lead:stop], pos[lead:stop]


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
    return len(text) <= MASTHEAD_MAX_CHARS and canonical_outlet(text) is not None


