"""Stored NLI scores are keyed by the model's weights and temperature, never by its folder name alone."""

from __future__ import annotations

import json

from verify.config import Settings
from verify.pipeline.core import make_judge
from verify.models.runtime import weights_digest


def test_a_model_retrained_or_recalibrated_in_place_gets_a_new_score_key(tmp_path):
    model = tmp_path / "my-nli"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"id2label": {"0": "entailment", "1": "neutral", "2": "contradiction"}}))
    (model / "model.safetensors").write_bytes(b"weights v1" * 100)
    settings = Settings(nli_model=str(model), cache_dir=tmp_path / "cache")
    first = make_judge(settings).key
    (model / "calibration.json").write_text(json.dumps({"temperature": 1.5, "weights": weights_digest(str(model))}))
    calibrated = make_judge(settings).key
    (model / "model.safetensors").write_bytes(b"weights v2" * 100)  # retrained: the old temperature no longer applies
    retrained = make_judge(settings).key
    assert len({first, calibrated, retrained}) == 3
    assert "T1.5000" in calibrated and "T1.5" not in retrained
