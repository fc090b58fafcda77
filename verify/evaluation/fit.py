"""Fit the verdict parameters on real news: FNC-1 train items (the ``fit`` part of the bodies) through the real
pipeline, then a class-balanced multinomial logistic regression over `evidence_features` (`fit_stance_model`),
the verdict thresholds (`fit_thresholds`), and the NLI max-pool baseline's thresholds on the same items. Grouped
5-fold cross-validation by body gives the figures (with cluster-bootstrap intervals); the final fit on every item
is written to ``verify/verdict/params.json`` with its provenance (`write_params`). torch is imported only to fit.

The seed articles and the pair traps are regression checks, never fitting data. Re-running with the same
models and data reads every item from the cache and reproduces the same parameters.
"""

from __future__ import annotations

import csv
import json
import logging
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from verify.errors import InputError
from verify.evaluation import ProgressFactory
from verify.evaluation import metrics as M
from verify.evaluation.news import CACHE_DIR, Harness, model_info
from verify.evaluation.news_data import NewsBenchmark, Sample, load_news_benchmarks, load_stance_items
from verify.evaluation.news_scoring import (
    BASELINE_FEATURES,
    SYSTEMS,
    baseline_matrix,
    baseline_stance,
    item_features,
    stance_intervals_vs_baselines,
)
from verify.evaluation.results import git_commit
from verify.pipeline.caches import core_version
from verify.pipeline.core import Pipeline
from verify.report import write_atomic
from verify.verdict.calibrate import FEATURES, rule_stance
from verify.verdict.params import PARAMS_PATH, STANCE_LABELS, StanceModel, forget_params, load_params

log = logging.getLogger(__name__)

# a verdict threshold below 0.5 would let a label win that is not even the most likely one (on FNC-1 the
# unconstrained optimum for contradiction is degenerate: the NLI model finds contradiction in unrelated pairs)
GRID: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(10, 20))
WEAK_GRID: tuple[float, ...] = (0.1, 0.2, 0.3, 0.5, 1.0)
L2_GRID: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
RELATED_GRID: tuple[float, ...] = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)


