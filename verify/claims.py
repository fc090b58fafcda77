"""Article -> Claim: split sentences, keep check-worthy factual ones, make each stand alone.

Everything here is rules over data tables (abbreviations, entity aliases, cue words), so it is
fast, deterministic and easy to extend. Spans always index ``Article.original``.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources

from .timeinfo import resolve_time
from .types import Article, Claim, TimeSpan, short_hash, source_digest

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep", "st", "jr", "sr",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "no", "vs", "etc",
    "inc", "corp", "co", "ltd", "u.s", "u.n", "u.k", "e.g", "i.e", "a.m", "p.m", "anniv", "approx", "est", "vol",
}
MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4,
    "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
    "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000,
}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
# words that make a sentence opinion/advice rather than a checkable fact
OPINION_CUES = re.compile(
    r"\b(I|we|you|our|us|my)\b|\b(should|must|ought to|believe|think|in my view|hopefully)\b", re.IGNORECASE
)
BOILERPLATE_CUES = re.compile(
    r"(subscribe|sign up|newsletter|donat|your support|click here|all rights reserved|cookie|advertis|paywall|follow us)",
    re.IGNORECASE,
)
# reported speech: "according to X", "X said/reported/claimed ...", "the inscription ... proclaims"
SAY_VERBS = r"(?:said|says|reported|reports|claimed|claims|proclaims|proclaimed|stated|announced|added|explained|told|insisted|alleged|denies|denied)"
ATTRIBUTION_PATTERNS = [
    re.compile(r"^(?P<who>The [a-z]+(?: on the [a-z]+)?)\b[^,]*? (?:proclaims|proclaimed|says|said|reads|states)\b"),
    re.compile(r",?\s*according to (?P<who>(?:the )?[A-Z][\w.'’-]*(?: [A-Z(][\w.'’()-]*)*(?: \([A-Z]+\))?)"),
    re.compile(r"(?P<who>\b(?:state media|(?:the )?[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,4}|the [a-z]+(?: [a-z]+)?|he|she|they|analysts|experts))\s+" + SAY_VERBS + r"\b"),
    re.compile(r"\b" + SAY_VERBS + r"\s+(?P<who>[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3})\s*[.,]?\s*$"),
    re.compile(r"\b(?:that )?(?P<who>the [A-Z]\w+|[A-Z]\w+) claimed\b"),
]
LEAD_IN = r"^((?:(?:Meanwhile|In response|Later|Earlier|Then|Also|But|And|However|On the same day)[^,]{0,20}, )?)"
# states that can change (who leads, who is allied, rates and counts), and tense markers of a state
STATE_CUES = re.compile(
    r"\b(ally|allies|ties|relations|leader|president|prime minister|minister|chairman|current|currently|now|once|"
    r"former|main|expected|still|rate|population|channels?|sanctions?)\b",
    re.IGNORECASE,
)
PRESENT_STATE = re.compile(r"\b(is|are|remains?|stands?|has|have)\b(?! been \w+ing)")
PRESENT_WINDOW_DAYS = 30
QUOTE_SHARE = 0.65  # sentences more quotation than this are rhetoric, not check-worthy claims
PAST_STATE = re.compile(r"\b(was|were|used to|had been)\b")
PRONOUN_START = re.compile(LEAD_IN + r"(He|She|he|she)\b")
# a sentence opening like this disputes the attributed claim just before it
REBUTTAL_START = re.compile(r"^(?:In fact|In reality|In truth|Actually|But in fact|But in reality|Historically, however)\b")
EVENT_VERBS = re.compile(
    r"\b(visit\w*|met|meet\w*|sign\w*|declar\w*|kill\w*|built|build\w*|honou?r\w*|fought|liberat\w*|bomb\w*|invad\w*|"
    r"launch\w*|agree\w*|vow\w*|exchang\w*|installed|born|died|elected|won|lost|accus\w*|call\w*|end\w*|began|"
    r"restor\w*|surrender\w*|attack\w*|paid|pays)\b",
    re.IGNORECASE,
)
YEAR = re.compile(r"\b(1[6-9]\d\d|20\d\d)(?:\s*[-–]\s*(\d{2,4}))?\b")
NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(%|percent|tons?|tonnes?|km|miles|people|troops|soldiers))?")
DATE = re.compile(
    r"\b(?P<month>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
    r"(?:\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?)?(?:,?\s+(?P<year>1[6-9]\d\d|20\d\d))?\b"
)
CAPSEQ = re.compile(r"\b(?:[A-Z][\w’'.-]*[a-z0-9]|[A-Z]{2,}|[A-Z]\.)(?:\s+(?:of|the|de|von|al-)?\s*(?:[A-Z][\w’'.-]*[a-z0-9]|[A-Z]{2,}))*")
SENT_END = re.compile(r"[.!?][\"')\]”’]*(?=\s+[\"“‘'(\[]?[A-Z0-9])|[.!?][\"')\]”’]*$")


# ---------------------------------------------------------------------------------------------
# Entities
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EntityTable:
    canonical: dict[str, str]  # alias -> canonical name
    types: dict[str, str]  # canonical -> type
    pattern: re.Pattern[str]

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, canonical) for every alias mention, longest match first."""
        return [(m.start(), m.end(), self.canonical[m.group(0)]) for m in self.pattern.finditer(text)]


