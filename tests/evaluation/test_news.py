"""Real-news benchmarks: metrics, item sampling, the harness through the pipeline (fakes), results files, CLI."""

from __future__ import annotations

import csv
import itertools
import json
import random
from pathlib import Path

import numpy as np
import pytest

from verify.evaluation import metrics as M
from verify.evaluation.news import Harness, run_news, sentences
from verify.evaluation.news_data import (
    BENCH_DIR,
    NewsBenchmark,
    NewsItem,
    Sample,
    body_part,
    load_consistency_items,
    load_news_benchmarks,
    load_stance_items,
)
from verify.evaluation.news_results import NewsResults
from verify.evaluation.news_scoring import predict, verdict_stance
from verify.verdict.params import load_params

STANCE = NewsBenchmark(name="tiny_stance", task="stance", files=["news/st.csv", "news/bodies.csv"],
                       label_map={x: x for x in M.STANCE_LABELS}, licence="test", use="ok",
                       sample=Sample(bodies="all", per_class=3, seed=5))
CONSISTENCY = NewsBenchmark(name="tiny_consistency", task="consistency", files=["claims/tiny.jsonl"],
                            article_field="evidence", summary_field="claim",
                            label_map={"supported": "faithful", "partially_supported": "unfaithful",
                                       "not_supported": "unfaithful"}, licence="test", use="ok")

