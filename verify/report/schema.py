"""The versioned JSON report: the pydantic model ``ReportJSON`` (its schema is ``json_schema()``), the
conversion from a pipeline ``Report`` (``to_json_model``, streamed by ``iter_json``) and back (``from_json``,
for ``verify show``), reading a ``report.json`` (``load_json``) and making JSON text inert to print
(``inert_json``).

``SCHEMA_VERSION`` changes its major number whenever a field is removed or changes meaning.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import to_json, to_jsonable_python

from verify import __version__
from verify.errors import InputError
from verify.records import (
    Article,
    Assessment,
    Claim,
    ClaimPair,
    Cluster,
    Evidence,
    PairVerdict,
    Report,
    SharedFact,
    TimeSpan,
    evidence_from_dict,
)
from verify.report.view import created_at, sorted_with_ids, table_order
from verify.verdict.table import SEPARATOR, AssessmentTable, RecordTable, StoredClaims, VerdictTable

T = TypeVar("T")

# The declared version of this module's output, record by record: bump it when a record is written otherwise (the
# stored pairing states keep pairs' records as written; tests/pipeline/test_versions.py fails until you do).
VERSION = "5"
RUN_PIECE = 1 << 20  # bytes of a run of stored lines handed to the writer at a time
SCHEMA_VERSION = "2.0"  # 2.0: pairs.rule, pairs.evidence, assessments; pairs.conflicts holds value conflicts only


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SourceJSON(_Model):
    id: str
    path: str
    name: str
    title: str | None
    date: str | None
    date_source: str | None = None  # "metadata", or how the date was inferred from the text
    url: str | None


class TimeJSON(_Model):
    start: str
    end: str
    text: str
    precision: str


class ClaimJSON(_Model):
    id: str
    source: str  # article id
    source_name: str
    text: str
    standalone_text: str
    span: tuple[int, int]  # [start, end) into the source file's text
    attribution: str | None
    rebuts: str | None = None  # id of a claim of the same source that this one disputes
    entities: list[str]
    entity_types: list[str] = []  # NER label of each entity, parallel to `entities` (PERSON, ORG, GPE, FAC, ...)
    numbers: list[str]
    dates: list[str]
    time: TimeJSON | None = None  # when the claim is about, resolved against the article date


class NLIScoresJSON(_Model):
    entailment: float
    neutral: float
    contradiction: float


class ScoresJSON(_Model):
    forward: NLIScoresJSON  # claim_a premise, claim_b hypothesis
    backward: NLIScoresJSON  # claim_b premise, claim_a hypothesis


# evidence: what the deciding rule saw (verify.records evidence records), told apart by "type"
class ConflictJSON(_Model):
    type: Literal["conflict"]
    kind: str  # "date", a unit ("ton", "usd", "anniversary") or "commemorates"
    a: str  # claim_a's value(s)
    b: str  # claim_b's value(s)
    subject: str = ""  # what the values are about, when known


class AgreementJSON(_Model):
    type: Literal["agreement"]
    kind: str
    a: str
    b: str
    subject: str = ""


class DistinctEntitiesJSON(_Model):
    type: Literal["distinct_entities"]
    kind: str  # NER label: PERSON, FAC, EVENT, WORK_OF_ART, LAW, PRODUCT
    a: list[str]
    b: list[str]


class TimeGapJSON(_Model):
    type: Literal["time_gap"]
    kind: Literal["intervals", "past", "years_apart"]
    a: str
    b: str
    years: float | None = None


class NLIEvidenceJSON(_Model):
    type: Literal["nli"]
    label: Literal["entailment", "neutral", "contradiction"]
    forward: float  # claim_a premise
    backward: float  # claim_b premise
    threshold: float


class AttributionJSON(_Model):
    type: Literal["attribution"]
    claim_id: str
    source: str  # outlet name
    speaker: str


class RebuttalJSON(_Model):
    type: Literal["rebuttal"]
    source: str  # the outlet that reports a claim and rebuts it
    disputed_id: str
    rebuttal_id: str
    speaker: str
    disputed_text: str
    rebuttal_text: str
    matching_pair: str


class OutletJSON(_Model):
    type: Literal["outlet"]
    claim_id: str
    source: str  # the other outlet's name
    verdict: str
    pair_id: str


EvidenceJSON = Annotated[
    ConflictJSON | AgreementJSON | DistinctEntitiesJSON | TimeGapJSON | NLIEvidenceJSON | AttributionJSON
    | RebuttalJSON | OutletJSON,
    Field(discriminator="type"),
]


class PairJSON(_Model):
    id: str
    claim_a: str
    claim_b: str
    source_a: str  # article id
    source_b: str  # article id
    verdict: Literal["contradict", "disputed", "different-time", "support", "neutral"]
    confidence: float
    similarity: float
    scores: ScoresJSON
    reason: str
    conflicts: list[str]  # the conflict evidence in words
    rule: str = ""  # the named rule that decided (verify.verdict.RULE_NAMES)
    evidence: list[EvidenceJSON] = []


class AssessmentJSON(_Model):
    claim: str  # claim id
    outlet: str  # the other outlet's name
    verdict: Literal["support", "contradict", "disputed", "different-time", "neutral", "unrelated"]
    probability: float
    rule: str
    pairs: list[str]  # the deciding pair first


class ClusterJSON(_Model):
    id: str
    claims: list[str]
    sources: list[str]
    agree: list[tuple[str, str]]
    disagree: list[tuple[str, str]]


class FactJSON(_Model):
    entity: str
    value: str
    sources: list[str]  # outlet names
    claims: list[str]


class ReportJSON(_Model):
    schema_version: str
    verify_version: str
    created: str  # ISO 8601, UTC
    meta: dict[str, Any]
    sources: list[SourceJSON]
    claims: list[ClaimJSON]
    pairs: list[PairJSON]  # in verdict order (contradict, disputed, different-time, support, neutral), by confidence
    clusters: list[ClusterJSON]
    facts: list[FactJSON] = []  # values two or more outlets give alike for one specific entity
    assessments: list[AssessmentJSON] = []  # each claim against each other outlet it was paired with


def from_json(data: ReportJSON) -> Report:
    """Rebuild a Report from its JSON (for ``verify show``). Article texts are not in the JSON: they stay empty."""
    articles = tuple(
        Article(s.id, s.path, s.name, s.title, s.date, s.url, "", "", (0,), s.date_source) for s in data.sources
    )
    claims = {
        c.id: Claim(c.id, c.source, c.source_name, c.text, c.standalone_text, (c.span[0], c.span[1]), c.attribution,
                    tuple(c.entities), tuple(c.numbers), tuple(c.dates), 0, c.rebuts,
                    TimeSpan(**c.time.model_dump()) if c.time else None, tuple(c.entity_types))
        for c in data.claims
    }
    missing = [p.id for p in data.pairs if p.claim_a not in claims or p.claim_b not in claims]
    if missing:
        raise InputError(f"report JSON: pair {missing[0]} names a claim that is not in `claims`")
    verdicts = tuple(
        PairVerdict(ClaimPair(claims[p.claim_a], claims[p.claim_b], p.similarity), p.verdict, p.confidence,
                    p.scores.forward.model_dump(), p.scores.backward.model_dump(), p.reason, tuple(p.conflicts),
                    p.rule, tuple(evidence_from_dict(e.model_dump()) for e in p.evidence))
        for p in data.pairs
    )
    clusters = tuple(Cluster(c.id, tuple(c.claims), tuple(c.sources), tuple(map(tuple, c.agree)),
                             tuple(map(tuple, c.disagree))) for c in data.clusters)
    facts = tuple(SharedFact(f.entity, f.value, tuple(f.sources), tuple(f.claims)) for f in data.facts)
    assessments = tuple(Assessment(x.claim, x.outlet, x.verdict, x.probability, x.rule, tuple(x.pairs))
                        for x in data.assessments)
    return Report(articles, tuple(claims.values()), verdicts, clusters, {**data.meta, "created": data.created}, facts,
                  assessments)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of ``report.json``."""
    return ReportJSON.model_json_schema()


