"""The shipped NLI model and its training recipe (slow: loads weights / trains a few steps)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow
MODEL_DIR = ROOT / "models" / "verify-nli-minilm"
DATA_DIR = Path(os.environ.get("VERIFY_DATA_DIR", ROOT.parent / "shared" / "data"))

# (premise, hypothesis, expected label): easy, unambiguous pairs the shipped model must get right
REAL_PAIRS = [
    ("A man is playing a guitar on a stage in front of a crowd.", "A man is playing an instrument.", "entailment"),
    ("A woman is sleeping in her bed at night.", "A woman is running a marathon.", "contradiction"),
    ("A child is eating an apple in the park.", "The child likes apples more than pears.", "neutral"),
    ("Kim Jong Un visited the Liberation Tower in Pyongyang on Thursday.", "Kim Jong Un visited a tower in Pyongyang.", "entailment"),
    ("The Soviet Union declared war on Japan on August 8, 1945.", "The Soviet Union never declared war on Japan.", "contradiction"),
    ("Kim Jong Un paid tribute to Chinese soldiers at a memorial in Pyongyang.", "Kim Jong Un visited a memorial.", "entailment"),
    ("Putin and Kim signed a treaty with a mutual defense clause.", "Putin and Kim refused to sign any treaty.", "contradiction"),
    ("The tower was built in 1947.", "The tower is the tallest building in Pyongyang.", "neutral"),
]


def test_shipped_files():
    for name in ("config.json", "model.safetensors", "tokenizer.json", "README.md", "metrics.json"):
        assert (MODEL_DIR / name).exists(), name
    assert (MODEL_DIR / "model.safetensors").stat().st_size < 52 * 1024 * 1024
    config = json.loads((MODEL_DIR / "config.json").read_text())
    assert config["id2label"] == {"0": "entailment", "1": "neutral", "2": "contradiction"}
    metrics = json.loads((MODEL_DIR / "metrics.json").read_text())
    assert "snli_dev" in metrics["benchmarks"]


def test_loads_with_transformers_and_cross_encoder():
    import torch
    from sentence_transformers import CrossEncoder
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(MODEL_DIR)
    model = AutoModelForSequenceClassification.from_pretrained(MODEL_DIR, dtype=torch.float32).eval()
    enc = tok([p for p, _, _ in REAL_PAIRS], [h for _, h, _ in REAL_PAIRS], padding=True, return_tensors="pt")
    with torch.no_grad():
        hf_pred = model(**enc).logits.argmax(-1).tolist()
    ce = CrossEncoder(str(MODEL_DIR), device="cpu")
    ce_pred = ce.predict([(p, h) for p, h, _ in REAL_PAIRS]).argmax(-1).tolist()
    assert hf_pred == ce_pred


@pytest.fixture(scope="module")
def shipped_judge():
    from verify.nli import NLIJudge

    return NLIJudge("verify-nli-minilm", device="cpu")


@pytest.mark.parametrize("premise, hypothesis, label", REAL_PAIRS)
def test_real_pairs(shipped_judge, premise, hypothesis, label):
    (probs,) = shipped_judge.predict([(premise, hypothesis)])
    assert max(probs, key=probs.get) == label, probs


@pytest.mark.skipif(not (DATA_DIR / "nli").exists(), reason="training data (shared/data) not beside the checkout")
def test_training_smoke(tmp_path):
    spec = importlib.util.spec_from_file_location("train_nli", ROOT / "models" / "train_nli.py")
    train = importlib.util.module_from_spec(spec)
    sys.modules["train_nli"] = train  # dataclasses look their module up while the class is built
    spec.loader.exec_module(train)
    out = tmp_path / "model"
    rc = train.main(["--out", str(out), "--data-dir", str(DATA_DIR), "--limit", "256", "--dev-limit", "32",
                     "--eval-every", "128", "--max-len", "64", "--aug-max", "200", "--threads", "2", "--epochs", "1"])
    assert rc == 0
    meta = json.loads((out / "training.json").read_text())
    assert meta["pairs_seen"] == 256 and len(meta["curve"]) == 2
    card = (out / "README.md").read_text()
    assert "Learning curve" in card and "| 128 |" in card
    from verify.nli import NLIJudge

    probs = NLIJudge(str(out), device="cpu").predict([("a", "b")])
    assert set(probs[0]) == {"entailment", "neutral", "contradiction"}
    # resume from the checkpoint: nothing left to do, the same number of curve points
    assert train.main(["--out", str(out), "--data-dir", str(DATA_DIR), "--limit", "256", "--dev-limit", "32",
                       "--eval-every", "128", "--max-len", "64", "--aug-max", "200", "--epochs", "1", "--resume"]) == 0
    assert len(json.loads((out / "training.json").read_text())["curve"]) == 2


@pytest.mark.skipif(not (DATA_DIR / "nli").exists(), reason="evaluation data (shared/data) not beside the checkout")
def test_quick_suite_smoke_with_shipped_model(tmp_path):
    """`verify eval run` with the real model on two benchmarks: results validate against their schema."""
    from typer.testing import CliRunner

    from verify.cli import app
    from verify.evaluate import RunResults

    result = CliRunner().invoke(app, ["eval", "run", "--suite", "quick", "-b", "snli_dev", "-b", "value_edits",
                                      "--limit", "64", "--data-dir", str(DATA_DIR), "--out", str(tmp_path), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    results = RunResults.model_validate_json((tmp_path / "results.json").read_text())
    assert results.complete and set(results.benchmarks) == {"snli_dev", "value_edits"}
    assert results.benchmarks["snli_dev"].metrics["accuracy"] > 0.5  # far above chance (0.33)
