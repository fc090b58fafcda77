"""Real-news scoring: item records -> each system's prediction -> metrics with bootstrap intervals.

Systems compared per item:
- ``verify_stance``: the fitted stance model (`verify.verdict.calibrate`) over `evidence_features`.
- ``verify_rules``: the fitted thresholds as a rule over the same features (entailment first).
- ``verify_verdicts``: the pipeline's own assessment of the claim against the evidence outlet.
- ``nli_maxpool``: the NLI model alone, max-pooled over all sentence pairs (entailment first).
- ``nli_maxpool_lr``: the same logistic regression as the stance model over the max-pool statistics only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from verify.evaluation import metrics as M
from verify.evaluation.news_data import claim_from_dict
from verify.records import Claim, ClaimPair, Judgement
from verify.verdict.calibrate import evidence_features, no_evidence, rule_stance
from verify.verdict.params import Params, StanceModel

SYSTEMS: tuple[str, ...] = ("verify_stance", "verify_rules", "verify_verdicts", "nli_maxpool", "nli_maxpool_lr")
BASELINES: tuple[str, ...] = ("nli_maxpool", "nli_maxpool_lr")
# the max-pool statistics the learned baseline (nli_maxpool_lr) reads
BASELINE_FEATURES: tuple[str, ...] = ("entail_as_hyp", "entail_as_prem", "contra_as_hyp", "contra_as_prem")
# the NLI max-pool baseline before any fit: entailment first, then contradiction, then any NLI signal
DEFAULT_BASELINE = {"agree": 0.5, "disagree": 0.5, "related": 0.1}


# --------------------------------------------------------------------------------------------
# records -> features and predictions
# --------------------------------------------------------------------------------------------
def record_judgements(record: Mapping[str, Any]) -> dict[str, tuple[Claim, list[Judgement]]]:
    """The claim outlet's claims, each with the judgements of its pairs with the evidence outlet."""
    claims = {c["id"]: claim_from_dict(c) for c in record["claims"]}
    out: dict[str, tuple[Claim, list[Judgement]]] = {cid: (c, []) for cid, c in claims.items()}
    built: dict[str, Claim] = {}
    for j in record["judgements"]:
        a = built.setdefault(j["a"]["id"], claim_from_dict(j["a"]))
        b = built.setdefault(j["b"]["id"], claim_from_dict(j["b"]))
        pair = ClaimPair(a, b, j["similarity"], tuple(j.get("shared") or ()), j.get("via"))
        judgement = Judgement(pair, j["forward"], j["backward"])
        for claim_id in (a.id, b.id):
            if claim_id in out:
                out[claim_id][1].append(judgement)
    return out


def item_features(record: Mapping[str, Any], knowledge: Any = None) -> dict[str, float]:
    """The features of the claim outlet's claim with the most evidence (most similar pair; the first claim on
    ties); the no-evidence vector when the pipeline kept no claim."""
    best: dict[str, float] | None = None
    for claim, judgements in record_judgements(record).values():
        feats = evidence_features(claim, judgements, knowledge)
        if best is None or (feats["has_evidence"], feats["sim_max"]) > (best["has_evidence"], best["sim_max"]):
            best = feats
    return best if best is not None else no_evidence()


ASSESSMENT_STANCE = {"support": "agree", "contradict": "disagree", "disputed": "disagree", "different-time": "discuss",
                     "neutral": "discuss", "unrelated": "unrelated"}


def verdict_stance(record: Mapping[str, Any]) -> str:
    """What the pipeline reports: its assessment of the claim against the evidence outlet (support -> agree,
    contradict / disputed -> disagree, neutral / different-time -> discuss, unrelated or no pair -> unrelated;
    support first when the outlet has several claims). Records made before assessments existed: the pair
    verdicts, support first, then a conflict, then any pair."""
    if "assessments" in record:
        found = {ASSESSMENT_STANCE.get(x["verdict"], "discuss") for x in record["assessments"]}
        return next((label for label in ("agree", "disagree", "discuss") if label in found), "unrelated")
    verdicts = [j["verdict"] for j in record["judgements"]]
    if "support" in verdicts:
        return "agree"
    if {"contradict", "disputed"} & set(verdicts):
        return "disagree"
    return "discuss" if verdicts else "unrelated"


def baseline_stance(stats: Mapping[str, float], t: Mapping[str, float]) -> str:
    """NLI max-pool, entailment checked first."""
    entail = max(stats["entail_as_hyp"], stats["entail_as_prem"])
    contra = max(stats["contra_as_hyp"], stats["contra_as_prem"])
    if entail >= t["agree"]:
        return "agree"
    if contra >= t["disagree"]:
        return "disagree"
    return "discuss" if max(entail, contra) >= t["related"] else "unrelated"


def baseline_matrix(stats: Sequence[Mapping[str, float]]) -> np.ndarray:
    return np.array([[float(s[f]) for f in BASELINE_FEATURES] for s in stats])


def baseline_model(params: Params) -> StanceModel | None:
    """The learned baseline: the same logistic regression over the max-pool statistics only (fitted alongside)."""
    data = params.provenance.get("baseline_model")
    return StanceModel.from_json(data) if data else None


