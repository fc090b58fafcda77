"""Every metric of the evaluation wing: classification scores, calibration, and the news benchmarks' figures.

Two shapes of input, one implementation each:
- *labels as strings* (the NLI suite, the end-to-end gold pairs): `accuracy`, `precision_recall_f1`, `macro_f1`
  over a given label set, `confusion`, reliability bins and the expected calibration error (`CalibrationBin`).
- *labels encoded as small ints* (`encode`), so a grid search or a thousand bootstrap resamples stay cheap:
  `per_class_f1`, `macro_f1_codes`, `balanced_accuracy`, `roc_auc`, the FNC-1 score, and percentile intervals
  over resampled *groups* (FNC-1 bodies; one item per group elsewhere), because items that share a body are not
  independent.

All metrics are fractions in [0, 1].
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from verify.verdict.params import STANCE_LABELS

RELATED: frozenset[str] = frozenset({"agree", "disagree", "discuss"})
CONSISTENCY_LABELS: tuple[str, ...] = ("faithful", "unfaithful")


# --------------------------------------------------------------------------------------
# Labels as strings
# --------------------------------------------------------------------------------------
def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Share of exact matches; 0.0 for no rows."""
    _same_length(gold, pred)
    return sum(g == p for g, p in zip(gold, pred)) / len(gold) if gold else 0.0


def precision_recall_f1(gold: Sequence[str], pred: Sequence[str], label: str) -> tuple[float, float, float]:
    """One class's precision, recall and F1 (0.0 where undefined)."""
    _same_length(gold, pred)
    tp = sum(g == label and p == label for g, p in zip(gold, pred))
    n_pred, n_gold = sum(p == label for p in pred), sum(g == label for g in gold)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    """Unweighted mean F1 over `labels` (the gold classes): a class never predicted counts as 0."""
    if not labels:
        return 0.0
    return sum(precision_recall_f1(gold, pred, label)[2] for label in labels) / len(labels)


def confusion(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, int]]:
    """counts[gold][pred] over `labels` on both axes (pairs with a label outside them are left out)."""
    _same_length(gold, pred)
    counts = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, pred):
        if g in counts and p in counts[g]:
            counts[g][p] += 1
    return counts


def majority_baseline(gold: Sequence[str]) -> float:
    """Accuracy of always answering the most frequent gold label."""
    return Counter(gold).most_common(1)[0][1] / len(gold) if gold else 0.0


def classification_metrics(gold: Sequence[str], pred: Sequence[str], confidences: Sequence[float],
                           labels: Sequence[str]) -> dict[str, float]:
    """accuracy, macro_f1, precision_/recall_/f1_<label> per gold class, ece and majority_baseline."""
    out = {"accuracy": accuracy(gold, pred), "macro_f1": macro_f1(gold, pred, labels)}
    for label in labels:
        out[f"precision_{label}"], out[f"recall_{label}"], out[f"f1_{label}"] = precision_recall_f1(gold, pred, label)
    out["ece"] = expected_calibration_error(confidences, [g == p for g, p in zip(gold, pred)])
    out["majority_baseline"] = majority_baseline(gold)
    return out


def _same_length(a: Sequence[object], b: Sequence[object]) -> None:
    if len(a) != len(b):
        raise ValueError(f"length mismatch: {len(a)} vs {len(b)}")


# --------------------------------------------------------------------------------------
# Calibration: reliability bins and the expected calibration error
# --------------------------------------------------------------------------------------
class CalibrationBin(BaseModel):
    """One confidence bin (lo, hi] of a reliability diagram: how often the answers in it were right."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lo: float
    hi: float
    n: int = Field(ge=0)
    accuracy: float  # share of the bin's answers that were right
    confidence: float  # mean top probability of the bin's answers

    def rounded(self, digits: int = 4) -> CalibrationBin:
        return self.model_copy(update={"accuracy": round(self.accuracy, digits),
                                       "confidence": round(self.confidence, digits)})


def reliability_bins(confidences: Sequence[float], correct: Sequence[bool], n_bins: int = 10) -> list[CalibrationBin]:
    """The non-empty equal-width bins (lo, hi] of the top probability, in order (0 falls in the first bin,
    anything above 1, e.g. a rounding 1.0000001, in the last)."""
    _same_length(confidences, correct)
    members: dict[int, list[int]] = {}
    for i, c in enumerate(confidences):
        b = next((b for b in range(n_bins) if c <= (b + 1) / n_bins), n_bins - 1)
        members.setdefault(b, []).append(i)
    return [
        CalibrationBin(lo=b / n_bins, hi=(b + 1) / n_bins, n=len(idx),
                       accuracy=sum(bool(correct[i]) for i in idx) / len(idx),
                       confidence=sum(confidences[i] for i in idx) / len(idx))
        for b, idx in sorted(members.items())
    ]


def pool_bins(groups: Iterable[Sequence[CalibrationBin]]) -> list[CalibrationBin]:
    """Bins of several runs merged into one set (same edges): counts add, accuracy and confidence are n-weighted."""
    merged: dict[tuple[float, float], list[CalibrationBin]] = {}
    for bins in groups:
        for b in bins:
            merged.setdefault((b.lo, b.hi), []).append(b)
    pooled = []
    for (lo, hi), same in sorted(merged.items()):
        n = sum(b.n for b in same)
        if n:
            pooled.append(CalibrationBin(lo=lo, hi=hi, n=n, accuracy=sum(b.n * b.accuracy for b in same) / n,
                                         confidence=sum(b.n * b.confidence for b in same) / n))
    return pooled


def calibration_error(bins: Sequence[CalibrationBin]) -> float:
    """ECE from bins: sum of |bin| / n * |accuracy(bin) - mean confidence(bin)|; 0.0 for no bins."""
    total = sum(b.n for b in bins)
    return sum(b.n / total * abs(b.accuracy - b.confidence) for b in bins) if total else 0.0


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], n_bins: int = 10) -> float:
    """ECE: sum over equal-width bins (lo, hi] of |bin| / n * |accuracy(bin) - mean confidence(bin)|."""
    return calibration_error(reliability_bins(confidences, correct, n_bins))


# --------------------------------------------------------------------------------------
# Labels encoded as ints (grid searches, bootstrap resamples)
# --------------------------------------------------------------------------------------
def encode(values: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """Each value's index in `labels`."""
    index = {label: i for i, label in enumerate(labels)}
    return np.array([index[v] for v in values], dtype=np.int64)


