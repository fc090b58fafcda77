"""Report -> JSON (a documented schema), Markdown, HTML and rich terminal tables.

The report is a public interface: people read the Markdown/HTML/terminal views and
programs parse the JSON. The JSON schema is the pydantic model ``ReportJSON``
(``json_schema()`` returns it); ``SCHEMA_VERSION`` changes its major number whenever a
field is removed or changes meaning.

Only ``render_terminal`` prints, and only to the console it is given.
"""

from __future__ import annotations

import base64
import bisect
import dataclasses
import hashlib
import html
import json
import os
import re
import signal
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.table import Table
from rich.text import Text

from verify import __version__
from verify.errors import ConfigError, InputError
from verify.records import (
    NLI_LABELS,
    Article,
    Assessment,
    Claim,
    Cluster,
    Conflict,
    PairVerdict,
    Report,
    evidence_from_dict,
    evidence_to_dict,
)

# Characters no report view shows as they are: C0/C1 controls but tab and newline (ESC starts terminal
# escape sequences, OSC sets window titles and hyperlinks) and, with bidi, the bidirectional controls
# that reorder the text around them ("Trojan Source"). The JSON keeps the data exactly.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_AND_BIDI = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe_text(text: object, *, bidi: bool = True) -> str:
    """``text`` without control characters (and, with ``bidi``, without bidirectional controls)."""
    return (_CONTROLS_AND_BIDI if bidi else _CONTROLS).sub("", str(text))


SCHEMA_VERSION = "2.0"  # 2.0: pairs.rule, pairs.evidence, assessments; pairs.conflicts holds value conflicts only
FORMATS: dict[str, str] = {"json": "report.json", "md": "report.md", "html": "report.html"}
VERDICT_ORDER: dict[str, int] = {"contradict": 0, "disputed": 1, "different-time": 2, "support": 3, "neutral": 4}
CONFLICT_VERDICTS = ("contradict", "disputed")
NEUTRAL_LIST_LIMIT = 10
DATE_UNKNOWN = "date unknown"


# --------------------------------------------------------------------------- JSON schema


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
    pairs: list[PairJSON]  # contradictions first, then support, then neutral; by confidence
    clusters: list[ClusterJSON]
    facts: list[FactJSON] = []  # values two or more outlets give alike for one specific entity
    assessments: list[AssessmentJSON] = []  # each claim against each other outlet it was paired with


def from_json(data: ReportJSON) -> Report:
    """Rebuild a Report from its JSON (for ``verify show``). Article texts are not in the JSON: they stay empty."""
    from verify.records import ClaimPair, SharedFact, TimeSpan

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
    """Convert a pipeline ``Report`` to its JSON model."""
    meta = {key: value for key, value in report.meta.items() if key != "created"}
    return ReportJSON(
        schema_version=SCHEMA_VERSION,
        verify_version=__version__,
        created=_created(report),
        meta=to_jsonable_python(meta, fallback=str),
        sources=[_source_json(article) for article in report.articles],
        claims=[_claim_json(claim) for claim in report.claims],
        pairs=[_pair_json(verdict) for verdict in sorted_verdicts(report.verdicts)],
        clusters=[_cluster_json(cluster) for cluster in report.clusters],
        facts=[FactJSON(entity=f.entity, value=f.value, sources=list(f.sources), claims=list(f.claim_ids))
               for f in report.facts],
        assessments=[_assessment_json(x) for x in report.assessments],
    )


def iter_json(report: Report) -> Iterator[str]:
    """The JSON report in pieces, one record at a time: the document ``ReportJSON`` describes, without
    holding it (or a model of every pair) in memory at once - 300k pairs took gigabytes that way."""
    meta = {key: value for key, value in report.meta.items() if key != "created"}
    head = {"schema_version": SCHEMA_VERSION, "verify_version": __version__, "created": _created(report),
            "meta": to_jsonable_python(meta, fallback=str)}
    yield "{\n"
    for key, value in head.items():
        yield f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n"
    lists: list[tuple[str, Iterable[BaseModel]]] = [
        ("sources", (_source_json(article) for article in report.articles)),
        ("claims", (_claim_json(claim) for claim in report.claims)),
        ("pairs", (_pair_json(verdict) for verdict in sorted_verdicts(report.verdicts))),
        ("clusters", (_cluster_json(cluster) for cluster in report.clusters)),
        ("facts", (FactJSON(entity=f.entity, value=f.value, sources=list(f.sources), claims=list(f.claim_ids))
                   for f in report.facts)),
        ("assessments", (_assessment_json(x) for x in report.assessments)),
    ]
    for n, (key, items) in enumerate(lists):
        yield f"  {json.dumps(key)}: ["
        empty = True
        for item in items:
            yield ("\n    " if empty else ",\n    ") + item.model_dump_json()
            empty = False
        yield ("]" if empty else "\n  ]") + (",\n" if n < len(lists) - 1 else "\n")
    yield "}\n"


def render_json(report: Report) -> str:
    return "".join(iter_json(report))


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


def _created(report: Report) -> str:
    created = report.meta.get("created")
    if isinstance(created, datetime):
        return _iso_utc(created)
    if isinstance(created, str) and created:
        return created
    return _iso_utc(datetime.now(timezone.utc))


def _iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _source_json(article: Article) -> SourceJSON:
    return SourceJSON(
        id=article.id,
        path=article.path,
        name=article.source,
        title=article.title,
        date=article.date,
        date_source=article.date_source,
        url=article.url,
    )


def _claim_json(claim: Claim) -> ClaimJSON:
    return ClaimJSON(
        id=claim.id,
        source=claim.article_id,
        source_name=claim.source,
        text=claim.text,
        standalone_text=claim.standalone,
        span=(claim.span[0], claim.span[1]),
        attribution=claim.attribution,
        rebuts=claim.rebuts,
        entities=list(claim.entities),
        entity_types=list(claim.entity_types),
        numbers=list(claim.numbers),
        dates=list(claim.dates),
        time=TimeJSON(**dataclasses.asdict(claim.time)) if claim.time else None,
    )


def _nli_scores(probs: dict[str, float]) -> NLIScoresJSON:
    return NLIScoresJSON(**{label: float(probs.get(label, 0.0)) for label in NLI_LABELS})


def _pair_json(verdict: PairVerdict) -> PairJSON:
    pair = verdict.pair
    return PairJSON(
        id=pair.id,
        claim_a=pair.a.id,
        claim_b=pair.b.id,
        source_a=pair.a.article_id,
        source_b=pair.b.article_id,
        verdict=verdict.verdict,
        confidence=verdict.confidence,
        similarity=pair.similarity,
        scores=ScoresJSON(forward=_nli_scores(verdict.forward), backward=_nli_scores(verdict.backward)),
        reason=verdict.reason,
        conflicts=list(verdict.conflicts),
        rule=verdict.rule,
        evidence=[evidence_to_dict(e) for e in verdict.evidence],
    )


