"""The evaluation suite: metrics against hand-computed cases, readers, benchmark YAML, results, CLI."""

from __future__ import annotations

import json
import random
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from verify.errors import ConfigError, InputError
from verify.evaluation.benchmarks import (
    Benchmark,
    Example,
    Holdout,
    benchmarks_dir,
    holdout_rows,
    label_lookup,
    load_benchmark,
    load_benchmarks,
    load_examples,
    map_label,
    parse_label_map,
    select_benchmarks,
    subsample,
)
from verify.evaluation.evaluator import NLIEvaluator, decide, evaluate_file
from verify.evaluation.metrics import accuracy, confusion, expected_calibration_error, macro_f1, precision_recall_f1
from verify.evaluation.results import RunResults
from verify.evaluation.suite import run_suite
from verify.models.fakes import KeywordNLI

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
E, N, C = "entailment", "neutral", "contradiction"

# KeywordNLI: overlap > 0.7 -> entailment; negation mismatch with overlap -> contradiction; else neutral.
ROWS = [
    ("A man is playing a guitar on stage.", "A man is playing a guitar.", "0"),
    ("A man is playing a guitar on stage.", "A man is not playing a guitar.", "2"),
    ("A dog runs in the park.", "The weather is cold today.", "1"),
    ("Two kids eat lunch outside.", "Two kids eat lunch.", "-"),  # unknown label: skipped
]
LABEL_MAP = {"0": E, "1": N, "2": C}


def _benchmark(**overrides: object) -> Benchmark:
    base = dict(name="tiny", task="nli", files=["tiny.jsonl"], format="jsonl", label_map=LABEL_MAP, licence="test",
                use="ok", metadata={"version": 1})
    return Benchmark.model_validate({**base, **overrides})


def _write_jsonl(path: Path, rows=ROWS, keys=("premise", "hypothesis", "label")) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(dict(zip(keys, r))) + "\n" for r in rows), encoding="utf-8")
    return path


