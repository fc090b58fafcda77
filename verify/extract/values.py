"""The value model: numbers, quantities and dates in claims ("about 80 people", "$3bn", "the 79th", "hundreds of
troops", "Aug 8, 1945", "1950-53"), and the language tables every value reader shares.

``extract_quantities`` turns text into ``Quantity`` intervals [low, high] with a normalised unit;
``compatible`` and ``quantity_conflicts`` say whether two outlets' numbers can both be true. ``extract_dates``
turns text into ISO-like date strings ("1945-08-08", "--08-15", "1950/1953"); ``dates_compatible`` says
whether two of them can both hold. The extractor parses each claim once (``Claim.quantities``,
``Claim.numbers``, ``Claim.dates``) and the verdict rules read those.

The one month table (``MONTH_NAMES``, ``MONTHS``, the ``MONTH`` pattern), number-word table
(``NUMBER_WORDS``, ``ORDINAL_WORDS``) and year pattern (``YEAR``) live here; the time expressions
(``verify.extract.timeinfo``), the claim rules and the value edits of the evaluation use them.

Years, dates, times and identifiers ("1945", "Aug 8", "1950-53", "10:30", "F-35", "G7", "1990s") are not
quantities. Everything is rules over the tables below, and nothing here raises on arbitrary text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

INF = math.inf
REL_TOL = 0.02  # exact values within 2% agree ("1,500" vs "1,520"); ordinals must be equal

# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
# a hedge scales the stated value v into [v * low factor, v * high factor]
ABOUT, NEARLY, JUST_OVER, OVER, UNDER, EXACT = (0.9, 1.1), (0.9, 1.0), (1.0, 1.1), (1.0, INF), (0.0, 1.0), (1.0, 1.0)
HEDGES = {  # written just before the number
    "about": ABOUT, "around": ABOUT, "roughly": ABOUT, "some": ABOUT, "approximately": ABOUT, "approx.": ABOUT,
    "an estimated": ABOUT, "estimated": ABOUT, "close to": ABOUT, "circa": ABOUT, "~": ABOUT,
    "nearly": NEARLY, "almost": NEARLY, "just under": NEARLY, "just shy of": NEARLY, "just below": NEARLY,
    "just over": JUST_OVER, "just above": JUST_OVER, "slightly more than": JUST_OVER,
    "more than": OVER, "over": OVER, "at least": OVER, "upwards of": OVER, "in excess of": OVER, "above": OVER,
    "greater than": OVER, "exceeding": OVER,
    "less than": UNDER, "under": UNDER, "fewer than": UNDER, "up to": UNDER, "as many as": UNDER,
    "as much as": UNDER, "no more than": UNDER, "not more than": UNDER, "at most": UNDER, "below": UNDER,
    "between": EXACT, "from": EXACT,  # they open a range: "between 10 and 20", "from 10 to 20"
}
POST_HEDGES = {  # written just after the number or its unit
    "+": OVER, "or more": OVER, "plus": OVER, "and more": OVER, "or so": ABOUT, "or less": UNDER, "or fewer": UNDER,
}
VAGUE = {  # phrase -> (low, high); always approximate
    "dozens": (24, 99), "several dozen": (24, 99), "hundreds": (200, 999), "several hundred": (200, 999),
    "a few hundred": (200, 999), "thousands": (2_000, 9_999), "several thousand": (2_000, 9_999),
    "a few thousand": (2_000, 9_999), "tens of thousands": (20_000, 99_999),
    "hundreds of thousands": (200_000, 999_999),
    "millions": (2e6, 9_999_999), "several million": (2e6, 9_999_999), "tens of millions": (2e7, 99_999_999),
    "hundreds of millions": (2e8, 999_999_999), "billions": (2e9, 9_999_999_999),
}
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}
TENS = {word: value for word, value in NUMBER_WORDS.items() if value >= 20}  # "seventy" in "seventy-ninth"
MULTIPLIERS = {"hundred": 100, "dozen": 12}  # inside a number word phrase: "two hundred and fifty", "two dozen"
SCALES = {"hundred": 100, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
ABBREVIATED_SCALES = {"k": 1e3, "m": 1e6, "mn": 1e6, "bn": 1e9, "b": 1e9, "tn": 1e12}  # "3bn", "€5m", "10k"
ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9,
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15,
    "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
    "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90,
    "hundredth": 100,
}
WEAK_ORDINALS = {"first", "second"}  # "at first", "a second": ordinals only before an ORDINAL_NOUNS word
CURRENCY_SYMBOLS = {  # written before the number (case-sensitive)
    "US$": "usd", "$": "usd", "USD": "usd", "€": "eur", "EUR": "eur", "£": "gbp", "GBP": "gbp", "₩": "krw",
    "KRW": "krw", "¥": "jpy", "JPY": "jpy", "CNY": "cny", "RMB": "cny", "₽": "rub",
}
UNITS = {  # canonical unit -> (kind, spellings after the number); "(s)" marks an optional plural s
    "percent": ("percent", "%, percent, per cent, pct"),
    "percentage point": ("percent", "percentage point(s)"),
    "usd": ("money", "dollar(s), US dollar(s), usd"),
    "eur": ("money", "euro(s), eur"),
    "gbp": ("money", "pounds sterling, gbp"),
    "krw": ("money", "won, krw"),
    "jpy": ("money", "yen, jpy"),
    "cny": ("money", "yuan, renminbi, cny, rmb"),
    "rub": ("money", "ruble(s), rouble(s)"),
    "ton": ("measure", "ton(s), tonne(s)"),
    "kiloton": ("measure", "kiloton(s), kt"),
    "km": ("measure", "km, kilometre(s), kilometer(s)"),
    "km2": ("measure", "km2, km², sq km, square kilometre(s), square kilometer(s)"),
    "m": ("measure", "metre(s), meter(s)"),
    "mile": ("measure", "mile(s)"),
    "kg": ("measure", "kg, kilogram(s), kilo(s)"),
    "hectare": ("measure", "hectare(s)"),
    "acre": ("measure", "acre(s)"),
    "barrel": ("measure", "barrel(s)"),
    "litre": ("measure", "litre(s), liter(s)"),
    "ft": ("measure", "ft, foot, feet"),
    "people": ("count", "people, person(s)"),
    "soldier": ("count", "soldier(s), troop(s)"),
    "child": ("count", "child, children"),
    "casualty": ("count", "casualty, casualties"),
    "country": ("count", "country, countries"),
    "city": ("count", "city, cities"),
    "century": ("count", "century, centuries"),
}
COUNT_NOUNS = (  # regular plurals: canonical unit is the singular
    "civilian death victim refugee prisoner worker student visitor tourist resident member official delegate "
    "missile ship vessel aircraft plane jet drone tank vehicle home house building village case vote seat time "
    "year month week day hour minute decade"
).split()
ORDINAL_NOUNS = (  # "the 79th anniversary" -> ordinal 79, unit "anniversary"
    "anniversary time summit meeting talks round term year day week month century birthday visit session "
    "edition test launch trip attempt place generation wave congress"
).split()
FUNCTION_WORDS = (  # never skipped between a number and its unit ("5 of the soldiers" has no unit)
    "of and or nor but to in on at by for from with into than per the a an as is are was were be been has have had "
    "who which that this these those it its their his her more less fewer over under about after before since "
    "during while when where said says not no each every all some ago"
).split()
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")
MONTH_ABBREVIATIONS = ("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec")
MONTHS: dict[str, int] = {  # lower-case name or abbreviation -> month number
    **{name.lower(): n for n, name in enumerate(MONTH_NAMES, start=1)},
    **{short: n for short in MONTH_ABBREVIATIONS for n, name in enumerate(MONTH_NAMES, start=1)
       if name.lower().startswith(short)},
}
# a month as written (case-sensitive: "may" is a verb, "mar" a verb); callers add the word boundaries
MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?"
    r"|Nov(?:ember)?|Dec(?:ember)?)"
)
DAY = r"[0-9]{1,2}(?:st|nd|rd|th)?"
YEAR = r"(?:1[5-9]|20)[0-9]{2}"  # a year as written: 1500-2099
_MONTH_WORD = rf"\b{MONTH}\b\.?"
NOT_QUANTITIES = [  # spans whose digits are never quantities (case-sensitive: "may" is a verb)
    rf"{_MONTH_WORD}\s+{DAY}(?:\s*[-–]\s*{DAY})?(?:,?\s+{YEAR})?(?![0-9])",  # Aug 8, 1945 / June 12-14
    rf"\b{DAY}(?:\s*[-–]\s*{DAY})?\s+(?:of\s+)?{_MONTH_WORD}(?:,?\s+{YEAR})?",  # 12 June / 8th of August 1945
    rf"{_MONTH_WORD},?\s+{YEAR}\b",  # June 2020
    rf"\b{YEAR}\s*[-–/]\s*[0-9]{{2}}\b",  # 1950-53, 2019/20
    r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}\b|\b[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}\b",  # 1945-08-08, 8/8/1945
    r"\b[0-9]{1,2}[:.][0-9]{2}\s*(?i:[ap]\.?m\b\.?)|\b[0-9]{1,2}:[0-9]{2}\b|\b[0-9]{1,2}\s*(?i:[ap]\.?m)\b\.?",  # times
]


# ---------------------------------------------------------------------------------------------
# Patterns built from the tables
# ---------------------------------------------------------------------------------------------
def _alt(phrases: Iterable[str]) -> str:
    """Regex alternation, longest first; a space matches any run of whitespace."""
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(set(phrases), key=len, reverse=True))


def _spellings(spec: str) -> list[str]:
    """"ton(s), tonne(s)" -> ["ton", "tons", "tonne", "tonnes"]."""
    out = []
    for item in (s.strip() for s in spec.split(",")):
        out += [item[:-3], item[:-3] + "s"] if item.endswith("(s)") else [item]
    return out


UNIT_OF: dict[str, tuple[str, str]] = {}  # lower-case spelling -> (canonical unit, kind)
for _unit, (_kind, _spec) in UNITS.items():
    UNIT_OF.update({s.lower(): (_unit, _kind) for s in _spellings(_spec)})
for _noun in COUNT_NOUNS:
    UNIT_OF.update({_noun: (_noun, "count"), _noun + "s": (_noun, "count")})

_UNITS_9 = _alt(w for w, v in NUMBER_WORDS.items() if v < 10)
_TENS = _alt(TENS)
_BELOW_100 = rf"(?:(?:{_TENS})(?:[-\s](?:{_UNITS_9}))?|{_alt(w for w, v in NUMBER_WORDS.items() if v < 20)})"
_ORD_9 = _alt(w for w, v in ORDINAL_WORDS.items() if v < 10)
_SCALE_WORDS = _alt(SCALES)
_NOT_AFTER_WORD = r"(?<![A-Za-z-])"

CORE = re.compile(
    "|".join(
        [
            rf"{_NOT_AFTER_WORD}(?P<vague>{_alt(VAGUE)})(?![A-Za-z])",
            rf"{_NOT_AFTER_WORD}(?P<ordword>(?:{_TENS})[-\s](?:{_ORD_9})|{_alt(ORDINAL_WORDS)})(?![A-Za-z])",
            rf"{_NOT_AFTER_WORD}(?P<words>(?:(?:a|{_UNITS_9})\s+hundred(?:\s+(?:and\s+)?{_BELOW_100})?|{_BELOW_100}"
            rf"|a(?=\s+(?:dozen|{_SCALE_WORDS})\b))(?:\s+dozen)?)(?:\s+(?P<wscale>{_SCALE_WORDS}))?(?![A-Za-z])",
            r"(?<![0-9A-Za-z.,])(?<![A-Za-z]-)"  # not inside "F-35", "G7", "1.2.3"
            r"(?P<num>[0-9]{1,15}(?:,[0-9]{3}){0,5}(?:\.[0-9]{1,12})?)(?![0-9]|[.,][0-9])"
            rf"(?:(?P<ord>st|nd|rd|th)(?![A-Za-z])|(?P<abbr>{_alt(ABBREVIATED_SCALES)})(?![A-Za-z])"
            rf"|\s*(?P<scale>{_SCALE_WORDS})(?![A-Za-z]))?",
        ]
    ),
    re.IGNORECASE,
)
# up to two words between a number and its unit: "200 North Korean soldiers"
_FILLER = rf"(?:(?!(?:{_alt(FUNCTION_WORDS)})(?![\w'’-]))[A-Za-z][\w'’-]*\s+)"
UNIT_AFTER = re.compile(rf"(?:\s+of\b)?[-\s]*{_FILLER}{{0,2}}?(?P<unit>{_alt(UNIT_OF)})(?![A-Za-z])", re.IGNORECASE)
UNIT_NEXT = re.compile(rf"[-\s]*(?P<unit>{_alt(UNIT_OF)})(?![A-Za-z])", re.IGNORECASE)  # no words in between
ORDINAL_NOUN_AFTER = re.compile(rf"[-\s]*{_FILLER}{{0,2}}?(?P<unit>{_alt(ORDINAL_NOUNS)})(?![A-Za-z])", re.IGNORECASE)
POST_HEDGE_AFTER = re.compile(rf"(?:\+|\s+(?:{_alt(k for k in POST_HEDGES if k != '+')})(?![A-Za-z]))", re.IGNORECASE)
HEDGE_BEFORE = re.compile(rf"(?<![A-Za-z])(?P<hedge>{_alt(HEDGES)})\s*\Z", re.IGNORECASE)
CURRENCY_BEFORE = re.compile(rf"(?<![A-Za-z])(?P<cur>{_alt(CURRENCY_SYMBOLS)})\s?\Z")
FRACTION = re.compile(r"(?<![A-Za-z])(?:a|one|two|three)\s+\Z", re.IGNORECASE)  # "a third of", not "the third"
OF_AFTER = re.compile(r"\s+of\b", re.IGNORECASE)
RANGE_GAP = re.compile(r"\s*(?:-|–|—|to)\s*", re.IGNORECASE)
BETWEEN_GAP = re.compile(r"\s+and\s+", re.IGNORECASE)
NOT_QUANTITY = re.compile("|".join(NOT_QUANTITIES))
YEARLIKE = re.compile(YEAR)
# dates: a month with an optional day and year ("Aug 8, 1945", "June 2020", "Aug. 15"); a year or year range
DATE = re.compile(
    rf"\b(?P<month>{MONTH})\.?(?:\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?)?(?:,?\s+(?P<year>{YEAR}))?\b"
)
YEARS = re.compile(rf"\b({YEAR})(?:\s*[-–]\s*(\d{{2,4}}))?\b")  # "1945", "1950-53", "1910–1945"


# ---------------------------------------------------------------------------------------------
# Quantity
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Quantity:
    """A stated number as an interval: "about 80 people" -> [72, 88] people, approx."""

    low: float
    high: float  # math.inf for "more than 1,000"
    unit: str  # normalised singular ("ton", "percent", "usd", "year"); "" when none
    approx: bool  # hedged ("about", "nearly", "more than") or vague ("hundreds of")
    text: str  # as written, hedge and unit included
    kind: str  # "count" | "ordinal" | "money" | "percent" | "measure"

    def to_json(self) -> dict[str, object]:
        """Plain JSON types; an open upper bound is ``None``."""
        high = None if math.isinf(self.high) else self.high
        return {
            "low": self.low, "high": high, "unit": self.unit, "approx": self.approx,
            "text": self.text, "kind": self.kind,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Quantity:
        """The inverse of ``to_json``; an open upper bound may come back as ``None`` or as ``inf``."""
        high = data["high"]
        return cls(float(data["low"]), INF if high is None else float(high), str(data["unit"]), bool(data["approx"]),
                   str(data["text"]), str(data["kind"]))


@dataclass(slots=True)
class _Piece:
    """One number being read: the core plus what was found around it."""

    start: int
    end: int
    low: float
    high: float
    scale: float = 1.0
    unit: str = ""
    kind: str = "count"
    hedge: str = ""
    factors: tuple[float, float] = EXACT
    vague: bool = False
    yearlike: bool = False


# ---------------------------------------------------------------------------------------------
# Extraction
# ---------------------------------------------------------------------------------------------
def extract_quantities(text: str) -> tuple[Quantity, ...]:
    """Every quantity in ``text``, in order; years, dates, times and identifiers are skipped."""
    if not isinstance(text, str) or not text:
        return ()
    masked = [m.span() for m in NOT_QUANTITY.finditer(text)]
    pieces = [p for m in CORE.finditer(text) if not _inside(m.start(), masked) and (p := _read(text, m))]
    quantities = [_quantity(text, p) for p in _merge_ranges(text, pieces) if not _is_year(p)]
    return tuple(dict.fromkeys(quantities))


def _inside(pos: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(s <= pos < e for s, e in spans)


def _read(text: str, m: re.Match[str]) -> _Piece | None:
    """A core match plus currency, hedge and unit around it; None when it is not a quantity."""
    if m.group("vague"):
        low, high = VAGUE[_norm(m.group("vague"))]
        piece = _Piece(m.start(), m.end(), low, high, vague=True)
        return _with_unit(text, piece)
    if m.group("ordword"):
        return _read_ordinal_word(text, m)
    if m.group("words"):
        value = _word_value(m.group("words"))
        scale = SCALES[m.group("wscale").lower()] if m.group("wscale") else 1.0
        piece = _with_unit(text, _Piece(m.start(), m.end(), value * scale, value * scale, scale=scale))
        if value == 1 and scale == 1 and not piece.unit and m.group("words").lower() == "one":
            return None  # "one of them", "one official": not a stated quantity
        return _with_hedge(text, piece)
    return _read_digits(text, m)


def _read_ordinal_word(text: str, m: re.Match[str]) -> _Piece | None:
    word = _norm(m.group("ordword"))
    value = ordinal_value(word)
    piece = _with_ordinal_noun(text, _Piece(m.start(), m.end(), value, value, kind="ordinal"))
    if word in WEAK_ORDINALS and not piece.unit:
        return None
    if FRACTION.search(text, max(0, m.start() - 8), m.start()) and OF_AFTER.match(text, piece.end):
        return None  # "a third of the population"
    return piece


def _read_digits(text: str, m: re.Match[str]) -> _Piece | None:
    raw = m.group("num")
    value = float(raw.replace(",", ""))
    if m.group("ord"):
        return _with_ordinal_noun(text, _Piece(m.start(), m.end(), value, value, kind="ordinal"))
    abbr = (m.group("abbr") or "").lower()
    scale = SCALES[m.group("scale").lower()] if m.group("scale") else ABBREVIATED_SCALES.get(abbr, 1.0)
    piece = _Piece(m.start(), m.end(), value, value, scale=scale, yearlike=bool(YEARLIKE.fullmatch(raw)))
    piece = _with_unit(text, _with_currency(text, piece))
    if m.end() < len(text) and text[m.end()].isalpha() and piece.end == m.end():
        return None  # glued to a word with no unit: "5G", "1990s", "3D"
    if abbr == "m" and piece.kind != "money" and not piece.unit:
        piece.low = piece.high = value  # "a 5m wall": metres, not millions
        piece.unit, piece.kind, piece.scale = "m", "measure", 1.0
    else:
        piece.low = piece.high = value * scale
    return _with_hedge(text, piece)


def _with_currency(text: str, piece: _Piece) -> _Piece:
    m = CURRENCY_BEFORE.search(text, max(0, piece.start - 6), piece.start)
    if m:
        piece.start, piece.unit, piece.kind = m.start(), CURRENCY_SYMBOLS[m.group("cur")], "money"
    return piece


def _with_unit(text: str, piece: _Piece) -> _Piece:
    """Attach "+", a unit and a trailing hedge ("or more") written after the number."""
    if text.startswith("+", piece.end):
        piece.end, piece.factors = piece.end + 1, OVER
    _attach_unit(text, piece)
    post = POST_HEDGE_AFTER.match(text, piece.end)
    if post and not piece.vague:
        piece.end, piece.factors = post.end(), POST_HEDGES[_norm(post.group(0))]
        _attach_unit(text, piece)
    return piece


def _attach_unit(text: str, piece: _Piece) -> None:
    m = (UNIT_NEXT if piece.yearlike else UNIT_AFTER).match(text, piece.end)
    if not m:
        return
    unit, kind = UNIT_OF[_norm(m.group("unit"))]
    if piece.kind == "money" and kind != "money":
        return  # "$5 per ton" keeps its currency
    if piece.yearlike and kind == "count":
        return  # "in 2019 people protested": a year (news style writes "2,000 people")
    piece.end, piece.unit, piece.kind = m.end(), unit, kind


def _with_ordinal_noun(text: str, piece: _Piece) -> _Piece:
    m = ORDINAL_NOUN_AFTER.match(text, piece.end)
    if m:
        piece.end, piece.unit = m.end(), _norm(m.group("unit"))
    return piece


def _with_hedge(text: str, piece: _Piece) -> _Piece:
    m = HEDGE_BEFORE.search(text, max(0, piece.start - 24), piece.start)
    if m:
        piece.hedge = _norm(m.group("hedge"))
        piece.start = m.start()
        if piece.factors == EXACT:  # a trailing "+" or "or more" wins
            piece.factors = HEDGES[piece.hedge]
    return piece


def _word_value(words: str) -> float:
    """"twenty-five" -> 25, "two hundred and fifty" -> 250, "a dozen" -> 12."""
    value = 0.0
    for word in re.split(r"[-\s]+", words.lower()):
        if word in MULTIPLIERS:
            value = max(value, 1.0) * MULTIPLIERS[word]
        elif word == "a":
            value = 1.0
        elif word in NUMBER_WORDS:
            value += NUMBER_WORDS[word]
    return value


def ordinal_value(text: str) -> int:
    """"79th" -> 79, "seventy-ninth" -> 79, "tenth" -> 10."""
    text = text.lower()
    if text[:1].isdigit():
        return int(re.match(r"\d+", text).group(0))  # type: ignore[union-attr]
    return sum(TENS.get(part, 0) or ORDINAL_WORDS.get(part, 0) for part in re.split(r"[-\s]+", text))


def month_number(name: str) -> int:
    """"Aug." -> 8, "September" -> 9, "sept" -> 9: any spelling ``MONTH`` matches."""
    return MONTHS[name[:3].lower()]


def _norm(phrase: str) -> str:
    return " ".join(phrase.lower().split())


# ---------------------------------------------------------------------------------------------
# Ranges, years, the final record
# ---------------------------------------------------------------------------------------------
def _merge_ranges(text: str, pieces: list[_Piece]) -> list[_Piece]:
    """Join "10-20", "10 to 20", "between 10 and 20", "$3-4 billion" into one piece."""
    out: list[_Piece] = []
    i = 0
    while i < len(pieces):
        first = pieces[i]
        second = pieces[i + 1] if i + 1 < len(pieces) else None
        if second and _is_range(text, first, second):
            out.append(_join(first, second))
            i += 2
        else:
            out.append(first)
            i += 1
    return out


def _is_range(text: str, a: _Piece, b: _Piece) -> bool:
    if a.kind == "ordinal" or b.kind == "ordinal" or a.vague or b.vague or b.hedge:
        return False
    if a.unit and b.unit and a.unit != b.unit:
        return False
    gap = text[a.end : b.start]
    gap_ok = RANGE_GAP.fullmatch(gap) or (a.hedge == "between" and BETWEEN_GAP.fullmatch(gap))
    return bool(gap_ok) and _scaled_low(a, b) <= b.high


def _scaled_low(a: _Piece, b: _Piece) -> float:
    """"$3-4 billion": the first number takes the second one's scale when that keeps the order."""
    if a.scale == 1 and b.scale > 1 and a.low * b.scale <= b.high:
        return a.low * b.scale
    return a.low