# ---------------------------------------------------------------------------------------------
# the stance model and the thresholds
# ---------------------------------------------------------------------------------------------
def fit_stance_model(x: np.ndarray, y: Sequence[str], labels: Sequence[str] = STANCE_LABELS,
                     features: Sequence[str] = FEATURES, l2: float = 1e-2, balanced: bool = True) -> StanceModel:
    """Multinomial logistic regression, class-balanced (each class weighs the same in the loss), L2 on the
    coefficients (not the intercepts), fitted to convergence with LBFGS on standardised features."""
    import torch

    x = np.asarray(x, dtype=np.float64)
    index = {label: i for i, label in enumerate(labels)}
    target = np.array([index[v] for v in y])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = torch.tensor((x - mean) / scale, dtype=torch.float64)
    t = torch.tensor(target)
    counts = np.bincount(target, minlength=len(labels)).astype(np.float64)
    weights = np.where(counts > 0, len(target) / (len(labels) * np.maximum(counts, 1)), 0.0) if balanced \
        else np.ones(len(labels))
    w_class = torch.tensor(weights, dtype=torch.float64)
    coef = torch.zeros(len(labels), x.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(len(labels), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([coef, bias], lr=1.0, max_iter=500, tolerance_grad=1e-9, tolerance_change=1e-12,
                            history_size=20, line_search_fn="strong_wolfe")
    loss_fn = torch.nn.CrossEntropyLoss(weight=w_class, reduction="sum")
    norm = float(w_class[t].sum())

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = loss_fn(z @ coef.T + bias, t) / norm + l2 * (coef**2).sum() / 2
        loss.backward()
        return loss

    opt.step(closure)
    return StanceModel(tuple(labels), tuple(features), tuple(tuple(float(v) for v in row) for row in coef.detach().numpy()),
                       tuple(float(v) for v in bias.detach().numpy()), tuple(float(v) for v in mean),
                       tuple(float(v) for v in scale))


def fit_thresholds(feats: Sequence[Mapping[str, float]], gold: Sequence[str],
                   grid: Sequence[float] = GRID, weak_grid: Sequence[float] = WEAK_GRID) -> dict[str, float]:
    """support / contradict / weak_entail maximising the macro-F1 of `rule_stance` (a grid search; ties go to
    the first, i.e. the lowest, thresholds)."""
    labels = {label: i for i, label in enumerate(STANCE_LABELS)}
    g = np.array([labels[v] for v in gold])
    has = np.array([bool(f.get("has_evidence")) for f in feats])
    entail = np.array([max(f["entail_as_hyp"], f["entail_as_prem"]) for f in feats])
    contra = np.array([max(f["contra_as_hyp"], f["contra_as_prem"]) for f in feats])
    best: tuple[float, dict[str, float]] = (-math.inf, {})
    for support in grid:
        for contradict in grid:
            for weak in weak_grid:
                pred = np.where(~has, labels["unrelated"], np.where(
                    entail >= support, labels["agree"],
                    np.where((contra >= contradict) & (entail < weak), labels["disagree"], labels["discuss"])))
                score = M.macro_f1_codes(g, pred, len(STANCE_LABELS))
                if score > best[0] + 1e-12:
                    best = (score, {"support": support, "contradict": contradict, "weak_entail": weak})
    return best[1]


def write_params(params_json: Mapping[str, Any], path: str | Path | None = None) -> Path:
    """Write params.json atomically (the packaged one when no path) and forget the copies read before."""
    target = Path(path) if path is not None else PARAMS_PATH
    write_atomic(target, json.dumps(params_json, indent=2) + "\n")
    forget_params()
    return target


# ---------------------------------------------------------------------------------------------
# the fit on real news, cross-validated against the baselines
# ---------------------------------------------------------------------------------------------
def fit_baseline(stats: Sequence[Mapping[str, float]], gold: Sequence[str]) -> dict[str, float]:
    """The max-pool baseline's thresholds (agree, disagree, related) maximising macro-F1, entailment first."""
    codes = {label: i for i, label in enumerate(STANCE_LABELS)}
    g = np.array([codes[v] for v in gold])
    entail = np.array([max(s["entail_as_hyp"], s["entail_as_prem"]) for s in stats])
    contra = np.array([max(s["contra_as_hyp"], s["contra_as_prem"]) for s in stats])
    top = np.maximum(entail, contra)
    best: tuple[float, dict[str, float]] = (-math.inf, {})
    for agree in GRID:
        for disagree in GRID:
            for related in RELATED_GRID:
                pred = np.where(entail >= agree, codes["agree"], np.where(
                    contra >= disagree, codes["disagree"],
                    np.where(top >= related, codes["discuss"], codes["unrelated"])))
                score = M.macro_f1_codes(g, pred, len(STANCE_LABELS))
                if score > best[0] + 1e-12:
                    best = (score, {"agree": agree, "disagree": disagree, "related": related})
    return best[1]


def _choose_l2(x: np.ndarray, y: np.ndarray, groups: Sequence[str], seed: int,
               features: Sequence[str] = FEATURES) -> float:
    """The L2 strength with the lowest inner grouped 4-fold class-balanced log-loss (training folds only): the
    probabilities are used as confidences, so the choice favours calibration, not only the argmax."""
    folds = M.grouped_folds(groups, 4, seed)
    if len(folds) < 2:
        return 1e-2
    codes = {label: i for i, label in enumerate(STANCE_LABELS)}
    target = np.array([codes[v] for v in y])
    counts = np.bincount(target, minlength=len(STANCE_LABELS)).astype(float)
    weight = (len(target) / (len(STANCE_LABELS) * np.maximum(counts, 1)))[target]
    losses = {}
    for l2 in L2_GRID:
        loss = 0.0
        for test in folds:
            train = np.setdiff1d(np.arange(len(y)), test)
            model = fit_stance_model(x[train], y[train], features=features, l2=l2)
            p = model.proba_matrix(x[test])[np.arange(len(test)), target[test]]
            loss -= float((weight[test] * np.log(np.clip(p, 1e-12, 1))).sum())
        losses[l2] = loss / float(weight.sum())
    return min(L2_GRID, key=lambda l2: (losses[l2], -l2))


def cross_validate(feats: list[dict[str, float]], stats: list[Mapping[str, float]], records: list[Mapping[str, Any]],
                   gold: list[str], groups: list[str], folds: int = 5, seed: int = 13) -> dict[str, list[str]]:
    """Out-of-fold predictions of every system (each fitted on the other folds only)."""
    x = np.array([[f[name] for name in FEATURES] for f in feats])
    y = np.array(gold)
    xb = baseline_matrix(stats)
    # the pipeline's own verdicts are left out: they follow whatever params.json is shipped, so on these items
    # they cannot be cross-validated (verify eval news scores them on the held-out bodies)
    pred = {s: [""] * len(gold) for s in SYSTEMS if s != "verify_verdicts"}
    chosen = []
    test_folds = M.grouped_folds(groups, folds, seed)
    if len(test_folds) < 2:
        raise InputError(f"cross-validation needs at least 2 bodies; the fit sample has {len(set(groups))}")
    for k, test in enumerate(test_folds):
        train = np.setdiff1d(np.arange(len(gold)), test)
        l2 = _choose_l2(x[train], y[train], [groups[i] for i in train], seed + k)
        chosen.append(l2)
        model = fit_stance_model(x[train], y[train], l2=l2)
        t = fit_thresholds([feats[i] for i in train], [gold[i] for i in train])
        b = fit_baseline([stats[i] for i in train], [gold[i] for i in train])
        l2b = _choose_l2(xb[train], y[train], [groups[i] for i in train], seed + k, BASELINE_FEATURES)
        base_model = fit_stance_model(xb[train], y[train], features=BASELINE_FEATURES, l2=l2b)
        base_probs = base_model.proba_matrix(xb[test])
        probs = model.proba_matrix(x[test])
        for row, i in enumerate(test):
            pred["verify_stance"][i] = STANCE_LABELS[int(probs[row].argmax())]
            pred["verify_rules"][i] = rule_stance(feats[i], t["support"], t["contradict"], t["weak_entail"])
            pred["nli_maxpool"][i] = baseline_stance(stats[i], b)
            pred["nli_maxpool_lr"][i] = STANCE_LABELS[int(base_probs[row].argmax())]
        log.info("fold %d: l2 %g, thresholds %s, baseline %s", k, l2, t, b)
    pred["_l2"] = [str(v) for v in chosen]
    return pred


def _row_count(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def fit_params(pipeline: Pipeline, data_dir: Path, *, per_class: int = 400, seed: int = 13, folds: int = 5,
               out: Path | None = None, command: str = "", cache_dir: Path | None = CACHE_DIR,
               title_claims: str = "fallback", resamples: int = 1000, bench: NewsBenchmark | None = None,
               cache_key: str | None = None, ship_stance: bool = True,
               on_progress: ProgressFactory | None = None) -> dict[str, Any]:
    """Run the fit items through the pipeline (cached), cross-validate, fit on all, write params.json.
    Returns the params JSON written (thresholds, stance model, provenance with the CV figures)."""
    bench = bench or load_news_benchmarks()["fnc1_stance"]
    sample = Sample(bodies="fit", fit_share=bench.sample.fit_share, per_class=per_class, seed=seed)
    items = load_stance_items(bench, data_dir, sample)
    harness = Harness(pipeline, title_claims=title_claims, cache_dir=cache_dir, key=cache_key,  # type: ignore[arg-type]
                      refresh_verdicts=False)  # the fit reads judgements only
    advance = on_progress("fit items", len(items)) if on_progress else None
    records = harness.records(items, advance)
    feats = [item_features(r) for r in records]
    stats = [r["baseline"] for r in records]
    gold = [r["gold"] for r in records]
    groups = [r["group"] for r in records]

    oof = cross_validate(feats, stats, records, gold, groups, folds, seed)
    chosen_l2 = [float(v) for v in oof.pop("_l2")]
    boot = M.bootstrap_indices(groups, resamples, seed)
    cv: dict[str, Any] = {}
    for system, pred in oof.items():
        cv[system] = {"metrics": {k: round(v, 4) for k, v in M.stance_metrics(gold, pred).items()},
                      "ci95": stance_intervals_vs_baselines(system, gold, oof, boot)}

    x = np.array([[f[name] for name in FEATURES] for f in feats])
    l2 = _choose_l2(x, np.array(gold), groups, seed)
    model = fit_stance_model(x, np.array(gold), l2=l2)
    thresholds = fit_thresholds(feats, gold)
    baseline = fit_baseline(stats, gold)
    xb = baseline_matrix(stats)
    baseline_model = fit_stance_model(xb, np.array(gold), features=BASELINE_FEATURES,
                                      l2=_choose_l2(xb, np.array(gold), groups, seed, BASELINE_FEATURES))
    stances, bodies = (data_dir / f for f in bench.files)
    judge = harness.pipeline.judge
    provenance = {
        "fitted": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "git_commit": git_commit(),
        "core_version": core_version(pipeline.knowledge, pipeline.nlp),
        "harness_key": harness.key,
        "data": {"stances": {"file": bench.files[0], "rows": _row_count(stances)},
                 "bodies": {"file": bench.files[1], "rows": _row_count(bodies)},
                 "sample": {"bodies": "fit", "fit_share": sample.fit_share, "per_class": per_class, "seed": seed},
                 "items": len(records), "bodies_used": len(set(groups)),
                 "per_class": {label: gold.count(label) for label in STANCE_LABELS}},
        "models": {"nli": model_info(judge, pipeline.settings.nli_model),
                   "embed": model_info(harness.pipeline.embedder, pipeline.settings.embed_model)},
        "title_claims": title_claims,
        "coverage": {"claim_from_title": sum(bool(r["title_claim"]) for r in records) / len(records),
                     "paired": sum(bool(r["judgements"]) for r in records) / len(records)},
        "fit": {"method": "multinomial logistic regression, class-balanced, L2 (LBFGS), standardised features",
                "l2": l2, "l2_grid": list(L2_GRID), "l2_per_fold": chosen_l2,
                "l2_choice": "lowest inner grouped 4-fold class-balanced log-loss",
                "thresholds": "grid search of support / contradict in 0.50..0.95 and weak_entail in "
                              f"{list(WEAK_GRID)} maximising the macro-F1 of the rule",
                "same_fact_similarity": "not fitted (FNC-1 has no value-conflict labels); kept at the default"},
        "cv": {"folds": folds, "grouped_by": "Body ID", "resamples": resamples, "systems": cv},
        "baseline_thresholds": baseline,
        "baseline_model": baseline_model.to_json(),
        "stance_model": model.to_json(),  # always kept here, so the benchmarks can score it when it is not shipped
        "stance_shipped": ship_stance,
    }
    same_fact = pipeline.settings.same_fact_similarity  # None (the default): keep the current value
    if same_fact is None:
        same_fact = load_params().thresholds["same_fact_similarity"]
    params = {"thresholds": {**thresholds, "same_fact_similarity": same_fact},
              "stance": model.to_json() if ship_stance else None, "provenance": provenance}
    write_params(params, out)
    return params
