"""Article -> Claim: split sentences, keep check-worthy factual ones, make each stand alone.

Sentences, entity mentions and grammatical subjects come from spaCy (``verify.nlp``); entity names are
made canonical through the loaded knowledge packs' alias tables plus fuzzy matching (rapidfuzz), with
types from the packs or from NER. Check-worthiness, attribution and stand-alone rewriting are rules over
English cue words; everything about a particular story (aliases, "the North" -> North Korea) is pack
data (``verify.knowledge``). Each claim's numbers and dates are parsed once, by the value model
(``verify.extract.values``), and carried on the ``Claim``; its time comes from ``verify.extract.timeinfo``.
Spans always index ``Article.original``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache

from rapidfuzz import fuzz, process

from verify.extract.timeinfo import WEEKDAYS, resolve_time
from verify.extract.values import MONTH_ABBREVIATIONS, MONTHS, extract_dates, extract_quantities, number_keys
from verify.knowledge import Knowledge, default_knowledge, mentions
from verify.nlp import NLP, VALUE_LABELS, Sentence, default_nlp
from verify.records import Article, Claim, TimeSpan, short_hash

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------
ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "sgt", "capt", "gov", "sen", "rep", "st", "jr", "sr",
    *MONTH_ABBREVIATIONS, "no", "vs", "etc",
    "inc", "corp", "co", "ltd", "u.s", "u.n", "u.k", "e.g", "i.e", "a.m", "p.m", "anniv", "approx", "est", "vol",
}
# words that make a sentence opinion/advice rather than a checkable fact
# (case-sensitive: "US" is a country, "us" a pronoun; "I" only as a pronoun before a lower-case word)
OPINION_CUES = re.compile(
    r"\b(?:[Ww]e|[Yy]ou|[Oo]ur|us|[Mm]y|[Ii]n my view|[Hh]opefully)\b|\bI (?=[a-z])|"
    r"\b(?:should|ought to|believe|think)\b"
)
BOILERPLATE_CUES = re.compile(
    r"\b(?:subscribe|subscribers? only|sign up|newsletter|donate|donating|make a donation|your support|click here|"
    r"all rights reserved|cookie (?:policy|settings)|advertisement|paywall|follow us|check out|slideshow|read more|"
    r"watch the video|in the video above|share this)\b|\brelated:",
    re.IGNORECASE,
)
# reported speech: "according to X", "X said/reported/claimed ...", "the inscription ... proclaims"
SAY_VERBS = r"(?:said|says|reported|reports|claimed|claims|proclaims|proclaimed|stated|announced|added|explained|told|insisted|alleged|denies|denied)"
# people and bodies reported without a name or an article ("police said", "election officials said")
REPORTERS = (r"(?:police|officials|authorities|witnesses|investigators|prosecutors|sources|residents|doctors|officers|"
             r"spokes(?:man|woman|person)|analysts|experts|researchers|scientists|observers|critics|lawyers|aides)")
ATTRIBUTION_PATTERNS = [
    re.compile(r"^(?P<who>The [a-z]+(?: on the [a-z]+)?)\b[^,]*? (?:proclaims|proclaimed|says|said|reads|states)\b"),
    re.compile(r",?\s*according to (?P<who>(?:the )?[A-Z][\w.'’-]*(?: [A-Z(][\w.'’()-]*)*(?: \([A-Z]+\))?)"),
    re.compile(r"(?P<who>\b(?:state media|(?:the )?[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,4}|the [a-z]+(?: [a-z]+)?|he|she|they|"
               r"(?:[a-z]+ )?" + REPORTERS + r"))\s+" + SAY_VERBS + r"\b"),
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


# ---------------------------------------------------------------------------------------------
# Entities: NER mentions + knowledge aliases -> canonical names with types
# ---------------------------------------------------------------------------------------------
FUZZY_CUTOFF = 90  # rapidfuzz ratio (0-100) for a name to take a known alias's canonical form
FUZZY_MIN_CHARS = 6  # shorter folded names match exactly or not at all


def _fold(name: str) -> str:
    return re.sub(r"[\s\-.'’]+", "", re.sub(r"^the\s+", "", name.lower()))


@lru_cache(maxsize=16)
def _folded_aliases(knowledge: Knowledge) -> dict[str, str]:
    """Folded alias -> canonical, for aliases long enough to match fuzzily without false hits."""
    return {_fold(alias): canon for alias, canon in knowledge.aliases.items()
            if len(_fold(alias)) >= 5 and not alias.startswith("the ")}  # descriptions ("the Soviets") match exactly


def _surface(name: str) -> str:
    """A light normal form: no leading "the", no possessive, one space, straight quotes."""
    name = re.sub(r"^(?:the|The)\s+", "", name.replace("’", "'").strip())
    name = re.sub(r"'s?$", "", name)
    return re.sub(r"[\s-]+", " ", name).strip(" .,;:")


def normalise_entity(name: str, knowledge: Knowledge | None = None) -> str:
    """Canonical form of a name: the alias table, then a fuzzy match on a folded form ("Kim Jong-Un",
    "kim jongun", "Kim Jong Unn" -> "Kim Jong Un"), else a light normal form."""
    knowledge = knowledge or default_knowledge()
    for candidate in (name, _surface(name)):
        if candidate in knowledge.aliases:
            return knowledge.aliases[candidate]
    folded = _fold(name)
    keys = _folded_aliases(knowledge)
    if folded in keys:
        return keys[folded]
    if len(folded) >= FUZZY_MIN_CHARS and keys:
        best = process.extractOne(folded, list(keys), scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if best:
            return keys[best[0]]
    return _surface(name)


def typed_entities(sentence: Sentence | None, text: str, knowledge: Knowledge,
                   offset: int = 0, context: str | None = None) -> list[tuple[int, str, str]]:
    """(position, canonical name, type) of every entity in ``text``: alias-table hits first, then spaCy's
    named entities they do not cover (values such as dates and money are left to the value extractors)."""
    found: list[tuple[int, str, str]] = []
    covered: list[tuple[int, int]] = []
    for start, end, canon in knowledge.find(text, context):
        found.append((start, canon, knowledge.types.get(canon, "")))
        covered.append((start, end))
    for m in sentence.mentions if sentence else ():
        if m.label in VALUE_LABELS:
            continue
        start, end = m.start - offset, m.end - offset
        if any(s < end and start < e for s, e in covered):
            continue
        name = normalise_entity(m.text, knowledge)
        if len(name) < 2 or name.lower() in MONTHS or name.lower() in WEEKDAYS:
            continue
        found.append((start, name, knowledge.types.get(name, m.label)))
    return sorted(found)


def text_entities(text: str, knowledge: Knowledge, nlp: NLP, context: str | None = None) -> list[tuple[int, str, str]]:
    """(position, canonical name, type) of every entity of a short text (a sentence, a claim, a rewritten
    claim), sentence by sentence; ``context`` decides the pack's contextual aliases (default: each sentence)."""
    sentences = nlp.sentences(text) if text.strip() else ()
    if not sentences:
        return typed_entities(None, text, knowledge, context=context)
    out: list[tuple[int, str, str]] = []
    for sentence in sentences:
        out += [(p + sentence.start, n, t)
                for p, n, t in typed_entities(sentence, sentence.text, knowledge, sentence.start, context)]
    return sorted(set(out))


