"""Plots and multi-model comparison: reliability bins by hand, PNG files, `eval run --plots/--compare`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from verify.errors import ConfigError
from verify.evaluation.benchmarks import Benchmark
from verify.evaluation.compare import Comparison, model_slug, parse_models
from verify.evaluation.evaluator import NLIEvaluator
from verify.evaluation.metrics import (
    CalibrationBin,
    calibration_error,
    expected_calibration_error,
    pool_bins,
    reliability_bins,
)
from verify.evaluation.plots import accuracy_png, confusion_png, reliability_png, write_run_plots
from verify.evaluation.results import RunResults
from verify.evaluation.suite import run_suite
from verify.models.fakes import KeywordNLI
from verify.registry import NLI_JUDGES

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
E, N, C = "entailment", "neutral", "contradiction"
ROWS = [  # KeywordNLI gets the first three right (0.85, 0.85, 0.8) and the last wrong (0.8 on neutral)
    {"premise": "A man is playing a guitar on stage.", "hypothesis": "A man is playing a guitar.", "label": "0"},
    {"premise": "A man is playing a guitar on stage.", "hypothesis": "A man is not playing a guitar.", "label": "2"},
    {"premise": "A dog runs in the park.", "hypothesis": "The weather is cold today.", "label": "1"},
    {"premise": "A woman reads a book.", "hypothesis": "Someone is reading.", "label": "0"},
]


def _benchmark(**overrides: object) -> Benchmark:
    base = dict(name="tiny", task="nli", files=["tiny.jsonl"], format="jsonl", label_map={"0": E, "1": N, "2": C},
                licence="test", use="ok", metadata={"version": 1},
                anchors=[{"system": "Paper", "score": 0.9, "metric": "accuracy", "source": "a paper"}])
    return Benchmark.model_validate({**base, **overrides})


def _data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "tiny.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    return data


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC


# --------------------------------------------------------------------------------------
# reliability bins, by hand
# --------------------------------------------------------------------------------------
def test_reliability_bins_on_five_samples():
    # (0.9, 1.0]: 0.95 right, 0.91 wrong -> n 2, acc 0.5, conf 0.93; (0.6, 0.7]: 0.62 right, 0.7 right -> n 2,
    # acc 1, conf 0.66; (0.5, 0.6]: 0.55 wrong -> n 1, acc 0, conf 0.55. Empty bins are left out.
    bins = reliability_bins([0.95, 0.91, 0.62, 0.7, 0.55], [True, False, True, True, False])
    assert [(b.lo, b.hi, b.n) for b in bins] == [(0.5, 0.6, 1), (0.6, 0.7, 2), (0.9, 1.0, 2)]
    assert [b.accuracy for b in bins] == [0.0, 1.0, 0.5]
    assert [b.confidence for b in bins] == pytest.approx([0.55, 0.66, 0.93])
    # ECE = 1/5 * 0.55 + 2/5 * 0.34 + 2/5 * 0.43, the same from the bins as from the samples
    assert calibration_error(bins) == pytest.approx(0.2 * 0.55 + 0.4 * 0.34 + 0.4 * 0.43)
    assert expected_calibration_error([0.95, 0.91, 0.62, 0.7, 0.55], [True, False, True, True, False]) == \
        pytest.approx(calibration_error(bins))


def test_reliability_bins_edges():
    assert [(b.lo, b.n) for b in reliability_bins([0.0, 1.0, 1.0000001], [False, True, True])] == [(0.0, 1), (0.9, 2)]
    assert reliability_bins([], []) == [] and calibration_error([]) == 0.0
    with pytest.raises(ValueError):
        reliability_bins([0.5], [])


def test_pool_bins_weights_by_count():
    a = [CalibrationBin(lo=0.9, hi=1.0, n=1, accuracy=1.0, confidence=0.95)]
    b = [CalibrationBin(lo=0.9, hi=1.0, n=3, accuracy=0.0, confidence=0.91),
         CalibrationBin(lo=0.5, hi=0.6, n=2, accuracy=0.5, confidence=0.55)]
    pooled = pool_bins([a, b])
    assert [(p.lo, p.n) for p in pooled] == [(0.5, 2), (0.9, 4)]
    assert pooled[1].accuracy == 0.25 and pooled[1].confidence == pytest.approx((0.95 + 3 * 0.91) / 4)


def test_evaluator_keeps_its_bins(tmp_path):
    result = NLIEvaluator.from_benchmark(_benchmark(), _data(tmp_path)).evaluate(KeywordNLI())
    assert [(b.lo, b.n, b.accuracy) for b in result.calibration] == [(0.7, 2, 0.5), (0.8, 2, 1.0)]
    assert calibration_error(result.calibration) == pytest.approx(result.metrics["ece"], abs=1e-4)


# --------------------------------------------------------------------------------------
# PNG files
# --------------------------------------------------------------------------------------
def test_each_plot_is_a_png(tmp_path):
    result = NLIEvaluator.from_benchmark(_benchmark(), _data(tmp_path)).evaluate(KeywordNLI())
    out = tmp_path / "plots"
    assert _is_png(confusion_png(result, out / "confusion_tiny.png"))
    assert _is_png(reliability_png({"tiny": result.calibration, "empty": []}, out / "reliability.png"))
    anchors = {"tiny": _benchmark().anchors}
    assert _is_png(accuracy_png({"a": {"tiny": 0.75, "other": 0.5}, "b": {"tiny": 0.6}}, out / "accuracy.png",
                                anchors=anchors))
    assert sorted(p.name for p in out.iterdir()) == ["accuracy.png", "confusion_tiny.png", "reliability.png"]


def test_write_run_plots_from_saved_results(tmp_path):
    data = _data(tmp_path)
    benches = [_benchmark(), _benchmark(name="two", label_map={"0": E, "1": "not_entailment", "2": "not_entailment"},
                                        two_class=True, anchors=[])]
    run_suite(benches, KeywordNLI(), tmp_path / "out", data_dir=data)
    saved = RunResults.model_validate_json((tmp_path / "out" / "results.json").read_text())
    assert saved.benchmarks["two"].calibration  # bins survive the JSON round trip
    paths = write_run_plots(saved, tmp_path / "out" / "plots")
    assert [p.name for p in paths] == ["confusion_tiny.png", "confusion_two.png", "reliability.png", "accuracy.png"]
    assert all(_is_png(p) for p in paths) and not list((tmp_path / "out" / "plots").glob(".*"))


# --------------------------------------------------------------------------------------
# model names -> folders
# --------------------------------------------------------------------------------------
def test_model_slugs_and_parse_models():
    assert model_slug("cross-encoder/nli-deberta-v3-base") == "cross-encoder-nli-deberta-v3-base"
    assert model_slug("../..") == "model"
    assert parse_models(" keyword, b ,keyword,") == {"keyword": "keyword", "b": "b"}
    with pytest.raises(ConfigError, match="both write to a-b/"):
        parse_models("a/b,a b")
    with pytest.raises(ConfigError, match="name the models"):
        parse_models(" , ")


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------


@pytest.fixture
def second_fake():
    """'keyword-b': a second fake judge that always answers neutral, registered for this test only."""

    class NeutralNLI(KeywordNLI):
        name = "keyword-b"

        def predict(self, texts, on_batch=None):
            return [{E: 0.2, N: 0.6, C: 0.2} for _ in texts]

    NLI_JUDGES.register("keyword-b", NeutralNLI)
    yield "keyword-b"
    NLI_JUDGES.unregister("keyword-b")


@pytest.fixture
def conjnli_data(tmp_path) -> Path:
    """The conjnli_dev benchmark's file, with three rows."""
    data = tmp_path / "data"
    path = data / "nli" / "conjnli" / "conjnli_conj_dev.tsv"
    path.parent.mkdir(parents=True)
    rows = [("Some kids sing and dance.", "Some kids sing.", "entailment"),
            ("A cat sleeps on the mat.", "A cat does not sleep on the mat.", "contradiction"),
            ("A dog runs and barks.", "The sky is green.", "neutral")]
    path.write_text("Premise\tHypothesis\tLabel\n" + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    return data


def test_cli_eval_run_writes_plots(cli, tmp_path, conjnli_data):
    out = tmp_path / "out"
    args = ["eval", "run", "-b", "conjnli_dev", "-b", "sick_test", "--model", "keyword", "--data-dir",
            str(conjnli_data), "--out", str(out), "--limit", "10"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["accuracy.png", "confusion_conjnli_dev.png",
                                                                 "reliability.png"]
    assert all(_is_png(p) for p in (out / "plots").iterdir())
    assert f"Wrote {out / 'plots' / 'accuracy.png'}" in result.stderr.replace("\n", "")

    plain = tmp_path / "plain"
    result = CliRunner().invoke(cli, [*args[:-4], "--out", str(plain), "--no-plots"])
    assert result.exit_code == 0, result.output
    assert (plain / "results.json").is_file() and not (plain / "plots").exists()


def test_cli_eval_run_compare(cli, tmp_path, conjnli_data, second_fake):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["eval", "run", "-b", "conjnli_dev", "--compare", f"keyword,{second_fake}",
                                      "--data-dir", str(conjnli_data), "--out", str(out), "--limit", "10"])
    assert result.exit_code == 0, result.output
    for folder in ("keyword", "keyword-b"):
        for name in ("results.json", "samples.jsonl", "results.md", "plots/accuracy.png", "plots/reliability.png",
                     "plots/confusion_conjnli_dev.png"):
            assert (out / folder / name).is_file(), f"{folder}/{name}"
    assert not (out / "results.json").exists()
    assert _is_png(out / "plots" / "accuracy.png") and _is_png(out / "plots" / "reliability.png")

    comparison = Comparison.model_validate_json((out / "comparison.json").read_text())
    assert comparison.complete and list(comparison.models) == ["keyword", "keyword-b"]
    assert comparison.models["keyword-b"].folder == "keyword-b"
    scores = comparison.benchmarks["conjnli_dev"]
    assert scores["keyword"]["accuracy"] == 1.0 and scores["keyword-b"]["accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    md = (out / "comparison.md").read_text()
    assert "| benchmark | n | keyword accuracy | keyword macro-F1 | keyword-b accuracy | keyword-b macro-F1 |" in md
    assert "| conjnli_dev | 3 | **100.0** | 100.0 | 33.3 |" in md
    assert "keyword-b" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--compare", "keyword", "--model", "keyword"], "pass one"),
    (["--compare", "keyword,nope-model-x"], "nope-model-x"),
])
def test_cli_compare_errors_are_one_line(cli, tmp_path, conjnli_data, args, message):
    result = CliRunner().invoke(cli, ["eval", "run", "-b", "conjnli_dev", "--data-dir", str(conjnli_data),
                                      "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output and message in result.output and "Traceback" not in result.output
