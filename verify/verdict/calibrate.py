"""Evidence features of one claim against one other outlet, the fitted stance model, and the fitted thresholds.

`evidence_features(claim, judgements)` turns the NLI judgements of every pair between one claim and the claims
of ONE other outlet into a small vector of numbers in [0, 1]. `StanceModel` is a multinomial logistic
regression over that vector (agree / disagree / discuss / unrelated), evaluated with numpy only. `Params`
(thresholds + stance model + provenance) ships as ``verify/verdict/params.json`` and is read by
`load_params()`. The fit itself (`fit_stance_model`, `fit_thresholds`) runs offline from
``verify eval fit`` on real news (FNC-1 train), never on the seed articles; torch is imported only there.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from verify.records import Claim, Judgement

PARAMS_PATH = Path(__file__).resolve().parent / "params.json"
STANCE_LABELS: tuple[str, ...] = ("agree", "disagree", "discuss", "unrelated")
# the defaults the pipeline used before any fit (verify.config.Settings), and the weak-entailment cut
DEFAULT_THRESHOLDS: dict[str, float] = {"support": 0.6, "contradict": 0.6, "weak_entail": 0.3,
                                        "same_fact_similarity": 0.6}

# English cue words (overridable through a knowledge object with the same attribute names)
HEDGE_CUES = re.compile(
    r"\b(reported(?:ly)?|allegedly|alleged|claim(?:s|ed)?|according to|rumou?r(?:s|ed)?|purported(?:ly)?|"
    r"unconfirmed|said to|appears? to|may have|might have|could have|sources? (?:say|said)|believed to|"
    r"apparently|suggests?|speculat\w*|unverified)\b", re.IGNORECASE)
DENIAL_CUES = re.compile(
    r"\b(den(?:y|ies|ied|ial)|false(?:ly)?|fake|hoax(?:es)?|not true|untrue|debunk\w*|no evidence|"
    r"dismiss(?:ed|es)?|refut\w*|satir\w*|fabricat\w*|baseless|myth|made up|never happened|not real|"
    r"misleading|bogus)\b", re.IGNORECASE)

FEATURES: tuple[str, ...] = (
    "has_evidence",        # 1 when the claim was paired with at least one claim of the other outlet
    "pairs",               # number of pairs, /10, capped at 1
    "entail_as_hyp",       # max entailment with the claim as hypothesis (the other outlet's claim as premise)
    "entail_as_prem",      # max entailment with the claim as premise
    "contra_as_hyp",       # max contradiction, claim as hypothesis
    "contra_as_prem",      # max contradiction, claim as premise
    "contra_weak_entail",  # max over pairs of contradiction x (1 - entailment): contradiction where entailment is weak
    "neutral_mean",        # mean neutral probability over pairs and directions
    "support_margin",      # max over pairs of (entailment - contradiction), mapped to [0, 1]
    "sim_max",             # max cosine similarity
    "sim_mean",            # mean cosine similarity
    "evidence_hedged",     # share of the other outlet's claims that are attributed or hedged ("reportedly")
    "evidence_denial",     # share of the other outlet's claims with denial cues ("denied", "hoax", "not true")
    "denial_contra",       # max contradiction among the pairs whose evidence has a denial cue
    "claim_hedged",        # the claim itself is attributed or hedged
    "claim_denial",        # the claim itself has a denial cue
    "value_conflict",      # share of pairs whose claims give conflicting dates or same-unit numbers
    "overlap_max",         # max share of the claim's content words that an evidence claim repeats
    "claim_question",      # the claim is a question ("Is X dead?"): it raises the matter, asserts nothing
)
_WORD = re.compile(r"[a-z0-9]+")
STOP_WORDS = frozenset(
    ["a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or", "but", "is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "it", "its", "this", "that", "these", "those", "as", "not", "no", "after", "before", "over", "under", "into", "than", "then", "there", "their", "they", "he", "she", "his", "her", "we", "you", "i", "will", "would", "can", "could", "may", "might", "says", "said", "say", "report", "reports"])


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS and len(w) > 1}


def _cues(knowledge: Any, name: str, default: re.Pattern[str]) -> re.Pattern[str]:
    """A knowledge pack's cue pattern (or word list) when it has one, else the built-in English one."""
    value = getattr(knowledge, name, None) if knowledge is not None else None
    if value is None:
        return default
    if isinstance(value, re.Pattern):
        return value
    words = sorted((str(w) for w in value), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE) if words else default


def _value_conflict(a: Claim, b: Claim, knowledge: Any = None) -> bool:
    """The verdict rules' value check, imported late (the rules module may import this one)."""
    try:
        from verify.verdict.rules import value_conflicts
    except ImportError:
        return False
    return bool(value_conflicts(a, b, knowledge))