def _write_delimited(path: Path, sep: str, rows=ROWS) -> Path:
    lines = [sep.join(("premise", "hypothesis", "label"))] + [sep.join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------
# metric functions, by hand
# --------------------------------------------------------------------------------------
def test_accuracy_counts_exact_matches():
    assert accuracy([E, N, C, E], [E, N, E, C]) == 0.5
    assert accuracy([], []) == 0.0
    with pytest.raises(ValueError):
        accuracy([E], [])


def test_macro_f1_counts_a_class_never_predicted_as_zero():
    gold, pred = [E, E, N, C], [E, E, N, N]
    # entailment: P 1, R 1, F1 1; neutral: P 1/2, R 1, F1 2/3; contradiction: never predicted -> 0
    assert precision_recall_f1(gold, pred, N) == pytest.approx((0.5, 1.0, 2 / 3))
    assert precision_recall_f1(gold, pred, C) == (0.0, 0.0, 0.0)
    assert macro_f1(gold, pred, [E, N, C]) == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert macro_f1(gold, pred, [E, N]) == pytest.approx((1 + 2 / 3) / 2)


def test_confusion_rows_are_gold_columns_predicted():
    matrix = confusion([E, E, N, C, C], [E, N, N, E, C], [E, N, C])
    assert matrix == {E: {E: 1, N: 1, C: 0}, N: {E: 0, N: 1, C: 0}, C: {E: 1, N: 0, C: 1}}


def test_ece_on_four_samples():
    # bin (0.9, 1.0]: 0.95 right, 0.91 wrong -> acc 0.5, conf 0.93, gap 0.43, weight 2/4
    # bin (0.6, 0.7]: 0.62 right -> gap 0.38, weight 1/4; bin (0.5, 0.6]: 0.55 wrong -> gap 0.55, weight 1/4
    ece = expected_calibration_error([0.95, 0.91, 0.62, 0.55], [True, False, True, False])
    assert ece == pytest.approx(0.5 * 0.43 + 0.25 * 0.38 + 0.25 * 0.55)
    assert expected_calibration_error([1.0, 1.0], [True, True]) == 0.0
    assert expected_calibration_error([0.7], [True]) == pytest.approx(0.3)  # 0.7 sits in (0.6, 0.7]
    assert expected_calibration_error([], []) == 0.0


def test_two_class_collapses_probabilities_before_the_argmax():
    probs = {E: 0.4, N: 0.3, C: 0.3}
    assert decide(probs, two_class=False)[:2] == (E, 0.4)
    label, conf, used = decide(probs, two_class=True)
    assert (label, used) == ("not_entailment", {E: 0.4, "not_entailment": pytest.approx(0.6)})
    assert conf == pytest.approx(0.6)


def test_evaluator_checks_lengths_and_labels():
    with pytest.raises(ValueError, match="2 pairs but 1 labels"):
        NLIEvaluator([("a", "b"), ("c", "d")], [E])
    with pytest.raises(ValueError, match="not among"):
        NLIEvaluator([("a", "b")], ["not_entailment"])


def test_evaluator_returns_flat_metrics_with_primary_metric():
    pairs = [(p, h) for p, h, _ in ROWS[:3]]
    metrics = NLIEvaluator(pairs, [E, C, N], name="t")(KeywordNLI())
    assert metrics["primary_metric"] == "accuracy"
    assert metrics["accuracy"] == 1.0 and metrics["macro_f1"] == 1.0 and metrics["n"] == 3
    assert {"f1_contradiction", "precision_neutral", "recall_entailment", "ece", "pairs_per_s"} <= set(metrics)
    assert all(isinstance(v, float) for k, v in metrics.items() if k != "primary_metric")
    assert NLIEvaluator([], [])(KeywordNLI())["n"] == 0


def test_evaluator_rejects_a_judge_that_drops_answers():
    class Short:
        def predict(self, texts, on_batch=None):
            return []

    with pytest.raises(Exception, match="returned 0 answers for 1 pairs"):
        NLIEvaluator([("a", "b")], [E]).evaluate(Short())


# --------------------------------------------------------------------------------------
# label maps
# --------------------------------------------------------------------------------------
def test_label_map_accepts_string_and_int_keys():
    assert _benchmark(label_map={0: E, 1: N, 2: C}).label_map == LABEL_MAP
    lookup = label_lookup({"0": E, "SUPPORTS": E})
    assert map_label(0, lookup) == E and map_label(" 0 ", lookup) == E
    assert map_label("supports", lookup) == E  # case-folded fallback
    assert map_label("-", lookup) is None and map_label(None, lookup) is None


def test_unknown_labels_are_skipped_and_counted(tmp_path):
    _write_jsonl(tmp_path / "tiny.jsonl")
    loaded = load_examples(_benchmark(), tmp_path)
    assert [e.gold for e in loaded.examples] == [E, C, N]
    assert loaded.skipped == {"label '-'": 1}


def test_no_usable_rows_names_the_fix(tmp_path):
    _write_jsonl(tmp_path / "tiny.jsonl")
    with pytest.raises(InputError, match="--label-map"):
        load_examples(_benchmark(label_map={"yes": E}), tmp_path)
    with pytest.raises(InputError, match="no field 'sentence1'"):
        load_examples(_benchmark(premise_field="sentence1"), tmp_path)


def test_parse_label_map():
    assert parse_label_map("0=entailment, 1=neutral,2=Contradiction") == LABEL_MAP
    with pytest.raises(ConfigError, match="RAW=LABEL"):
        parse_label_map("0=yes")


# --------------------------------------------------------------------------------------
# file formats
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["jsonl", "tsv", "csv"])
def test_each_format_reads_the_same_rows(tmp_path, fmt):
    path = tmp_path / f"tiny.{fmt}"
    if fmt == "jsonl":
        _write_jsonl(path)
    else:
        _write_delimited(path, "\t" if fmt == "tsv" else ",")
    result = evaluate_file(path, KeywordNLI(), label_map=LABEL_MAP)
    assert [p.example.gold for p in result.predictions] == [E, C, N]
    assert result.metrics["accuracy"] == 1.0 and result.skipped == {"label '-'": 1}


