"""Time expressions: when an article was written, and which time a claim is about.

Pure functions over data tables (stdlib only; months, number words and the year pattern are the value
model's, ``verify.extract.values``):

- ``infer_article_date(text)`` guesses the publication date from clues in the text: a dateline,
  an ordinal anniversary of a known event ("the 79th anniversary of Korea's liberation" -> 2024),
  or the latest explicit full date that is not history.
- ``resolve_time(sentence, article_date)`` turns the time expressions of one sentence ("on Thursday",
  "last year", "in June", "1950-53", "eight years ago", "the former ...") into an ``Interval`` of dates,
  resolving relative ones against the article date, and returns the most specific.
- ``times_conflict(a, b)`` says whether two claims are about times that cannot be the same.

All intervals are closed: ``start`` and ``end`` are both inside.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from verify.extract.values import MONTH, NUMBER_WORDS, ORDINAL_WORDS, TENS, YEAR, month_number, ordinal_value

# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
WEEKDAYS = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6}
AGO_COUNTS = {**NUMBER_WORDS, "a": 1, "an": 1}  # "eight years ago", "a week ago"

# Anniversary anchors ("the 79th anniversary of Korea's liberation" -> 2024) are story knowledge: they come
# from the loaded knowledge packs (``Knowledge.anniversaries``, exact events only) and are passed in.

# How much a guessed article date is trusted, by the kind of clue it came from.
CONFIDENCE = {"dateline": 0.9, "anniversary": 0.8, "explicit": 0.6, "year": 0.4}
# Full dates before this year are history ("Aug 8, 1945"), never the publication date.
HISTORY_BEFORE = 1990

# Most specific first: resolve_time returns the candidate whose precision comes first here.
# "present" is reserved for present-tense state markers, which are not resolved yet.
PRECISIONS = ("day", "present", "week", "month", "year", "range", "decade", "past")

WEEKDAY = "(?:" + "|".join(day.title() for day in WEEKDAYS) + ")"
NUMBER = r"(?:\d{1,4}|" + "|".join(sorted(AGO_COUNTS, key=len, reverse=True)) + ")"
ORDINAL = (
    r"(?:\d{1,4}(?:st|nd|rd|th)|(?:(?:" + "|".join(TENS) + r")[- ]?)?(?:"
    + "|".join(sorted(ORDINAL_WORDS, key=len, reverse=True)) + "))"
)
# words after a bare year that make it a count, not a year ("2000 troops")
COUNT_NOUNS = (
    r"(?:people|troops|soldiers|workers|members|tons?|tonnes?|km|kilomet(?:er|re)s|miles|met(?:er|re)s|dollars|won|yen"
    r"|times|cases|deaths|units)\b"
)

# A sentence that looks ahead: bare weekdays and month names in it point forward, not back ...
FUTURE_CUES = re.compile(
    r"\b(?:will|won't|shall|(?:is|are) (?:expected|scheduled|set|due|slated|poised) to|plans? to|tomorrow|upcoming|"
    r"(?:set|scheduled|slated) for)\b",
    re.IGNORECASE,
)
# ... unless the weekday is when something was said ("KCNA said Thursday that Kim will ...").
REPORTED_BEFORE = re.compile(
    r"\b(?:said|says|reported|reports|announced|told|stated|claimed|added)\s+(?:on\s+)?$", re.IGNORECASE
)
BE_FORMS = {"is", "was", "are", "were", "be", "been", "being", "get", "got", "gets", "getting", "become", "became"}

# Time expressions, tried in this order; a match that overlaps an earlier one is skipped, so
# "Aug 8, 1945" is one day and not also a bare year. Each name has a resolver below (_RESOLVERS).
EXPRESSIONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("iso_date", r"(?<!\d)(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})(?!\d)"),
        ("month_day_year", rf"\b(?P<mon>{MONTH})\b\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})(?!\d)"),
        ("day_month_year", rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{MONTH})\b\.?,?\s+(?P<year>\d{{4}})(?!\d)"),
        ("month_year", rf"\b(?P<mon>{MONTH})\b\.?,?\s+(?P<year>\d{{4}})(?!\d)"),
        ("month_day", rf"\b(?P<mon>{MONTH})\b\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?![\d,.]\d)\b"),
        ("day_month", rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{MONTH})\b"),
        ("year_span", rf"\b(?i:from|between)\s+(?P<start>{YEAR})\s+(?i:to|and|until|till|through)\s+(?P<end>{YEAR})\b"),
        ("year_range", rf"(?<![\d.,-])(?P<start>{YEAR})\s*[-–—/]\s*(?P<end>\d{{4}}|\d{{2}})(?![\d-])"),
        ("decade_name", rf"\b(?P<year>(?={YEAR})[0-9]{{3}}0)['’]?s\b"),
        ("month", rf"\b(?P<prep>(?i:in|since|until|till|by|from|to|through|during|of|before|after|last|next|this|early|late|mid))"
                  rf"(?:[\s-]+(?i:early|late|mid))?[\s-]+(?P<mon>{MONTH})\b(?!\.?\s*\d)"),
        ("year", rf"(?<![\w,.$£€-])(?P<year>{YEAR})(?![\d-]|[,.]\d|\s*(?:%|percent)|\s+{COUNT_NOUNS})"),
        ("ago", rf"(?i:\b(?P<n>{NUMBER})\s+(?P<unit>day|week|month|year|decade)s?\s+ago\b)"),
        ("relative_day", r"(?i:\b(?P<word>yesterday|today|tonight|tomorrow|last night|this (?:morning|afternoon|evening))\b)"),
        ("weekday", rf"\b(?:(?P<rel>(?i:last|next|this|on the|on))\s+)?(?P<wd>{WEEKDAY})\b"),
        ("relative_week", r"(?<![Tt]he )\b(?P<rel>(?i:(?:earlier |later )?this|last|next))\s+(?i:week)\b"),
        ("relative_month", r"(?<![Tt]he )\b(?P<rel>(?i:(?:earlier |later )?this|last|next))\s+(?i:month)\b"),
        ("relative_year", r"(?<![Tt]he )\b(?P<rel>(?i:(?:earlier |later )?this|last|next))\s+(?i:year)\b"),
        ("decades", r"(?i:\bdecades\b)"),
        ("past", r"(?i:\b(?:formerly|former|used to)\b|\bonce\b(?!\s+(?:again|more|and for all|in a while|a (?:day|week|month|year)|"
                 r"(?:the|a|an|he|she|they|it|we|you|i|this|that|these|those)\b)))"),
    )
)  # fmt: skip

ANNIVERSARY = re.compile(
    rf"\b(?P<ord>{ORDINAL})\s+(?P<pre>(?:[\w'-]+\s+){{0,3}}?)anniv(?:ersary\b|\.)(?:\s+of\s+(?P<post>[^.;:\n]{{1,80}}))?",
    re.IGNORECASE,
)
DATELINE = re.compile(
    rf"^[ \t\"“]*(?P<city>[A-Z][A-Z'.\- ]{{1,30}}[A-Z.])(?:,\s*[A-Z][A-Za-z. ]{{1,25}}?)?,\s+(?P<mon>{MONTH})\b\.?\s+"
    rf"(?P<day>\d{{1,2}})(?!\d)(?:,\s*(?P<year>\d{{4}}))?\s*(?:\([^()\n]{{1,40}}\))?\s*(?:--|[-–—:])",
    re.MULTILINE,
)
FULL_DATES = ("iso_date", "month_day_year", "day_month_year")


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Interval:
    """A closed range of dates a claim is about, and the expression it came from."""

    start: date
    end: date
    text: str  # the expression as written, e.g. "last week"
    precision: str  # one of PRECISIONS

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"interval {self.text!r} starts after it ends: {self.start} > {self.end}")

    def overlaps(self, other: Interval) -> bool:
        """True when the two intervals share at least one day."""
        return self.start <= other.end and other.start <= self.end

    def to_json(self) -> dict:
        start, end = self.start.isoformat(), self.end.isoformat()
        return {"start": start, "end": end, "text": self.text, "precision": self.precision}


@dataclass(frozen=True, slots=True)
class DateGuess:
    """When an article was probably written, the text that says so, and how sure that is (0-1)."""

    date: date
    evidence: str
    confidence: float
    precision: str = "day"  # "day", or "year" when only the year is known (date is then Jan 1)


# ---------------------------------------------------------------------------------------------
# Article date
# ---------------------------------------------------------------------------------------------
def infer_article_date(text: str, *, anniversaries: Mapping[str, date | int] | None = None) -> DateGuess | None:
    """Guess when an article was written from its own text; None when nothing says.

    Clues, strongest first: a dateline with a year ("SEOUL, Aug. 16, 2024 (Yonhap) --"); an ordinal
    anniversary of an event in ``anniversaries`` (from the knowledge packs; none by default; keys are regexes tried in
    order, values a date or a bare year); the latest full date from ``HISTORY_BEFORE`` on. A dateline
    without a year ("PYONGYANG, April 23 -") gives the month and day to a clue that has the year.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.replace("’", "'")
    line = DATELINE.search(text)
    if line and line.group("year"):
        found = _valid_date(int(line.group("year")), month_number(line.group("mon")), int(line.group("day")))
        if found:
            return DateGuess(found, line.group(0).strip(), CONFIDENCE["dateline"])
    clues = [c for c in (_anniversary_clue(text, anniversaries or {}),
                         _explicit_clue(text)) if c]  # fmt: skip
    guesses = [_with_dateline(clue, line) for clue in clues]
    return max(guesses, key=lambda g: g.confidence) if guesses else None