def extract_entities(text: str, knowledge: Knowledge | None = None, nlp: NLP | None = None) -> tuple[str, ...]:
    """Canonical names of the entities in a short text (one sentence or claim)."""
    found = text_entities(text, knowledge or default_knowledge(), nlp or default_nlp())
    return tuple(dict.fromkeys(name for _, name, _ in found))


# ---------------------------------------------------------------------------------------------
# Sentences
# ---------------------------------------------------------------------------------------------
def _paragraphs(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group(0)) for m in re.finditer(r"[^\n]+", text) if m.group(0).strip()]


def _ends_with_abbreviation(text: str) -> bool:
    """The text ends with "Aug.", "N.", "U.S." or similar, so a sentence break after it is spurious."""
    words = text.split()
    token = words[-1].lower().rstrip(".") if words and text.endswith(".") else ""
    return bool(token) and (token in ABBREVIATIONS or bool(re.fullmatch(r"[a-z]|(?:[a-z]\.)+[a-z]", token)))


def sentence_spans(paragraph_sentences: Sequence[Sentence]) -> list[tuple[int, int, list[Sentence]]]:
    """spaCy's sentences of one paragraph, re-joined where spaCy split after an abbreviation."""
    out: list[tuple[int, int, list[Sentence]]] = []
    for s in paragraph_sentences:
        if out and _ends_with_abbreviation(out[-1][2][-1].text):
            start, _, parts = out[-1]
            out[-1] = (start, s.end, [*parts, s])
        else:
            out.append((s.start, s.end, [s]))
    return out