def test_tsv_keeps_stray_quotes_as_text(tmp_path):
    path = tmp_path / "q.tsv"
    path.write_text('\ufeffpremise\thypothesis\tlabel\n"He said ""no\tHe spoke.\tentailment\n', encoding="utf-8")
    result = evaluate_file(path, KeywordNLI())
    assert result.predictions[0].example.premise == '"He said ""no'


def test_zip_member(tmp_path):
    archive = tmp_path / "sets.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(_write_jsonl(tmp_path / "tiny.jsonl"), "data/tiny.jsonl")
    bench = _benchmark(files=["sets.zip:data/tiny.jsonl"])
    assert len(load_examples(bench, tmp_path).examples) == 3
    assert evaluate_file(f"{archive}:data/tiny.jsonl", KeywordNLI(), label_map=LABEL_MAP).metrics["n"] == 3
    with pytest.raises(InputError, match="no member"):
        load_examples(_benchmark(files=["sets.zip:nope.jsonl"]), tmp_path)


def test_globs_read_files_in_sorted_order(tmp_path):
    _write_jsonl(tmp_path / "b_2.jsonl", ROWS[1:2])
    _write_jsonl(tmp_path / "b_1.jsonl", ROWS[:1])
    assert [e.gold for e in load_examples(_benchmark(files=["b_*.jsonl"]), tmp_path).examples] == [E, C]


def test_missing_data_is_one_line_naming_path_and_flag(tmp_path):
    with pytest.raises(InputError) as info:
        load_examples(_benchmark(), tmp_path)
    message = str(info.value)
    assert str(tmp_path / "tiny.jsonl") in message and "--data-dir" in message and "\n" not in message


def test_two_class_benchmark(tmp_path):
    rows = [("A man is playing a guitar on stage.", "A man is playing a guitar.", "0"),
            ("A dog runs in the park.", "The weather is cold today.", "1"),
            ("A man is playing a guitar on stage.", "A man is not playing a guitar.", "1")]
    _write_jsonl(tmp_path / "tiny.jsonl", rows)
    bench = _benchmark(label_map={0: E, 1: "not_entailment"}, two_class=True)
    result = NLIEvaluator.from_benchmark(bench, tmp_path).evaluate(KeywordNLI())
    assert [p.pred for p in result.predictions] == [E, "not_entailment", "not_entailment"]
    assert result.metrics["accuracy"] == 1.0 and result.outputs == (E, "not_entailment")
    with pytest.raises(ValueError, match="two_class"):
        _benchmark(label_map={0: E, 1: "not_entailment"})


def test_generic_file_detects_two_class(tmp_path):
    path = _write_jsonl(tmp_path / "rte.jsonl", [("A b c.", "A b c.", "entailment"), ("A.", "Z.", "not_entailment")])
    assert evaluate_file(path, KeywordNLI()).outputs == (E, "not_entailment")


# --------------------------------------------------------------------------------------
# holdout, limits, flatten, hooks, include
# --------------------------------------------------------------------------------------
def test_holdout_is_a_seeded_shuffle_prefix():
    examples = [Example(f"p{i}", f"h{i}", E, i) for i in range(50)]
    expected = list(examples)
    random.Random(13).shuffle(expected)
    assert holdout_rows(examples, Holdout(seed=13, size=10)) == expected[:10]