def _anniversary_clue(text: str, anchors: Mapping[str, date | int]) -> DateGuess | None:
    """The first "Nth anniversary of <known event>": the event's date moved N years on."""
    for m in ANNIVERSARY.finditer(text):
        event = f"{m.group('pre')} {m.group('post') or ''}"
        n = ordinal_value(m.group("ord"))
        for pattern, base in anchors.items():
            if not re.search(pattern, event, re.IGNORECASE):
                continue
            try:
                if isinstance(base, date):
                    return DateGuess(_shift_years(base, n), m.group(0).strip(), CONFIDENCE["anniversary"])
                return DateGuess(date(base + n, 1, 1), m.group(0).strip(), CONFIDENCE["year"], "year")
            except (ValueError, OverflowError):
                break  # an impossible year ("the 9999th anniversary"): try the next mention
    return None


def _explicit_clue(text: str) -> DateGuess | None:
    """The latest full date in the text that is not history."""
    found = [(d, m.group(0)) for name, pattern in EXPRESSIONS if name in FULL_DATES for m in pattern.finditer(text)
             if (d := _match_date(m)) and d.year >= HISTORY_BEFORE]  # fmt: skip
    if not found:
        return None
    latest, evidence = max(found)
    return DateGuess(latest, evidence, CONFIDENCE["explicit"])


