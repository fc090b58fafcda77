"""The fitted verdict parameters: thresholds, the stance model (a multinomial logistic regression evaluated with
numpy only) and their provenance, shipped as ``verify/verdict/params.json`` and read by `load_params()`.
The fit itself runs offline (``verify eval fit``, `verify.evaluation.fit`) on real news, never on the seeds."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

PARAMS_PATH = Path(__file__).resolve().parent / "params.json"
STANCE_LABELS: tuple[str, ...] = ("agree", "disagree", "discuss", "unrelated")
# the defaults the pipeline used before any fit (verify.config.Settings), and the weak-entailment cut
DEFAULT_THRESHOLDS: dict[str, float] = {"support": 0.6, "contradict": 0.6, "weak_entail": 0.3,
                                        "same_fact_similarity": 0.6}


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


def forget_params() -> None:
    """Drop the parameters read so far, so the next `load_params` reads the files again (after a fit rewrote one)."""
    _load.cache_clear()
