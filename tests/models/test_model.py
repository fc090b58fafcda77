"""The shipped NLI model and its training recipe (slow: loads weights / trains a few steps)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

from ..conftest import ROOT

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
    from verify.models.nli import NLIJudge

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
    calibration = json.loads((out / "calibration.json").read_text())  # step 7: fitted on the saved weights
    assert 0.05 <= calibration["temperature"] <= 20 and meta["calibration"]["temperature"] == calibration["temperature"]
    fitted = calibration["sets"]["calibration"]
    assert fitted["after"]["nll"] <= fitted["before"]["nll"] + 1e-4  # T minimises NLL on the pairs it is fitted on
    card = (out / "README.md").read_text()
    assert "learning curve" in card.lower() and "| 128 |" in card
    from verify.models.nli import NLIJudge

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
    from verify.evaluation.results import RunResults

    result = CliRunner().invoke(app, ["eval", "run", "--suite", "quick", "-b", "snli_dev", "-b", "value_edits",
                                      "--limit", "64", "--data-dir", str(DATA_DIR), "--out", str(tmp_path), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    results = RunResults.model_validate_json((tmp_path / "results.json").read_text())
    assert results.complete and set(results.benchmarks) == {"snli_dev", "value_edits"}
    assert results.benchmarks["snli_dev"].metrics["accuracy"] > 0.5  # far above chance (0.33)


def _load_train_module():
    spec = importlib.util.spec_from_file_location("train_nli", ROOT / "models" / "train_nli.py")
    train = importlib.util.module_from_spec(spec)
    sys.modules["train_nli"] = train
    spec.loader.exec_module(train)
    return train


def test_shipped_temperature_matches_the_shipped_weights():
    """calibration.json belongs to these weights (else verify ignores it) and the judge applies it."""
    from verify.models.runtime import load_temperature, weights_digest

    info = json.loads((MODEL_DIR / "calibration.json").read_text())
    assert info["weights"] == weights_digest(str(MODEL_DIR))
    assert 0.5 < info["temperature"] < 3
    assert load_temperature(str(MODEL_DIR)) == info["temperature"]
    card = (MODEL_DIR / "README.md").read_text()
    assert f"T = {info['temperature']}" in card


@pytest.fixture
def tiny_model(tmp_path):
    """A randomly initialised 1-layer BERT classifier with the shipped tokenizer and labels (fast to run)."""
    import shutil

    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                        num_labels=3, id2label={0: "entailment", 1: "neutral", 2: "contradiction"},
                        label2id={"entailment": 0, "neutral": 1, "contradiction": 2})
    model = BertForSequenceClassification(config).eval()
    with torch.no_grad():  # spread the logits so that T visibly changes the probabilities
        model.classifier.weight.mul_(40.0)
        model.classifier.bias.copy_(torch.tensor([1.5, 0.0, -1.5]))
    out = tmp_path / "tiny"
    model.save_pretrained(out, safe_serialization=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(MODEL_DIR / name, out / name)
    return out, model


def test_temperature_is_applied(tiny_model):
    import numpy as np
    import torch
    from transformers import AutoTokenizer

    from verify.errors import ConfigError
    from verify.models.nli import NLIJudge
    from verify.models.runtime import CALIBRATION_FILE, weights_digest

    folder, model = tiny_model
    pairs = [(p, h) for p, h, _ in REAL_PAIRS]
    enc = AutoTokenizer.from_pretrained(folder)([p for p, _ in pairs], [h for _, h in pairs], padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(**enc).logits.numpy().astype(np.float64)

    def expected(t: float) -> np.ndarray:
        z = logits / t
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def probs(judge) -> np.ndarray:
        return np.array([[p["entailment"], p["neutral"], p["contradiction"]] for p in judge.predict(pairs)])

    plain = NLIJudge(str(folder), device="cpu", backend="torch")
    assert plain.temperature == 1.0
    np.testing.assert_allclose(probs(plain), expected(1.0), atol=2e-4)

    (folder / CALIBRATION_FILE).write_text(json.dumps({"temperature": 2.5, "weights": weights_digest(str(folder))}))
    warm = NLIJudge(str(folder), device="cpu", backend="torch")
    assert warm.temperature == 2.5
    got = probs(warm)
    np.testing.assert_allclose(got, expected(2.5), atol=2e-4)
    assert (got.argmax(1) == probs(plain).argmax(1)).all()  # the argmax never changes ...
    assert (got.max(1) < probs(plain).max(1)).all()  # ... but T > 1 lowers every top probability
    assert warm.resolved.revision != plain.resolved.revision  # cached scores of T = 1 are not reused

    (folder / CALIBRATION_FILE).write_text(json.dumps({"temperature": 0.5, "weights": weights_digest(str(folder))}))
    sharp = probs(NLIJudge(str(folder), device="cpu", backend="torch"))
    np.testing.assert_allclose(sharp, expected(0.5), atol=2e-4)

    # a temperature fitted for other weights is ignored; a nonsensical one is refused
    (folder / CALIBRATION_FILE).write_text(json.dumps({"temperature": 2.5, "weights": "0123456789abcdef"}))
    assert NLIJudge(str(folder), device="cpu", backend="torch").temperature == 1.0
    (folder / CALIBRATION_FILE).write_text(json.dumps({"temperature": -1}))
    with pytest.raises(ConfigError):
        NLIJudge(str(folder), device="cpu", backend="torch")


def test_fit_temperature_recovers_a_known_temperature():
    """Labels drawn from softmax(z / 2): the fitted T is close to 2, and it lowers the NLL."""
    import numpy as np

    train = _load_train_module()
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, size=(20000, 3))
    p = np.exp(z / 2) / np.exp(z / 2).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(3, p=row) for row in p])
    t = train.fit_temperature(z, labels)
    assert abs(t - 2.0) < 0.1
    assert train.nll(z, labels, t) < train.nll(z, labels, 1.0)


@pytest.mark.skipif(not (DATA_DIR / "nli").exists(), reason="training data (shared/data) not beside the checkout")
def test_stage2_data_is_deduplicated():
    """The new SNLI pairs never repeat an eval-suite row, a calibration pair, a holdout premise or stage 1 data."""
    train = _load_train_module()
    stage1, dev, _ = train.build_data(DATA_DIR, 13, 200, None)
    pairs, mix, report = train.continuation_data(DATA_DIR, 13, stage1, dev, True, 0, 1000)
    new = [p for p in pairs if p.source == "snli_train"]
    assert len(pairs) == len(new) + 1000 and mix["snli_train"]["pairs"] == len(new)
    assert report["dropped"]["in stage 1 data"] >= 183  # the CAD overlap named in SOURCES.md
    held = train.eval_suite_keys(DATA_DIR)[0] | {train.norm_key(p.premise, p.hypothesis) for p in train.calibration_pairs(DATA_DIR, 13, set())}
    holdout_premises = {train.norm_key(p.premise, "")[0] for p in dev["snli_dev"]}
    old = {train.norm_key(p.premise, p.hypothesis) for p in stage1}
    keys = [train.norm_key(p.premise, p.hypothesis) for p in new]
    assert len(set(keys)) == len(keys)
    assert not any(k in held or k in old or k[0] in holdout_premises for k in keys)


@pytest.mark.skipif(not (DATA_DIR / "news" / "fnc1").exists(), reason="FNC-1 (shared/data/news) not beside the checkout")
def test_fnc1_pairs_follow_the_labelling_rules():
    import random

    train = _load_train_module()
    pairs, counts = train.load_fnc1(DATA_DIR, random.Random(0), 10**6)
    assert counts["discuss_skipped"] > 0 and counts["entailment"] > 100 and counts["contradiction"] > 10
    assert counts["neutral"] <= counts["entailment"] + counts["contradiction"]
    for p in pairs:
        words = train.content_words(p.hypothesis)
        overlap = len(words & train.content_words(p.premise)) / len(words)
        if p.label == "entailment":
            assert overlap >= train.FNC1_AGREE_MIN
        elif p.label == "contradiction":
            assert overlap >= train.FNC1_DISAGREE_MIN and train.REFUTE_CUE.search(p.premise)
        else:
            assert overlap < train.FNC1_UNRELATED_MAX


def _tiny_member(folder: Path, seed: int) -> Path:
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=64, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16, num_labels=3)
    BertForSequenceClassification(config).half().save_pretrained(folder, safe_serialization=True)
    (folder / "training.json").write_text(json.dumps({"hyperparameters": {"seed": seed}, "curve": [{"step": seed}],
                                                      "calibration": {"temperature": 2.0}}))
    return folder


def test_soup_is_the_uniform_average_of_its_members(tmp_path):
    import torch
    from safetensors.torch import load_file

    train = _load_train_module()
    members = [_tiny_member(tmp_path / f"m{seed}", seed) for seed in (1, 2, 3)]
    train.soup(tmp_path / "soup", members)
    got = load_file(tmp_path / "soup" / "model.safetensors")
    states = [load_file(m / "model.safetensors") for m in members]
    assert got.keys() == states[0].keys()
    for key, value in got.items():
        assert value.dtype == torch.float16
        want = sum(s[key].float() for s in states) / 3
        assert torch.allclose(value.float(), want, atol=1e-3), key
    meta = json.loads((tmp_path / "soup" / "training.json").read_text())
    assert meta["soup"]["member_seeds"] == [1, 2, 3] and "calibration" not in meta  # the soup fits its own
    assert (tmp_path / "soup" / "config.json").exists()


def test_soup_refuses_members_of_different_shapes(tmp_path):
    train = _load_train_module()
    small = _tiny_member(tmp_path / "a", 1)
    other = tmp_path / "b"
    _tiny_member(other, 2)
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    BertForSequenceClassification(BertConfig(vocab_size=64, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                                             intermediate_size=16, num_labels=3)).save_pretrained(other, safe_serialization=True)
    with pytest.raises(SystemExit, match="different weights"):
        train.soup(tmp_path / "soup", [small, other])
    assert torch.cuda.is_available() or train.pick_device("auto").type == "cpu"


def test_pick_device_names_the_fix_without_cuda():
    import torch

    train = _load_train_module()
    assert train.pick_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit, match="--device cpu"):
            train.pick_device("cuda")