def split_sentences(text: str, nlp: NLP | None = None) -> list[tuple[int, int]]:
    """[start, end) spans of sentences; paragraph breaks always end a sentence."""
    paragraphs = _paragraphs(text)
    analysed = (nlp or default_nlp()).analyse([p for _, p in paragraphs])
    return [(base + s, base + e) for (base, _), sents in zip(paragraphs, analysed) for s, e, _ in sentence_spans(sents)]


# ---------------------------------------------------------------------------------------------
# Check-worthiness, attribution, stand-alone rewriting
# ---------------------------------------------------------------------------------------------
MIN_WORDS, MIN_TITLE_WORDS, MAX_WORDS = 5, 3, 80


SINGLE_QUOTED = re.compile(r"(?:(?<=[\s:(])|^)['‘][^'‘’\n]+['’](?=[\s.,;:!?)]|$)")


def _unquoted(sentence: str) -> str:
    """The sentence without its quotations ("...", “...”, and '...' / ‘...’ opened after a space or colon)."""
    return SINGLE_QUOTED.sub("", re.sub(r"[\"“][^\"”]*[\"”]", "", sentence))


def is_check_worthy(sentence: str, entities: Sequence[str], numbers: Sequence[str], dates: Sequence[str],
                    *, has_predicate: bool = True, title: bool = False) -> bool:
    """A declarative statement of fact: a subject and a predicate (or a headline), not a question, not
    opinion or advice, not page boilerplate, not mostly a quotation."""
    words = sentence.split()
    if len(words) < (MIN_TITLE_WORDS if title else MIN_WORDS) or len(words) > MAX_WORDS:
        return False
    stripped = sentence.strip()
    if stripped.rstrip("\"'”’)").endswith("?"):
        return False
    if not title and not re.search(r"[.!\"”’)]$", stripped):
        return False  # a fragment (a caption, a list item), not a sentence
    if not has_predicate and not title:
        return False
    if BOILERPLATE_CUES.search(sentence):
        return False
    if stripped[0] in "\"“" and stripped.rstrip(".").endswith(("\"", "”")) and not entities:
        return False  # a bare quotation with nothing to check it against
    quoted = sum(len(m.group(0)) for m in re.finditer(r"[\"“][^\"”]*[\"”]", sentence))
    if quoted > QUOTE_SHARE * len(sentence):
        return False  # mostly a direct quotation: the speaker's rhetoric, reported through its attribution
    if OPINION_CUES.search(_unquoted(sentence)) and not (numbers or dates):
        return False
    return True


def find_attribution(sentence: str) -> str | None:
    for pattern in ATTRIBUTION_PATTERNS:
        m = pattern.search(sentence)
        if m:
            who = m.group("who").strip().rstrip(".,")
            if who.lower() in ("he", "she", "they"):
                return who  # resolved to a name by the caller
            return who
    return None


def make_standalone(sentence: str, referent: str | None, last_of_type: dict[str, str], article_text: str,
                    knowledge: Knowledge) -> str:
    """Replace what a sentence cannot say alone: a leading "He"/"She" (-> the person last named, else the
    article's main person), a definite description ("the obelisk" -> the monument last named, when the
    sentence names none) and the pack's rewrites ("the North" -> "North Korea" in articles about it)."""
    text = sentence
    for label, nouns in knowledge.descriptions.items():
        last = last_of_type.get(label)
        if last and last not in text:
            pattern = r"\b([Tt])he (?:(?!(?:on|of|in|at|the|to|and)\b)[\w-]+ ){0,3}?(?:" + nouns.pattern + r")\b"
            text = re.sub(pattern, lambda m, name=last: f"{m.group(1)}he {name}", text, count=1)
    if referent:
        text = PRONOUN_START.sub(lambda m: m.group(1) + referent, text, count=1)
    for rule in knowledge.rewrites:
        if rule.requires is not None and not mentions(rule.requires, article_text):
            continue
        if "{person}" in rule.replacement and not referent:
            continue
        replacement = rule.replacement.replace("{person}", referent or "")
        text = re.compile(LEAD_IN + "(?:" + rule.pattern.pattern + ")").sub(
            lambda m, new=replacement: m.group(1) + new, text, count=1)
    return text


# ---------------------------------------------------------------------------------------------
# The stage
# ---------------------------------------------------------------------------------------------
def extractor_version(knowledge: Knowledge | None = None, nlp: NLP | None = None) -> str:
    """The declared versions of extraction and ingest (``verify.extract.VERSION``, ``verify.ingest.VERSION``), the
    knowledge data's digest and the language pipeline's version: stored claims are never stale."""
    from verify import extract, ingest

    knowledge = knowledge or default_knowledge()
    return short_hash(extract.VERSION, ingest.VERSION, knowledge.digest, (nlp or default_nlp()).version)


