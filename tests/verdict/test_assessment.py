"""A claim judged against all the claims of another outlet, both NLI directions, and pair verdicts that follow."""

from __future__ import annotations

from verify.records import Assessment, Conflict, OutletEvidence
from verify.verdict.aggregate import Aggregator
from verify.verdict.calibrate import FEATURES
from verify.verdict.params import Params, StanceModel

from .helpers import KNOWLEDGE, PARAMS, C, E, N, claim, judge, probs


def agg(params: Params = PARAMS, **kw) -> Aggregator:
    return Aggregator(params=params, knowledge=KNOWLEDGE, **kw)


def by_pair(verdicts):
    return {frozenset((v.pair.a.id, v.pair.b.id)): v for v in verdicts}


X = claim("x", "The ceasefire was signed on the border.")
Y1 = claim("y1", "No ceasefire was signed at the border.", source="B", article="a:2")
Y2 = claim("y2", "A ceasefire was agreed and signed at the border.", source="B", article="a:2")


def test_a_contradiction_that_another_claim_of_the_outlet_entails_is_not_one():
    verdicts, _, assessments = agg().aggregate([judge(X, Y1, C, C), judge(X, Y2, N, E)])
    x_vs_b = next(a for a in assessments if (a.claim_id, a.source) == ("x", "B"))
    assert x_vs_b == Assessment("x", "B", "support", 0.9, "nli-entailment", (Y2_pair := judge(X, Y2).pair.id,
                                                                               judge(X, Y1).pair.id))
    pairs = by_pair(verdicts)
    overruled = pairs[frozenset(("x", "y1"))]
    assert (overruled.verdict, overruled.rule) == ("neutral", "outlet")
    assert OutletEvidence("x", "B", "support", Y2_pair) in overruled.evidence
    assert pairs[frozenset(("x", "y2"))].verdict == "support"
    # the outlet-level rule switched off: the pair keeps its NLI contradiction
    kept = by_pair(agg(disabled_rules=("outlet",)).aggregate([judge(X, Y1, C, C), judge(X, Y2, N, E)])[0])
    assert kept[frozenset(("x", "y1"))].verdict == "contradict"


def test_weak_entailment_from_another_claim_is_enough_to_drop_a_contradiction():
    verdicts, _, assessments = agg().aggregate([judge(X, Y1, C, C), judge(X, Y2, probs(0.1, 0.1), probs(0.4, 0.1))])
    x_vs_b = next(a for a in assessments if (a.claim_id, a.source) == ("x", "B"))
    assert (x_vs_b.verdict, x_vs_b.rule) == ("neutral", "outlet") and x_vs_b.probability == 0.4
    assert by_pair(verdicts)[frozenset(("x", "y1"))].verdict == "neutral"


def test_a_contradiction_stands_when_no_claim_of_the_outlet_entails_either_way():
    verdicts, _, assessments = agg().aggregate([judge(X, Y1, C, C), judge(X, Y2, N, N)])
    x_vs_b = next(a for a in assessments if (a.claim_id, a.source) == ("x", "B"))
    assert (x_vs_b.verdict, x_vs_b.rule, x_vs_b.pair_ids[0]) == ("contradict", "nli-contradiction", judge(X, Y1).pair.id)
    deciding = by_pair(verdicts)[frozenset(("x", "y1"))]
    assert (deciding.verdict, deciding.confidence) == ("contradict", x_vs_b.probability)


def test_both_directions_are_looked_at_for_each_claim():
    """y1's claim is checked against A too: the backward direction is y1 as hypothesis."""
    verdicts, _, assessments = agg().aggregate([judge(X, Y1, probs(0.05, 0.8), probs(0.7, 0.1))])
    assert {(a.claim_id, a.source): a.verdict for a in assessments} == {("x", "B"): "support", ("y1", "A"): "support"}
    assert verdicts[0].verdict == "support"


