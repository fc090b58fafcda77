"""Scale with the real models (slow): every backend on real pairs, the ONNX export cache, Ray against
the local engine on the seeds (from scratch and adding an article), and a small `verify bench` end to end."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ..conftest import SEEDS

pytestmark = pytest.mark.slow

PAIRS = [
    ("The Soviet Union declared war on Japan on August 8, 1945.", "The USSR declared war on Japan in August 1945."),
    ("The Soviet Union declared war on Japan on August 8, 1945.", "The USSR never declared war on Japan."),
    ("The tower was built in 1947 to honour Soviet soldiers.", "The monument is 30 metres tall."),
    ("Kim Jong Un visited the Liberation Tower on Thursday.", "Kim Jong Un did not visit the tower."),
    ("A man is playing a guitar on stage.", "A person is performing music."),
    ("Two dogs run through a snowy field.", "The animals are asleep indoors."),
]


@pytest.fixture(scope="module")
def reference():
    from verify.models.nli import NLIJudge

    return NLIJudge("verify-nli-minilm", device="cpu", backend="torch").predict(PAIRS)


@pytest.mark.parametrize("backend, tolerance", [("torch-bf16", 0.05), ("onnx", 0.001), ("onnx-int8", 0.2)])
def test_backends_agree_with_full_precision(backend, tolerance, reference, tmp_path):
    from verify.models.nli import NLIJudge

    got = NLIJudge("verify-nli-minilm", device="cpu", backend=backend, cache_dir=tmp_path).predict(PAIRS)
    for ours, ref in zip(got, reference):
        assert max(ours, key=ours.get) == max(ref, key=ref.get)
        assert all(abs(ours[k] - ref[k]) <= tolerance for k in ref)


def test_onnx_graphs_are_exported_once(monkeypatch, tmp_path):
    from verify.models import runtime
    from verify.models.nli import NLIJudge

    NLIJudge("verify-nli-minilm", device="cpu", backend="onnx-int8", cache_dir=tmp_path)  # exported if missing
    monkeypatch.setattr(runtime, "_export", lambda *a, **k: pytest.fail("exported again"))
    judge = NLIJudge("verify-nli-minilm", device="cpu", backend="onnx-int8", cache_dir=tmp_path)
    assert judge.predict(PAIRS[:1])[0]["entailment"] > 0.5


def test_an_export_leaves_only_its_graphs(tmp_path):
    from verify.models import runtime
    from verify.models.resolve import resolve

    folder = tmp_path / "onnx"
    runtime._export(resolve("verify-nli-minilm", "nli").path, folder, "d1")  # in a folder of its own, then moved
    assert sorted(p.name for p in folder.iterdir()) == ["model-int8.onnx", "model.onnx", "source.json"]
    assert json.loads((folder / "source.json").read_text())["weights"] == "d1"


def test_ray_engine_gives_the_local_verdicts_on_the_seeds(tmp_path, monkeypatch):
    pytest.importorskip("ray")
    from verify.config import Settings
    from verify.pipeline import engine_ray
    from verify.pipeline.core import Pipeline

    monkeypatch.setenv("VERIFY_RAY_NUM_CPUS", "2")
    local = Pipeline(Settings(device="cpu"), store=False).run_paths([SEEDS])
    try:
        remote = Pipeline(Settings(device="cpu", engine="ray"), store=False).run_paths([SEEDS])
    finally:
        engine_ray.shutdown()

    def key(report):
        return sorted((v.pair.a.id, v.pair.b.id, v.verdict, json.dumps([v.forward, v.backward])) for v in report.verdicts)

    assert [c.id for c in remote.claims] == [c.id for c in local.claims]
    assert key(remote) == key(local)


def test_ray_engine_adds_an_article_as_the_local_engine_does(tmp_path, monkeypatch):
    """With a store, --engine ray is incremental too: a new article's run scores only its own pairs, and the
    report is the one a local run over the whole corpus gives."""
    pytest.importorskip("ray")
    from verify.config import Settings
    from verify.pipeline import engine_ray
    from verify.pipeline.core import Pipeline
    from verify.pipeline.store import Store

    monkeypatch.setenv("VERIFY_RAY_NUM_CPUS", "2")
    settings = Settings(device="cpu", engine="ray", knowledge=("default", "korea"))
    store = Store(tmp_path / "s.sqlite")
    articles = Pipeline(settings, store=False).ingest([SEEDS])
    try:
        Pipeline(settings, store=store).run(articles[:-1])
        remote = Pipeline(settings, store=store)
        added = remote.run(articles)
    finally:
        engine_ray.shutdown()
    local = Pipeline(Settings(device="cpu", knowledge=("default", "korea")), store=False).run(articles)
    new = {c.id for c in added.claims if c.article_id == articles[-1].id}
    involving = [v for v in added.verdicts if {v.pair.a.id, v.pair.b.id} & new]
    assert involving and added.meta["counts"]["nli_cached"] == 2 * (len(added.verdicts) - len(involving))
    assert remote.last_pairing["incremental"]["state"] == "updated"

    def key(report):
        return sorted((v.pair.a.id, v.pair.b.id, v.verdict, v.confidence, json.dumps([v.forward, v.backward]))
                      for v in report.verdicts)

    assert key(added) == key(local)


def test_bench_runs_end_to_end_on_a_small_corpus(cli, tmp_path):
    data = Path(os.environ.get("VERIFY_DATA_DIR", Path(__file__).resolve().parents[3] / "shared" / "data"))
    if not data.exists():
        pytest.skip("needs the shared data")
    out = tmp_path / "bench"
    result = CliRunner().invoke(cli, ["bench", "--sizes", "150", "--baseline-sample", "64", "--out", str(out),
                                      "--data-dir", str(data), "--add-runs", "2"])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    (run,) = results["runs"]
    assert run["claims"] >= 150 and run["pairing"]["candidates"] > 0
    assert run["pairing"]["cross_source_pairs"] > run["pairing"]["candidates"]
    assert run["nli"]["pairs_per_s"] > 0 and run["naive"]["pairs_per_s"] > 0
    add = run["add_article"]
    assert add["claims"] > run["claims"] and 0 < add["new_pairs_scored"] < add["pairs"]
    assert len(add["runs_s"]) == 2 and add["seconds"] == sum(add["runs_s"]) / 2  # each run on a copy of the store
    assert add["check_run_s"] > 0  # the first run, right after the size's own run (pairs and stages)
    assert add["scratch"]["same"] == add["scratch"]["candidates"] == add["pairs"]  # exact mode: the same pairs
    assert (out / "results.md").read_text().startswith("# verify bench")
    assert (out / "time_vs_size.png").stat().st_size > 1000


def test_the_plain_embedder_gives_sentence_transformers_vectors():
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from verify.models.embed import SentenceEmbedder

    texts = ["The Soviet Union declared war on Japan on August 8, 1945.", "Kim visited the tower.", "word " * 400]
    ours = SentenceEmbedder("all-MiniLM-L6-v2", device="cpu")
    assert ours.pooling == "mean" and ours.fast is not None  # the plain-torch BERT, without transformers
    theirs = SentenceTransformer(ours.resolved.path, device="cpu").encode(texts, normalize_embeddings=True)
    assert np.abs(ours.embed(texts) - theirs).max() < 1e-5