def no_evidence() -> dict[str, float]:
    """The vector of a claim the other outlet says nothing about (no pair at all)."""
    return dict.fromkeys(FEATURES, 0.0)


def evidence_features(claim: Claim, judgements: Sequence[Judgement], knowledge: Any = None) -> dict[str, float]:
    """One claim against ONE other outlet: features of the judgements of every pair between this claim and
    that outlet's claims (the claim may be ``pair.a`` or ``pair.b``; forward = a premise, b hypothesis).
    Every value is in [0, 1]; no judgement gives `no_evidence()`."""
    hedges, denials = _cues(knowledge, "hedge_cues", HEDGE_CUES), _cues(knowledge, "denial_cues", DENIAL_CUES)
    feats = no_evidence()
    feats["claim_hedged"] = float(bool(claim.attribution) or bool(hedges.search(claim.standalone)))
    feats["claim_denial"] = float(bool(denials.search(claim.standalone)))
    feats["claim_question"] = float(claim.text.rstrip(" \"'”’)").endswith("?"))
    rows = []
    for j in judgements:
        if j.pair.b.id == claim.id:
            evidence, as_hyp, as_prem = j.pair.a, j.forward, j.backward
        elif j.pair.a.id == claim.id:
            evidence, as_hyp, as_prem = j.pair.b, j.backward, j.forward
        else:
            raise ValueError(f"judgement {j.pair.id} does not involve claim {claim.id}")
        rows.append((evidence, as_hyp, as_prem, float(j.pair.similarity)))
    if not rows:
        return feats
    evidence_ids: dict[str, Claim] = {}
    entail, contra = [], []
    for evidence, as_hyp, as_prem, _ in rows:
        evidence_ids.setdefault(evidence.id, evidence)
        entail.append(max(as_hyp["entailment"], as_prem["entailment"]))
        contra.append(max(as_hyp["contradiction"], as_prem["contradiction"]))
    hedged = [bool(e.attribution) or bool(hedges.search(e.standalone)) for e in evidence_ids.values()]
    denying = {i for i, e in evidence_ids.items() if denials.search(e.standalone)}
    sims = [s for *_, s in rows]
    feats.update(
        has_evidence=1.0,
        pairs=min(len(rows), 10) / 10,
        entail_as_hyp=max(h["entailment"] for _, h, _, _ in rows),
        entail_as_prem=max(p["entailment"] for _, _, p, _ in rows),
        contra_as_hyp=max(h["contradiction"] for _, h, _, _ in rows),
        contra_as_prem=max(p["contradiction"] for _, _, p, _ in rows),
        contra_weak_entail=max(c * (1 - e) for c, e in zip(contra, entail)),
        neutral_mean=sum(h["neutral"] + p["neutral"] for _, h, p, _ in rows) / (2 * len(rows)),
        support_margin=(max(e - c for e, c in zip(entail, contra)) + 1) / 2,
        sim_max=min(max(max(sims), 0.0), 1.0),
        sim_mean=min(max(sum(sims) / len(sims), 0.0), 1.0),
        evidence_hedged=sum(hedged) / len(hedged),
        evidence_denial=len(denying) / len(evidence_ids),
        denial_contra=max((c for (e, *_), c in zip(rows, contra) if e.id in denying), default=0.0),
        value_conflict=sum(_value_conflict(claim, e, knowledge) for e, *_ in rows) / len(rows),
        overlap_max=max((len(mine & _content_words(e.standalone)) / len(mine) for e in evidence_ids.values()),
                        default=0.0) if (mine := _content_words(claim.standalone)) else 0.0,
    )
    return {k: float(v) for k, v in feats.items()}


