"""Report -> JSON (a documented schema), Markdown, HTML and rich terminal tables.

The report is a public interface: people read the Markdown/HTML/terminal views and
programs parse the JSON. The JSON schema is the pydantic model ``ReportJSON``
(``json_schema()`` returns it); ``SCHEMA_VERSION`` changes its major number whenever a
field is removed or changes meaning.

Only ``render_terminal`` prints, and only to the console it is given.
"""

from __future__ import annotations

import dataclasses
import html
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.table import Table
from rich.text import Text

from verify import __version__
from verify.errors import ConfigError, InputError
from verify.types import NLI_LABELS, Article, Claim, Cluster, PairVerdict, Report

SCHEMA_VERSION = "1.1"  # 1.1: verdicts disputed/different-time, claims.time/rebuts, sources.date_source
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
    conflicts: list[str]


class ClusterJSON(_Model):
    id: str
    claims: list[str]
    sources: list[str]
    agree: list[tuple[str, str]]
    disagree: list[tuple[str, str]]


class ReportJSON(_Model):
    schema_version: str
    verify_version: str
    created: str  # ISO 8601, UTC
    meta: dict[str, Any]
    sources: list[SourceJSON]
    claims: list[ClaimJSON]
    pairs: list[PairJSON]  # contradictions first, then support, then neutral; by confidence
    clusters: list[ClusterJSON]


def from_json(data: ReportJSON) -> Report:
    """Rebuild a Report from its JSON (for ``verify show``). Article texts are not in the JSON: they stay empty."""
    from verify.types import ClaimPair, TimeSpan

    articles = tuple(
        Article(s.id, s.path, s.name, s.title, s.date, s.url, "", "", (0,), s.date_source) for s in data.sources
    )
    claims = {
        c.id: Claim(c.id, c.source, c.source_name, c.text, c.standalone_text, (c.span[0], c.span[1]), c.attribution,
                    tuple(c.entities), tuple(c.numbers), tuple(c.dates), 0, c.rebuts,
                    TimeSpan(**c.time.model_dump()) if c.time else None)
        for c in data.claims
    }
    missing = [p.id for p in data.pairs if p.claim_a not in claims or p.claim_b not in claims]
    if missing:
        raise InputError(f"report JSON: pair {missing[0]} names a claim that is not in `claims`")
    verdicts = tuple(
        PairVerdict(ClaimPair(claims[p.claim_a], claims[p.claim_b], p.similarity), p.verdict, p.confidence,
                    p.scores.forward.model_dump(), p.scores.backward.model_dump(), p.reason, tuple(p.conflicts))
        for p in data.pairs
    )
    clusters = tuple(Cluster(c.id, tuple(c.claims), tuple(c.sources), tuple(map(tuple, c.agree)),
                             tuple(map(tuple, c.disagree))) for c in data.clusters)
    return Report(articles, tuple(claims.values()), verdicts, clusters, {**data.meta, "created": data.created})


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
    )


def render_json(report: Report) -> str:
    return to_json_model(report).model_dump_json(indent=2) + "\n"


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
    )


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
        _md_agreements(view),
        _md_neutral(view),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _md(text: str) -> str:
    """Inline text: one line, and no raw HTML a Markdown viewer would interpret."""
    return _one_line(text).replace("<", "&lt;")


def _md_cell(text: str) -> str:
    return _md(text).replace("|", "\\|") or " "


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