def to_json_model(report: Report) -> ReportJSON:
    """Convert a pipeline ``Report`` to its JSON model (validated: the check ``iter_json`` skips)."""
    return ReportJSON(**_head(report), **{key: [json.loads(i) if isinstance(i, bytes) else i for i in items]
                                           for key, items in _records(report).items()})


def iter_json(report: Report) -> Iterator[str | bytes | memoryview]:
    """The JSON report in pieces, one record at a time: the document ``ReportJSON`` describes, without
    holding it (or a model of every pair) in memory at once - 300k pairs took gigabytes that way. A piece is
    text, or UTF-8 bytes already inert (``inert_json``): the lines a table or ``StoredClaims`` holds, slices of a
    stored state's files among them (memoryviews).

    The records are plain dicts built to the schema and serialized by pydantic's own JSON writer, without
    a model per record (validating 300k pairs took seconds): the bytes are those of ``model_dump_json``,
    and the tests check each record against its model."""
    yield "{\n"
    for key, value in _head(report).items():
        yield f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n"
    lists = list(_records(report).items())
    for n, (key, items) in enumerate(lists):
        yield f"  {json.dumps(key)}: ["
        empty = True
        if isinstance(items, _Lines):  # lines already written: runs of them as they are, not one by one
            for run in items.runs():
                if len(run):
                    yield b"\n    " if empty else SEPARATOR
                    view = memoryview(run)
                    for start in range(0, len(view), RUN_PIECE):  # a stored run may be hundreds of megabytes
                        yield view[start : start + RUN_PIECE]
                    empty = False
        else:  # records written one by one, handed out a block at a time
            for block in _batched(items, _Lines.BLOCK):
                yield ("\n    " if empty else ",\n    ") + ",\n    ".join(map(_record_json, block))
                empty = False
        yield ("]" if empty else "\n  ]") + (",\n" if n < len(lists) - 1 else "\n")
    yield "}\n"