def _join(a: _Piece, b: _Piece) -> _Piece:
    kind = "money" if "money" in (a.kind, b.kind) else (b.kind if b.unit else a.kind)
    return _Piece(
        a.start, b.end, _scaled_low(a, b), b.high, scale=b.scale, unit=b.unit or a.unit, kind=kind,
        hedge=a.hedge, factors=a.factors, yearlike=a.yearlike and b.yearlike,
    )


def _is_year(piece: _Piece) -> bool:
    """"1945", "from 2010 to 2015": a bare year or year range, with no unit or currency."""
    return piece.yearlike and not piece.unit and piece.scale == 1 and piece.kind == "count"


def _quantity(text: str, piece: _Piece) -> Quantity:
    low_factor, high_factor = piece.factors
    low = _tidy(piece.low * low_factor)
    high = INF if math.isinf(high_factor) else _tidy(piece.high * high_factor)
    approx = piece.vague or piece.factors != EXACT
    return Quantity(low, high, piece.unit, approx, text[piece.start : piece.end].strip(), piece.kind)


def _tidy(value: float) -> float:
    """1650.0000000000002 -> 1650.0: drop float noise from the hedge factors."""
    return float(f"{value:.12g}")


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------
def extract_dates(text: str) -> tuple[str, ...]:
    """Dates as ISO-like strings, in order: "1945-08-08", "1945-08", "--08-15" (day and month, no year), "--08"
    (a month alone), "1945", "1950/1953" (a year range)."""
    out: list[str] = []
    used: list[tuple[int, int]] = []
    for m in DATE.finditer(text):
        month = month_number(m.group("month"))
        day, year = m.group("day"), m.group("year")
        if m.group("month") in ("May", "Mar") and not (day or year):
            continue  # the verb "may", a bare "Mar"
        if year and day:
            out.append(f"{year}-{month:02d}-{int(day):02d}")
        elif year:
            out.append(f"{year}-{month:02d}")
        elif day:
            out.append(f"--{month:02d}-{int(day):02d}")
        else:
            out.append(f"--{month:02d}")
        used.append((m.start(), m.end()))
    for m in YEARS.finditer(text):
        if _inside(m.start(), used):
            continue
        if m.group(2):  # a range such as 1950-53 or 1910-45
            end = m.group(2)
            out.append(f"{m.group(1)}/{m.group(1)[: 4 - len(end)] + end}")
        else:
            out.append(m.group(1))
    return tuple(dict.fromkeys(out))