# ---------------------------------------------------------------------------------------------
# the stance model
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StanceModel:
    """Multinomial logistic regression over standardised features: p(label | features)."""

    labels: tuple[str, ...]
    features: tuple[str, ...]
    coef: tuple[tuple[float, ...], ...]  # one row per label, one column per feature
    intercept: tuple[float, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def __post_init__(self) -> None:
        n, k = len(self.labels), len(self.features)
        if len(self.coef) != n or any(len(row) != k for row in self.coef) or len(self.intercept) != n \
                or len(self.mean) != k or len(self.scale) != k:
            raise ValueError(f"stance model shapes disagree: {n} labels x {k} features")

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Rows of raw features (in ``features`` order) -> logits, one column per label."""
        z = (np.asarray(x, dtype=np.float64) - np.asarray(self.mean)) / np.asarray(self.scale)
        return z @ np.asarray(self.coef).T + np.asarray(self.intercept)

    def proba_matrix(self, x: np.ndarray) -> np.ndarray:
        logits = self.logits(np.atleast_2d(x))
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def vector(self, feats: Mapping[str, float]) -> np.ndarray:
        return np.array([float(feats.get(f, 0.0)) for f in self.features])

    def predict_proba(self, feats: Mapping[str, float]) -> dict[str, float]:
        probs = self.proba_matrix(self.vector(feats))[0]
        return {label: float(p) for label, p in zip(self.labels, probs)}

    def predict(self, feats: Mapping[str, float]) -> str:
        probs = self.predict_proba(feats)
        return max(probs, key=probs.__getitem__)

    def to_json(self) -> dict[str, Any]:
        return {"labels": list(self.labels), "features": list(self.features),
                "coef": [[round(v, 6) for v in row] for row in self.coef],
                "intercept": [round(v, 6) for v in self.intercept],
                "mean": [round(v, 6) for v in self.mean], "scale": [round(v, 6) for v in self.scale]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StanceModel:
        return cls(tuple(data["labels"]), tuple(data["features"]), tuple(tuple(map(float, r)) for r in data["coef"]),
                   tuple(map(float, data["intercept"])), tuple(map(float, data["mean"])),
                   tuple(map(float, data["scale"])))


@dataclass(frozen=True)
class Params:
    """What the fit produced: verdict thresholds, the stance model and where they came from."""

    thresholds: Mapping[str, float]
    stance: StanceModel | None
    provenance: Mapping[str, Any] = field(default_factory=dict)
    digest: str = ""


def params_to_json(params: Params) -> dict[str, Any]:
    return {"thresholds": dict(params.thresholds), "stance": params.stance.to_json() if params.stance else None,
            "provenance": dict(params.provenance)}


def _digest(data: Mapping[str, Any]) -> str:
    """Of the thresholds and model only: re-running the fit with identical results keeps the digest."""
    core = {"thresholds": data.get("thresholds"), "stance": data.get("stance")}
    return hashlib.blake2b(json.dumps(core, sort_keys=True).encode(), digest_size=8).hexdigest()


def parse_params(data: Mapping[str, Any]) -> Params:
    thresholds = {**DEFAULT_THRESHOLDS, **{k: float(v) for k, v in (data.get("thresholds") or {}).items()}}
    stance = StanceModel.from_json(data["stance"]) if data.get("stance") else None
    return Params(thresholds, stance, dict(data.get("provenance") or {}), _digest(data))


@lru_cache(maxsize=8)
def _load(path: str) -> Params:
    return parse_params(json.loads(Path(path).read_text(encoding="utf-8")))


def load_params(path: str | Path | None = None) -> Params:
    """The fitted parameters: ``path``, else the packaged ``params.json``; read once per path."""
    return _load(str(Path(path) if path is not None else PARAMS_PATH))


def write_params(params_json: Mapping[str, Any], path: str | Path | None = None) -> Path:
    """Write params.json atomically (temp file + rename) and forget the cached copy."""
    target = Path(path) if path is not None else PARAMS_PATH
    tmp = target.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(params_json, indent=2) + "\n", encoding="utf-8")
    tmp.replace(target)
    _load.cache_clear()
    return target


# ---------------------------------------------------------------------------------------------
# fitting (offline; torch imported only here)
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


def rule_stance(feats: Mapping[str, float], support: float, contradict: float, weak_entail: float) -> str:
    """The thresholds as a rule over one claim's evidence: entailment first, then contradiction where
    entailment is weak, then any pair -> discuss, no pair -> unrelated."""
    if not feats.get("has_evidence"):
        return "unrelated"
    entail = max(feats["entail_as_hyp"], feats["entail_as_prem"])
    contra = max(feats["contra_as_hyp"], feats["contra_as_prem"])
    if entail >= support:
        return "agree"
    if contra >= contradict and entail < weak_entail:
        return "disagree"
    return "discuss"


# a verdict threshold below 0.5 would let a label win that is not even the most likely one (on FNC-1 the
# unconstrained optimum for contradiction is degenerate: the NLI model finds contradiction in unrelated pairs)
GRID: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(10, 20))
WEAK_GRID: tuple[float, ...] = (0.1, 0.2, 0.3, 0.5, 1.0)


def macro_f1_codes(gold: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    """Mean F1 over the classes present in gold, labels given as ints (fast enough for a grid search)."""
    matrix = np.bincount(gold * n_labels + pred, minlength=n_labels * n_labels).reshape(n_labels, n_labels)
    tp = np.diag(matrix).astype(float)
    denom = matrix.sum(axis=0) + matrix.sum(axis=1)
    f1 = np.divide(2 * tp, denom, out=np.zeros(n_labels), where=denom > 0)
    present = matrix.sum(axis=1) > 0
    return float(f1[present].mean()) if present.any() else 0.0


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
                score = macro_f1_codes(g, pred, len(STANCE_LABELS))
                if score > best[0] + 1e-12:
                    best = (score, {"support": support, "contradict": contradict, "weak_entail": weak})
    return best[1]
