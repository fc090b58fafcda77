"""Typed, frozen records that flow through the pipeline.

ingest -> Article -> claims -> Claim -> pair -> ClaimPair -> nli -> Judgement
-> verdict -> PairVerdict, Assessment, Cluster -> report -> Report
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any, ClassVar, Literal

from verify.extract.values import Quantity

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
    """One check-worthy sentence with the values parsed from it once, by the extractor (verify.extract.values):
    the verdict rules read ``quantities`` and ``dates``; ``numbers`` and ``dates`` are also pairing keys and go
    into reports."""

    id: str  # "c:" + blake2b(article_id + text)
    article_id: str
    source: str
    text: str  # the sentence as written (cleaned)
    standalone: str  # text with leading pronouns/descriptions resolved
    span: tuple[int, int]  # [start, end) into Article.original
    attribution: str | None = None  # "KCNA", "the North", ... when the claim is reported speech
    entities: tuple[str, ...] = ()  # canonical names
    numbers: tuple[str, ...] = ()  # the quantities as keys: "1,500 ton", "79th anniversary" (values.number_keys)
    dates: tuple[str, ...] = ()  # "1945-08-08", "1945-08", "--08-15", "1945", "1950/1953" (values.extract_dates)
    index: int = 0  # position among the article's sentences
    rebuts: str | None = None  # id of an attributed claim of the same article this one disputes ("In fact, ...")
    time: TimeSpan | None = None  # when the claim is about, if the text says
    entity_types: tuple[str, ...] = ()  # NER label of each entity (PERSON, ORG, GPE, FAC, EVENT, ...); "" unknown
    quantities: tuple[Quantity, ...] = ()  # the numbers of ``text`` as intervals (values.extract_quantities)

    def __post_init__(self) -> None:
        """Quantities given in their JSON form (``Quantity.to_json``, or ``dataclasses.asdict`` as the store and
        the evaluation caches give them back) become records."""
        if type(self.quantities) is not tuple or any(type(q) is not Quantity for q in self.quantities):
            records = tuple(q if isinstance(q, Quantity) else Quantity.from_json(q) for q in self.quantities)
            object.__setattr__(self, "quantities", records)


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


# ---------------------------------------------------------------------------------------------
# Evidence: what a verdict rule saw, as data (the report carries it; renderers read it, never parse reasons)
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Conflict:
    """Two values that cannot both hold: Conflict("date", "1945-08-08", "1945-08-09"), Conflict("ton", "1,500",
    "15,000"); a commemoration conflict has kind "commemorates" and the monument as subject."""

    kind: str  # "date", a unit ("ton", "usd", "anniversary") or "commemorates"
    a: str  # claim a's value(s), as normalised (dates ISO) or as written
    b: str
    subject: str = ""  # what the values are about, when known (a monument, an entity nearby)
    type: ClassVar[str] = "conflict"

    def __str__(self) -> str:
        return f"{self.subject + ' ' if self.subject else ''}{self.kind}: {self.a} vs {self.b}"


@dataclass(frozen=True, slots=True)
class Agreement:
    """Two values that agree: Agreement("date", "1945", "1945-08-08"), Agreement("people", "about 80", "79")."""

    kind: str
    a: str
    b: str
    subject: str = ""
    type: ClassVar[str] = "agreement"

    def __str__(self) -> str:
        return f"{self.subject + ' ' if self.subject else ''}{self.kind}: {self.a} ~ {self.b}"


@dataclass(frozen=True, slots=True)
class DistinctEntities:
    """Different specific entities of one NER type: DistinctEntities("FAC", ("Friendship Tower",), ("Liberation Tower",))."""

    kind: str  # NER label: PERSON, FAC, EVENT, WORK_OF_ART, LAW, PRODUCT
    a: tuple[str, ...]
    b: tuple[str, ...]
    type: ClassVar[str] = "distinct_entities"

    def __str__(self) -> str:
        return f"{self.kind}: {', '.join(self.a)} vs {', '.join(self.b)}"


@dataclass(frozen=True, slots=True)
class TimeGap:
    """Why two claims may describe different moments. kind "intervals": their time spans do not overlap (a, b
    are "text: start..end"); "past": one claim speaks of the past (its time expression in a or b, the other
    side ""); "years_apart": the articles are ``years`` apart and the claims describe a state that can change
    (a, b are the article dates)."""

    kind: str  # intervals | past | years_apart
    a: str
    b: str
    years: float | None = None
    type: ClassVar[str] = "time_gap"


@dataclass(frozen=True, slots=True)
class NLIScores:
    """The NLI probability of one label in each direction (forward: claim a premise), and the threshold it met
    or missed."""

    label: str  # entailment | contradiction | neutral
    forward: float
    backward: float
    threshold: float
    type: ClassVar[str] = "nli"

    @property
    def best(self) -> float:
        return max(self.forward, self.backward)

    @property
    def directions(self) -> int:
        """How many directions reach the threshold."""
        return (self.forward >= self.threshold) + (self.backward >= self.threshold)


@dataclass(frozen=True, slots=True)
class Attribution:
    """One side of a conflict is reported speech: ``source`` attributes claim ``claim_id`` to ``speaker``."""

    claim_id: str
    source: str
    speaker: str
    type: ClassVar[str] = "attribution"


@dataclass(frozen=True, slots=True)
class Rebuttal:
    """``source`` reports claim ``disputed_id`` (attributed to ``speaker``) and rebuts it with ``rebuttal_id``;
    ``matching_pair`` is the pair that says the other outlet's claim matches the reported one."""

    source: str
    disputed_id: str
    rebuttal_id: str
    speaker: str
    disputed_text: str
    rebuttal_text: str
    matching_pair: str
    type: ClassVar[str] = "rebuttal"


