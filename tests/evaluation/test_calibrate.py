"""verify.verdict.calibrate (evidence features, the stance model, params files) and the fit of both
(verify.evaluation.fit: the stance model, the thresholds, writing params.json)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from verify.evaluation.fit import fit_stance_model, fit_thresholds, write_params
from verify.extract.claims import claim_from_text
from verify.records import ClaimPair, Judgement
from verify.verdict.calibrate import FEATURES, evidence_features, no_evidence, rule_stance
from verify.verdict.params import STANCE_LABELS, Params, StanceModel, load_params, parse_params


def probs(e: float, c: float) -> dict[str, float]:
    return {"entailment": e, "neutral": round(1 - e - c, 6), "contradiction": c}


CLAIM = claim_from_text("The ministry said 40 people died in the floods.", article_id="a:1", source="A")
PLAIN = claim_from_text("Forty people died in the floods, officials said.", article_id="a:2", source="B")
DENIAL = claim_from_text("The ministry denied the report, calling it a hoax.", article_id="a:2", source="B")


def test_no_judgements_is_the_no_evidence_vector():
    feats = evidence_features(PLAIN, [])
    assert set(feats) == set(FEATURES)
    assert feats == {**no_evidence(), "claim_hedged": 1.0}  # "officials said": attributed


def test_directions_follow_which_side_the_claim_is_on():
    # forward = a premise, b hypothesis: with the claim as b, forward is "claim as hypothesis"
    as_b = Judgement(ClaimPair(PLAIN, CLAIM, 0.8), forward=probs(0.9, 0.0), backward=probs(0.2, 0.1))
    f = evidence_features(CLAIM, [as_b])
    assert (f["entail_as_hyp"], f["entail_as_prem"]) == (0.9, 0.2)
    as_a = Judgement(ClaimPair(CLAIM, PLAIN, 0.8), forward=probs(0.9, 0.0), backward=probs(0.2, 0.1))
    f = evidence_features(CLAIM, [as_a])
    assert (f["entail_as_hyp"], f["entail_as_prem"]) == (0.2, 0.9)
    assert f["has_evidence"] == 1.0 and f["pairs"] == 0.1 and f["sim_max"] == 0.8


def test_denial_and_contradiction_features():
    j = [Judgement(ClaimPair(CLAIM, DENIAL, 0.6), forward=probs(0.05, 0.8), backward=probs(0.05, 0.7)),
         Judgement(ClaimPair(CLAIM, PLAIN, 0.9), forward=probs(0.7, 0.1), backward=probs(0.6, 0.1))]
    f = evidence_features(CLAIM, j)
    assert f["evidence_denial"] == 0.5 and f["denial_contra"] == 0.8
    assert f["contra_weak_entail"] == pytest.approx(0.8 * 0.95)
    assert f["sim_mean"] == pytest.approx(0.75)
    assert all(0.0 <= v <= 1.0 for v in f.values())


def test_a_judgement_about_another_claim_is_refused():
    with pytest.raises(ValueError, match="does not involve"):
        evidence_features(CLAIM, [Judgement(ClaimPair(PLAIN, DENIAL, 0.5), probs(0.1, 0.1), probs(0.1, 0.1))])


def test_stance_model_learns_a_separable_toy_problem():
    rng = np.random.default_rng(0)
    centres = np.eye(4, len(FEATURES)) * 3
    x = np.vstack([c + rng.normal(0, 0.3, (40, len(FEATURES))) for c in centres])
    y = [label for label in STANCE_LABELS for _ in range(40)]
    model = fit_stance_model(x, y, l2=1e-3)
    pred = [STANCE_LABELS[i] for i in model.proba_matrix(x).argmax(axis=1)]
    assert np.mean([p == g for p, g in zip(pred, y)]) > 0.95
    p = model.predict_proba(dict(zip(FEATURES, centres[1])))
    assert max(p, key=p.get) == "disagree" and sum(p.values()) == pytest.approx(1.0)
    again = StanceModel.from_json(json.loads(json.dumps(model.to_json())))
    assert again.predict(dict(zip(FEATURES, centres[2]))) == "discuss"


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="shapes"):
        StanceModel(("a", "b"), ("f",), ((1.0,),), (0.0, 0.0), (0.0,), (1.0,))


def test_params_round_trip_and_digest(tmp_path):
    model = StanceModel(STANCE_LABELS, FEATURES, tuple((0.0,) * len(FEATURES) for _ in STANCE_LABELS),
                        (0.0, 0.0, 0.0, 1.0), (0.0,) * len(FEATURES), (1.0,) * len(FEATURES))
    data = {"thresholds": {"support": 0.7, "contradict": 0.4, "weak_entail": 0.3, "same_fact_similarity": 0.6},
            "stance": model.to_json(), "provenance": {"seed": 13}}
    path = write_params(data, tmp_path / "params.json")
    params = load_params(path)
    assert isinstance(params, Params) and params.thresholds["support"] == 0.7
    assert params.stance.predict(no_evidence()) == "unrelated"
    assert params.digest == parse_params({**data, "provenance": {"other": 1}}).digest  # provenance is not the model
    assert params.digest != parse_params({**data, "thresholds": {"support": 0.5}}).digest
    assert load_params(path) is params  # read once per path
    write_params({**data, "thresholds": {"support": 0.9}}, path)  # a re-fit: the copy read before is forgotten
    assert load_params(path).thresholds["support"] == 0.9


def test_the_packaged_params_load():
    params = load_params()
    assert set(params.thresholds) >= {"support", "contradict", "weak_entail", "same_fact_similarity"}
    if params.stance is not None:
        assert params.stance.features == FEATURES and params.stance.labels == STANCE_LABELS
        assert params.provenance["data"]["stances"]["file"].endswith("train_stances.csv")


def test_threshold_fit_finds_the_separating_rule():
    def f(e: float, c: float) -> dict[str, float]:
        return {**no_evidence(), "has_evidence": 1.0, "entail_as_hyp": e, "contra_as_prem": c}

    feats = [f(0.9, 0.0)] * 5 + [f(0.1, 0.8)] * 5 + [f(0.3, 0.3)] * 5 + [no_evidence()] * 5
    gold = ["agree"] * 5 + ["disagree"] * 5 + ["discuss"] * 5 + ["unrelated"] * 5
    t = fit_thresholds(feats, gold)
    assert [rule_stance(x, t["support"], t["contradict"], t["weak_entail"]) for x in feats] == gold