@pytest.mark.skipif(not (DATA / "nli" / "snli_validation.jsonl").exists(), reason="shared data not present")
def test_snli_holdout_matches_the_training_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_nli_for_test", ROOT / "models" / "train_nli.py")
    train = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = train
    try:
        spec.loader.exec_module(train)
        snli = train.load_pairs(DATA, "snli_val", train.SNLI_VALIDATION, "jsonl", "premise", "hypothesis", "label",
                                train.SNLI_INT)
    finally:
        sys.modules.pop(spec.name, None)
    random.Random(13).shuffle(snli)
    ours = load_examples(load_benchmarks()["snli_dev"], DATA).examples
    theirs = [(p.premise, p.hypothesis, p.label) for p in snli[:2000]]
    assert [(e.premise, e.hypothesis, e.gold) for e in ours] == theirs


def test_limit_is_a_stable_subset_in_file_order():
    examples = [Example(f"p{i}", f"h{i}", E, i) for i in range(100)]
    picked = subsample(examples, 10)
    assert len(picked) == 10 and picked == subsample(examples, 10)
    assert [e.row for e in picked] == sorted(e.row for e in picked)
    assert subsample(examples, None) == examples


def test_flatten_gives_one_row_per_nested_item(tmp_path):
    claim = {"claim": "Polar bears are in decline.", "claim_label": "SUPPORTS", "evidences": [
        {"evidence": "Polar bears are in decline.", "evidence_label": "SUPPORTS"},
        {"evidence": "Bees like warm weather.", "evidence_label": "NOT_ENOUGH_INFO"},
        {"evidence": "Polar bears are not in decline.", "evidence_label": "DISPUTED"},
    ]}
    (tmp_path / "cf.jsonl").write_text(json.dumps(claim) + "\n", encoding="utf-8")
    bench = _benchmark(files=["cf.jsonl"], flatten="evidences", premise_field="evidence", hypothesis_field="claim",
                       label_field="evidence_label", label_map={"SUPPORTS": E, "NOT_ENOUGH_INFO": N, "REFUTES": C})
    loaded = load_examples(bench, tmp_path)
    assert [(e.premise, e.gold, e.row) for e in loaded.examples] == [
        ("Polar bears are in decline.", E, 0), ("Bees like warm weather.", N, 1)]
    assert loaded.skipped == {"label 'DISPUTED'": 1}