@lru_cache(maxsize=1)
def entity_table() -> EntityTable:
    raw = json.loads(resources.files("verify").joinpath("data/aliases.json").read_text(encoding="utf-8"))
    canonical, types = {}, {}
    for name, spec in raw.items():
        if name.startswith("_"):
            continue
        types[name] = spec["type"]
        for alias in [name, *spec["aliases"]]:
            canonical[alias] = name
    alternatives = sorted(canonical, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?!\w)")
    return EntityTable(canonical, types, pattern)


def normalise_entity(name: str) -> str:
    """Canonical form of a name: the alias table, then a fuzzy match on a folded form ("Kim Jong-Un",
    "kim jongun", "Kim Jong Unn" -> "Kim Jong Un"), else a light normal form (hyphens, quotes)."""
    table = entity_table()
    if name in table.canonical:
        return table.canonical[name]
    folded = _fold(name)
    keys = _folded_aliases()
    if folded in keys:
        return keys[folded]
    if len(folded) >= 6:
        close = difflib.get_close_matches(folded, list(keys), n=1, cutoff=0.9)
        if close:
            return keys[close[0]]
    return re.sub(r"[\s-]+", " ", name.replace("’", "'")).strip()


def _fold(name: str) -> str:
    return re.sub(r"[\s\-.'’]+", "", re.sub(r"^the\s+", "", name.lower()))


@lru_cache(maxsize=1)
def _folded_aliases() -> dict[str, str]:
    """Folded alias -> canonical, for aliases long enough to match fuzzily without false hits."""
    return {_fold(alias): canon for alias, canon in entity_table().canonical.items() if len(_fold(alias)) >= 5}


def extract_entities(text: str) -> tuple[str, ...]:
    """Canonical entities: alias-table hits plus other capitalised sequences (not sentence-initial stopwords)."""
    table = entity_table()
    found: list[str] = []
    covered = [False] * len(text)
    for start, end, canon in table.find(text):
        found.append(canon)
        for i in range(start, end):
            covered[i] = True
    for m in CAPSEQ.finditer(text):
        if any(covered[m.start() : m.end()]):
            continue
        word = re.sub(r"['’]s$", "", m.group(0).rstrip("."))
        if m.start() <= 2 and (" " not in word or word.split()[0].lower() in _SENTENCE_STARTERS):
            continue  # a capitalised sentence opener ("The", "From", a dateline), not a name
        if word in WEEKDAYS or word.lower() in MONTHS or len(word) < 2:
            continue
        found.append(normalise_entity(word))
    return tuple(dict.fromkeys(found))


_SENTENCE_STARTERS = {"the", "a", "an", "in", "on", "at", "it", "he", "she", "they", "this", "that", "but", "and", "after",
                      "meanwhile", "some", "earlier", "some", "while", "when", "as", "his", "her", "their", "its", "however"}