def _record_json(record: dict[str, Any]) -> str:
    """One record of the report as compact JSON, written as ``model_dump_json`` writes its model (floats
    alike, NaN and infinity as null)."""
    return to_json(record, inf_nan_mode="null").decode("utf-8")


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while block := list(islice(iterator, size)):
        yield block


def pair_line(verdict: PairVerdict, pair_id: str) -> bytes:
    """A pair's record in ``report.json`` as ``write_reports`` writes it (inert, UTF-8)."""
    return _line(_pair_json(verdict, pair_id))


def claim_line(claim: Claim) -> bytes:
    """A claim's record in ``report.json`` as ``write_reports`` writes it (inert, UTF-8)."""
    return _line(_claim_json(claim))


def assessment_line(assessment: Assessment) -> bytes:
    """An assessment's record in ``report.json`` as ``write_reports`` writes it (inert, UTF-8)."""
    return _line(_assessment_json(assessment))


def _line(record: dict[str, Any]) -> bytes:
    return inert_json(_record_json(record)).encode("utf-8")


class _Lines:
    """A table's records already written as lines (inert UTF-8 bytes), in ``order`` (positions into the table) or as
    they are. ``runs()`` hands them out as runs of records joined by SEPARATOR: lines a stored state holds back to
    back as one slice of it, the others a few thousand at a time (``RecordTable.runs``)."""

    BLOCK = 4096

    def __init__(self, table: RecordTable | StoredClaims, order: Sequence[int] | None = None) -> None:
        self.table, self.order = table, order

    def runs(self) -> Iterator[bytes | memoryview]:
        return self.table.runs(range(len(self.table)) if self.order is None else self.order, self.BLOCK)

    def __iter__(self) -> Iterator[bytes]:
        for n in range(len(self.table)) if self.order is None else self.order:
            yield self.table.line(n)


def _pairs(verdicts: Sequence[PairVerdict]) -> Iterable[dict[str, Any] | bytes]:
    """The pairs' records in report order; a ``VerdictTable``'s as the lines it holds (made where missing)."""
    if isinstance(verdicts, VerdictTable):
        verdicts.json_lines(lambda verdict, n: pair_line(verdict, verdicts.ids[n]))
        return _Lines(verdicts, table_order(verdicts))
    return (_pair_json(verdict, pair_id) for pair_id, verdict in sorted_with_ids(verdicts))


def _rendered(table: RecordTable, render: Callable[[Any, int], bytes]) -> RecordTable:
    table.json_lines(render)
    return table


def render_json(report: Report) -> str:
    """The JSON report as one string (``iter_json`` joined)."""
    return "".join(piece if isinstance(piece, str) else bytes(piece).decode("utf-8") for piece in iter_json(report))


def _head(report: Report) -> dict[str, Any]:
    """The report's scalar fields: versions, run time and the JSON-able meta (without "created")."""
    meta = {key: value for key, value in report.meta.items() if key != "created"}
    return {"schema_version": SCHEMA_VERSION, "verify_version": __version__, "created": created_at(report),
            "meta": to_jsonable_python(meta, fallback=str)}


def _records(report: Report) -> dict[str, Iterable[dict[str, Any] | bytes]]:
    """The report's lists, in document order, each converted lazily one record at a time to the dict its
    model (``SourceJSON``, ``ClaimJSON``, ...) would dump: fields in schema order, floats as floats."""
    return {
        "sources": (_source_json(article) for article in report.articles),
        "claims": (_Lines(report.claims) if isinstance(report.claims, StoredClaims)  # as the store keeps them
                   else (_claim_json(claim) for claim in report.claims)),
        "pairs": _pairs(report.verdicts),
        "clusters": (_cluster_json(cluster) for cluster in report.clusters),
        "facts": (_fact_json(fact) for fact in report.facts),
        "assessments": (_Lines(_rendered(report.assessments, lambda x, n: assessment_line(x)))
                        if isinstance(report.assessments, AssessmentTable)
                        else (_assessment_json(x) for x in report.assessments)),
    }