def test_process_rows_hook_is_imported_lazily(tmp_path, monkeypatch):
    (tmp_path / "eval_hooks_for_test.py").write_text(
        "def swap(rows):\n"
        "    for r in rows:\n"
        "        yield {**r, 'premise': r['hypothesis'], 'hypothesis': r['premise']}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    _write_jsonl(tmp_path / "tiny.jsonl")
    loaded = load_examples(_benchmark(process_rows="eval_hooks_for_test:swap"), tmp_path)
    assert loaded.examples[0].premise == ROWS[0][1]
    with pytest.raises(ConfigError, match="cannot import"):
        load_examples(_benchmark(process_rows="eval_hooks_for_test:nope"), tmp_path)


def test_include_merges_a_base_file(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "name: base\ntask: nli\nfiles: a.jsonl\nformat: jsonl\nlabel_map: {0: entailment}\n"
        "licence: test\nuse: eval\nmetadata: {version: 2}\n")
    (tmp_path / "variant.yaml").write_text("include: base.yaml\nname: variant\nfiles: [b.jsonl]\n")
    bench = load_benchmark(tmp_path / "variant.yaml")
    assert (bench.name, bench.files, bench.use, bench.label_map) == ("variant", ["b.jsonl"], "eval", {"0": E})


def test_bad_yaml_is_one_config_error(tmp_path):
    (tmp_path / "bad.yaml").write_text("name: bad\ntask: nli\nfiles: a.jsonl\nformat: xml\ncolour: red\n")
    with pytest.raises(ConfigError) as info:
        load_benchmark(tmp_path / "bad.yaml")
    assert "format" in str(info.value) and "colour" in str(info.value) and "\n" not in str(info.value)
    (tmp_path / "loop.yaml").write_text("include: loop.yaml\n")
    with pytest.raises(ConfigError, match="cycle"):
        load_benchmark(tmp_path / "loop.yaml")


# --------------------------------------------------------------------------------------
# the shipped benchmark files
# --------------------------------------------------------------------------------------
def test_every_shipped_benchmark_validates():
    benchmarks = load_benchmarks()
    stems = {p.stem for p in benchmarks_dir().glob("*.yaml") if not p.name.startswith("_")}
    assert set(benchmarks) == stems
    assert {"snli_dev", "lingnli_val", "te_val", "scitail_dev", "sick_test", "anli_r1", "anli_r2", "xnli_en",
            "conjnli_dev", "fever_symmetric", "healthver", "climate_fever"} <= stems
    assert benchmarks["snli_dev"].holdout == Holdout(seed=13, size=2000)
    assert benchmarks["scitail_dev"].two_class
    r1, r2 = benchmarks["anli_r1"], benchmarks["anli_r2"]
    assert r2.licence == r1.licence and r2.files != r1.files and r2.name == "anli_r2"
    assert all(b.use == "eval" for n, b in benchmarks.items() if "NC" in b.licence)


def test_unknown_benchmark_gets_did_you_mean():
    with pytest.raises(Exception, match="did you mean 'snli_dev'"):
        select_benchmarks(load_benchmarks(), ["snli_de"])


# --------------------------------------------------------------------------------------
# run_suite and results files
# --------------------------------------------------------------------------------------
def test_run_suite_writes_valid_results(tmp_path):
    _write_jsonl(tmp_path / "data" / "tiny.jsonl")
    benches = [_benchmark(anchors=[{"system": "X | Y", "score": 0.9, "metric": "accuracy", "source": "a paper"}]),
               _benchmark(name="absent", files=["absent.jsonl"])]
    skipped: list[str] = []
    results = run_suite(benches, KeywordNLI(), tmp_path / "out", data_dir=tmp_path / "data", quick=True,
                        on_skip=lambda name, why: skipped.append(name))
    assert skipped == ["absent"] and results.complete
    saved = RunResults.model_validate_json((tmp_path / "out" / "results.json").read_text())
    assert saved.schema_version == "1.0" and saved.model.name == "keyword" and saved.complete
    assert saved.benchmarks["tiny"].metrics["accuracy"] == 1.0 and "absent" in saved.skipped
    assert set(saved.versions) >= {"torch", "transformers", "verify"}
    samples = [json.loads(line) for line in (tmp_path / "out" / "samples.jsonl").read_text().splitlines()]
    assert [s["index"] for s in samples] == [0, 1, 2]
    assert set(samples[0]) == {"benchmark", "index", "premise", "hypothesis", "gold", "pred", "probs"}
    md = (tmp_path / "out" / "results.md").read_text()
    assert "| benchmark | n | accuracy | macro-F1 | ECE | pairs/s | anchors |" in md
    assert "| tiny | 3 | 100.0 |" in md and "X \\| Y 90.0" in md


def test_interrupted_suite_keeps_finished_benchmarks(tmp_path):
    _write_jsonl(tmp_path / "tiny.jsonl")

    class Flaky(KeywordNLI):
        calls = 0

        def predict(self, texts, on_batch=None):
            Flaky.calls += 1
            if Flaky.calls == 2:
                raise KeyboardInterrupt
            return super().predict(texts, on_batch)

    with pytest.raises(KeyboardInterrupt):
        run_suite([_benchmark(), _benchmark(name="second")], Flaky(), tmp_path / "out", data_dir=tmp_path)
    saved = RunResults.model_validate_json((tmp_path / "out" / "results.json").read_text())
    assert list(saved.benchmarks) == ["tiny"] and not saved.complete
    assert not list((tmp_path / "out").glob(".*.tmp"))


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------


def test_cli_eval_nli_json(cli, tmp_path):
    path = _write_jsonl(tmp_path / "tiny.jsonl")
    result = CliRunner().invoke(cli, ["eval", "nli", "--data", str(path), "--model", "keyword", "--json",
                                      "--label-map", "0=entailment,1=neutral,2=contradiction"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["metrics"]["accuracy"] == 1.0 and payload["primary_metric"] == "accuracy"
    assert payload["skipped_rows"] == {"label '-'": 1}


@pytest.mark.parametrize("args", [
    ["eval", "nli", "--data", "nowhere/missing.jsonl", "--model", "keyword"],
    ["eval", "run", "--benchmark", "snli_de", "--model", "keyword"],
])
def test_cli_errors_are_one_line(cli, args):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "Error:" in result.output and "Traceback" not in result.output


def test_cli_eval_run_skips_missing_data(cli, tmp_path):
    data = tmp_path / "data"
    rows = [("Some kids sing and dance.", "Some kids sing.", "entailment"),
            ("A cat sleeps.", "A cat is not asleep.", "contradiction")]
    path = data / "nli" / "conjnli" / "conjnli_conj_dev.tsv"
    path.parent.mkdir(parents=True)
    path.write_text("Premise\tHypothesis\tLabel\n" + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["eval", "run", "-b", "conjnli_dev", "-b", "sick_test", "--model", "keyword",
                                      "--data-dir", str(data), "--out", str(out), "--limit", "50"])
    assert result.exit_code == 0, result.output
    assert "skipped sick_test" in result.stderr and "conjnli_dev" in result.stdout
    saved = RunResults.model_validate_json((out / "results.json").read_text())
    assert saved.benchmarks["conjnli_dev"].metrics["n"] == 2 and "sick_test" in saved.skipped


def test_cli_eval_list_json(cli, tmp_path):
    result = CliRunner().invoke(cli, ["eval", "list", "--json", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["name"] for r in rows} >= {"snli_dev", "sick_test"} and all(r["files"] is None for r in rows)


def test_cli_eval_run_with_no_data_at_all_is_an_error(cli, tmp_path):
    result = CliRunner().invoke(cli, ["eval", "run", "-b", "snli_dev", "--model", "keyword",
                                      "--data-dir", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "no benchmark data" in result.output and "Traceback" not in result.output
    assert "snli_dev" in RunResults.model_validate_json((tmp_path / "out" / "results.json").read_text()).skipped


def test_accuracy_over_gold_labels_only_for_two_label_sets():

    class Stub:
        def predict(self, texts, on_batch=None):
            # neutral wins the 3-way argmax, but entailment beats contradiction
            return [{"entailment": 0.3, "neutral": 0.5, "contradiction": 0.2} for _ in texts]

    ev = NLIEvaluator([("p", "h"), ("p", "h2")], ["entailment", "contradiction"], classes=["entailment", "contradiction"])
    metrics = ev.evaluate(Stub()).metrics
    assert metrics["accuracy"] == 0.0 and metrics["accuracy_gold_labels"] == 0.5
    three = NLIEvaluator([("p", "h")], ["neutral"], classes=["entailment", "neutral", "contradiction"])
    assert "accuracy_gold_labels" not in three.evaluate(Stub()).metrics


def test_claim_evidence_sets_are_also_scored_through_the_verdict_logic():
    from verify.models.fakes import KeywordNLI

    pairs = [("The USSR declared war on Japan on Aug 8, 1945.", "The USSR declared war on Japan on Aug 9, 1945."),
             ("The USSR declared war on Japan on Aug 8, 1945.", "The USSR declared war on Japan on Aug 8, 1945.")]
    ev = NLIEvaluator(pairs, ["contradiction", "entailment"], classes=["entailment", "contradiction"], verdicts=True)
    metrics = ev.evaluate(KeywordNLI()).metrics
    assert metrics["accuracy"] == 0.5  # the keyword fake sees word overlap only: entailment twice
    assert metrics["verdict_accuracy"] == 1.0  # the date check turns the first into a contradiction
    assert "verdict_accuracy" not in NLIEvaluator(pairs, ["contradiction", "entailment"]).evaluate(KeywordNLI()).metrics
