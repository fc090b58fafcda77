"""End-to-end on seeds/ with the real models (slow: loads MiniLM and the shipped NLI model once)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT, SEEDS
from verify.cli import app
from verify.evaluation.e2e import load_gold, match, score
from verify.records import CONFLICTING
from verify.report import ReportJSON, render_json

pytestmark = pytest.mark.slow


def test_seed_report_is_complete(seed_report):
    assert len(seed_report.articles) == 3
    assert {a.date for a in seed_report.articles} == {"2024-08-16", "2021-07-29", "2019-04-23"}
    assert len(seed_report.claims) >= 25
    for claim in seed_report.claims:
        article = next(a for a in seed_report.articles if a.id == claim.article_id)
        start, end = claim.span
        assert 0 <= start < end <= len(article.original)
    assert seed_report.verdicts
    assert all(v.pair.a.article_id != v.pair.b.article_id for v in seed_report.verdicts)


def test_seed_report_json_validates(seed_report):
    data = ReportJSON.model_validate_json(render_json(seed_report))
    assert data.meta["models"]["nli"]["name"] == "verify-nli-minilm"


def test_seed_report_surfaces_the_competing_liberation_accounts(seed_report):
    conflicts = [v for v in seed_report.verdicts if v.verdict in CONFLICTING]
    texts = [v.pair.a.text + " || " + v.pair.b.text for v in conflicts]
    # the Red Army liberated Korea (the North's claim, per Yonhap) vs the Soviet Union only declared war on Aug 8, 1945
    assert any("Red Army" in t and "only declared war on Japan on Aug 8, 1945" in t for t in texts), texts


def test_seed_report_states_shared_facts(seed_report):
    assert ("Korean War", "1950/1953") in {(f.entity, f.value) for f in seed_report.facts}


def test_different_monuments_are_never_contradictions(seed_report):
    for v in seed_report.verdicts:
        both = v.pair.a.text + v.pair.b.text
        if "Friendship Tower" in both and "Liberation Tower" in both:
            assert v.verdict != "contradict"


def test_seed_gold_pairs_score(seed_report):
    scored = match(seed_report, load_gold(ROOT / "evaluations" / "data" / "seed_pairs.jsonl"))
    metrics = score(scored)
    assert metrics["claims_found"] == 1.0, [s.gold.id for s in scored if not s.found]
    assert metrics["false_contradiction_rate"] <= 0.1, metrics
    assert metrics["recall_conflict"] >= 0.5 and metrics["precision_conflict"] >= 0.75, metrics


def test_cli_claims_on_seeds_with_real_models(tmp_path):
    result = CliRunner().invoke(app, ["claims", str(SEEDS), "--out", str(tmp_path), "--json", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["pairs"] and (tmp_path / "report.html").exists()


def test_seed_report_surfaces_the_liberation_tower_purposes(seed_report):
    conflicts = [v for v in seed_report.verdicts if v.verdict in CONFLICTING]
    assert any("Liberation Tower commemorates" in " ".join(v.conflicts) for v in conflicts), [v.reason for v in conflicts]
    support = [v for v in seed_report.verdicts if v.verdict == "support"]
    assert support, "the outlets agree that the Liberation Tower honours the fight against Japan"