def test_a_hard_value_conflict_decides_even_when_another_claim_entails():
    a = claim("1", "The USSR declared war on Aug 8, 1945.", dates=("1945-08-08",))
    b1 = claim("2", "The USSR declared war on Aug 9, 1945.", source="B", article="a:2", dates=("1945-08-09",))
    b2 = claim("3", "The USSR declared war on Japan.", source="B", article="a:2")
    verdicts, _, assessments = agg().aggregate([judge(a, b1, E, E), judge(a, b2, N, E)])
    a_vs_b = next(x for x in assessments if (x.claim_id, x.source) == ("1", "B"))
    assert (a_vs_b.verdict, a_vs_b.rule) == ("contradict", "value-conflict")
    assert Conflict("date", "1945-08-08", "1945-08-09") in by_pair(verdicts)[frozenset(("1", "2"))].evidence


def test_pairs_only_about_different_things_are_unrelated():
    a = claim("1", "Kim visited the Friendship Tower.", entities=("Kim Jong Un", "Friendship Tower"))
    b = claim("2", "Kim visited the Liberation Tower.", source="B", article="a:2", entities=("Kim Jong Un", "Liberation Tower"))
    verdicts, _, assessments = agg().aggregate([judge(a, b, C, C)])
    assert {x.verdict for x in assessments} == {"unrelated"}
    assert verdicts[0].verdict == "neutral"


def test_claims_of_one_outlet_are_not_assessed_against_it():
    a, b = claim("1", "a b c"), claim("2", "a b d", article="a:2")
    assert agg().aggregate([judge(a, b, C, C)])[2] == []


def _stance(favourite: str) -> StanceModel:
    """A fixed stance model: the intercept favours one label, entailment as hypothesis pushes towards agree."""
    labels = ("agree", "disagree", "discuss", "unrelated")
    coef = tuple(tuple(2.0 if (label == "agree" and f == "entail_as_hyp") else 0.0 for f in FEATURES) for label in labels)
    intercept = tuple(1.0 if label == favourite else 0.0 for label in labels)
    return StanceModel(labels, FEATURES, coef, intercept, tuple(0.0 for _ in FEATURES), tuple(1.0 for _ in FEATURES))


def test_a_fitted_stance_model_decides_and_the_deciding_pair_carries_its_probability():
    params = Params(PARAMS.thresholds, _stance("disagree"), {"source": "test"}, "stance")
    verdicts, _, assessments = agg(params).aggregate([judge(X, Y1, probs(0.1, 0.7), probs(0.1, 0.7))])
    x_vs_b = next(a for a in assessments if (a.claim_id, a.source) == ("x", "B"))
    assert (x_vs_b.verdict, x_vs_b.rule) == ("contradict", "stance-model")
    expected = _stance("disagree").predict_proba({**dict.fromkeys(FEATURES, 0.0), "entail_as_hyp": 0.1})["disagree"]
    assert abs(x_vs_b.probability - expected) < 1e-3
    assert (verdicts[0].verdict, verdicts[0].rule) == ("contradict", "stance-model")
    # disagreement with an attributed claim is a dispute
    said = claim("y3", "KCNA said no ceasefire was signed.", source="B", article="a:2", attribution="KCNA")
    assessed = agg(params).aggregate([judge(X, said, C, C)])[2]
    assert {a.verdict for a in assessed} == {"disputed"}
    # discuss -> neutral when NLI sees no strong contradiction; a contradiction that nothing entails stands
    discuss = Params(PARAMS.thresholds, _stance("discuss"), {}, "discuss")
    verdicts, _, assessed = agg(discuss).aggregate([judge(X, Y1, probs(0.1, 0.5), probs(0.2, 0.4))])
    assert {a.verdict for a in assessed} == {"neutral"} and verdicts[0].verdict == "neutral"
    verdicts, _, assessed = agg(discuss).aggregate([judge(X, Y1, C, C)])
    assert {(a.verdict, a.rule) for a in assessed} == {("contradict", "nli-contradiction")}
    # switched off, the thresholds decide again
    off = agg(params, disabled_rules=("stance-model",)).aggregate([judge(X, Y1, N, N)])[2]
    assert {a.rule for a in off} == {"nli-neutral"}


def test_the_stance_model_contradicts_only_with_strong_contradiction_and_weak_entailment():
    """Issue 12: contradiction only when contradiction is strong and entailment is weak, both directions."""
    params = Params(PARAMS.thresholds, _stance("disagree"), {}, "stance")
    weak = agg(params).aggregate([judge(X, Y1, N, N)])[2]  # the model says disagree, NLI sees no contradiction
    assert {(a.verdict, a.rule) for a in weak} == {("neutral", "stance-model")}
    entailed = agg(params).aggregate([judge(X, Y1, C, C), judge(X, Y2, probs(0.55, 0.1), N)])[2]
    assert next(a for a in entailed if a.claim_id == "x").verdict == "neutral"  # another claim entails it