BODIES = {
    "1": "The city council approved the new stadium on Tuesday. The vote was 7 to 2. Construction starts in May.",
    "2": "Police denied reports that the mayor was arrested on Friday. The report was a hoax, officials said.",
    "3": "Scientists found water ice on the moon in 2020, NASA said. The ice sits in craters near the south pole.",
}
ROWS = [  # headline, body id, stance
    ("City council approves new stadium", "1", "agree"), ("Council votes for stadium plan", "1", "discuss"),
    ("Mayor arrested on Friday", "2", "disagree"), ("Report says mayor was arrested", "2", "discuss"),
    ("NASA finds water ice on the moon", "3", "agree"), ("Stadium vote delayed again", "3", "unrelated"),
    ("Moon ice discovery questioned", "1", "unrelated"), ("Mayor is not arrested, police say", "2", "agree"),
    ("NASA denies finding water on the moon", "3", "disagree"), ("Scientists discuss moon ice", "3", "discuss"),
    ("Mayor arrested for stadium fraud", "1", "disagree"), ("Ice cream prices rise", "2", "unrelated"),
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A tiny FNC-1-shaped CSV pair and a WiCE-shaped jsonl, written here (never the real data)."""
    root = tmp_path / "data"
    (root / "news").mkdir(parents=True)
    with (root / "news" / "bodies.csv").open("w", newline="", encoding="utf-8") as h:
        w = csv.writer(h)
        w.writerow(["Body ID", "articleBody"])
        w.writerows(BODIES.items())
    with (root / "news" / "st.csv").open("w", newline="", encoding="utf-8") as h:
        w = csv.writer(h)
        w.writerow(["Headline", "Body ID", "Stance"])
        w.writerows(ROWS)
    (root / "claims").mkdir()
    lines = [{"claim": "The council approved the stadium in a 7 to 2 vote.", "evidence": [BODIES["1"]], "label": "supported"},
             {"claim": "The mayor was arrested on Friday.", "evidence": BODIES["2"].split(". "), "label": "not_supported"},
             {"claim": "NASA found ice on Mars in 2020.", "evidence": [BODIES["3"]], "label": "partially_supported"},
             {"claim": "Water ice was found on the moon.", "evidence": [BODIES["3"]], "label": "supported"},
             {"claim": "no label here", "evidence": ["x"], "label": "??"}]
    (root / "claims" / "tiny.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return root


# ------------------------------------------------------------------------------------------------
# metrics
# ------------------------------------------------------------------------------------------------
def test_fnc_score_weights_related_and_label():
    gold = ["agree", "unrelated", "discuss", "disagree"]
    assert M.fnc_score(gold, gold) == 1.0
    # unrelated right (0.25), agree -> discuss (0.25), discuss -> unrelated (0), disagree right (1.0); best 3.25
    assert M.fnc_score(gold, ["discuss", "unrelated", "unrelated", "disagree"]) == pytest.approx(1.5 / 3.25)


def test_macro_f1_and_per_class():
    g = M.encode(["agree", "agree", "disagree", "unrelated"], M.STANCE_LABELS)
    p = M.encode(["agree", "disagree", "disagree", "agree"], M.STANCE_LABELS)
    f1 = M.per_class_f1(g, p, 4)
    assert f1.tolist() == pytest.approx([0.5, 2 / 3, 0.0, 0.0])
    assert M.macro_f1_codes(g, p, 4) == pytest.approx((0.5 + 2 / 3 + 0.0) / 3)  # discuss is absent from gold


def test_roc_auc_matches_pairwise_count_with_ties():
    rng = np.random.default_rng(1)
    pos = rng.random(40) < 0.4
    score = np.round(rng.random(40), 1)  # many ties
    pairs = [(s1 > s0) + 0.5 * (s1 == s0) for s1, s0 in itertools.product(score[pos], score[~pos])]
    assert M.roc_auc(pos, score) == pytest.approx(np.mean(pairs))
    assert np.isnan(M.roc_auc(np.ones(3, bool), np.zeros(3)))


def test_balanced_accuracy():
    g, p = np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1])
    assert M.balanced_accuracy(g, p) == pytest.approx((2 / 3 + 1) / 2)


def test_grouped_folds_keep_groups_together():
    groups = [f"b{random.Random(i).randint(0, 30)}" for i in range(200)]
    folds = M.grouped_folds(groups, 5, seed=3)
    assert sorted(np.concatenate(folds).tolist()) == list(range(200))
    where = {}
    for k, fold in enumerate(folds):
        for i in fold:
            assert where.setdefault(groups[i], k) == k
    assert max(map(len, folds)) - min(map(len, folds)) < 30


def test_bootstrap_interval_brackets_the_estimate():
    gold = ["agree", "disagree", "discuss", "unrelated"] * 25
    pred = [g if i % 3 else "discuss" for i, g in enumerate(gold)]
    boot = M.bootstrap_indices([str(i // 2) for i in range(len(gold))], 200, seed=1)
    ci = M.stance_intervals(gold, pred, boot, other=gold)
    point = M.stance_metrics(gold, pred)["macro_f1"]
    assert ci["macro_f1"][0] <= point <= ci["macro_f1"][1]
    assert ci["delta_macro_f1"][1] < 0  # worse than the perfect "other" on every resample


# ------------------------------------------------------------------------------------------------
# items
# ------------------------------------------------------------------------------------------------
def test_stance_sample_is_balanced_seeded_and_prefix_stable(data_dir):
    items = load_stance_items(STANCE, data_dir)
    assert sorted(i.gold for i in items) == sorted(M.STANCE_LABELS * 3)
    assert [i.id for i in items] == [i.id for i in load_stance_items(STANCE, data_dir)]
    assert items[0].group.startswith("body:") and items[0].evidence in BODIES.values()
    two = load_stance_items(STANCE, data_dir, Sample(bodies="all", per_class=2, seed=5))
    assert {i.id for i in two} <= {i.id for i in items}  # fewer per class: a subset of the same draw


def test_fit_and_held_out_bodies_never_overlap(data_dir):
    fit = load_stance_items(STANCE, data_dir, Sample(bodies="fit", fit_share=0.4, per_class=None))
    held = load_stance_items(STANCE, data_dir, Sample(bodies="held_out", fit_share=0.4, per_class=None))
    assert not {i.group for i in fit} & {i.group for i in held}
    assert len(fit) + len(held) == len(ROWS)
    assert {body_part(b, 0.4) for b in BODIES} == {"fit", "held_out"}  # this fixture has both parts


def test_consistency_items_from_any_jsonl(data_dir):
    items = load_consistency_items(CONSISTENCY, data_dir)
    assert sorted(i.gold for i in items) == ["faithful", "faithful", "unfaithful", "unfaithful"]
    mayor = next(i for i in items if "mayor" in i.claim)
    assert "\n" in mayor.evidence  # a list of sentences is joined one per line
    assert len(load_consistency_items(CONSISTENCY, data_dir, limit=2)) == 2


def test_the_shipped_news_benchmarks_validate():
    found = load_news_benchmarks()
    assert {"fnc1_stance", "consistency_wice"} <= set(found)
    assert found["fnc1_stance"].sample.bodies == "held_out"
    assert found["consistency_wice"].label_map["partially_supported"] == "unfaithful"
    assert BENCH_DIR.name == "news"


def test_bad_label_map_is_refused():
    with pytest.raises(ValueError, match="not stance labels"):
        NewsBenchmark(name="x", task="stance", files=["a", "b"], label_map={"yes": "faithful"}, licence="-", use="ok")


def test_sentences_splits_lines_and_sentence_ends():
    assert sentences('He said "No." Then he left.\nA new line.') == ['He said "No."', "Then he left.", "A new line."]


# ------------------------------------------------------------------------------------------------
# the harness through the pipeline (fakes)
# ------------------------------------------------------------------------------------------------
def test_harness_runs_the_pipeline_and_caches(data_dir, fake_settings, tmp_path, monkeypatch):
    from verify.pipeline.core import Pipeline

    items = load_stance_items(STANCE, data_dir)[:4]
    harness = Harness(Pipeline(fake_settings), cache_dir=tmp_path / "cache")
    records = harness.records(items)
    assert [r["gold"] for r in records] == [i.gold for i in items]
    assert all(r["claims"] for r in records)  # the headline's claim: extracted, else its title
    assert all(set(r["baseline"]) >= {"entail_as_hyp", "contra_as_prem"} for r in records)
    for r in records:
        for j in r["judgements"]:
            assert {j["a"]["source"], j["b"]["source"]} == {"Claim outlet", "Evidence outlet"}

    again = Harness(Pipeline(fake_settings), cache_dir=tmp_path / "cache")
    monkeypatch.setattr(again, "run_item", lambda *a, **k: pytest.fail("cached items must not run again"))
    assert again.records(items) == records


def test_reaggregation_reproduces_the_pipeline_verdicts(data_dir, fake_settings):
    from verify.pipeline.core import Pipeline

    harness = Harness(Pipeline(fake_settings), cache_dir=None)
    items = load_stance_items(STANCE, data_dir)
    records = harness.records(items)
    assert any(r["judgements"] for r in records)
    for item, record in zip(items, records):
        again = harness.reaggregate(item, record)
        assert [j["verdict"] for j in again["judgements"]] == [j["verdict"] for j in record["judgements"]]
        assert again["assessments"] == record["assessments"]


def test_verdicts_made_under_other_params_are_refreshed(data_dir, fake_settings, tmp_path):
    from verify.pipeline.core import Pipeline

    items = load_stance_items(STANCE, data_dir)[:3]
    harness = Harness(Pipeline(fake_settings), cache_dir=tmp_path / "cache")
    stale = [dict(r, params_digest="older", assessments=[]) for r in harness.records(items)]
    harness._cache = {r["key"]: r for r in stale}
    fresh = harness.records(items)
    assert all(r["params_digest"] == load_params().digest for r in fresh)
    assert any(r["assessments"] for r in fresh) and fresh[0]["baseline"] == stale[0]["baseline"]
    kept = Harness(Pipeline(fake_settings), cache_dir=None, refresh_verdicts=False)
    kept._cache = {r["key"]: r for r in stale}
    assert kept.records(items) == stale


def test_title_fallback_gives_a_headline_fragment_a_claim(fake_settings, tmp_path):
    from verify.pipeline.core import Pipeline

    item = NewsItem("x:1", "Stadium vote", BODIES["1"], "discuss", "body:1")  # too short to be check-worthy
    never = Harness(Pipeline(fake_settings), title_claims="never", cache_dir=None).run_item(item)
    fallback = Harness(Pipeline(fake_settings), cache_dir=None).run_item(item)
    assert never["claims"] == [] and verdict_stance(never) == "unrelated"
    assert [c["text"] for c in fallback["claims"]] == ["Stadium vote"] and fallback["title_claim"]


def test_run_news_writes_results_samples_and_markdown(data_dir, fake_settings, tmp_path):
    from verify.pipeline.core import Pipeline

    out = tmp_path / "out"
    run_news([STANCE, CONSISTENCY], Pipeline(fake_settings), out, data_dir=data_dir, cache_dir=None,
                       resamples=50, ablation=True)
    loaded = NewsResults.model_validate_json((out / "results.json").read_text())
    assert loaded.complete and set(loaded.benchmarks) == {"tiny_stance", "tiny_consistency"}
    stance = loaded.benchmarks["tiny_stance"]
    assert stance.n == 12 and set(stance.systems) == {"verify_stance", "verify_rules", "verify_verdicts", "nli_maxpool",
                                              "nli_maxpool_lr"}
    m = stance.systems["verify_verdicts"]["metrics"]
    assert 0 <= m["macro_f1"] <= 1 and len(stance.systems["verify_verdicts"]["ci95"]["macro_f1"]) == 2
    assert "delta_macro_f1" in stance.systems["verify_stance"]["ci95"]
    assert sum(sum(row.values()) for row in stance.systems["nli_maxpool"]["confusion"].values()) == 12
    assert set(stance.ablation) >= {"(none)", "nli-entailment", "stance-model"}
    assert stance.ablation["(none)"]["verify_verdicts"]["macro_f1"] == m["macro_f1"]  # nothing off: the same run
    cons = loaded.benchmarks["tiny_consistency"]
    assert cons.n == 4 and "roc_auc" in cons.systems["nli_maxpool"]["metrics"]
    samples = (out / "samples.jsonl").read_text().splitlines()
    assert len(samples) == 16 and json.loads(samples[0])["benchmark"] == "tiny_stance"
    assert "| verify_stance |" in (out / "results.md").read_text()


def test_missing_data_is_skipped(fake_settings, tmp_path):
    from verify.pipeline.core import Pipeline

    results = run_news([STANCE], Pipeline(fake_settings), tmp_path / "out", data_dir=tmp_path / "nowhere",
                       cache_dir=None, ablation=False)
    assert "tiny_stance" in results.skipped and not results.benchmarks


def test_predictions_use_the_params(data_dir, fake_settings):
    from verify.pipeline.core import Pipeline

    records = Harness(Pipeline(fake_settings), cache_dir=None).records(load_stance_items(STANCE, data_dir))
    preds = predict(records, "stance", load_params())
    assert len(preds.pred["verify_stance"]) == 12 and set(preds.pred["nli_maxpool"]) <= set(M.STANCE_LABELS)


# ------------------------------------------------------------------------------------------------
# CLI
# ------------------------------------------------------------------------------------------------
def test_cli_news_and_fit_on_fixture_data(cli, fake_env, data_dir, tmp_path):
    from typer.testing import CliRunner

    fnc1 = data_dir / "news" / "fnc1"
    fnc1.mkdir()
    # bodies 1-3 fall in the fit part of the shipped benchmark's split, body 5 in the held-out part
    with (fnc1 / "train_bodies.csv").open("w", newline="", encoding="utf-8") as h:
        csv.writer(h).writerows([["Body ID", "articleBody"], *BODIES.items(), ["5", BODIES["2"] + " It rained."]])
    with (fnc1 / "train_stances.csv").open("w", newline="", encoding="utf-8") as h:
        csv.writer(h).writerows([["Headline", "Body ID", "Stance"], *ROWS, *((a, "5", c) for a, _, c in ROWS)])
    runner = CliRunner()
    common = ["--data-dir", str(data_dir), "--store", str(tmp_path / "s.sqlite"), "--cache-dir", str(tmp_path / "c")]
    res = runner.invoke(cli, ["eval", "news", "-b", "fnc1_stance", "--no-ablation", "--out", str(tmp_path / "o"), *common])
    assert res.exit_code == 0, res.output
    assert "fnc1_stance" in res.stdout and (tmp_path / "o" / "results.json").is_file()
    params = tmp_path / "params.json"
    res = runner.invoke(cli, ["eval", "fit", "--per-class", "10", "--folds", "2", "--resamples", "20", "--out", str(params), *common])
    assert res.exit_code == 0, res.output
    fitted = json.loads(params.read_text())
    assert fitted["provenance"]["data"]["sample"]["bodies"] == "fit" and fitted["stance"]["labels"] == list(M.STANCE_LABELS)
    bad = runner.invoke(cli, ["eval", "news", "-b", "nope", *common])
    assert bad.exit_code == 1 and "Error" in bad.output and "Traceback" not in bad.output