def date_parts(value: str) -> tuple[str | None, str | None, str | None]:
    """(year, month, day) of an ``extract_dates`` string: "1945-08-08" -> ("1945", "08", "08"); "--08-15" ->
    (None, "08", "15"); a range "1950/1953" -> its start year."""
    if "/" in value:
        return value.split("/")[0], None, None
    if value.startswith("--"):
        parts = value[2:].split("-")
        return None, parts[0], parts[1] if len(parts) > 1 else None
    parts = value.split("-")
    return parts[0], parts[1] if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None


# ---------------------------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------------------------
def compatible(a: Quantity, b: Quantity) -> bool | None:
    """Can both be true? None when they measure different things (kind or unit differ).

    Exact values get a 2% tolerance either side; hedged values already are intervals; ordinals
    must match exactly ("79th" vs "80th" is False)."""
    if a.kind != b.kind or a.unit != b.unit:
        return None
    a_low, a_high = _widened(a)
    b_low, b_high = _widened(b)
    return a_low <= b_high and b_low <= a_high


def dates_compatible(a: str, b: str) -> bool:
    """True when neither date contradicts the other (1945 vs 1945-08-08 agree; Aug 8 vs Aug 9 don't)."""
    return all(x is None or y is None or x == y for x, y in zip(date_parts(a), date_parts(b)))


