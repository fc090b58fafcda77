"""Cache keys: stored scores and vectors are keyed by the model's weights (and temperature), stored claims and
verdicts by the declared versions of the code and the digests of the loaded data, never by source files."""

from __future__ import annotations

import json

from verify import extract, ingest, verdict
from verify.config import Settings
from verify.extract.claims import extractor_version
from verify.knowledge import load_knowledge
from verify.models.fakes import HashEmbedder
from verify.models.resolve import Resolved
from verify.models.runtime import weights_digest
from verify.nlp import NLP
from verify.pipeline.caches import core_version, scores_key, vectors_key
from verify.pipeline.core import make_judge
from verify.verdict.aggregate import Aggregator


def test_a_model_retrained_or_recalibrated_in_place_gets_a_new_score_key(tmp_path):
    model = tmp_path / "my-nli"
    model.mkdir()
    (model / "config.json").write_text(json.dumps({"id2label": {"0": "entailment", "1": "neutral", "2": "contradiction"}}))
    (model / "model.safetensors").write_bytes(b"weights v1" * 100)
    settings = Settings(nli_model=str(model), cache_dir=tmp_path / "cache")
    first = scores_key(make_judge(settings))
    (model / "calibration.json").write_text(json.dumps({"temperature": 1.5, "weights": weights_digest(str(model))}))
    calibrated = scores_key(make_judge(settings))
    (model / "model.safetensors").write_bytes(b"weights v2" * 100)  # retrained: the old temperature no longer applies
    retrained = scores_key(make_judge(settings))
    assert len({first, calibrated, retrained}) == 3
    assert "T1.5000" in calibrated and "T1.5" not in retrained


def test_vectors_are_keyed_by_the_embedding_weights(tmp_path):
    class Local(HashEmbedder):
        name = "my-embedder"

    model = tmp_path / "emb"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"v1" * 100)
    embedder = Local()
    embedder.resolved = Resolved("my-embedder", str(model), "local", "path")
    before = vectors_key(embedder)
    (model / "model.safetensors").write_bytes(b"v2" * 100)  # replaced in place under the same name
    assert vectors_key(embedder) != before and before.startswith("my-embedder@local+")
    assert vectors_key(HashEmbedder()) == "hash"


def test_claim_and_verdict_keys_follow_the_declared_versions(monkeypatch):
    knowledge, nlp = load_knowledge(("default",)), NLP()
    claims, rules, core = extractor_version(knowledge, nlp), Aggregator(knowledge=knowledge).key(), core_version(knowledge, nlp)
    assert extractor_version(knowledge, nlp) == claims  # stable while nothing changes
    monkeypatch.setattr(verdict, "VERSION", verdict.VERSION + "+test")
    assert extractor_version(knowledge, nlp) == claims  # the verdict code does not touch stored claims ...
    assert Aggregator(knowledge=knowledge).key() != rules and core_version(knowledge, nlp) != core  # ... but verdicts
    monkeypatch.setattr(ingest, "VERSION", ingest.VERSION + "+test")
    assert extractor_version(knowledge, nlp) != claims
    monkeypatch.undo()
    monkeypatch.setattr(extract, "VERSION", extract.VERSION + "+test")
    assert extractor_version(knowledge, nlp) != claims and Aggregator(knowledge=knowledge).key() != rules


def test_claim_keys_follow_the_loaded_knowledge():
    nlp = NLP()
    assert extractor_version(load_knowledge(("default",)), nlp) != extractor_version(load_knowledge(("default", "korea")), nlp)