# ---------------------------------------------------------------------------------------------
# Values: numbers and dates (normalised strings, comparable across claims)
# ---------------------------------------------------------------------------------------------
def extract_dates(text: str) -> tuple[str, ...]:
    """Dates as ISO-like strings: "1945-08-08", "1945-08", "1945", "--08-15" (day, month, no year)."""
    out: list[str] = []
    used: list[tuple[int, int]] = []
    for m in DATE.finditer(text):
        month = MONTHS[m.group("month").lower().rstrip(".")]
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
    for m in YEAR.finditer(text):
        if any(s <= m.start() < e for s, e in used):
            continue
        if m.group(2):  # a range such as 1950-53 or 1910-45
            end = m.group(2)
            end_year = m.group(1)[: 4 - len(end)] + end
            out.append(f"{m.group(1)}/{end_year}")
        else:
            out.append(m.group(1))
    return tuple(dict.fromkeys(out))


def extract_numbers(text: str) -> tuple[str, ...]:
    """Quantities that are not years or dates: "1500", "79th"->"79", "four"->"4", with unit if given."""
    out: list[str] = []
    year_spans = [(m.start(), m.end()) for m in YEAR.finditer(text)] + [(m.start(), m.end()) for m in DATE.finditer(text)]
    for m in NUMBER.finditer(text):
        if any(s <= m.start() < e for s, e in year_spans):
            continue
        value = m.group(1).replace(",", "")
        unit = (m.group(2) or "").lower().rstrip("s")
        out.append(f"{value} {unit}".strip())
    for m in re.finditer(r"\b(\d+)(?:st|nd|rd|th)\b", text):
        out.append(m.group(1))
    for word in re.findall(r"[A-Za-z]+", text):
        low = word.lower()
        if low in NUMBER_WORDS and low not in ("hundred", "thousand", "million", "billion"):
            out.append(str(NUMBER_WORDS[low]))
        elif low in ORDINALS and low != "second":
            out.append(str(ORDINALS[low]))
    return tuple(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------------------------
def split_sentences(text: str) -> list[tuple[int, int]]:
    """[start, end) spans of sentences; paragraph breaks always end a sentence."""
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", text):
        start = para.start()
        chunk = para.group(0)
        last = 0
        for m in SENT_END.finditer(chunk):
            end = m.end()
            before = chunk[last : m.start()].split()
            token = before[-1].lower().rstrip(".") if before else ""
            if chunk[m.start()] == "." and (token in ABBREVIATIONS or re.fullmatch(r"[a-z]", token) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", token)):
                continue
            spans.append(_strip(text, start + last, start + end))
            last = end
        if chunk[last:].strip():
            spans.append(_strip(text, start + last, para.end()))
    return [s for s in spans if s[1] > s[0]]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# ---------------------------------------------------------------------------------------------
# Check-worthiness, attribution, stand-alone rewriting
# ---------------------------------------------------------------------------------------------
def is_check_worthy(sentence: str, entities: Sequence[str], numbers: Sequence[str], dates: Sequence[str]) -> bool:
    words = sentence.split()
    if len(words) < 6 or len(words) > 80:
        return False
    if sentence.rstrip("\"'”’)").endswith("?") or not re.search(r"[.!\"”’)]$", sentence.rstrip()):
        return False  # questions and headline-like fragments
    if BOILERPLATE_CUES.search(sentence):
        return False
    stripped = sentence.strip()
    if stripped[0] in "\"“" and stripped.rstrip(".").endswith(("\"", "”")) and not entities:
        return False  # a bare quotation with nothing to check it against
    quoted = sum(len(m.group(0)) for m in re.finditer(r"[\"“][^\"”]*[\"”]", sentence))
    if quoted > QUOTE_SHARE * len(sentence):
        return False  # mostly a direct quotation: the speaker's rhetoric, reported through its attribution
    if OPINION_CUES.search(re.sub(r"[\"“][^\"”]*[\"”]", "", sentence)) and not (numbers or dates):
        return False
    return bool(entities or numbers or dates) and (bool(numbers or dates) or bool(EVENT_VERBS.search(sentence)) or len(entities) >= 2)


def find_attribution(sentence: str) -> str | None:
    for pattern in ATTRIBUTION_PATTERNS:
        m = pattern.search(sentence)
        if m:
            who = m.group("who").strip().rstrip(".,")
            if who.lower() in ("he", "she", "they"):
                return who  # resolved to a name by the caller
            return who
    return None


MONUMENT_NOUNS = re.compile(
    r"\b([Tt])he (?:(?!(?:on|of|in|at|the|to|and)\b)[\w-]+ ){0,3}?(?:monument|obelisk|tower|memorial|statue)\b"
)


def make_standalone(sentence: str, subject: str | None, last_person: str | None, last_monument: str | None = None) -> str:
    """Replace a leading pronoun or description with the entity it refers to ("He" -> the person last
    named; "The star-topped stone obelisk" -> the monument last named, when the sentence names none)."""
    text = sentence
    if last_monument and last_monument not in text:
        text = MONUMENT_NOUNS.sub(lambda m: f"{m.group(1)}he {last_monument}", text, count=1)
    referent = last_person or subject
    if referent:
        text = PRONOUN_START.sub(lambda m: m.group(1) + referent, text, count=1)
        text = re.sub(LEAD_IN + r"(?:The|the) North(?:’|')s leader\b", lambda m: m.group(1) + referent, text, count=1)
        text = re.sub(LEAD_IN + r"(?:Current leader|The leader)\b", lambda m: m.group(1) + referent, text, count=1)
    text = re.sub(LEAD_IN + r"(?:The|the) North\b(?!(?:’|')s leader)", lambda m: m.group(1) + "North Korea", text, count=1)
    return text


# ---------------------------------------------------------------------------------------------
# The stage
# ---------------------------------------------------------------------------------------------
def extractor_version() -> str:
    """Changes whenever the claim rules or their data tables change, so stored claims are never stale."""
    return source_digest("claims.py", "timeinfo.py", "ingest.py")


class ClaimExtractor:
    """Article -> check-worthy, stand-alone claims with spans into the original file."""

    def __init__(self, min_words: int = 6) -> None:
        self.min_words = min_words

    def extract(self, articles: Iterable[Article], on_batch: Callable[[int], None] | None = None) -> list[Claim]:
        claims: list[Claim] = []
        for article in articles:
            claims += self._extract_one(article)
            if on_batch:
                on_batch(1)
        return claims

    @staticmethod
    def _resolve_surnames(entities: tuple[str, ...], subject: str | None) -> tuple[str, ...]:
        """A bare surname ("Kim") means the article's main person when the surname matches."""
        if not subject:
            return entities
        return tuple(dict.fromkeys(subject if " " not in e and e in subject.split() else e for e in entities))

    @staticmethod
    def _people(sentence: str, subject: str | None) -> list[str]:
        """People mentioned, in order of appearance; the subject's bare surname ("Kim") counts as the subject."""
        table = entity_table()
        hits = [(start, canon) for start, _, canon in table.find(sentence) if table.types.get(canon) == "person"]
        if subject:
            taken = {start for start, _ in hits}
            for word in subject.split():
                hits += [(m.start(), subject) for m in re.finditer(rf"\b{re.escape(word)}\b(?![\s-]+[A-Z])", sentence)
                         if not any(s <= m.start() < s + 30 for s in taken)]
        return [canon for _, canon in sorted(hits)]

    def _extract_one(self, article: Article) -> list[Claim]:
        table = entity_table()
        spans = split_sentences(article.text)
        sentences = [article.text[s:e] for s, e in spans]
        subject = main_person(sentences)
        out: list[Claim] = []
        last_person: str | None = None
        last_monument: str | None = None
        for index, ((start, end), sentence) in enumerate(zip(spans, sentences)):
            entities = self._resolve_surnames(extract_entities(sentence), subject)
            numbers, dates = extract_numbers(sentence), extract_dates(sentence)
            persons = self._people(sentence, subject)
            keep = is_check_worthy(sentence, entities, numbers, dates)
            if keep:
                standalone = make_standalone(sentence, subject, last_person, last_monument)
                attribution = find_attribution(sentence)
                if attribution in ("he", "she", "He", "She"):
                    attribution = last_person or subject
                if standalone != sentence:
                    entities = self._resolve_surnames(extract_entities(standalone), subject)
                out.append(
                    Claim(
                        time=claim_time(sentence, article.date),
                        id="c:" + short_hash(article.id, sentence),
                        article_id=article.id,
                        source=article.source,
                        text=sentence,
                        standalone=standalone,
                        span=article.span(start, end),
                        attribution=attribution,
                        entities=entities,
                        numbers=numbers,
                        dates=dates,
                        index=index,
                    )
                )
            if persons:
                last_person = persons[0]  # the subject of a sentence usually comes first
            monuments = [c for _, _, c in table.find(sentence) if table.types.get(c) == "monument"]
            if monuments:
                last_monument = monuments[-1]
        log.debug("%s: %d sentences, %d claims", article.path, len(spans), len(out))
        return link_rebuttals(out)


def main_person(sentences: Sequence[str]) -> str | None:
    """The article's main person: most mentions, counting bare surnames ("Kim") and the lede twice."""
    table = entity_table()
    counts: Counter[str] = Counter()
    for n, sentence in enumerate(sentences):
        weight = 2 if n < 3 else 1
        for _, _, canon in table.find(sentence):
            if table.types.get(canon) == "person":
                counts[canon] += weight
    for sentence in sentences:
        for m in re.finditer(r"\b([A-Z][a-z]+)\b(?![\s-]+[A-Z])", sentence):
            named = [p for p in counts if m.group(1) == p.split()[0]]
            if named:
                counts[max(named, key=lambda p: counts[p])] += 1
    return counts.most_common(1)[0][0] if counts else None


def claim_time(sentence: str, article_date: str | None) -> TimeSpan | None:
    """When the claim is about: a time expression resolved against a day-precise article date; else, for a
    state described in the present tense ("X is Y's main ally"), the article's date; for a changeable state
    in the past tense ("X was the leader"), the time before it."""
    ref = article_date if article_date and len(article_date) == 10 else None
    interval = resolve_time(sentence, ref)
    if interval is not None:
        return TimeSpan(interval.start.isoformat(), interval.end.isoformat(), interval.text, interval.precision)
    if ref is None:
        return None
    if PRESENT_STATE.search(sentence):  # a state reported on day D held for a while before it
        since = (date.fromisoformat(ref) - timedelta(days=PRESENT_WINDOW_DAYS)).isoformat()
        return TimeSpan(since, ref, "present tense", "present")
    if PAST_STATE.search(sentence) and STATE_CUES.search(sentence):
        before = (date.fromisoformat(ref) - timedelta(days=1)).isoformat()
        return TimeSpan("0001-01-01", before, "past tense", "past")
    return None


def link_rebuttals(claims: list[Claim]) -> list[Claim]:
    """Mark "In fact, ..." claims (and a following claim that continues them) as rebutting the
    attributed claim just before them in the same article."""
    out = list(claims)
    for i, claim in enumerate(out):
        if not REBUTTAL_START.match(claim.text):
            continue
        target = next((c for c in reversed(out[max(0, i - 2) : i]) if c.attribution and c.index >= claim.index - 2), None)
        if target is None:
            continue
        out[i] = replace(claim, rebuts=target.id)
        nxt = out[i + 1] if i + 1 < len(out) else None
        if nxt and nxt.index == claim.index + 1 and set(nxt.entities) & set(claim.entities) and not nxt.attribution:
            out[i + 1] = replace(nxt, rebuts=target.id)
    return out


def claim_from_text(text: str, *, article_id: str = "a:input", source: str = "input",
                    article_date: str | None = None) -> Claim:
    """One claim from a bare sentence (no check-worthiness filter), with its values, entities and time."""
    text = " ".join(text.split())
    return Claim(
        id="c:" + short_hash(article_id, text), article_id=article_id, source=source, text=text, standalone=text,
        span=(0, len(text)), attribution=find_attribution(text), entities=extract_entities(text),
        numbers=extract_numbers(text), dates=extract_dates(text), time=claim_time(text, article_date),
    )