@dataclass(frozen=True, slots=True)
class _Unit:
    """One sentence (or the title) of an article, analysed."""

    start: int  # offsets into Article.text
    end: int
    text: str
    parts: tuple[Sentence, ...]  # spaCy's sentences it is made of (offsets relative to its paragraph)
    base: int  # paragraph offset in Article.text
    title: bool = False
    original_span: tuple[int, int] | None = None  # a title found only in the file's metadata, not in the text

    def entities(self, knowledge: Knowledge, context: str) -> list[tuple[int, str, str]]:
        found: list[tuple[int, str, str]] = []
        for part in self.parts:
            rel = 0 if self.original_span else self.base + part.start - self.start
            found += [(pos + rel, n, t) for pos, n, t in typed_entities(part, part.text, knowledge, part.start, context)]
        if not self.parts:
            found = typed_entities(None, self.text, knowledge, context=context)
        return sorted(set(found))


class ClaimExtractor:
    """Article -> check-worthy, stand-alone claims with spans into the original file."""

    def __init__(self, knowledge: Knowledge | None = None, nlp: NLP | None = None) -> None:
        self.knowledge = knowledge or default_knowledge()
        self.nlp = nlp or default_nlp()

    def extract(self, articles: Iterable[Article], on_batch: Callable[[int], None] | None = None) -> list[Claim]:
        articles = list(articles)
        units = self._units(articles)
        claims: list[Claim] = []
        for article, article_units in zip(articles, units):
            claims += self._extract_one(article, article_units)
            if on_batch:
                on_batch(1)
        return claims

    def _units(self, articles: Sequence[Article]) -> list[list[_Unit]]:
        """Every article's sentences, from one batched pass of the language pipeline over all paragraphs."""
        paragraphs = [_paragraphs(a.text) for a in articles]
        analysed = iter(self.nlp.analyse([p for ps in paragraphs for _, p in ps]))
        out = []
        for article, ps in zip(articles, paragraphs):
            units = self._metadata_title(article, ps)
            for n, (base, paragraph) in enumerate(ps):
                sents = next(analysed)
                title = n == 0 and _is_title(paragraph, article.title)
                if title:
                    units.append(_Unit(base, base + len(paragraph.rstrip()), paragraph.rstrip(), tuple(sents), base, True))
                    continue
                for s, e, parts in sentence_spans(sents):
                    units.append(_Unit(base + s, base + e, article.text[base + s : base + e], tuple(parts), base))
            out.append(units)
        return out

    def _metadata_title(self, article: Article, paragraphs: Sequence[tuple[int, str]]) -> list[_Unit]:
        """A headline given only in metadata (front matter, sidecar, HTML <title>) is a claim too, with its
        span in the original file when it is written there."""
        title = " ".join((article.title or "").split())
        if not title or (paragraphs and _is_title(paragraphs[0][1], title)):
            return []
        at = article.original.find(article.title or "")
        if at < 0:
            return []
        (sents,) = self.nlp.analyse([title])
        return [_Unit(0, 0, title, tuple(sents), 0, True, (at, at + len(article.title or "")))]

    def _extract_one(self, article: Article, units: Sequence[_Unit]) -> list[Claim]:
        knowledge = self.knowledge
        found = _consistent_types([unit.entities(knowledge, article.text) for unit in units], knowledge)
        surnames = _surname_table(found)
        found = [_as_people(unit, surnames) for unit in found]
        subject = main_person(found)
        out: list[Claim] = []
        last_person: str | None = None
        last_of_type: dict[str, str] = {}
        for index, (unit, entities_here) in enumerate(zip(units, found)):
            sentence = unit.text
            names = tuple(dict.fromkeys(n for _, n, _ in entities_here))
            quantities = extract_quantities(sentence)
            numbers, dates = number_keys(quantities), extract_dates(sentence)
            has_predicate = any(p.has_predicate and p.has_subject for p in unit.parts) if unit.parts else True
            if is_check_worthy(sentence, names, numbers, dates, has_predicate=has_predicate, title=unit.title):
                standalone = make_standalone(sentence, last_person or subject, last_of_type, article.text, knowledge)
                attribution = find_attribution(sentence)
                if attribution in ("he", "she", "He", "She"):
                    attribution = last_person or subject
                if standalone != sentence:
                    entities_here = _as_people(text_entities(standalone, knowledge, self.nlp, article.text), surnames)
                typed = {n: t for _, n, t in entities_here}
                out.append(Claim(
                    time=claim_time(sentence, article.date),
                    id="c:" + short_hash(article.id, sentence),
                    article_id=article.id,
                    source=article.source,
                    text=sentence,
                    standalone=standalone,
                    span=unit.original_span or article.span(unit.start, unit.end),
                    attribution=attribution,
                    entities=tuple(typed),
                    entity_types=tuple(typed.values()),
                    numbers=numbers,
                    dates=dates,
                    index=index,
                    quantities=quantities,
                ))
            persons = [n for _, n, t in entities_here if t == "PERSON"]
            if persons:
                last_person = persons[0]  # the subject of a sentence usually comes first
            for _, name, label in entities_here:
                last_of_type[label] = name
        log.debug("%s: %d sentences, %d claims", article.path, len(units), len(out))
        return link_rebuttals(out)