def load_json(path: str | os.PathLike[str]) -> ReportJSON:
    """Read a ``report.json``; raise ``InputError`` with a one-line message if it is unusable."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such report file; write one with --format json") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read report ({exc})") from None
    try:
        model = ReportJSON.model_validate_json(raw)
    except ValidationError as exc:
        raise InputError(f"{path}: not a verify report ({_first_error(exc)})") from None
    major = model.schema_version.split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise InputError(
            f"{path}: report schema {model.schema_version} is not readable by this verify "
            f"(schema {SCHEMA_VERSION}); regenerate the report"
        )
    return model


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"])
    message = f"{where}: {error['msg']}" if where else error["msg"]
    more = exc.error_count() - 1
    return message + (f"; and {more} more" if more else "")



def _source_json(article: Article) -> dict[str, Any]:
    return {"id": article.id, "path": article.path, "name": article.source, "title": article.title,
            "date": article.date, "date_source": article.date_source, "url": article.url}


def _claim_json(claim: Claim) -> dict[str, Any]:
    time = claim.time
    return {
        "id": claim.id,
        "source": claim.article_id,
        "source_name": claim.source,
        "text": claim.text,
        "standalone_text": claim.standalone,
        "span": (int(claim.span[0]), int(claim.span[1])),
        "attribution": claim.attribution,
        "rebuts": claim.rebuts,
        "entities": claim.entities,
        "entity_types": claim.entity_types,
        "numbers": claim.numbers,
        "dates": claim.dates,
        "time": {"start": time.start, "end": time.end, "text": time.text, "precision": time.precision} if time else None,
    }


def _nli_scores(probs: dict[str, float]) -> dict[str, float]:
    get = probs.get  # NLIScoresJSON's fields, spelled out: twice per pair, 300k pairs
    return {"entailment": float(get("entailment", 0.0)), "neutral": float(get("neutral", 0.0)),
            "contradiction": float(get("contradiction", 0.0))}


def _pair_json(verdict: PairVerdict, pair_id: str) -> dict[str, Any]:
    pair = verdict.pair
    return {
        "id": pair_id,
        "claim_a": pair.a.id,
        "claim_b": pair.b.id,
        "source_a": pair.a.article_id,
        "source_b": pair.b.article_id,
        "verdict": verdict.verdict,
        "confidence": float(verdict.confidence),
        "similarity": float(pair.similarity),
        "scores": {"forward": _nli_scores(verdict.forward), "backward": _nli_scores(verdict.backward)},
        "reason": verdict.reason,
        "conflicts": verdict.conflicts,
        "rule": verdict.rule,
        "evidence": [_evidence_json(item) for item in verdict.evidence],
    }


def _evidence_fields() -> dict[str, tuple[tuple[str, bool], ...]]:
    """Each evidence type's fields after "type", in schema order, and whether the schema makes it a float."""
    fields = {}
    for model in get_args(get_args(EvidenceJSON)[0]):  # the models of the union
        (kind,) = get_args(model.model_fields["type"].annotation)
        fields[kind] = tuple((name, float in (info.annotation, *get_args(info.annotation)))
                             for name, info in model.model_fields.items() if name != "type")
    return fields


_EVIDENCE_FIELDS = _evidence_fields()


def _evidence_json(item: Evidence) -> dict[str, Any]:
    """As ``evidence_to_dict``, in the order and types of the evidence's JSON model."""
    out: dict[str, Any] = {"type": item.type}
    for name, is_float in _EVIDENCE_FIELDS[item.type]:
        value = getattr(item, name)
        out[name] = float(value) if is_float and value is not None else value
    return out


def _assessment_json(x: Assessment) -> dict[str, Any]:
    return {"claim": x.claim_id, "outlet": x.source, "verdict": x.verdict, "probability": float(x.probability),
            "rule": x.rule, "pairs": x.pair_ids}


def _fact_json(fact: SharedFact) -> dict[str, Any]:
    return {"entity": fact.entity, "value": fact.value, "sources": fact.sources, "claims": fact.claim_ids}


def _cluster_json(cluster: Cluster) -> dict[str, Any]:
    return {"id": cluster.id, "claims": cluster.claim_ids, "sources": cluster.sources, "agree": cluster.agree,
            "disagree": cluster.disagree}


# JSON leaves DEL, C1 controls (U+009B is a one-character CSI), line separators and bidi controls raw;
# written as \u escapes they are the same JSON strings, and inert when the file is printed.
_JSON_INERT = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert_json(text: str) -> str:
    """JSON text with every character a terminal or a viewer could act on written as a \\u escape: the
    same data, safe to print (``verify claims --json``) or to open."""
    if text.isascii() and "\x7f" not in text:  # most records: no need for the (slower) scan
        return text
    return _JSON_INERT.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