def _with_dateline(clue: DateGuess, line: re.Match[str] | None) -> DateGuess:
    """Give a clue the dateline's month and day, in the year that puts it nearest the clue."""
    if line is None:
        return clue
    month, day = month_number(line.group("mon")), int(line.group("day"))
    if clue.precision == "year":
        found = _valid_date(clue.date.year, month, day)
        confidence = CONFIDENCE["explicit"]
    else:
        years = (clue.date.year - 1, clue.date.year, clue.date.year + 1)
        options = [d for y in years if (d := _valid_date(y, month, day))]
        found = min(options, key=lambda d: abs(d - clue.date), default=None)
        if found and abs(found - clue.date) > timedelta(days=183):
            found = None
        confidence = clue.confidence
    if found is None:
        return clue
    return DateGuess(found, f"{clue.evidence}; {line.group(0).strip()}", confidence)


# ---------------------------------------------------------------------------------------------
# What time a sentence is about
# ---------------------------------------------------------------------------------------------
def resolve_time(sentence: str, article_date: date | None) -> Interval | None:
    """The most specific time expression in ``sentence`` as an Interval, or None.

    Relative expressions ("Thursday", "last week", "in June", "eight years ago", "once") are resolved
    against ``article_date`` (a date, datetime or ISO string); without one only absolute expressions
    ("Aug 8, 1945", "in 1947", "1950-53") resolve. A bare weekday, month or month-and-day means the
    latest one on or before the article date, or the next one on or after it when the sentence looks
    ahead ("will", "expected to", "tomorrow"). Precision decides between several expressions (see
    ``PRECISIONS``), then the first one written. Never raises on any string.
    """
    if not isinstance(sentence, str) or not sentence:
        return None
    ref = _as_date(article_date)
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, Interval]] = []
    for name, pattern in EXPRESSIONS:
        for m in pattern.finditer(sentence):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            taken.append(m.span())
            try:
                interval = _RESOLVERS[name](m, ref)
            except (ValueError, OverflowError):  # an impossible date, or one beyond year 1..9999
                interval = None
            if interval is not None:
                found.append((PRECISIONS.index(interval.precision), m.start(), interval))
    return min(found, key=lambda f: (f[0], f[1]))[2] if found else None


def times_conflict(a: Interval | None, b: Interval | None) -> bool:
    """True when both times are known and share no day."""
    return a is not None and b is not None and not a.overlaps(b)