@dataclass(frozen=True, slots=True)
class OutletEvidence:
    """The claim's assessment against the other outlet, which overrode this pair's own decision: ``verdict`` of
    ``claim_id`` against ``source``, decided by pair ``pair_id``."""

    claim_id: str
    source: str
    verdict: str
    pair_id: str
    type: ClassVar[str] = "outlet"


Evidence = Conflict | Agreement | DistinctEntities | TimeGap | NLIScores | Attribution | Rebuttal | OutletEvidence
EVIDENCE_TYPES: dict[str, type] = {cls.type: cls for cls in
                                   (Conflict, Agreement, DistinctEntities, TimeGap, NLIScores, Attribution, Rebuttal,
                                    OutletEvidence)}


def evidence_to_dict(item: Evidence) -> dict[str, Any]:
    """{"type": "conflict", "kind": "date", "a": ..., "b": ...}: JSON-able, tuples as lists."""
    out: dict[str, Any] = {"type": item.type}
    for f in fields(item):
        value = getattr(item, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def evidence_from_dict(data: Mapping[str, Any]) -> Evidence:
    cls = EVIDENCE_TYPES[data["type"]]
    values = {f.name: (tuple(data[f.name]) if isinstance(data.get(f.name), list) else data[f.name])
              for f in fields(cls) if f.name in data}
    return cls(**values)


@dataclass(frozen=True, slots=True)
class PairVerdict:
    pair: ClaimPair
    verdict: Verdict
    confidence: float
    forward: dict[str, float]
    backward: dict[str, float]
    reason: str  # the evidence that decided it, in words
    conflicts: tuple[str, ...] = ()  # the Conflict evidence in words, e.g. "date: 1945-08-08 vs 1945-08-09"
    rule: str = ""  # the named rule that decided (verify.verdict.rules)
    evidence: tuple[Evidence, ...] = ()  # what the rule saw, as typed records


@dataclass(frozen=True, slots=True)
class Assessment:
    """One claim judged against every claim of one other outlet (the claims that outlet's pairs bring)."""

    claim_id: str
    source: str  # the other outlet
    verdict: str  # support | contradict | disputed | different-time | neutral | unrelated
    probability: float  # calibrated when a fitted stance model decided, else the score that decided
    rule: str
    pair_ids: tuple[str, ...]  # the deciding pair first, then the other pairs looked at


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
    assessments: tuple[Assessment, ...] = ()  # each claim against each other outlet