def _assessment_json(x: Assessment) -> AssessmentJSON:
    return AssessmentJSON(claim=x.claim_id, outlet=x.source, verdict=x.verdict, probability=x.probability,  # type: ignore[arg-type]
                          rule=x.rule, pairs=list(x.pair_ids))


def _cluster_json(cluster: Cluster) -> ClusterJSON:
    return ClusterJSON(
        id=cluster.id,
        claims=list(cluster.claim_ids),
        sources=list(cluster.sources),
        agree=[(a, b) for a, b in cluster.agree],
        disagree=[(a, b) for a, b in cluster.disagree],
    )


# --------------------------------------------------------------------------- shared view helpers


def sorted_verdicts(verdicts: Iterable[PairVerdict]) -> list[PairVerdict]:
    """Contradictions first, then support, then neutral; within each by confidence, highest first."""
    return sorted(verdicts, key=lambda v: (VERDICT_ORDER[v.verdict], -v.confidence, v.pair.id))


def verdict_counts(report: Report) -> dict[str, int]:
    counts = Counter(v.verdict for v in report.verdicts)
    return {verdict: counts.get(verdict, 0) for verdict in VERDICT_ORDER}


def format_confidence(value: float) -> str:
    return f"{value:.2f}"


def format_date(date: str | None) -> str:
    return date or DATE_UNKNOWN


@dataclasses.dataclass(frozen=True, slots=True)
class _View:
    """Look-ups the renderers share: articles by id, claims by id, claims per article."""

    report: Report
    articles: dict[str, Article]
    claims: dict[str, Claim]
    claim_counts: Counter[str]

    @classmethod
    def of(cls, report: Report) -> _View:
        return cls(
            report=report,
            articles={a.id: a for a in report.articles},
            claims={c.id: c for c in report.claims},
            claim_counts=Counter(c.article_id for c in report.claims),
        )

    def outlet(self, claim: Claim) -> str:
        return claim.source

    def date(self, claim: Claim) -> str:
        article = self.articles.get(claim.article_id)
        return format_date(article.date if article else None)

    def source_label(self, key: str) -> str:
        """Cluster sources may be article ids or outlet names; show a name either way."""
        article = self.articles.get(key)
        return article.source if article else key

    def by_verdict(self, *verdicts: str) -> list[PairVerdict]:
        return [v for v in sorted_verdicts(self.report.verdicts) if v.verdict in verdicts]

    def cluster_supports(self) -> list[tuple[Cluster, list[PairVerdict]]]:
        """Each cluster that has agreeing sources, with the support verdicts inside it."""
        supports = self.by_verdict("support")
        groups = []
        for cluster in self.report.clusters:
            members = set(cluster.claim_ids)
            inside = [v for v in supports if v.pair.a.id in members and v.pair.b.id in members]
            if cluster.agree or inside:
                groups.append((cluster, inside))
        return groups

    def unclustered_supports(self) -> list[PairVerdict]:
        covered = {v.pair.id for _, inside in self.cluster_supports() for v in inside}
        return [v for v in self.by_verdict("support") if v.pair.id not in covered]

    def cluster_fact(self, cluster: Cluster) -> str:
        """The fact a cluster states, in words: its first claim's stand-alone reading."""
        for claim_id in cluster.claim_ids:
            claim = self.claims.get(claim_id)
            if claim is not None:
                return _one_line(claim.standalone or claim.text)
        return cluster.id

    def agreeing_outlets(self, cluster: Cluster) -> list[str]:
        return [f"{self.source_label(a)} & {self.source_label(b)}" for a, b in cluster.agree]


def models_line(meta: dict[str, Any]) -> str:
    """``meta["models"]`` in words: "nli: alias@rev, embed: alias@rev"."""
    models = meta.get("models")
    if not models:
        return "not recorded"
    if isinstance(models, dict):
        return ", ".join(f"{role}: {_model_name(spec)}" for role, spec in models.items())
    if isinstance(models, (list, tuple)):
        return ", ".join(_model_name(spec) for spec in models)
    return str(models)


def _model_name(spec: Any) -> str:
    if not isinstance(spec, dict):
        return str(spec)
    name = spec.get("alias") or spec.get("hf_id") or spec.get("name") or spec.get("path") or "?"
    revision = spec.get("revision")
    return f"{name}@{str(revision)[:12]}" if revision else str(name)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _contradiction_probs(verdict: PairVerdict) -> tuple[str, str]:
    return (
        format_confidence(verdict.forward.get("contradiction", 0.0)),
        format_confidence(verdict.backward.get("contradiction", 0.0)),
    )


def _run_date(report: Report) -> str:
    created = _created(report)
    return created.replace("T", " ").replace("Z", " UTC")


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _counts_line(report: Report) -> str:
    counts = verdict_counts(report)
    return (
        f"{_plural(len(report.articles), 'source')}, {_plural(len(report.claims), 'claim')}, "
        f"{_plural(len(report.verdicts), 'pair')}: "
        + ", ".join(f"{n} {verdict}" for verdict, n in counts.items() if n or verdict in ("contradict", "support"))
        + "; "
        f"{_plural(len(report.clusters), 'cluster')}"
    )


# --------------------------------------------------------------------------- Markdown