def test_hard_rules_stay_ahead_of_the_stance_model():
    a = claim("1", "The USSR declared war on Aug 8, 1945.", dates=("1945-08-08",))
    b = claim("2", "The USSR declared war on Aug 9, 1945.", source="B", article="a:2", dates=("1945-08-09",))
    params = Params(PARAMS.thresholds, _stance("agree"), {}, "stance")
    _, _, assessments = agg(params).aggregate([judge(a, b, E, E)])
    assert {(x.verdict, x.rule) for x in assessments} == {("contradict", "value-conflict")}


def test_report_json_carries_rules_evidence_and_assessments():
    import json

    from verify.records import Report
    from verify.report import ReportJSON, from_json, render_json, to_json_model

    a = claim("1", "The USSR declared war on Aug 8, 1945.", dates=("1945-08-08",))
    b = claim("2", "The USSR declared war on Aug 9, 1945.", source="B", article="a:2", dates=("1945-08-09",))
    verdicts, clusters, assessments = agg().aggregate([judge(a, b, E, E)])
    report = Report((), (a, b), tuple(verdicts), tuple(clusters), {"created": "2026-01-01T00:00:00Z"}, (),
                    tuple(assessments))
    data = json.loads(render_json(report))
    assert data["schema_version"] == "2.0"
    (pair,) = data["pairs"]
    assert pair["rule"] == "value-conflict"
    assert pair["evidence"][0] == {"type": "conflict", "kind": "date", "a": "1945-08-08", "b": "1945-08-09", "subject": ""}
    assert {(x["claim"], x["outlet"], x["verdict"]) for x in data["assessments"]} == {("1", "B", "contradict"),
                                                                                      ("2", "A", "contradict")}
    model = ReportJSON.model_validate(data)
    assert model == to_json_model(report)
    back = from_json(model)
    assert back.verdicts[0].evidence == verdicts[0].evidence and back.assessments == report.assessments


def test_the_pipeline_uses_a_fitted_stance_model_and_reports_assessments(fake_settings, monkeypatch):
    """Seeds through the fake models with a stance model in the parameters: every assessment that no hard rule
    decided comes from it, the deciding pairs carry its verdicts, and the store keys change with the params."""
    import json

    from verify.pipeline import core as pipeline_module
    from verify.pipeline.core import Pipeline
    from verify.report import ReportJSON, render_json

    from ..conftest import SEEDS

    fitted = Params(PARAMS.thresholds, _stance("discuss"), {"source": "test"}, "stance-test")
    monkeypatch.setattr(pipeline_module, "load_params", lambda: fitted)
    report = Pipeline(fake_settings).run_paths([SEEDS])
    assert report.assessments
    soft = [x for x in report.assessments if x.rule not in ("different-time", "value-conflict", "commemoration",
                                                             "rebuttal", "compatible-values", "restatement",
                                                             "distinct-entities")]
    assert soft and {x.rule for x in soft} == {"stance-model"} and {x.verdict for x in soft} <= {"neutral", "support"}
    pairs = {v.pair.id: v for v in report.verdicts}
    for x in soft:
        assert pairs[x.pair_ids[0]].verdict in ("neutral", "support")
    data = json.loads(render_json(report))
    ReportJSON.model_validate(data)
    assert data["meta"]["verdict"]["params"]["stance_model"] is True
    assert {p["rule"] for p in data["pairs"]} >= {"stance-model"}


def test_the_stance_model_supports_only_when_some_claim_of_the_outlet_entails():
    """Issue 12: support when some evidence entails the claim; the model's agree alone is not enough."""
    params = Params(PARAMS.thresholds, _stance("agree"), {}, "stance")
    alone = agg(params).aggregate([judge(X, Y1, N, N)])[2]
    assert {(a.verdict, a.rule) for a in alone} == {("neutral", "stance-model")}
    entailed = agg(params).aggregate([judge(X, Y2, probs(0.55, 0.1), probs(0.55, 0.1))])[2]
    assert {(a.verdict, a.rule) for a in entailed} == {("support", "stance-model")}

