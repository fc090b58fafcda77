"""Typed, frozen records that flow through the pipeline.

ingest -> Article -> claims -> Claim -> pair -> ClaimPair -> nli -> Judgement
-> aggregate -> PairVerdict, Cluster -> report -> Report
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

Label = Literal["entailment", "neutral", "contradiction"]
Verdict = Literal["contradict", "disputed", "different-time", "support", "neutral"]
# contradict: two outlets assert incompatible facts; disputed: an attributed claim ("the North claimed X")
# conflicts with an asserted one; different-time: the claims conflict but describe different moments.
VERDICTS: tuple[str, ...] = ("contradict", "disputed", "different-time", "support", "neutral")
CONFLICTING: frozenset[str] = frozenset({"contradict", "disputed"})
NLI_LABELS: tuple[Label, ...] = ("entailment", "neutral", "contradiction")


def short_hash(*parts: str, size: int = 8) -> str:
    """Stable hex digest of the given strings (blake2b)."""
    h = hashlib.blake2b(digest_size=size)
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Article:
    """One cleaned article and the map back to the file it came from.

    ``offsets[i]`` is the character offset in ``original`` of ``text[i]``; it has
    ``len(text) + 1`` entries, the last one being the end of the last kept character.
    """

    id: str  # "a:" + blake2b(original)
    path: str  # file path (with ":N" line suffix for JSONL records)
    source: str  # outlet name, e.g. "Yonhap News Agency"
    title: str | None
    date: str | None  # ISO date "YYYY-MM-DD" or None
    url: str | None
    text: str  # cleaned text, sentences separated by newlines between paragraphs
    original: str  # text of the file (or of the JSONL record's text field) as read
    offsets: Sequence[int]  # an array('i') from ingest: compact for long articles
    date_source: str | None = None  # "metadata", or how the date was inferred from the text

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span in ``text`` to a span in ``original``."""
        if end <= start:
            return self.offsets[start], self.offsets[start]
        return self.offsets[start], self.offsets[end - 1] + 1


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """When a claim is about: an interval of ISO dates resolved against the article date."""

    start: str
    end: str
    text: str  # the expression it came from ("on Thursday", "in 1947", "once")
    precision: str  # day | week | month | year | decade | range | past | present


@dataclass(frozen=True, slots=True)
class Claim:
    id: str  # "c:" + blake2b(article_id + text)
    article_id: str
    source: str
    text: str  # the sentence as written (cleaned)
    standalone: str  # text with leading pronouns/descriptions resolved
    span: tuple[int, int]  # [start, end) into Article.original
    attribution: str | None = None  # "KCNA", "the North", ... when the claim is reported speech
    entities: tuple[str, ...] = ()
    numbers: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    index: int = 0  # position among the article's sentences
    rebuts: str | None = None  # id of an attributed claim of the same article this one disputes ("In fact, ...")
    time: TimeSpan | None = None  # when the claim is about, if the text says


@lru_cache(maxsize=None)
def source_digest(*modules: str) -> str:
    """A digest of these verify/ source files and the data tables in verify/data/: it changes whenever
    the rules they hold change, so results stored under it are never stale."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    files = [here / m for m in modules] + sorted((here / "data").glob("*"))
    return short_hash(*(f.read_text(encoding="utf-8", errors="replace") for f in files if f.is_file()))


@lru_cache(maxsize=1 << 18)
def _pair_id(a: str, b: str) -> str:
    return "p:" + short_hash(*sorted((a, b)))


@dataclass(frozen=True, slots=True)
class ClaimPair:
    a: Claim
    b: Claim
    similarity: float
    shared: tuple[str, ...] = ()  # entities/numbers/dates both claims mention
    via: str | None = None  # for a rebuttal pair (X, R): the id of the claim R rebuts, which X resembles

    @property
    def id(self) -> str:
        return _pair_id(self.a.id, self.b.id)


@dataclass(frozen=True, slots=True)
class Judgement:
    """NLI probabilities in both directions: forward = (a premise, b hypothesis)."""

    pair: ClaimPair
    forward: dict[str, float]
    backward: dict[str, float]


@dataclass(frozen=True, slots=True)
class PairVerdict:
    pair: ClaimPair
    verdict: Verdict
    confidence: float
    forward: dict[str, float]
    backward: dict[str, float]
    reason: str  # the evidence that decided it, in words
    conflicts: tuple[str, ...] = ()  # e.g. "date: Aug 8, 1945 vs Aug 9, 1945"


@dataclass(frozen=True, slots=True)
class Cluster:
    """Claims that state the same fact, and which sources agree or disagree about it."""

    id: str
    claim_ids: tuple[str, ...]
    sources: tuple[str, ...]
    agree: tuple[tuple[str, str], ...] = ()  # source pairs with a support verdict
    disagree: tuple[tuple[str, str], ...] = ()  # source pairs with a contradict verdict


@dataclass(frozen=True, slots=True)
class SharedFact:
    """A value several outlets attach to the same specific entity: "Korean War: 1950/1953"."""

    entity: str
    value: str
    sources: tuple[str, ...]  # outlet names
    claim_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Report:
    articles: tuple[Article, ...]
    claims: tuple[Claim, ...]
    verdicts: tuple[PairVerdict, ...]
    clusters: tuple[Cluster, ...]
    meta: dict = field(default_factory=dict)  # models, thresholds, versions, timings, created
    facts: tuple[SharedFact, ...] = ()  # values that two or more outlets state alike