def render_markdown(report: Report) -> str:
    view = _View.of(report)
    parts = [
        "# verify report",
        f"Run {_md(_run_date(report))} with verify {__version__}; models: {_md(models_line(report.meta))}.",
        _md_sources(view),
        f"**{_md(_counts_line(report))}**",
        _md_contradictions(view),
        _md_different_time(view),
        _md_facts(report),
        _md_agreements(view),
        _md_neutral(view),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


_MD_SYNTAX = re.compile(r"([\\`*_\[\]<>#|~])")


def _md(text: str) -> str:
    """Inline text from the data: one line, no control or bidi characters, and every character Markdown
    gives a meaning backslash-escaped, so no link, image, raw HTML, emphasis or heading comes from the data."""
    return _MD_SYNTAX.sub(r"\\\1", safe_text(_one_line(text)))


def _md_cell(text: str) -> str:
    return _md(text) or " "


def _md_sources(view: _View) -> str:
    rows = ["## Sources", "", "| Source | Title | Date | Claims |", "|---|---|---|---:|"]
    for article in view.report.articles:
        cells = [article.source, article.title or "", format_date(article.date), str(view.claim_counts[article.id])]
        rows.append("| " + " | ".join(_md_cell(cell) for cell in cells) + " |")
    return "\n".join(rows)


def _md_quote(view: _View, claim: Claim) -> str:
    lines = [f"> {_md(claim.text)}"]
    if _one_line(claim.standalone) != _one_line(claim.text):
        lines += [">", f"> *read as: {_md(claim.standalone)}*"]
    lines += [">", f"> — **{_md(view.outlet(claim))}**, {_md(view.date(claim))}"]
    return "\n".join(lines)


def _md_contradictions(view: _View) -> str:
    verdicts = view.by_verdict(*CONFLICT_VERDICTS)
    if not verdicts:
        return "## Contradictions\n\nNo contradictions found."
    blocks = ["## Contradictions", "`contradict`: two outlets assert incompatible facts; `disputed`: a claim attributed to "
              "someone (\"the North claimed ...\") conflicts with an asserted one."]
    for number, verdict in enumerate(verdicts, 1):
        a, b = verdict.pair.a, verdict.pair.b
        forward, backward = _contradiction_probs(verdict)
        details = [
            f"- Verdict: **{verdict.verdict}**, confidence {format_confidence(verdict.confidence)}",
            f"- Contradiction probability: forward {forward}, backward {backward}",
            f"- Reason: {_md(verdict.reason)}",
        ]
        if verdict.conflicts:
            details.append("- Conflicts: " + "; ".join(_md(c) for c in verdict.conflicts))
        blocks += [
            f"### {number}. {_md(view.outlet(a))} vs {_md(view.outlet(b))}",
            _md_quote(view, a),
            _md_quote(view, b),
            "\n".join(details),
        ]
    return "\n\n".join(blocks)


def _md_different_time(view: _View) -> str:
    verdicts = view.by_verdict("different-time")
    if not verdicts:
        return ""
    lines = ["## Different times", "Claims that conflict but describe different moments; not contradictions.", ""]
    for v in verdicts:
        lines.append(f"- **{_md(view.outlet(v.pair.a))}** ({_md(view.date(v.pair.a))}): {_md(v.pair.a.text)}  \n"
                     f"  **{_md(view.outlet(v.pair.b))}** ({_md(view.date(v.pair.b))}): {_md(v.pair.b.text)}  \n"
                     f"  *{_md(v.reason)}*")
    return "\n".join(lines)


def _fact_line(fact: Any) -> str:
    return f"{fact.entity}: {fact.value} (stated alike by {', '.join(fact.sources)})"


def _md_facts(report: Report) -> str:
    if not report.facts:
        return ""
    return "## Facts outlets agree on\n\n" + "\n".join(f"- {_md(_fact_line(f))}" for f in report.facts)


def _md_agreements(view: _View) -> str:
    groups = view.cluster_supports()
    loose = view.unclustered_supports()
    if not groups and not loose:
        return "## Agreements\n\nNo agreements found."
    blocks = ["## Agreements"]
    for cluster, inside in groups:
        outlets = "; ".join(view.agreeing_outlets(cluster)) or "no source pairs recorded"
        blocks.append(f"### {_md(view.cluster_fact(cluster))}\n\nAgreeing: {_md(outlets)}")
        blocks += [_md_support(view, verdict) for verdict in inside]
    if loose:
        blocks.append("### Other agreements")
        blocks += [_md_support(view, verdict) for verdict in loose]
    return "\n\n".join(blocks)


def _md_support(view: _View, verdict: PairVerdict) -> str:
    a, b = verdict.pair.a, verdict.pair.b
    return "\n".join(
        [
            _md_claim_item(view, a),
            _md_claim_item(view, b),
            f"- Confidence {format_confidence(verdict.confidence)}; {_md(verdict.reason)}",
        ]
    )


def _md_claim_item(view: _View, claim: Claim) -> str:
    item = f"- **{_md(view.outlet(claim))}** ({_md(view.date(claim))}): {_md(claim.text)}"
    if _one_line(claim.standalone) != _one_line(claim.text):
        item += f" *(read as: {_md(claim.standalone)})*"
    return item


def _md_neutral(view: _View) -> str:
    verdicts = view.by_verdict("neutral")
    text = (
        f"## Neutral pairs\n\n{_plural(len(verdicts), 'pair')} judged neutral "
        "(related, neither agreeing nor contradicting)."
    )
    if not verdicts or len(verdicts) > NEUTRAL_LIST_LIMIT:
        return text
    items = [
        f"- {_md(view.outlet(v.pair.a))}: {_md(v.pair.a.text)} / {_md(view.outlet(v.pair.b))}: {_md(v.pair.b.text)}"
        for v in verdicts
    ]
    return text + "\n\n" + "\n".join(items)


# --------------------------------------------------------------------------- HTML
# One self-contained page: inline CSS and a small inline script, both pinned by hash in the page's
# Content-Security-Policy, so nothing else can run or load. Every string that comes from an article,
# a claim or a verdict goes through _e(); the script reads only data-* attributes and form values.
# Without JavaScript every card is visible and the (useless) filter form stays hidden.

_CSS = """
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fff; --panel: #f5f5f2; --muted: #555; --line: #c4c4c4;
  --link: #0b57d0; --contradict: #a4161a; --disputed: #8a2252; --time: #7a4a00; --support: #1b6e2a;
  --neutral: #4a4a4a; --mark: #ffe27a; --conflict: #ffc4c4; --claim: #fff3c9; }
@media (prefers-color-scheme: dark) { :root { --fg: #eee; --bg: #161616; --panel: #222; --muted: #bbb;
  --line: #4d4d4d; --link: #8ab4f8; --contradict: #ff8a8a; --disputed: #f5a3c7; --time: #f0c060;
  --support: #7fd68f; --neutral: #c8c8c8; } }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg);
  margin: 0; overflow-wrap: anywhere; }
header, nav, main { max-width: 70rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 1rem; }
h1 { margin: .25rem 0; }
h2 { margin: 2.5rem 0 .75rem; padding-bottom: .25rem; border-bottom: 2px solid var(--line); }
h3 { margin: 1.5rem 0 .5rem; }
a { color: var(--link); }
:focus-visible { outline: 3px solid var(--link); outline-offset: 2px; }
:target { scroll-margin-top: 8rem; }
.skip { position: absolute; left: -100vw; }
.skip:focus { left: 1rem; top: .5rem; background: var(--bg); padding: .25rem .5rem; }
nav ul { list-style: none; padding: 0; margin: .5rem 0; display: flex; flex-wrap: wrap; gap: .25rem 1.25rem; }
.muted { color: var(--muted); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border: 1px solid var(--line); padding: .25rem .6rem; text-align: left; vertical-align: top; }
thead th, tbody th { background: var(--panel); }
.matrix td, td.date { white-space: nowrap; }
.matrix td { text-align: center; }
.matrix td.disagree { font-weight: 700; color: var(--contradict); }
.counts { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .5rem; }
.counts li { border: 1px solid var(--line); border-radius: .4rem; padding: .2rem .7rem; }
.label { display: inline-block; font-weight: 700; font-size: .78rem; letter-spacing: .05em; text-transform: uppercase;
  border: 1px solid currentColor; border-radius: .25rem; padding: 0 .35rem; vertical-align: .1em; }
.label.contradict { color: var(--contradict); }
.label.disputed { color: var(--disputed); }
.label.different-time { color: var(--time); }
.label.support { color: var(--support); }
.label.neutral { color: var(--neutral); }
.filters { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; margin: 1.5rem 0;
  padding: .6rem 1rem; background: var(--panel); border: 1px solid var(--line); border-radius: .5rem; }
@media (min-width: 50rem) { .filters { position: sticky; top: 0; z-index: 1; box-shadow: 0 2px 6px #0002; } }
.filters fieldset { display: flex; flex-wrap: wrap; align-items: center; gap: .25rem .9rem; border: 0;
  margin: 0; padding: 0; }
.filters legend { float: left; font-weight: 600; margin-right: .25rem; padding: 0; }
.filters .control { display: inline-flex; align-items: center; gap: .4rem; white-space: nowrap; }
.filters label { cursor: pointer; }
.filters output { font-variant-numeric: tabular-nums; min-width: 2.5em; }
.filters p { margin: 0; flex-basis: 100%; font-size: .9rem; }
.legend { font-size: .95rem; }
.card { margin: 1rem 0; padding: .25rem 1rem .75rem; border: 1px solid var(--line);
  border-left: .5rem solid var(--neutral); border-radius: .4rem; }
.card.contradict { border-left-color: var(--contradict); }
.card.disputed { border-left-color: var(--disputed); border-left-style: dashed; }
.card.different-time { border-left-color: var(--time); border-left-style: double; }
.card.support { border-left-color: var(--support); }
.card h3, .card h4 { margin: .5rem 0; font-size: 1.08rem; }
.quotes { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
blockquote { margin: 0; padding: .5rem 1rem; background: var(--panel); border-left: 3px solid var(--line); }
blockquote p { margin: 0 0 .5rem; }
blockquote footer { font-size: .9rem; color: var(--muted); }
mark { color: #111; background: var(--mark); padding: 0 .1em; border-radius: .15em; }
mark.conflict { background: var(--conflict); font-weight: 700; text-decoration: underline wavy #a4161a;
  text-underline-offset: .2em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .75rem 0 .5rem; }
dt { font-weight: 600; }
dd { margin: 0; }
dd ul { margin: 0; padding-left: 1.2rem; }
details.scores summary { cursor: pointer; color: var(--muted); font-size: .9rem; }
details.scores table { font-size: .9rem; }
.group { margin-bottom: 2rem; }
.source-text { margin-top: 1.5rem; }
.article-text { white-space: pre-wrap; max-width: 48rem; overflow-wrap: anywhere; }
blockquote, td, th, dd, h1, h2, h3, h4, p, li, cite { overflow-wrap: anywhere; min-width: 0; }
.article-text mark.claim { background: var(--claim); }
.article-text mark.claim:target { background: var(--mark); outline: 3px solid var(--link); }
"""

_JS = """
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  var cards = Array.prototype.slice.call(document.querySelectorAll(".card[data-verdict]"));
  var groups = Array.prototype.slice.call(document.querySelectorAll(".group"));
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[name=verdict]"));
  var outlet = document.getElementById("filter-outlet");
  var confidence = document.getElementById("filter-confidence");
  var shown = document.getElementById("filter-confidence-value");
  var status = document.getElementById("filter-status");

  function apply() {
    var verdicts = {};
    boxes.forEach(function (box) { verdicts[box.value] = box.checked; });
    var who = outlet.value;
    var least = parseFloat(confidence.value) || 0;
    var visible = 0;
    shown.textContent = least.toFixed(2);
    cards.forEach(function (card) {
      var d = card.dataset;
      var keep = verdicts[d.verdict] !== false &&
        (who === "" || d.outletA === who || d.outletB === who) &&
        parseFloat(d.confidence) + 1e-9 >= least;
      card.hidden = !keep;
      if (keep) { visible += 1; }
    });
    groups.forEach(function (group) {
      group.hidden = group.querySelector(".card") !== null && group.querySelector(".card:not([hidden])") === null;
    });
    status.textContent = "Showing " + visible + " of " + cards.length + " pairs.";
  }

  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
  form.hidden = false;
  apply();
})();
"""


def _csp_source(code: str) -> str:
    digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


_CSP = (
    f"default-src 'none'; style-src {_csp_source(_CSS)}; script-src {_csp_source(_JS)}; "
    "base-uri 'none'; form-action 'none'"
)
_VERDICT_MEANING = {
    "contradict": "the outlets assert incompatible facts",
    "disputed": "an attributed claim conflicts with an asserted one",
    "different-time": "the claims conflict, but describe different moments",
    "support": "the claims state the same fact",
    "neutral": "related, neither agreeing nor contradicting",
}
_SCORE_OF_VERDICT = {"support": "entailment", "neutral": "neutral"}  # the rest: contradiction
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _e(text: object) -> str:
    """Escaped for HTML text or an attribute value, without control characters."""
    return html.escape(safe_text(text, bidi=False), quote=True)


def _b(text: object) -> str:
    """Data shown inline: escaped and isolated in <bdi>, so right-to-left text or an unterminated bidi
    override (U+202E) in an outlet name or a title cannot reorder the report's own words around it."""
    return f"<bdi>{_e(text)}</bdi>"


def _isolated(text: object) -> str:
    """Data inside an element that takes no markup (<option>): isolated with FSI ... PDI instead of <bdi>."""
    return f"\u2068{_e(text)}\u2069"


@dataclasses.dataclass(frozen=True, slots=True)
class _Page:
    """What the HTML renderers share: the view, where each claim sits in its article's text, the outlets."""

    view: _View
    places: dict[str, tuple[int, int]]  # claim id -> [start, end) in Article.text
    outlets: tuple[str, ...]

    @classmethod
    def of(cls, report: Report) -> _Page:
        view = _View.of(report)
        places = {}
        for claim in report.claims:
            article = view.articles.get(claim.article_id)
            place = _text_place(article, claim) if article else None
            if place:
                places[claim.id] = place
        outlets = dict.fromkeys([a.source for a in report.articles] + [c.source for c in report.claims])
        return cls(view, places, tuple(outlets))


def _text_place(article: Article, claim: Claim) -> tuple[int, int] | None:
    """Where ``claim`` sits in ``article.text``: its span mapped back through the offsets, else a text search."""
    text = article.text
    if not text:
        return None
    if len(article.offsets) == len(text) + 1:
        start = bisect.bisect_left(article.offsets, claim.span[0], 0, len(text))
        end = bisect.bisect_left(article.offsets, claim.span[1], start, len(text))
        if end > start and _one_line(text[start:end]) == _one_line(claim.text):
            return start, end
    found = text.find(claim.text) if claim.text else -1
    return (found, found + len(claim.text)) if found >= 0 else None


def _claim_anchor(claim_id: str) -> str:
    return "claim-" + claim_id


def _claim_href(claim_id: str) -> str:
    return "#" + quote(_claim_anchor(claim_id), safe=":-_.~")


def render_html(report: Report) -> str:
    page = _Page.of(report)
    counts = verdict_counts(report)
    conflicts = counts["contradict"] + counts["disputed"]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">',
            f"<title>verify report: {_e(_plural(conflicts, 'contradiction'))}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            '<a class="skip" href="#overview">Skip to the report</a>',
            _html_header(report),
            _html_nav(page),
            "<main>",
            _html_overview(page),
            _html_filters(page),
            _html_contradictions(page),
            _html_different_time(page),
            _html_agreements(page),
            _html_matrix(page),
            _html_neutral(page),
            _html_articles(page),
            "</main>",
            f"<script>{_JS}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _html_header(report: Report) -> str:
    return (
        "<header>\n<h1>verify report</h1>\n"
        f'<p class="muted">Run {_e(_run_date(report))} with verify {_e(__version__)}; '
        f"models: {_b(models_line(report.meta))}.</p>\n</header>"
    )


def _html_nav(page: _Page) -> str:
    links = [("overview", "Overview"), ("contradictions", "Contradictions"), ("different-time", "Different times"),
             ("agreements", "Agreements"), ("matrix", "Outlet matrix"), ("neutral", "Neutral pairs")]
    if _articles_with_text(page):
        links.append(("articles", "Full articles"))
    items = "".join(f'<li><a href="#{anchor}">{label}</a></li>' for anchor, label in links)
    return f'<nav aria-label="Sections"><ul>{items}</ul></nav>'


def _html_section(anchor: str, title: str, body: list[str]) -> str:
    return (
        f'<section id="{anchor}" aria-labelledby="{anchor}-h">\n<h2 id="{anchor}-h">{_e(title)}</h2>\n'
        + "\n".join(body)
        + "\n</section>"
    )


def _html_label(verdict: str) -> str:
    return f'<span class="label {_e(verdict)}">{_e(verdict)}</span>'


def _html_link(url: str | None) -> str:
    """Only http(s) URLs become links; anything else (javascript:, data:) is shown as text."""
    if not url:
        return ""
    if url.lower().startswith(("http://", "https://")):
        return f'<a href="{_e(url)}" rel="noopener noreferrer">link</a>'
    return _b(url)


# ----- overview and outlet matrix (the matrix is rendered after the agreements)


def _html_overview(page: _Page) -> str:
    view = page.view
    rows = "\n".join(
        f'<tr><th scope="row" dir="auto">{_e(a.source)}</th><td dir="auto">{_e(a.title or "")}</td>'
        f'<td class="date">{_e(format_date(a.date))}</td><td dir="auto">{_e(_date_source(a))}</td>'
        f"<td>{view.claim_counts[a.id]}</td><td>{_html_link(a.url)}</td></tr>"
        for a in view.report.articles
    )
    counts = verdict_counts(view.report)
    count_items = "".join(f"<li>{_html_label(verdict)} <strong>{n}</strong></li>" for verdict, n in counts.items())
    return _html_section("overview", "Overview", [
        '<div class="table-wrap"><table>\n<caption>Sources</caption>\n'
        '<thead><tr><th scope="col">Source</th><th scope="col">Title</th><th scope="col">Date</th>'
        '<th scope="col">Date from</th><th scope="col">Claims</th><th scope="col">URL</th></tr></thead>\n'
        f"<tbody>\n{rows}\n</tbody>\n</table></div>",
        f"<p>{_e(_counts_line(view.report))}</p>",
        f'<ul class="counts" aria-label="Pairs per verdict">{count_items}</ul>',
    ])


def _date_source(article: Article) -> str:
    if article.date_source:
        return article.date_source
    return "not recorded" if article.date else "—"


def _outlet_tallies(view: _View) -> Counter[tuple[str, str, bool]]:
    """(outlet, outlet, disagrees) -> number of pairs, counted in both directions."""
    tallies: Counter[tuple[str, str, bool]] = Counter()
    for verdict in view.report.verdicts:
        if verdict.verdict != "support" and verdict.verdict not in CONFLICT_VERDICTS:
            continue
        a, b = verdict.pair.a.source, verdict.pair.b.source
        for key in dict.fromkeys([(a, b), (b, a)]):
            tallies[(*key, verdict.verdict != "support")] += 1
    return tallies


def _html_matrix(page: _Page) -> str:
    tallies = _outlet_tallies(page.view)
    head = "".join(f'<th scope="col" dir="auto">{_e(outlet)}</th>' for outlet in page.outlets)
    rows = "\n".join(
        f'<tr><th scope="row" dir="auto">{_e(row)}</th>'
        + "".join(_html_matrix_cell(tallies, row, col) for col in page.outlets)
        + "</tr>"
        for row in page.outlets
    )
    return _html_section("matrix", "Outlet matrix", [
        '<div class="table-wrap"><table class="matrix">\n'
        "<caption>Pairs of claims where two outlets agree (support) or disagree (contradict or disputed)</caption>\n"
        f'<thead><tr><td></td>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table></div>',
    ])


def _html_matrix_cell(tallies: Counter[tuple[str, str, bool]], row: str, col: str) -> str:
    agree, disagree = tallies[(row, col, False)], tallies[(row, col, True)]
    if row == col and not (agree or disagree):
        return '<td class="muted">same outlet</td>'
    css = ' class="disagree"' if disagree else ""
    return f"<td{css}>{agree} agree / {disagree} disagree</td>"


# ----- filters


def _html_filters(page: _Page) -> str:
    counts = verdict_counts(page.view.report)
    present = [verdict for verdict, n in counts.items() if n]
    if not present:
        return ""
    boxes = "".join(
        f'<label><input type="checkbox" name="verdict" value="{_e(verdict)}" checked> '
        f"{_html_label(verdict)} ({counts[verdict]})</label>"
        for verdict in present
    )
    options = '<option value="">All outlets</option>' + "".join(
        f'<option value="{_e(outlet)}">{_isolated(outlet)}</option>' for outlet in page.outlets
    )
    return (
        '<form id="filters" class="filters" aria-label="Filter pairs" hidden>\n'
        f"<fieldset><legend>Verdicts</legend>{boxes}</fieldset>\n"
        '<span class="control"><label for="filter-outlet">Outlet</label>'
        f'<select id="filter-outlet" name="outlet">{options}</select></span>\n'
        '<span class="control"><label for="filter-confidence">Minimum confidence</label>'
        '<input type="range" id="filter-confidence" name="confidence" min="0" max="1" step="0.05" value="0">'
        '<output id="filter-confidence-value" for="filter-confidence">0.00</output></span>\n'
        '<button type="reset">Show all</button>\n'
        '<p id="filter-status" role="status" aria-live="polite"></p>\n'
        "</form>"
    )


# ----- cards


def _html_card(page: _Page, verdict: PairVerdict, title: str, level: int = 3) -> str:
    a, b = verdict.pair.a, verdict.pair.b
    joiner = "vs" if verdict.verdict in CONFLICT_VERDICTS else "and"
    heading = _e("h-" + verdict.pair.id)
    data = (
        f'data-verdict="{_e(verdict.verdict)}" data-outlet-a="{_e(a.source)}" data-outlet-b="{_e(b.source)}" '
        f'data-confidence="{verdict.confidence:.4f}"'
    )
    return (
        f'<article class="card {_e(verdict.verdict)}" id="{_e("pair-" + verdict.pair.id)}" {data} '
        f'aria-labelledby="{heading}">\n'
        f'<h{level} id="{heading}">{_html_label(verdict.verdict)} {_e(title)}: '
        f"{_b(a.source)} {joiner} {_b(b.source)}</h{level}>\n"
        f'<div class="quotes">{_html_quote(page, verdict, a, b)}{_html_quote(page, verdict, b, a)}</div>\n'
        f"{_html_facts(verdict)}\n{_html_scores(verdict)}\n</article>"
    )


def _html_quote(page: _Page, verdict: PairVerdict, claim: Claim, other: Claim) -> str:
    conflict, shared = _mark_patterns(verdict, claim, other)
    read_as = ""
    if _one_line(claim.standalone) != _one_line(claim.text):
        read_as = f'<p class="muted">read as: {_b(claim.standalone)}</p>'
    about = [f"<cite>{_b(claim.source)}</cite>", _e(page.view.date(claim))]
    if claim.attribution:
        about.append(f"attributed to {_b(claim.attribution)}")
    if claim.time:
        about.append(f"about {_b(_time_words(claim))}")
    if claim.id in page.places:
        about.append(f'<a href="{_e(_claim_href(claim.id))}">in the full article</a>')
    return (
        f'<blockquote><p dir="auto">{_highlighted(claim.text, conflict, shared)}</p>{read_as}'
        f"<footer>— {' · '.join(about)}</footer></blockquote>"
    )


def _time_words(claim: Claim) -> str:
    time = claim.time
    if time is None:
        return ""
    when = time.start if time.start == time.end else f"{time.start} to {time.end}"
    return f"“{time.text}” ({when})"


def _html_facts(verdict: PairVerdict) -> str:
    conflicts = ""
    if verdict.conflicts:
        items = "".join(f'<li dir="auto">{_e(c)}</li>' for c in verdict.conflicts)
        conflicts = f"<dt>Conflicts</dt><dd><ul>{items}</ul></dd>"
    meaning = _VERDICT_MEANING.get(verdict.verdict, "")
    return (
        f'<dl class="facts"><dt>Verdict</dt><dd>{_e(verdict.verdict)}: {_e(meaning)}</dd>'
        f"<dt>Confidence</dt><dd>{format_confidence(verdict.confidence)}</dd>"
        f"<dt>Similarity</dt><dd>{format_confidence(verdict.pair.similarity)}</dd>"
        f'<dt>Reason</dt><dd dir="auto">{_e(verdict.reason)}</dd>{conflicts}</dl>'
    )


def _html_scores(verdict: PairVerdict) -> str:
    head = "".join(f'<th scope="col">{_e(label)}</th>' for label in NLI_LABELS)
    rows = "".join(
        f'<tr><th scope="row">{name}</th>'
        + "".join(f"<td>{format_confidence(probs.get(label, 0.0))}</td>" for label in NLI_LABELS)
        + "</tr>"
        for name, probs in (("forward (A→B)", verdict.forward), ("backward (B→A)", verdict.backward))
    )
    label = _SCORE_OF_VERDICT.get(verdict.verdict, "contradiction")
    forward = format_confidence(verdict.forward.get(label, 0.0))
    backward = format_confidence(verdict.backward.get(label, 0.0))
    return (
        f'<details class="scores"><summary>NLI scores: {label} A→B {forward}, B→A {backward}</summary>'
        f"<table><caption>NLI probabilities</caption><thead><tr><td></td>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table></details>"
    )


# ----- highlighting


def _mark_patterns(verdict: PairVerdict, claim: Claim, other: Claim) -> tuple[list[str], list[str]]:
    """Regexes for what to highlight in ``claim``: values named in the verdict's conflict evidence, values both
    claims share."""
    conflict_values = [value for e in verdict.evidence if isinstance(e, Conflict) and e.kind != "commemorates"
                       for side in (e.a, e.b) for value in side.split(", ") if value.strip()]
    in_conflict = {value.lower() for value in conflict_values}
    own = [*claim.entities, *claim.numbers, *claim.dates]
    theirs = {t.lower() for t in (*other.entities, *other.numbers, *other.dates, *verdict.pair.shared)}
    conflict = [t for t in own if t.lower() in in_conflict] + conflict_values
    shared = [t for t in own if t.lower() in theirs] + list(verdict.pair.shared)
    return _patterns(conflict), _patterns(shared)


def _patterns(terms: Iterable[str]) -> list[str]:
    patterns = (_date_pattern(term) or _term_pattern(term) for term in dict.fromkeys(terms) if term.strip())
    return [pattern for pattern in patterns if pattern]


def _term_pattern(term: str) -> str:
    return rf"(?<!\w){re.escape(term.strip())}(?!\w)"


def _date_pattern(value: str) -> str | None:
    """A regex for the ways an ISO date ("1945-08-09", "1945-08", "--08-09", "1945/1950") is written in prose."""
    if "/" in value:
        parts = [p for p in (_date_pattern(part) for part in value.split("/")) if p]
        return "|".join(parts) or None
    match = re.fullmatch(r"(\d{4})?(?:-?-(\d{2}))?(?:-(\d{2}))?", value)
    if not match or not any(match.groups()):
        return None
    year, month, day = match.groups()
    if not month or not 1 <= int(month) <= 12:
        return rf"(?<!\d){year}(?!\d)" if year else None
    name = _MONTHS[int(month) - 1]
    mon = rf"(?:{name}|{name[:3]}\.?)(?!\w)"
    yr = rf"(?:,?\s+{year}(?!\d))?" if year else ""
    if not day:
        return rf"(?<!\w){mon}\s+{year}(?!\d)" if year else rf"(?<!\w){mon}"
    d = rf"0?{int(day)}(?:st|nd|rd|th)?(?!\w)"
    return rf"(?<!\w){mon}\s+{d}{yr}|(?<!\d){d}\s+(?:of\s+)?{mon}{yr}|(?<!\d){re.escape(value)}(?!\d)"


def _highlighted(text: str, conflict: Sequence[str], shared: Sequence[str]) -> str:
    """``text`` escaped, with each match of a conflict or shared pattern wrapped in <mark> (longest, conflict first)."""
    hits = []
    for rank, (kind, patterns) in enumerate((("conflict", conflict), ("shared", shared))):
        for pattern in patterns:
            hits += [(m.start(), -m.end(), rank, kind) for m in re.finditer(pattern, text, re.IGNORECASE) if m.group()]
    out, pos = [], 0
    for start, neg_end, _, kind in sorted(hits):
        if start < pos:
            continue
        out.append(_e(text[pos:start]))
        out.append(f'<mark class="{kind}">{_e(text[start:-neg_end])}</mark>')
        pos = -neg_end
    out.append(_e(text[pos:]))
    return "".join(out)


# ----- sections


_LEGEND = (
    '<p class="legend">In the quotes, <mark class="conflict">bold, underlined</mark> marks the values that conflict, '
    'and <mark class="shared">plain highlight</mark> marks details both claims share.</p>'
)


def _html_contradictions(page: _Page) -> str:
    numbers: Counter[str] = Counter()
    body = []
    for verdict in page.view.by_verdict(*CONFLICT_VERDICTS):
        numbers[verdict.verdict] += 1
        title = "Dispute" if verdict.verdict == "disputed" else "Contradiction"
        body.append(_html_card(page, verdict, f"{title} {numbers[verdict.verdict]}"))
    return _html_section("contradictions", "Contradictions and disputes",
                         [_LEGEND, *body] if body else ["<p>No contradictions found.</p>"])


def _html_different_time(page: _Page) -> str:
    verdicts = page.view.by_verdict("different-time")
    body = [_html_card(page, v, "Different times") for v in verdicts]
    return _html_section("different-time", "Different times (not contradictions)",
                         body or ["<p>No conflicting claims from different times.</p>"])


def _html_agreements(page: _Page) -> str:
    view = page.view
    body: list[str] = []
    for cluster, inside in view.cluster_supports():
        outlets = "; ".join(view.agreeing_outlets(cluster)) or "no source pairs recorded"
        cards = "".join(f"\n{_html_card(page, v, 'Agreement', level=4)}" for v in inside)
        body.append(
            f'<div class="group">\n<h3 dir="auto">{_e(view.cluster_fact(cluster))}</h3>\n'
            f"<p>Agreeing: {_b(outlets)}</p>{cards}\n"
            "</div>"
        )
    loose = view.unclustered_supports()
    if loose:
        cards = "".join(f"\n{_html_card(page, v, 'Agreement', level=4)}" for v in loose)
        body.append(f'<div class="group">\n<h3>Other agreements</h3>{cards}\n</div>')
    facts = page.view.report.facts
    if facts:
        items = "".join(f'<li dir="auto">{_e(_fact_line(f))}</li>' for f in facts)
        body.append(f'<div class="group">\n<h3>Facts outlets agree on</h3>\n<ul>{items}</ul>\n</div>')
    return _html_section("agreements", "Agreements", body or ["<p>No agreements found.</p>"])


def _html_neutral(page: _Page) -> str:
    verdicts = page.view.by_verdict("neutral")
    shown = verdicts[:NEUTRAL_LIST_LIMIT]
    note = f" The {len(shown)} most confident are shown." if len(shown) < len(verdicts) else ""
    body = [f"<p>{_plural(len(verdicts), 'pair')} judged {_html_label('neutral')} "
            f"(related, neither agreeing nor contradicting).{note}</p>"]
    body += [_html_card(page, v, "Neutral") for v in shown]
    return _html_section("neutral", "Neutral pairs", body)


def _articles_with_text(page: _Page) -> list[Article]:
    return [article for article in page.view.report.articles if article.text]


def _html_articles(page: _Page) -> str:
    articles = _articles_with_text(page)
    if not articles:
        return ""  # rebuilt from report.json: the texts are not stored there
    claims_of: dict[str, list[tuple[tuple[int, int], str]]] = {}
    for claim in page.view.report.claims:
        if claim.id in page.places:
            claims_of.setdefault(claim.article_id, []).append((page.places[claim.id], claim.id))
    body = [
        "<p>Each article's cleaned text, with every extracted claim highlighted.</p>",
        *(_html_article(article, n, sorted(claims_of.get(article.id, []))) for n, article in enumerate(articles, 1)),
    ]
    return _html_section("articles", "Full articles", body)


def _html_article(article: Article, n: int, places: list[tuple[tuple[int, int], str]]) -> str:
    title = f"{article.source}: {article.title}" if article.title else article.source
    about = [_e(format_date(article.date)), _b(article.path), _html_link(article.url)]
    return (
        f'<article class="source-text" aria-labelledby="article-{n}-h">\n'
        f'<h3 id="article-{n}-h" dir="auto">{_e(title)}</h3>\n'
        f'<p class="muted">{" · ".join(part for part in about if part)}; {_plural(len(places), "claim")}</p>\n'
        f'<div class="article-text" dir="auto">{_marked_text(article.text, places)}</div>\n</article>'
    )


def _marked_text(text: str, places: list[tuple[tuple[int, int], str]]) -> str:
    """``text`` escaped, each claim in <mark id="claim-<id>">; a claim overlapping the one before gets an anchor."""
    out, pos = [], 0
    for (start, end), claim_id in places:
        anchor = _e(_claim_anchor(claim_id))
        if start < pos:
            out.append(f'<span id="{anchor}"></span>')
            continue
        out.append(_e(text[pos:start]))
        out.append(f'<mark class="claim" id="{anchor}">{_e(text[start:end])}</mark>')
        pos = end
    out.append(_e(text[pos:]))
    return "".join(out)


# --------------------------------------------------------------------------- terminal


def render_terminal(report: Report, console: Console, *, max_rows: int = 20) -> None:
    """Print sources, counts, contradictions and the top agreements as rich tables."""
    view = _View.of(report)
    console.print(_tt(f"verify report, run {_run_date(report)}; models: {models_line(report.meta)}"))
    console.print(_terminal_sources(view))
    console.print(_tt(_counts_line(report)))
    _print_pairs(console, view, CONFLICT_VERDICTS, "Contradictions and disputes", max_rows)
    _print_pairs(console, view, ("different-time",), "Different times (not contradictions)", max_rows)
    _print_pairs(console, view, ("support",), "Top agreements", max_rows)
    for fact in report.facts[:max_rows]:
        console.print(_tt("Facts outlets agree on: " + _fact_line(fact)))


def _terminal_sources(view: _View, max_articles: int = 30) -> Table:
    if len(view.report.articles) > max_articles:  # a big corpus: one row per outlet
        table = Table(title=f"Sources ({len(view.report.articles):,} articles)")
        for column in ("Source", "Articles", "Claims"):
            table.add_column(column, justify="left" if column == "Source" else "right")
        per_source: dict[str, list[int]] = {}
        for article in view.report.articles:
            row = per_source.setdefault(article.source, [0, 0])
            row[0] += 1
            row[1] += view.claim_counts[article.id]
        for source, (articles, claims) in sorted(per_source.items()):
            table.add_row(_tt(source), f"{articles:,}", f"{claims:,}")
        return table
    table = Table(title="Sources")
    for column in ("Source", "Title", "Date", "Claims"):
        table.add_column(column, justify="right" if column == "Claims" else "left")
    for article in view.report.articles:
        table.add_row(
            _tt(article.source),
            _tt(article.title or ""),
            _tt(format_date(article.date)),
            str(view.claim_counts[article.id]),
        )
    return table


def _print_pairs(console: Console, view: _View, verdict: Sequence[str], title: str, max_rows: int) -> None:
    verdicts = view.by_verdict(*verdict)
    if not verdicts:
        console.print(Text(f"{title}: none found."))
        return
    console.print(_terminal_pairs(view, verdicts[:max_rows], title, _TERMINAL_STYLES.get(verdict[0], "")))
    if len(verdicts) > max_rows:
        console.print(Text(f"... and {len(verdicts) - max_rows} more (see report.json)", style="dim"))


_TERMINAL_STYLES = {"contradict": "bold red", "disputed": "bold red", "different-time": "yellow", "support": "bold green"}


def _terminal_pairs(view: _View, verdicts: Sequence[PairVerdict], title: str, style: str) -> Table:
    table = Table(title=title, title_style=style or None, show_lines=True)
    table.add_column("Outlet A quote", ratio=3)
    table.add_column("Outlet B quote", ratio=3)
    table.add_column("Confidence", justify="right")
    table.add_column("Reason", ratio=2)
    for item in verdicts:
        reason = _one_line(item.reason)
        if item.conflicts:
            reason += "\n" + "; ".join(item.conflicts)
        table.add_row(
            _terminal_quote(view, item.pair.a),
            _terminal_quote(view, item.pair.b),
            Text(format_confidence(item.confidence)),
            _tt(reason),
        )
    return table


def _tt(text: str) -> Text:
    """Terminal text from the data: never markup, no control characters (an ESC in an outlet name
    would otherwise reach the terminal raw), no bidi controls."""
    return Text(safe_text(text))


def _terminal_quote(view: _View, claim: Claim) -> Text:
    text = Text()
    text.append(safe_text(_one_line(view.outlet(claim))), style="bold")
    text.append(safe_text(f" ({view.date(claim)})\n"), style="dim")
    text.append(safe_text(_one_line(claim.text)))
    if _one_line(claim.standalone) != _one_line(claim.text):
        text.append(safe_text(f"\nread as: {_one_line(claim.standalone)}"), style="italic")
    return text


# --------------------------------------------------------------------------- files

# JSON leaves DEL, C1 controls (U+009B is a one-character CSI), line separators and bidi controls raw;
# written as \u escapes they are the same JSON strings, and inert when the file is printed.
_JSON_INERT = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def inert_json(text: str) -> str:
    """JSON text with every character a terminal or a viewer could act on written as a \\u escape: the
    same data, safe to print (``verify claims --json``) or to open."""
    return _JSON_INERT.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _iter_inert_json(report: Report) -> Iterator[str]:
    return (inert_json(piece) for piece in iter_json(report))


_RENDERERS: dict[str, Callable[[Report], str | Iterable[str]]] = {
    "json": _iter_inert_json, "md": render_markdown, "html": render_html}


MANIFEST = "report.manifest.json"  # which files make up the last complete report set


def write_reports(report: Report, out_dir: Path, formats: Sequence[str],
                  on_written: Callable[[Path], None] | None = None) -> list[Path]:
    """Write ``report.<fmt>`` for each format into ``out_dir`` as one set; return the report paths.

    Every file is first rendered in full to a temporary name beside its target. Only when all are
    rendered are they renamed into place (Ctrl-C and SIGTERM wait for the renames), and then
    ``report.manifest.json`` names the run, its time and each file's size and SHA-256: a reader can
    always tell which files belong together. Interrupted or failed while rendering (a full disk):
    nothing is replaced, the temporary files are removed, the previous set stays whole; a failure
    raises ``ReportWriteError`` saying so. ``on_written(path)`` is called for each file put in place."""
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown:
        raise ConfigError(f"unknown report format {', '.join(map(repr, unknown))}; use one of: {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot create the report folder ({exc.strerror})") from None
    stamped = _stamp_created(report)  # every format shows the same run time
    staged: list[tuple[Path, Path, str, int]] = []  # target, temporary file, sha256, bytes
    written: list[Path] = []
    try:
        try:
            for fmt in dict.fromkeys(formats):
                target = out_dir / FORMATS[fmt]
                staged.append((target, *_stage(target, _RENDERERS[fmt](stamped))))
        except OSError as exc:
            raise ReportWriteError(f"{out_dir}: could not write the reports ({exc.strerror or exc}); nothing was "
                                   "replaced, the previous reports are intact") from None
        manifest = {
            "run": stamped.meta.get("run_id") or f"{_created(stamped)}-{os.urandom(4).hex()}",
            "created": _created(stamped),
            "verify_version": __version__,
            "complete": True,
            "files": {target.name: {"bytes": size, "sha256": digest} for target, _, digest, size in staged},
        }
        with _interrupts_deferred():
            try:
                (out_dir / MANIFEST).unlink(missing_ok=True)  # no manifest while the set is mixed
                for target, tmp, _, _ in staged:
                    os.replace(tmp, target)
                    written.append(target)
                write_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=2) + "\n")
            except OSError as exc:
                done = ", ".join(p.name for p in written) or "none"
                raise ReportWriteError(f"{out_dir}: could not finish writing the reports ({exc.strerror or exc}); "
                                       f"replaced: {done}; no {MANIFEST}, so the set is not complete") from None
    finally:
        for _, tmp, _, _ in staged:
            tmp.unlink(missing_ok=True)
    if on_written:
        for path in [*written, out_dir / MANIFEST]:
            on_written(path)
    return written