# ---------------------------------------------------------------------------------------------
# Resolvers: (match, article date or None) -> Interval | None; may raise ValueError/OverflowError
# ---------------------------------------------------------------------------------------------
def _full_date(m: re.Match[str], ref: date | None) -> Interval:
    """"Aug 8, 1945", "8 August 1945", "1945-08-08"; an impossible day ("Feb 30, 2020") keeps the month."""
    year, month = int(m.group("year")), _month_of(m)
    day = _valid_date(year, month, int(m.group("day")))
    return _day(day, m) if day else _month_span(year, month, m)


def _month_year(m: re.Match[str], ref: date | None) -> Interval:
    return _month_span(int(m.group("year")), month_number(m.group("mon")), m)


def _month_day(m: re.Match[str], ref: date | None) -> Interval | None:
    """"Aug. 15", "15 August": the nearest such day in the direction the sentence looks."""
    if ref is None:
        return None
    month, day, ahead = month_number(m.group("mon")), int(m.group("day")), _looks_ahead(m)
    for k in range(9):  # Feb 29 can be up to 8 years away
        year = ref.year + k if ahead else ref.year - k
        found = _valid_date(year, month, day)
        if found and (found >= ref if ahead else found <= ref):
            return _day(found, m)
    return _month(m, ref)  # no such day ("Aug 32"): the month


def _year_range(m: re.Match[str], ref: date | None) -> Interval | None:
    """"1950-53", "1910-45", "1950–1953", "from 1950 to 1953"; two-digit ends may roll over ("1999-01")."""
    start, end_text = int(m.group("start")), m.group("end")
    end = int(end_text) if len(end_text) == 4 else start - start % 100 + int(end_text)
    if len(end_text) == 2 and end < start:
        end += 100
        if end - start > 30:
            return None
    if end <= start:
        return None
    return Interval(date(start, 1, 1), date(end, 12, 31), m.group(0), "range")


def _decade_name(m: re.Match[str], ref: date | None) -> Interval:
    year = int(m.group("year"))
    return Interval(date(year, 1, 1), date(year + 9, 12, 31), m.group(0), "decade")


def _month(m: re.Match[str], ref: date | None) -> Interval | None:
    """"in June", "last June", "early June": the nearest such month in the direction meant."""
    if ref is None:
        return None
    month, prep = month_number(m.group("mon")), (m.groupdict().get("prep") or "").lower()
    if prep == "this":
        year = ref.year
    elif prep == "last" or (prep != "next" and not _looks_ahead(m)):
        year = ref.year if month < ref.month or (month == ref.month and prep != "last") else ref.year - 1
    else:
        year = ref.year if month > ref.month or (month == ref.month and prep != "next") else ref.year + 1
    return _month_span(year, month, m)


def _year(m: re.Match[str], ref: date | None) -> Interval:
    return _year_span(int(m.group("year")), m)


def _ago(m: re.Match[str], ref: date | None) -> Interval | None:
    """"eight years ago", "2 months ago", "a week ago", "a decade ago" (give or take five years)."""
    if ref is None:
        return None
    word = m.group("n").lower()
    n, unit = (int(word) if word.isdigit() else AGO_COUNTS[word]), m.group("unit").lower()
    if unit == "day":
        return _day(ref - timedelta(days=n), m)
    if unit == "week":
        return _week(ref - timedelta(weeks=n), m)
    if unit == "month":
        year, month = divmod(ref.year * 12 + ref.month - 1 - n, 12)
        return _month_span(year, month + 1, m)
    if unit == "year":
        return _year_span(ref.year - n, m)
    year = ref.year - 10 * n
    return Interval(date(year - 5, 1, 1), date(year + 5, 12, 31), m.group(0), "decade")


def _relative_day(m: re.Match[str], ref: date | None) -> Interval | None:
    if ref is None:
        return None
    word = m.group("word").lower()
    shift = {"yesterday": -1, "last night": -1, "tomorrow": 1}.get(word, 0)
    return _day(ref + timedelta(days=shift), m)


def _weekday(m: re.Match[str], ref: date | None) -> Interval | None:
    """"Thursday": the latest on or before the article date (the next on or after when the sentence
    looks ahead); "last"/"next Thursday": strictly before/after; "this Thursday": in the article's week."""
    if ref is None:
        return None
    wd, rel = WEEKDAYS[m.group("wd").lower()], (m.group("rel") or "").lower()
    if rel == "this":
        day = ref + timedelta(days=wd - ref.weekday())
    elif rel == "last":
        day = ref - timedelta(days=(ref.weekday() - wd - 1) % 7 + 1)
    elif rel == "next":
        day = ref + timedelta(days=(wd - ref.weekday() - 1) % 7 + 1)
    elif _looks_ahead(m):
        day = ref + timedelta(days=(wd - ref.weekday()) % 7)
    else:
        day = ref - timedelta(days=(ref.weekday() - wd) % 7)
    return _day(day, m)