_CSS = """
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fff; --muted: #555; --line: #ccc;
  --contradict: #a4161a; --support: #1b6e2a; --neutral: #4a4a4a; }
@media (prefers-color-scheme: dark) { :root { --fg: #eee; --bg: #161616; --muted: #bbb; --line: #444;
  --contradict: #ff8a8a; --support: #7fd68f; --neutral: #c8c8c8; } }
body { font: 16px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
header, main, nav { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
nav ul { list-style: none; padding: 0; display: flex; gap: 1rem; flex-wrap: wrap; }
table { border-collapse: collapse; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
.muted { color: var(--muted); }
.card { border: 1px solid var(--line); border-left: .4rem solid var(--neutral); padding: .5rem 1rem;
  margin: 1rem 0; }
.card.contradict { border-left-color: var(--contradict); }
.card.support { border-left-color: var(--support); }
.quotes { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; }
blockquote { margin: 0; padding: .5rem 1rem; border-left: 3px solid var(--line); }
blockquote p { margin: 0 0 .5rem; }
.label { font-weight: bold; text-transform: uppercase; font-size: .85rem; letter-spacing: .05em; }
.label.contradict { color: var(--contradict); }
.label.support { color: var(--support); }
.label.neutral { color: var(--neutral); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: bold; } dd { margin: 0; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(report: Report) -> str:
    view = _View.of(report)
    counts = verdict_counts(report)
    title = "verify report"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}: {counts['contradict']} contradictions</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            "<header>",
            f"<h1>{_e(title)}</h1>",
            f'<p class="muted">Run {_e(_run_date(report))} with verify {_e(__version__)}; '
            f"models: {_e(models_line(report.meta))}.</p>",
            "</header>",
            _html_nav(),
            "<main>",
            _html_overview(view),
            _html_contradictions(view),
            _html_different_time(view),
            _html_agreements(view),
            _html_neutral(view),
            "</main>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _html_nav() -> str:
    links = [("overview", "Overview"), ("contradictions", "Contradictions"), ("different-time", "Different times"),
             ("agreements", "Agreements"),
             ("neutral", "Neutral pairs")]
    items = "".join(f'<li><a href="#{anchor}">{label}</a></li>' for anchor, label in links)
    return f'<nav aria-label="Sections"><ul>{items}</ul></nav>'


def _html_label(verdict: str) -> str:
    return f'<span class="label {_e(verdict)}">{_e(verdict)}</span>'


def _html_link(url: str | None) -> str:
    """Only http(s) URLs become links; anything else (javascript:, data:) is shown as text."""
    if not url:
        return ""
    if url.lower().startswith(("http://", "https://")):
        return f'<a href="{_e(url)}" rel="noopener noreferrer">link</a>'
    return _e(url)


def _html_overview(view: _View) -> str:
    rows = "\n".join(
        f"<tr><td>{_e(a.source)}</td><td>{_e(a.title or '')}</td><td>{_e(format_date(a.date))}</td>"
        f"<td>{view.claim_counts[a.id]}</td><td>{_html_link(a.url)}</td></tr>"
        for a in view.report.articles
    )
    counts = verdict_counts(view.report)
    count_items = "".join(f"<li>{_html_label(verdict)}: {n}</li>" for verdict, n in counts.items())
    return (
        '<section id="overview" aria-labelledby="overview-h">\n<h2 id="overview-h">Overview</h2>\n'
        "<table>\n<caption>Sources</caption>\n"
        '<thead><tr><th scope="col">Source</th><th scope="col">Title</th><th scope="col">Date</th>'
        '<th scope="col">Claims</th><th scope="col">URL</th></tr></thead>\n'
        f"<tbody>\n{rows}\n</tbody>\n</table>\n"
        f"<p>{_e(_counts_line(view.report))}</p>\n<ul>{count_items}</ul>\n</section>"
    )


def _html_quote(view: _View, claim: Claim) -> str:
    read_as = ""
    if _one_line(claim.standalone) != _one_line(claim.text):
        read_as = f'<p class="muted">read as: {_e(claim.standalone)}</p>'
    return (
        f"<blockquote><p>{_e(claim.text)}</p>{read_as}"
        f"<footer>— <cite>{_e(view.outlet(claim))}</cite>, {_e(view.date(claim))}</footer></blockquote>"
    )


def _html_scores(verdict: PairVerdict) -> str:
    head = "".join(f'<th scope="col">{_e(label)}</th>' for label in NLI_LABELS)
    rows = "".join(
        f'<tr><th scope="row">{name}</th>'
        + "".join(f"<td>{format_confidence(probs.get(label, 0.0))}</td>" for label in NLI_LABELS)
        + "</tr>"
        for name, probs in (("forward (A→B)", verdict.forward), ("backward (B→A)", verdict.backward))
    )
    return (
        f"<table><caption>NLI probabilities</caption><thead><tr><td></td>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _html_card(view: _View, verdict: PairVerdict, heading: str) -> str:
    a, b = verdict.pair.a, verdict.pair.b
    joiner = "vs" if verdict.verdict in CONFLICT_VERDICTS else "and"
    conflicts = ""
    if verdict.conflicts:
        items = "".join(f"<li>{_e(c)}</li>" for c in verdict.conflicts)
        conflicts = f"<dt>Conflicts</dt><dd><ul>{items}</ul></dd>"
    return (
        f'<article class="card {_e(verdict.verdict)}">\n'
        f"<h3>{_e(heading)}: {_e(view.outlet(a))} {joiner} {_e(view.outlet(b))}</h3>\n"
        f'<div class="quotes">{_html_quote(view, a)}{_html_quote(view, b)}</div>\n'
        f"<dl><dt>Verdict</dt><dd>{_html_label(verdict.verdict)}</dd>"
        f"<dt>Confidence</dt><dd>{format_confidence(verdict.confidence)}</dd>"
        f"<dt>Reason</dt><dd>{_e(verdict.reason)}</dd>{conflicts}</dl>\n"
        f"{_html_scores(verdict)}\n</article>"
    )


def _html_section(anchor: str, title: str, body: list[str]) -> str:
    return (
        f'<section id="{anchor}" aria-labelledby="{anchor}-h">\n<h2 id="{anchor}-h">{_e(title)}</h2>\n'
        + "\n".join(body)
        + "\n</section>"
    )


def _html_contradictions(view: _View) -> str:
    verdicts = view.by_verdict(*CONFLICT_VERDICTS)
    body = [_html_card(view, v, f"Contradiction {n}") for n, v in enumerate(verdicts, 1)]
    return _html_section("contradictions", "Contradictions", body or ["<p>No contradictions found.</p>"])


def _html_different_time(view: _View) -> str:
    verdicts = view.by_verdict("different-time")
    body = [_html_card(view, v, "Different times") for v in verdicts]
    return _html_section("different-time", "Different times (not contradictions)",
                         body or ["<p>No conflicting claims from different times.</p>"])


def _html_agreements(view: _View) -> str:
    body: list[str] = []
    for cluster, inside in view.cluster_supports():
        outlets = "; ".join(view.agreeing_outlets(cluster)) or "no source pairs recorded"
        body.append(f"<h3>{_e(view.cluster_fact(cluster))}</h3>\n<p>Agreeing: {_e(outlets)}</p>")
        body += [_html_card(view, v, "Agreement") for v in inside]
    loose = view.unclustered_supports()
    if loose:
        body.append("<h3>Other agreements</h3>")
        body += [_html_card(view, v, "Agreement") for v in loose]
    return _html_section("agreements", "Agreements", body or ["<p>No agreements found.</p>"])


def _html_neutral(view: _View) -> str:
    verdicts = view.by_verdict("neutral")
    body = [f"<p>{_plural(len(verdicts), 'pair')} judged {_html_label('neutral')} "
            "(related, neither agreeing nor contradicting).</p>"]
    if verdicts and len(verdicts) <= NEUTRAL_LIST_LIMIT:
        items = "".join(
            f"<li><cite>{_e(view.outlet(v.pair.a))}</cite>: {_e(v.pair.a.text)} / "
            f"<cite>{_e(view.outlet(v.pair.b))}</cite>: {_e(v.pair.b.text)}</li>"
            for v in verdicts
        )
        body.append(f"<ul>{items}</ul>")
    return _html_section("neutral", "Neutral pairs", body)


# --------------------------------------------------------------------------- terminal


def render_terminal(report: Report, console: Console, *, max_rows: int = 20) -> None:
    """Print sources, counts, contradictions and the top agreements as rich tables."""
    view = _View.of(report)
    console.print(Text(f"verify report, run {_run_date(report)}; models: {models_line(report.meta)}"))
    console.print(_terminal_sources(view))
    console.print(Text(_counts_line(report)))
    _print_pairs(console, view, CONFLICT_VERDICTS, "Contradictions and disputes", max_rows)
    _print_pairs(console, view, ("different-time",), "Different times (not contradictions)", max_rows)
    _print_pairs(console, view, ("support",), "Top agreements", max_rows)


def _terminal_sources(view: _View) -> Table:
    table = Table(title="Sources")
    for column in ("Source", "Title", "Date", "Claims"):
        table.add_column(column, justify="right" if column == "Claims" else "left")
    for article in view.report.articles:
        table.add_row(
            Text(article.source),
            Text(article.title or ""),
            Text(format_date(article.date)),
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
            Text(reason),
        )
    return table


def _terminal_quote(view: _View, claim: Claim) -> Text:
    text = Text()
    text.append(view.outlet(claim), style="bold")
    text.append(f" ({view.date(claim)})\n", style="dim")
    text.append(_one_line(claim.text))
    if _one_line(claim.standalone) != _one_line(claim.text):
        text.append(f"\nread as: {_one_line(claim.standalone)}", style="italic")
    return text


# --------------------------------------------------------------------------- files

_RENDERERS = {"json": render_json, "md": render_markdown, "html": render_html}


def write_reports(report: Report, out_dir: Path, formats: Sequence[str]) -> list[Path]:
    """Write ``report.<fmt>`` for each format into ``out_dir`` atomically; return the paths."""
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown:
        raise ConfigError(f"unknown report format {', '.join(map(repr, unknown))}; use one of: {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out_dir}: cannot create the report folder ({exc.strerror})") from None
    stamped = _stamp_created(report)  # every format shows the same run time
    written = []
    for fmt in dict.fromkeys(formats):
        path = out_dir / FORMATS[fmt]
        write_atomic(path, _RENDERERS[fmt](stamped))
        written.append(path)
    return written


def _stamp_created(report: Report) -> Report:
    if report.meta.get("created"):
        return report
    return dataclasses.replace(report, meta={**report.meta, "created": _iso_utc(datetime.now(timezone.utc))})


def write_atomic(path: Path, content: str) -> None:
    """Write to a temp file beside ``path``, then rename over it: readers see old or new, never half."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