def manifest_problem(path: Path) -> str | None:
    """Why ``path`` (a report file) is not part of the complete set its folder's manifest names, or None
    when it is (or when there is no manifest to check against, e.g. a report written elsewhere)."""
    path = Path(path)
    manifest = path.parent / MANIFEST
    if not manifest.is_file():
        return None
    try:
        files = json.loads(manifest.read_text(encoding="utf-8"))["files"]
        entry = files[path.name]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except KeyError:
        return f"{path.name} is not in {manifest}; it is not from the run that wrote the other reports"
    except (OSError, ValueError, TypeError) as exc:
        return f"{manifest} is unreadable ({type(exc).__name__})"
    if digest != entry.get("sha256"):
        return f"{path} does not match {manifest} (another run wrote it, or a write was cut short)"
    return None


class ReportWriteError(InputError):
    """The report files could not be written (a full disk, a read-only folder)."""


def _stage(target: Path, content: str | Iterable[str]) -> tuple[Path, str, int]:
    """Write ``content`` to a temporary file beside ``target`` (synced, mode of the target); return it,
    its SHA-256 and its size. The temporary file is removed if anything goes wrong."""
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            for piece in [content] if isinstance(content, str) else content:
                data = piece.encode("utf-8", errors="surrogateescape")
                digest.update(data)
                size += len(data)
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o644)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest(), size


@contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) and SIGTERM until the block ends, then deliver them: a few renames must not
    be cut in half. Only in the main thread (elsewhere signals are not delivered to Python code)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[tuple[int, Any]] = []
    wanted = [signal.SIGINT, signal.SIGTERM]
    previous = {sig: signal.getsignal(sig) for sig in wanted}
    for sig in wanted:
        signal.signal(sig, lambda signum, frame: pending.append((signum, frame)))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum, frame in pending[:1]:
            handler = previous[signum]
            if callable(handler):
                handler(signum, frame)
            elif handler == signal.SIG_DFL and signum == signal.SIGINT:
                raise KeyboardInterrupt
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


def _stamp_created(report: Report) -> Report:
    if report.meta.get("created"):
        return report
    return dataclasses.replace(report, meta={**report.meta, "created": _iso_utc(datetime.now(timezone.utc))})


def write_atomic(path: Path, content: str | Iterable[str]) -> None:
    """Write to a temp file beside ``path``, then rename over it: readers see old or new, never half.
    ``content`` may come in pieces (an iterable of strings), written as they come."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.writelines([content] if isinstance(content, str) else content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