def fitted_stance(params: Params) -> StanceModel | None:
    """The fitted stance model: the one the pipeline uses, else the one the fit kept in the provenance
    (``verify eval fit --no-ship-stance`` fits it without letting the pipeline use it)."""
    data = params.provenance.get("stance_model")
    return params.stance or (StanceModel.from_json(data) if data else None)


def baseline_thresholds(params: Params) -> dict[str, float]:
    return {**DEFAULT_BASELINE, **(params.provenance.get("baseline_thresholds") or {})}


@dataclass
class Predictions:
    gold: list[str]
    groups: list[str]
    pred: dict[str, list[str]]  # system -> labels
    score: dict[str, list[float]]  # system -> a score of the positive class (agree / faithful)


def predict(records: Sequence[Mapping[str, Any]], task: str, params: Params, knowledge: Any = None) -> Predictions:
    t = params.thresholds
    base_t = baseline_thresholds(params)
    base_lr = baseline_model(params)
    stance_model = fitted_stance(params)
    preds: dict[str, list[str]] = {s: [] for s in SYSTEMS}
    scores: dict[str, list[float]] = {s: [] for s in SYSTEMS}
    for record in records:
        feats = item_features(record, knowledge)
        probs = stance_model.predict_proba(feats) if stance_model else None
        stance = max(probs, key=probs.__getitem__) if probs else rule_stance(feats, t["support"], t["contradict"],
                                                                               t["weak_entail"])
        labels = {"verify_stance": stance,
                  "verify_rules": rule_stance(feats, t["support"], t["contradict"], t["weak_entail"]),
                  "verify_verdicts": verdict_stance(record)}
        stats = record.get("baseline")
        entail_claim = max(feats["entail_as_hyp"], feats["entail_as_prem"])
        item_scores = {"verify_stance": probs["agree"] if probs else entail_claim, "verify_rules": entail_claim,
                       "verify_verdicts": float(labels["verify_verdicts"] == "agree")}
        lr = base_lr.predict_proba(stats) if base_lr is not None and stats else None
        labels["nli_maxpool_lr"] = max(lr, key=lr.__getitem__) if lr else "unrelated"
        item_scores["nli_maxpool_lr"] = lr["agree"] if lr else 0.0
        if task == "stance":
            labels["nli_maxpool"] = baseline_stance(stats, base_t) if stats else "unrelated"
            item_scores["nli_maxpool"] = max(stats["entail_as_hyp"], stats["entail_as_prem"]) if stats else 0.0
        else:  # faithful = the article supports the summary; the baseline: article sentence -> summary entailment
            labels = {k: "faithful" if v == "agree" else "unfaithful" for k, v in labels.items()}
            e = stats["entail_as_hyp"] if stats else 0.0
            labels["nli_maxpool"] = "faithful" if e >= base_t["agree"] else "unfaithful"
            item_scores["nli_maxpool"] = e
            item_scores["verify_rules"] = feats["entail_as_hyp"]
        for s in SYSTEMS:
            preds[s].append(labels[s])
            scores[s].append(float(item_scores[s]))
    return Predictions([r["gold"] for r in records], [r["group"] for r in records], preds, scores)


def stance_intervals_vs_baselines(system: str, gold: Sequence[str], pred: Mapping[str, Sequence[str]],
                                  resamples: list[np.ndarray]) -> dict[str, list[float]]:
    """A system's 95% intervals; for verify's systems also of the differences to each baseline
    (``delta_*`` to nli_maxpool, ``delta_lr_*`` to nli_maxpool_lr) on the same resamples."""
    if system in BASELINES:
        return M.stance_intervals(gold, pred[system], resamples)
    ci = M.stance_intervals(gold, pred[system], resamples, pred["nli_maxpool"])
    lr = M.stance_intervals(gold, pred[system], resamples, pred["nli_maxpool_lr"])
    return ci | {k.replace("delta_", "delta_lr_"): v for k, v in lr.items() if k.startswith("delta_")}


def score_predictions(p: Predictions, task: str, resamples: list[np.ndarray]) -> dict[str, dict[str, Any]]:
    """Per system: metrics, 95% intervals, and the intervals of the differences to the NLI max-pool baselines."""
    out: dict[str, dict[str, Any]] = {}
    for system in SYSTEMS:
        if task == "stance":
            metrics = M.stance_metrics(p.gold, p.pred[system])
            ci = stance_intervals_vs_baselines(system, p.gold, p.pred, resamples)
            confusion = M.confusion(p.gold, p.pred[system], M.STANCE_LABELS)
        else:
            metrics = M.consistency_metrics(p.gold, p.pred[system], p.score[system])
            if system in BASELINES:
                ci = M.consistency_intervals(p.gold, p.pred[system], p.score[system], resamples)
            else:
                ci = M.consistency_intervals(p.gold, p.pred[system], p.score[system], resamples,
                                             (p.pred["nli_maxpool"], p.score["nli_maxpool"]))
                lr = M.consistency_intervals(p.gold, p.pred[system], p.score[system], resamples,
                                             (p.pred["nli_maxpool_lr"], p.score["nli_maxpool_lr"]))
                ci |= {k.replace("delta_", "delta_lr_"): v for k, v in lr.items() if k.startswith("delta_")}
            confusion = M.confusion(p.gold, p.pred[system], M.CONSISTENCY_LABELS)
        out[system] = {"metrics": {k: round(v, 4) for k, v in metrics.items()}, "ci95": ci, "confusion": confusion}
    return out