def _widened(q: Quantity) -> tuple[float, float]:
    if q.approx or q.kind == "ordinal":
        return q.low, q.high
    return q.low * (1 - REL_TOL), q.high * (1 + REL_TOL)


def quantity_conflicts(qa: Sequence[Quantity], qb: Sequence[Quantity]) -> list[str]:
    """["ton: 1,500 vs 15,000"]: comparable pairs that disagree, where neither side has a compatible
    partner on the other side (so an extra, unrelated number never makes a conflict)."""
    matched_a = {i for i, q in enumerate(qa) if any(compatible(q, r) for r in qb)}
    matched_b = {j for j, r in enumerate(qb) if any(compatible(q, r) for q in qa)}
    out = []
    for i, q in enumerate(qa):
        rivals = [r for j, r in enumerate(qb) if j not in matched_b and compatible(q, r) is False]
        if i not in matched_a and rivals:
            out.append(f"{q.unit or q.kind}: {describe(q)} vs {', '.join(describe(r) for r in rivals)}")
    return list(dict.fromkeys(out))


def number_keys(quantities: Iterable[Quantity]) -> tuple[str, ...]:
    """Each quantity as a comparable key, once, in order: "1,500 ton", "79th anniversary", "72-88 people",
    "3,000,000,000 usd" (what a claim carries as ``numbers``)."""
    return tuple(dict.fromkeys(f"{describe(q)} {q.unit}".strip() for q in quantities))


def extract_numbers(text: str) -> tuple[str, ...]:
    """The keys (``number_keys``) of the quantities in ``text``; years and dates are not among them."""
    return number_keys(extract_quantities(text))


def describe(q: Quantity) -> str:
    """Short human form: "1,500", "79th", "1,000+", "up to 50", "72-88"."""
    if q.kind == "ordinal":
        return _ordinal(q.low)
    if q.low == q.high:
        return _number(q.low)
    if math.isinf(q.high):
        return _number(q.low) + "+"
    if q.low == 0:
        return "up to " + _number(q.high)
    return f"{_number(q.low)}-{_number(q.high)}"


def _number(value: float) -> str:
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _ordinal(value: float) -> str:
    n = int(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