def per_class_f1(gold: np.ndarray, pred: np.ndarray, n_labels: int) -> np.ndarray:
    """F1 of each class (0 where undefined)."""
    matrix = np.bincount(gold * n_labels + pred, minlength=n_labels * n_labels).reshape(n_labels, n_labels)
    tp = np.diag(matrix).astype(float)
    n_pred, n_gold = matrix.sum(axis=0), matrix.sum(axis=1)
    denom = n_pred + n_gold
    return np.divide(2 * tp, denom, out=np.zeros(n_labels), where=denom > 0)


def macro_f1_codes(gold: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    """Mean F1 over the classes present in gold (a class never predicted scores 0)."""
    present = np.bincount(gold, minlength=n_labels) > 0
    f1 = per_class_f1(gold, pred, n_labels)
    return float(f1[present].mean()) if present.any() else 0.0


def fnc_score(gold: Sequence[str], pred: Sequence[str]) -> float:
    """The FNC-1 weighted score relative to the best possible: 0.25 for getting related vs unrelated right,
    plus 0.75 for the right related label (agree / disagree / discuss)."""
    got = best = 0.0
    for g, p in zip(gold, pred):
        if g == "unrelated":
            best += 0.25
            got += 0.25 if p == "unrelated" else 0.0
        else:
            best += 1.0
            got += (0.25 if p in RELATED else 0.0) + (0.75 if p == g else 0.0)
    return got / best if best else 0.0


def _fnc_points(gold: np.ndarray, pred: np.ndarray, unrelated: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-item (points, best points) for `fnc_score`, with labels encoded."""
    g_rel, p_rel = gold != unrelated, pred != unrelated
    got = 0.25 * (g_rel == p_rel) + 0.75 * (g_rel & (gold == pred))
    best = np.where(g_rel, 1.0, 0.25)
    return got, best


def balanced_accuracy(gold: np.ndarray, pred: np.ndarray, n_labels: int = 2) -> float:
    """Mean recall over the classes present in gold."""
    recalls = [float((pred[gold == c] == c).mean()) for c in range(n_labels) if (gold == c).any()]
    return float(np.mean(recalls)) if recalls else 0.0


def roc_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with mid-ranks for ties); nan when one class is absent."""
    positive = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return float("nan")
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    sorted_scores = np.asarray(score)[order]
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


# --------------------------------------------------------------------------------------
# Grouped resampling: bootstrap intervals and cross-validation folds
# --------------------------------------------------------------------------------------
def bootstrap_indices(groups: Sequence[str], n: int = 1000, seed: int = 13) -> list[np.ndarray]:
    """``n`` resamples of item indices, drawing whole groups with replacement."""
    members: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    blocks = [np.array(v) for v in members.values()]
    rng = np.random.default_rng(seed)
    return [np.concatenate([blocks[k] for k in rng.integers(0, len(blocks), len(blocks))]) for _ in range(n)]


def interval(values: Sequence[float]) -> list[float]:
    """The 95% percentile interval of resampled values (nan ignored), rounded to 4 digits."""
    arr = np.asarray([v for v in values if not np.isnan(v)])
    if not len(arr):
        return [float("nan"), float("nan")]
    return [round(float(np.percentile(arr, 2.5)), 4), round(float(np.percentile(arr, 97.5)), 4)]


def stance_metrics(gold: Sequence[str], pred: Sequence[str]) -> dict[str, float]:
    """n, macro-F1, accuracy, the FNC-1 score and each stance's F1."""
    g, p = encode(gold, STANCE_LABELS), encode(pred, STANCE_LABELS)
    f1 = per_class_f1(g, p, len(STANCE_LABELS))
    out = {"n": float(len(g)), "macro_f1": macro_f1_codes(g, p, len(STANCE_LABELS)),
           "accuracy": float((g == p).mean()), "fnc_score": fnc_score(gold, pred)}
    out |= {f"f1_{label}": float(v) for label, v in zip(STANCE_LABELS, f1)}
    return out


def stance_intervals(gold: Sequence[str], pred: Sequence[str], resamples: list[np.ndarray],
                     other: Sequence[str] | None = None) -> dict[str, list[float]]:
    """95% intervals of macro-F1, FNC score and each class's F1; with ``other`` (another system's predictions
    on the same items), also of the difference in macro-F1 and FNC score (this minus other)."""
    k = len(STANCE_LABELS)
    unrelated = STANCE_LABELS.index("unrelated")
    g, p = encode(gold, STANCE_LABELS), encode(pred, STANCE_LABELS)
    o = encode(other, STANCE_LABELS) if other is not None else None
    got, best = _fnc_points(g, p, unrelated)
    if o is not None:
        got_o, _ = _fnc_points(g, o, unrelated)
    rows: dict[str, list[float]] = {"macro_f1": [], "fnc_score": [], **{f"f1_{lab}": [] for lab in STANCE_LABELS}}
    if o is not None:
        rows |= {"delta_macro_f1": [], "delta_fnc_score": []}
    for idx in resamples:
        gi, pi = g[idx], p[idx]
        f1 = per_class_f1(gi, pi, k)
        present = np.bincount(gi, minlength=k) > 0
        mf = float(f1[present].mean())
        fnc = float(got[idx].sum() / best[idx].sum())
        rows["macro_f1"].append(mf)
        rows["fnc_score"].append(fnc)
        for label, v in zip(STANCE_LABELS, f1):
            rows[f"f1_{label}"].append(float(v))
        if o is not None:
            rows["delta_macro_f1"].append(mf - macro_f1_codes(gi, o[idx], k))
            rows["delta_fnc_score"].append(fnc - float(got_o[idx].sum() / best[idx].sum()))
    return {name: interval(v) for name, v in rows.items()}


def consistency_metrics(gold: Sequence[str], pred: Sequence[str], score: Sequence[float]) -> dict[str, float]:
    """n, balanced accuracy, ROC AUC of the faithful score, accuracy, and the faithful class's precision/recall."""
    g, p = encode(gold, CONSISTENCY_LABELS), encode(pred, CONSISTENCY_LABELS)
    faithful = g == 0
    tp = float(((p == 0) & faithful).sum())
    precision = tp / max(float((p == 0).sum()), 1.0)
    recall = tp / max(float(faithful.sum()), 1.0)
    return {"n": float(len(g)), "balanced_accuracy": balanced_accuracy(g, p), "roc_auc": roc_auc(faithful, np.asarray(score)),
            "accuracy": float((g == p).mean()), "precision_faithful": precision, "recall_faithful": recall,
            "recall_unfaithful": float((p[~faithful] == 1).mean()) if (~faithful).any() else 0.0}


def consistency_intervals(gold: Sequence[str], pred: Sequence[str], score: Sequence[float],
                          resamples: list[np.ndarray], other: tuple[Sequence[str], Sequence[float]] | None = None,
                          ) -> dict[str, list[float]]:
    """95% intervals of balanced accuracy and ROC AUC; with ``other`` (labels, scores), also of the differences."""
    g, p, s = encode(gold, CONSISTENCY_LABELS), encode(pred, CONSISTENCY_LABELS), np.asarray(score, dtype=float)
    rows: dict[str, list[float]] = {"balanced_accuracy": [], "roc_auc": []}
    if other is not None:
        op, os_ = encode(other[0], CONSISTENCY_LABELS), np.asarray(other[1], dtype=float)
        rows |= {"delta_balanced_accuracy": [], "delta_roc_auc": []}
    for idx in resamples:
        ba, auc = balanced_accuracy(g[idx], p[idx]), roc_auc(g[idx] == 0, s[idx])
        rows["balanced_accuracy"].append(ba)
        rows["roc_auc"].append(auc)
        if other is not None:
            rows["delta_balanced_accuracy"].append(ba - balanced_accuracy(g[idx], op[idx]))
            rows["delta_roc_auc"].append(auc - roc_auc(g[idx] == 0, os_[idx]))
    return {name: interval(v) for name, v in rows.items()}


def grouped_folds(groups: Sequence[str], k: int = 5, seed: int = 13) -> list[np.ndarray]:
    """K test folds of item indices; all items of a group fall in one fold. Groups are shuffled with the seed,
    then placed largest first into the fold with fewest items, so folds come out near equal in size."""
    members: dict[str, list[int]] = {}
    for i, g in enumerate(groups):
        members.setdefault(g, []).append(i)
    keys = sorted(members)
    rng = np.random.default_rng(seed)
    rng.shuffle(keys)
    keys.sort(key=lambda key: -len(members[key]))  # stable: the shuffle breaks ties between equal sizes
    folds: list[list[int]] = [[] for _ in range(k)]
    for key in keys:
        min(folds, key=len).extend(members[key])
    return [np.array(sorted(f), dtype=np.int64) for f in folds if f]  # fewer groups than k: fewer folds