def _relative_week(m: re.Match[str], ref: date | None) -> Interval | None:
    """"this week", "earlier this week" (the article's Monday-Sunday week), "last week", "next week"."""
    if ref is None:
        return None
    shift = {"last": -1, "next": 1}.get(m.group("rel").lower(), 0)
    return _week(ref + timedelta(weeks=shift), m)


def _relative_month(m: re.Match[str], ref: date | None) -> Interval | None:
    if ref is None:
        return None
    shift = {"last": -1, "next": 1}.get(m.group("rel").lower(), 0)
    year, month = divmod(ref.year * 12 + ref.month - 1 + shift, 12)
    return _month_span(year, month + 1, m)


def _relative_year(m: re.Match[str], ref: date | None) -> Interval | None:
    if ref is None:
        return None
    shift = {"last": -1, "next": 1}.get(m.group("rel").lower(), 0)
    return _year_span(ref.year + shift, m)


def _decades(m: re.Match[str], ref: date | None) -> Interval | None:
    """"go back decades", "for decades": open past, at least ten years before the article."""
    if ref is None:
        return None
    return Interval(date.min, _shift_years(ref, -10), m.group(0), "decade")


def _past(m: re.Match[str], ref: date | None) -> Interval | None:
    """"once", "former", "formerly", "used to": any time before the article date.
    Not "at once", nor the passive or "accustomed" "was used to", "get used to"."""
    if ref is None:
        return None
    before = re.search(r"(\w+)\W*$", m.string[: m.start()])
    previous = before.group(1).lower() if before else ""
    word = m.group(0).lower()
    if (word == "once" and previous in ("at", "all")) or (word == "used to" and previous in BE_FORMS):
        return None
    return Interval(date.min, ref - timedelta(days=1), m.group(0), "past")


_RESOLVERS: dict[str, Callable[[re.Match[str], date | None], Interval | None]] = {
    "iso_date": _full_date, "month_day_year": _full_date, "day_month_year": _full_date, "month_year": _month_year,
    "month_day": _month_day, "day_month": _month_day, "year_span": _year_range, "year_range": _year_range,
    "decade_name": _decade_name, "month": _month, "year": _year, "ago": _ago, "relative_day": _relative_day,
    "weekday": _weekday, "relative_week": _relative_week, "relative_month": _relative_month,
    "relative_year": _relative_year, "decades": _decades, "past": _past,
}  # fmt: skip
assert set(_RESOLVERS) == {name for name, _ in EXPRESSIONS}


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def _day(day: date, m: re.Match[str]) -> Interval:
    return Interval(day, day, m.group(0), "day")


def _week(day: date, m: re.Match[str]) -> Interval:
    monday = day - timedelta(days=day.weekday())
    return Interval(monday, monday + timedelta(days=6), m.group(0), "week")


def _month_span(year: int, month: int, m: re.Match[str]) -> Interval:
    first = date(year, month, 1)
    last = date(year + 1, 1, 1) - timedelta(days=1) if month == 12 else date(year, month + 1, 1) - timedelta(days=1)
    return Interval(first, last, m.group(0), "month")


def _year_span(year: int, m: re.Match[str]) -> Interval:
    return Interval(date(year, 1, 1), date(year, 12, 31), m.group(0), "year")


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_of(m: re.Match[str]) -> int:
    """The month of a match: a name ("Aug.") or digits ("08")."""
    mon = m.group("mon")
    return int(mon) if mon.isdigit() else month_number(mon)


def _match_date(m: re.Match[str]) -> date | None:
    """The date of a full-date match, or None when it does not exist."""
    return _valid_date(int(m.group("year")), _month_of(m), int(m.group("day")))


def _shift_years(day: date, years: int) -> date:
    """The same day ``years`` on (Feb 29 becomes Feb 28 in other years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        if day.month == 2 and day.day == 29:
            return day.replace(year=day.year + years, day=28)
        raise


def _looks_ahead(m: re.Match[str]) -> bool:
    """The sentence talks about the future, and the expression is not when something was said."""
    before = m.string[max(0, m.start() - 40) : m.start()]
    return bool(FUTURE_CUES.search(m.string)) and not REPORTED_BEFORE.search(before)


def _as_date(value: object) -> date | None:
    """A date from a date, datetime or ISO string; None for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None