def _is_title(paragraph: str, title: str | None) -> bool:
    """The article's first line is its headline: it equals the title, or (no title known) it is short and
    has no final full stop."""
    line = " ".join(paragraph.split())
    if title:
        return line == " ".join(title.split())
    return False


def _consistent_types(found: list[list[tuple[int, str, str]]], knowledge: Knowledge) -> list[list[tuple[int, str, str]]]:
    """One type per name within an article: the pack's type, else the label NER gave it most often."""
    votes: dict[str, Counter[str]] = {}
    for unit in found:
        for _, name, label in unit:
            votes.setdefault(name, Counter())[label] += 1
    best = {name: knowledge.types.get(name) or c.most_common(1)[0][0] for name, c in votes.items()}
    return [[(p, n, best[n]) for p, n, _ in unit] for unit in found]


def _as_people(found: Sequence[tuple[int, str, str]], surnames: Mapping[str, str]) -> list[tuple[int, str, str]]:
    """A bare surname becomes the full name it stands for, as a PERSON whatever NER typed it ("Marsh" tagged
    ORG in "Marsh will be sworn in" is Elena Marsh when the article names her)."""
    return [(p, surnames[n], "PERSON") if n in surnames and (t == "PERSON" or " " not in n) else (p, n, t)
            for p, n, t in found]


def _surname_table(found: Sequence[Sequence[tuple[int, str, str]]]) -> dict[str, str]:
    """A one-word PERSON name that is a word of exactly one full PERSON name of the article -> that full
    name ("Putin" -> "Vladimir Putin"; "Kim" -> "Kim Jong Un" when no other Kim is named). When several full
    names share the word, the one mentioned most wins if it has at least twice the mentions of the next."""
    counts: Counter[str] = Counter(n for unit in found for _, n, t in unit if t == "PERSON" and " " in n)
    by_word: dict[str, list[str]] = {}
    for name in counts:
        for word in name.split():
            if word[:1].isupper() and len(word) > 1:
                by_word.setdefault(word, []).append(name)
    out = {}
    for word, names in by_word.items():
        ranked = sorted(names, key=lambda n: -counts[n])
        if len(ranked) == 1 or counts[ranked[0]] >= 2 * counts[ranked[1]]:
            out[word] = ranked[0]
    return out


def main_person(found: Sequence[Sequence[tuple[int, str, str]]]) -> str | None:
    """The article's main person: most PERSON mentions, counting bare surnames and the lede twice."""
    surnames = _surname_table(found)
    counts: Counter[str] = Counter()
    for n, unit in enumerate(found):
        weight = 2 if n < 3 else 1
        for _, name, label in unit:
            if label == "PERSON":
                counts[surnames.get(name, name)] += weight
    full = [p for p in counts if " " in p]
    return max(full, key=lambda p: counts[p]) if full else (counts.most_common(1)[0][0] if counts else None)


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
                    article_date: str | None = None, knowledge: Knowledge | None = None) -> Claim:
    """One claim from a bare sentence (no check-worthiness filter), with its values, entities and time."""
    knowledge = knowledge or default_knowledge()
    text = " ".join(text.split())
    typed = {n: t for _, n, t in text_entities(text, knowledge, default_nlp(), text)}
    quantities = extract_quantities(text)
    return Claim(
        id="c:" + short_hash(article_id, text), article_id=article_id, source=source, text=text, standalone=text,
        span=(0, len(text)), attribution=find_attribution(text), entities=tuple(typed),
        entity_types=tuple(typed.values()), numbers=number_keys(quantities), dates=extract_dates(text),
        time=claim_time(text, article_date), quantities=quantities,
    )
