"""What every report view shares: verdict order and labels, look-ups, numbers and dates in words, safe text.

The renderers (``markdown``, ``html``, ``terminal``) and the JSON schema read a ``Report``'s typed fields
through these helpers, so every output orders pairs, counts verdicts and words a date the same way.
"""

from __future__ import annotations

import dataclasses
import heapq
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from verify.columns import claim_columns
from verify.records import Article, Claim, Cluster, PairVerdict, Report, SharedFact
from verify.verdict.table import VerdictTable, names_and_confidences, pair_ids, read

# Characters no report view shows as they are: C0/C1 controls but tab and newline (ESC starts terminal
# escape sequences, OSC sets window titles and hyperlinks) and, with bidi, the bidirectional controls
# that reorder the text around them ("Trojan Source"). The JSON keeps the data exactly.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS_AND_BIDI = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_WHITESPACE = re.compile(r"\s+")

VERDICT_ORDER: dict[str, int] = {"contradict": 0, "disputed": 1, "different-time": 2, "support": 3, "neutral": 4}
CONFLICT_VERDICTS = ("contradict", "disputed")
NEUTRAL_LIST_LIMIT = 10
DATE_UNKNOWN = "date unknown"


def safe_text(text: object, *, bidi: bool = True) -> str:
    """``text`` without control characters (and, with ``bidi``, without bidirectional controls)."""
    return (_CONTROLS_AND_BIDI if bidi else _CONTROLS).sub("", str(text))


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (newlines included) as one space."""
    return _WHITESPACE.sub(" ", text).strip()


def created_at(report: Report) -> str:
    """When the run happened (``meta["created"]``), ISO 8601 in UTC; now when the report does not say."""
    created = report.meta.get("created")
    if isinstance(created, datetime):
        return iso_utc(created)
    if isinstance(created, str) and created:
        return created
    return iso_utc(datetime.now(UTC))


def iso_utc(moment: datetime) -> str:
    """``moment`` as "2024-05-01T12:00:00Z" (a naive time is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def run_date(report: Report) -> str:
    """The run time as the views show it: "2024-05-01 12:00:00 UTC"."""
    return created_at(report).replace("T", " ").replace("Z", " UTC")


def sorted_verdicts(verdicts: Sequence[PairVerdict]) -> list[PairVerdict]:
    """In ``VERDICT_ORDER`` (contradict, disputed, different-time, support, neutral); within each verdict by
    confidence, highest first, then by pair id."""
    order, _ = report_order(verdicts)
    return read(verdicts, order)


def sorted_with_ids(verdicts: Sequence[PairVerdict]) -> Iterator[tuple[str, PairVerdict]]:
    """``sorted_verdicts``, each with its pair's id (a hash, computed once here), one at a time."""
    order, ids = report_order(verdicts)
    for n, verdict in zip(order, read(verdicts, order)):
        yield ids[n], verdict


def report_order(verdicts: Sequence[PairVerdict]) -> tuple[list[int], list[str]]:
    """The positions of ``verdicts`` in report order (``sorted_verdicts``), and each position's pair id. Sorting
    positions, not records, keeps 300k pairs from leaving 300k long-lived tuples behind for the garbage collector
    to walk again and again; a ``VerdictTable`` is ordered from its columns, without a record made."""
    ids = pair_ids(verdicts, range(len(verdicts)))
    return _verdict_order(*names_and_confidences(verdicts), np.arange(len(verdicts)), ids), ids


def table_order(table: VerdictTable) -> list[int]:
    """A table's positions in report order (``report_order``), worked out once: the state writer and the JSON
    report both put its lines in that order."""
    if table.order is None:
        table.order = report_order(table)[0]
    return table.order


def top_verdicts(verdicts: Sequence[PairVerdict], limit: int) -> dict[str, list[PairVerdict]]:
    """Each verdict's first ``limit`` pairs in report order (as ``sorted_verdicts`` has them). Only the pairs at
    or above a verdict's ``limit``-th highest confidence are sorted, so only their ids are read, and only the
    pairs shown are made into records: a summary of a 300k-pair report does not sort all of it."""
    names, confidences = names_and_confidences(verdicts)
    top = {}
    for name in VERDICT_ORDER:
        group = np.nonzero(names == name)[0]
        if limit <= 0:
            top[name] = []
            continue
        if len(group) > limit:
            floor = heapq.nlargest(limit, confidences[group].tolist())[-1]
            # ties at the floor: the id decides below; a NaN confidence (no order) is never dropped here
            group = group[~(confidences[group] < floor)]
        top[name] = read(verdicts, _verdict_order(names, confidences, group, pair_ids(verdicts, group))[:limit])
    return top


def _verdict_order(names: np.ndarray, confidences: np.ndarray, positions: np.ndarray, ids: Sequence[str]) -> list[int]:
    """These positions in report order, by the verdicts' ``names`` and ``confidences`` (``names_and_confidences``,
    read once by the caller); ``ids[i]``: the pair id of ``positions[i]``. A NaN confidence goes after every other
    of its verdict."""
    names = names[positions]
    ranks = np.full(len(positions), len(VERDICT_ORDER), dtype=np.int64)
    for verdict, rank in VERDICT_ORDER.items():
        ranks[names == verdict] = rank
    if (ranks == len(VERDICT_ORDER)).any():
        raise ValueError(f"unknown verdict {names[ranks == len(VERDICT_ORDER)][0]!r}")
    order = np.lexsort((np.array(ids, dtype=str), -confidences[positions], ranks))
    return positions[order].tolist()


def verdict_counts(report: Report) -> dict[str, int]:
    """Pairs per verdict, every verdict present (in ``VERDICT_ORDER``), zeros included."""
    names, _ = names_and_confidences(report.verdicts)
    return {verdict: int((names == verdict).sum()) for verdict in VERDICT_ORDER}


def format_confidence(value: float) -> str:
    return f"{value:.2f}"


def format_date(date: str | None) -> str:
    return date or DATE_UNKNOWN


def plural(n: int, noun: str) -> str:
    """"1 pair", "2 pairs"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def counts_line(report: Report) -> str:
    """"3 sources, 40 claims, 12 pairs: 1 contradict, 2 support, 9 neutral; 2 clusters"."""
    counts = verdict_counts(report)
    return (
        f"{plural(len(report.articles), 'source')}, {plural(len(report.claims), 'claim')}, "
        f"{plural(len(report.verdicts), 'pair')}: "
        + ", ".join(f"{n} {verdict}" for verdict, n in counts.items() if n or verdict in ("contradict", "support"))
        + "; "
        f"{plural(len(report.clusters), 'cluster')}"
    )


def fact_line(fact: SharedFact) -> str:
    """"Paris Agreement: 2015 (stated alike by Outlet A, Outlet B)"."""
    return f"{fact.entity}: {fact.value} (stated alike by {', '.join(fact.sources)})"


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


def reads_differently(claim: Claim) -> bool:
    """Whether the claim's stand-alone reading says something its quote does not (the views then show both)."""
    return one_line(claim.standalone) != one_line(claim.text)


class ClaimsById(Mapping[str, Claim]):
    """A report's claims by id (the last of a repeated id), each found by its id's position and read only when looked
    up: a report's 100k stored claims are not decoded for the few a summary names."""

    def __init__(self, claims: Sequence[Claim]) -> None:
        self.all = claims
        self.at = {claim_id: n for n, claim_id in enumerate(claim_columns(claims).ids)}

    def __getitem__(self, claim_id: str) -> Claim:
        return self.all[self.at[claim_id]]

    def __iter__(self) -> Iterator[str]:
        return iter(self.at)

    def __len__(self) -> int:
        return len(self.at)


@dataclasses.dataclass(frozen=True, slots=True)
class View:
    """Look-ups the renderers share: articles by id, claims by id, claims per article, pairs per verdict."""

    report: Report
    articles: dict[str, Article]
    claims: Mapping[str, Claim]
    claim_counts: Counter[str]
    verdicts: dict[str, list[PairVerdict]]  # each verdict's pairs in report order: sorted once, not per section
    totals: dict[str, int]  # pairs per verdict (``verdicts`` may hold only the first few, see ``of``)

    @classmethod
    def of(cls, report: Report, limit: int | None = None) -> View:
        """The look-ups of ``report``; with ``limit``, ``verdicts`` holds each verdict's first ``limit`` pairs only
        (a summary's rows: the terminal), found without sorting every pair."""
        if limit is None:
            verdicts: dict[str, list[PairVerdict]] = {verdict: [] for verdict in VERDICT_ORDER}
            for verdict in sorted_verdicts(report.verdicts):
                verdicts[verdict.verdict].append(verdict)
        else:
            verdicts = top_verdicts(report.verdicts, limit)
        return cls(
            report=report,
            articles={a.id: a for a in report.articles},
            claims=ClaimsById(report.claims),
            claim_counts=Counter(claim_columns(report.claims).articles),
            verdicts=verdicts,
            totals=verdict_counts(report),
        )

    def count(self, *verdicts: str) -> int:
        """How many pairs have one of ``verdicts`` (all of them, whatever ``by_verdict`` holds)."""
        return sum(self.totals.get(verdict, 0) for verdict in verdicts)

    def date(self, claim: Claim) -> str:
        """The date of the claim's article, or "date unknown"."""
        article = self.articles.get(claim.article_id)
        return format_date(article.date if article else None)

    def source_label(self, key: str) -> str:
        """Cluster sources may be article ids or outlet names; show a name either way."""
        article = self.articles.get(key)
        return article.source if article else key

    def by_verdict(self, *verdicts: str) -> list[PairVerdict]:
        """The pairs with one of ``verdicts``, in report order (``sorted_verdicts``)."""
        return [v for verdict, group in self.verdicts.items() if verdict in verdicts for v in group]

    def cluster_supports(self) -> list[tuple[Cluster, list[PairVerdict]]]:
        """Each cluster that has agreeing sources, with the support verdicts inside it (both claims members)."""
        clusters = self.report.clusters
        holding: dict[str, set[int]] = {}  # claim id -> positions of the clusters that hold it
        for n, cluster in enumerate(clusters):
            for claim_id in cluster.claim_ids:
                holding.setdefault(claim_id, set()).add(n)
        inside: list[list[PairVerdict]] = [[] for _ in clusters]
        for verdict in self.verdicts["support"]:
            for n in holding.get(verdict.pair.a.id, set()) & holding.get(verdict.pair.b.id, set()):
                inside[n].append(verdict)
        return [(cluster, pairs) for cluster, pairs in zip(clusters, inside) if cluster.agree or pairs]

    def unclustered_supports(self) -> list[PairVerdict]:
        """Support verdicts no cluster holds."""
        covered = {v.pair.id for _, inside in self.cluster_supports() for v in inside}
        return [v for v in self.by_verdict("support") if v.pair.id not in covered]

    def cluster_fact(self, cluster: Cluster) -> str:
        """The fact a cluster states, in words: its first claim's stand-alone reading."""
        for claim_id in cluster.claim_ids:
            claim = self.claims.get(claim_id)
            if claim is not None:
                return one_line(claim.standalone or claim.text)
        return cluster.id

    def agreeing_outlets(self, cluster: Cluster) -> str:
        """"Outlet A & Outlet B; Outlet A & Outlet C": the source pairs that agree in ``cluster``."""
        pairs = [f"{self.source_label(a)} & {self.source_label(b)}" for a, b in cluster.agree]
        return "; ".join(pairs) or "no source pairs recorded"
