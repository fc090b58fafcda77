"""End-to-end quality: score a Report's pair verdicts against annotated gold pairs.

A gold pair names its two claims by a substring of each claim's text, so it survives changes to
claim ids. A gold pair the pipeline did not pair at all counts as predicted ``neutral``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from verify.errors import InputError
from verify.evaluation.metrics import accuracy, precision_recall_f1
from verify.records import CONFLICTING, VERDICTS, Claim, PairVerdict, Report

if TYPE_CHECKING:
    from verify.pipeline.core import Pipeline


@dataclass(frozen=True, slots=True)
class GoldPair:
    id: str
    a: str
    b: str
    gold: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Scored:
    gold: GoldPair
    predicted: str
    found: bool  # both claims were extracted
    paired: bool  # the pipeline paired them
    reason: str


def load_gold(path: Path) -> list[GoldPair]:
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [GoldPair(**row) for row in rows]
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"{path}: cannot read gold pairs ({exc})") from None


def _find(claims: tuple[Claim, ...], needle: str) -> Claim | None:
    hits = [c for c in claims if needle.lower() in c.text.lower()]
    return hits[0] if hits else None


def match(report: Report, gold: list[GoldPair]) -> list[Scored]:
    by_pair: dict[frozenset[str], PairVerdict] = {frozenset((v.pair.a.id, v.pair.b.id)): v for v in report.verdicts}
    out = []
    for g in gold:
        a, b = _find(report.claims, g.a), _find(report.claims, g.b)
        verdict = by_pair.get(frozenset((a.id, b.id))) if a and b else None
        out.append(
            Scored(g, verdict.verdict if verdict else "neutral", bool(a and b), verdict is not None,
                   verdict.reason if verdict else ("not paired" if a and b else "claim not extracted"))
        )
    return out


def score(scored: list[Scored]) -> dict[str, float]:
    """Precision/recall/F1 per verdict, accuracy, the conflict family (contradict + disputed), and the
    false-contradiction rate: the share of pairs that are not conflicts (look-alikes, different times,
    agreements) reported as one."""
    metrics: dict[str, float] = {"n": len(scored)}
    if not scored:
        return metrics
    gold = [s.gold.gold for s in scored]
    pred = [s.predicted for s in scored]
    metrics["accuracy"] = round(accuracy(gold, pred), 4)
    for label in VERDICTS:
        p, r, f1 = precision_recall_f1(gold, pred, label)
        metrics[f"precision_{label}"] = round(p, 4)
        metrics[f"recall_{label}"] = round(r, 4)
        metrics[f"f1_{label}"] = round(f1, 4)
    # the conflict family: contradict and disputed both tell the reader "these outlets disagree"
    family = [["conflict" if v in CONFLICTING else "other" for v in labels] for labels in (gold, pred)]
    p, r, _ = precision_recall_f1(*family, "conflict")
    metrics["precision_conflict"] = round(p, 4)
    metrics["recall_conflict"] = round(r, 4)
    non_conflict = [s for s in scored if s.gold.gold not in CONFLICTING]
    metrics["false_contradiction_rate"] = (
        round(sum(s.predicted in CONFLICTING for s in non_conflict) / len(non_conflict), 4) if non_conflict else 0.0
    )
    metrics["claims_found"] = sum(s.found for s in scored) / len(scored)
    return metrics


@dataclass(frozen=True, slots=True)
class PairCase:
    """A hand-written pair of claims with article dates and the verdict a careful reader would give."""

    id: str
    a: str
    b: str
    gold: str
    date_a: str | None = None
    date_b: str | None = None
    kind: str = ""  # time | value | compatible | entity | attribution | control


def load_pair_cases(path: Path) -> list[PairCase]:
    try:
        return [PairCase(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"{path}: cannot read pair cases ({exc})") from None


def run_pair_cases(pipeline: Pipeline, cases: list[PairCase], checks: bool = True) -> list[Scored]:
    """Each case through ``Pipeline.judge_pair`` (the full verdict logic, or NLI alone with checks=False)."""
    out = []
    for case in cases:
        v = pipeline.judge_pair(case.a, case.b, case.date_a, case.date_b, checks=checks)
        out.append(Scored(GoldPair(case.id, case.a, case.b, case.gold, case.kind), v.verdict, True, True, v.reason))
    return out


def score_by_kind(scored: list[Scored]) -> dict[str, float]:
    """Accuracy and the share reported as a conflict, per case kind (the GoldPair note holds the kind)."""
    kinds: dict[str, list[Scored]] = {}
    for s in scored:
        kinds.setdefault(s.gold.note or "other", []).append(s)
    out: dict[str, float] = {}
    for kind, rows in sorted(kinds.items()):
        out[f"accuracy_{kind}"] = round(sum(s.predicted == s.gold.gold for s in rows) / len(rows), 4)
        # time traps and compatible values should not be reported as conflicts; value edits should
        out[f"conflict_rate_{kind}"] = round(sum(s.predicted in CONFLICTING for s in rows) / len(rows), 4)
    return out
