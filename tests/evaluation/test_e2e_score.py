from __future__ import annotations

from verify.evaluation.e2e import GoldPair, Scored, score


def scored(gold: str, predicted: str) -> Scored:
    return Scored(GoldPair("x", "a", "b", gold), predicted, True, True, "")


def test_score_by_hand():
    rows = [scored("contradict", "contradict"), scored("disputed", "contradict"), scored("neutral", "contradict"),
            scored("different-time", "neutral"), scored("support", "support")]
    m = score(rows)
    assert m["accuracy"] == 0.4
    assert m["precision_contradict"] == round(1 / 3, 4) and m["recall_contradict"] == 1.0
    assert m["precision_conflict"] == round(2 / 3, 4) and m["recall_conflict"] == 1.0
    assert m["false_contradiction_rate"] == round(1 / 3, 4)
    assert m["recall_different-time"] == 0.0 and m["f1_support"] == 1.0
    assert score([]) == {"n": 0}


def test_pair_cases_run_through_the_verdict_logic(fake_settings):
    from pathlib import Path

    from verify.evaluation.e2e import load_pair_cases, run_pair_cases, score_by_kind
    from verify.pipeline.core import Pipeline

    cases = load_pair_cases(Path(__file__).parents[2] / "evaluations" / "data" / "pair_traps.jsonl")
    assert len(cases) >= 20 and {c.kind for c in cases} >= {"time", "value", "compatible", "entity", "attribution"}
    scored = run_pair_cases(Pipeline(fake_settings), cases)
    by_id = {s.gold.id: s.predicted for s in scored}
    # the value checks and the entity guard work whatever the NLI model says
    assert by_id["war-date"] == "contradict" and by_id["cargo"] == "contradict" and by_id["anniversary"] == "contradict"
    assert by_id["two-towers"] == "neutral"
    kinds = score_by_kind(scored)
    assert kinds["conflict_rate_compatible"] == 0.0
    baseline = run_pair_cases(Pipeline(fake_settings), cases, checks=False)
    assert {s.gold.id: s.predicted for s in baseline}["war-date"] != "contradict"  # the keyword fake alone misses it
