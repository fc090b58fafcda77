"""What the views share: one verdict order, pairs per verdict, the support pairs inside each cluster."""

from __future__ import annotations

import dataclasses

import pytest

from tests.report.samples import awkward_report, hostile_report, sample_report
from verify.records import Report
from verify.report.view import VERDICT_ORDER, View, sorted_verdicts, sorted_with_ids

REPORTS = [sample_report, hostile_report, awkward_report]


@pytest.mark.parametrize("make", REPORTS)
def test_sorted_verdicts_by_verdict_confidence_then_pair_id(make) -> None:
    report = make()
    expected = sorted(report.verdicts, key=lambda v: (VERDICT_ORDER[v.verdict], -v.confidence, v.pair.id))
    assert sorted_verdicts(report.verdicts) == expected
    assert list(sorted_with_ids(report.verdicts)) == [(v.pair.id, v) for v in expected]


def test_equal_keys_keep_their_order() -> None:
    report = awkward_report()
    twice = report.verdicts + tuple(dataclasses.replace(v) for v in report.verdicts)  # equal keys, other objects
    expected = sorted(twice, key=lambda v: (VERDICT_ORDER[v.verdict], -v.confidence, v.pair.id))
    assert [id(v) for v in sorted_verdicts(twice)] == [id(v) for v in expected]


@pytest.mark.parametrize("make", REPORTS)
@pytest.mark.parametrize("wanted", [("contradict", "disputed"), ("support",), ("neutral", "contradict"), ("nope",)])
def test_by_verdict_is_the_ordered_pairs_of_those_verdicts(make, wanted: tuple[str, ...]) -> None:
    report = make()
    expected = [v for v in sorted_verdicts(report.verdicts) if v.verdict in wanted]
    assert View.of(report).by_verdict(*wanted) == expected


@pytest.mark.parametrize("make", REPORTS)
@pytest.mark.parametrize("limit", [0, 1, 2, 3, 50])
def test_a_limited_view_holds_the_first_pairs_of_each_verdict(make, limit: int) -> None:
    report = make()
    # ties on confidence across the limit: the pair id decides, as in the full order
    tied = report.verdicts + tuple(dataclasses.replace(v, confidence=round(v.confidence, 1)) for v in report.verdicts)
    full, top = View.of(dataclasses.replace(report, verdicts=tied)), View.of(dataclasses.replace(report, verdicts=tied),
                                                                             limit=limit)
    for verdict in VERDICT_ORDER:
        if not any(v.confidence != v.confidence for v in full.by_verdict(verdict)):  # NaN: no order to compare
            assert top.by_verdict(verdict) == full.by_verdict(verdict)[:limit]
        assert len(top.by_verdict(verdict)) == min(limit, full.count(verdict))
        assert top.count(verdict) == full.count(verdict) == sum(v.verdict == verdict for v in tied)
    assert top.count("contradict", "disputed") == len(full.by_verdict("contradict", "disputed"))


def _cluster_supports_one_by_one(report: Report) -> list:
    supports = [v for v in sorted_verdicts(report.verdicts) if v.verdict == "support"]
    groups = []
    for cluster in report.clusters:
        members = set(cluster.claim_ids)
        inside = [v for v in supports if v.pair.a.id in members and v.pair.b.id in members]
        if cluster.agree or inside:
            groups.append((cluster, inside))
    return groups


@pytest.mark.parametrize("make", REPORTS)
def test_cluster_supports_finds_the_pairs_inside_each_cluster(make) -> None:
    report = make()
    view = View.of(report)
    assert view.cluster_supports() == _cluster_supports_one_by_one(report)
    covered = {v.pair.id for _, inside in view.cluster_supports() for v in inside}
    assert view.unclustered_supports() == [v for v in view.by_verdict("support") if v.pair.id not in covered]
    assert any(inside for _, inside in view.cluster_supports())  # the samples do have pairs inside
