"""Scale: token batching, backend choice, pairing without the N x N matrix (exact and ANN), the
incremental store, lazy model loading, the `verify store` and `verify bench` commands (fakes only)."""

from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import unicodedata
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from verify import pairing as pair_mod
from verify.columns import claim_columns
from verify.config import Settings
from verify.errors import ConfigError
from verify.extract.values import Quantity
from verify.models.fakes import CountingEmbedder, CountingJudge, KeywordNLI
from verify.models.nli import judge_pairs, token_batches
from verify.pairing import Pairer, PairState, cross_source_pairs, exact_neighbours
from verify.pipeline.caches import CachedEmbedder, CachedJudge, LazyJudge
from verify.pipeline.core import Pipeline
from verify.pipeline.store import (
    MIGRATIONS,
    ClaimLines,
    Store,
    claim_from_dict,
    claim_from_row,
    claim_row,
    claims_from_json,
)
from verify.records import Article, Claim, TimeSpan
from verify.verdict.aggregate import facts_of, shared_facts
from verify.verdict.table import StoredClaims

from ..conftest import SEEDS

ROOT = Path(__file__).resolve().parents[2]

# -- NLI batching and backends ------------------------------------------------------------------------


@given(st.lists(st.integers(1, 300), max_size=200), st.integers(1, 40), st.integers(1, 5000))
def test_token_batches_cover_every_pair_once_within_limits(lengths, max_rows, max_tokens):
    batches = token_batches(lengths, max_rows, max_tokens)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) <= max_rows
        longest = max(lengths[i] for i in b)
        assert len(b) == 1 or len(b) * longest <= max_tokens  # a single over-long pair still gets a batch
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat)  # shortest first: neighbours in a batch have similar lengths


def test_backend_choice(monkeypatch, tmp_path):
    from verify.models import runtime

    bert, roberta = tmp_path / "bert", tmp_path / "roberta"
    for folder, kind in ((bert, "bert"), (roberta, "roberta")):
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({"model_type": kind}))
    monkeypatch.setattr(runtime, "cpu_has_bf16", lambda: True)
    assert runtime.pick_backend("auto", "cpu", str(bert)) == "torch-bf16"
    assert runtime.pick_backend("auto", "cuda", str(bert)) == "torch"
    monkeypatch.setattr(runtime, "cpu_has_bf16", lambda: False)
    assert runtime.pick_backend("auto", "cpu", str(bert)) == "onnx"  # fp32: torch's answers, faster here
    assert runtime.pick_backend("auto", "cpu", str(roberta)) == "torch"  # the export's fusions are BERT's
    assert runtime.pick_backend("auto", "cpu") == "torch"
    assert runtime.pick_backend("auto", "cpu", str(tmp_path / "missing")) == "torch"
    assert runtime.pick_backend("onnx-int8", "cpu") == "onnx-int8"
    with pytest.raises(ConfigError, match="CPU only"):
        runtime.pick_backend("onnx-int8", "cuda")
    with pytest.raises(ConfigError, match="choose from"):
        runtime.pick_backend("tensorrt", "cpu")


def test_cached_judge_keys_scores_by_backend(tmp_path):
    """int8 scores must never be served for fp32 (or the reverse)."""
    store = Store(tmp_path / "s.sqlite")
    fp32 = CachedJudge(LazyJudge(KeywordNLI, name="m", resolved=KeywordNLI().resolved, backend="torch"), store)
    int8 = CachedJudge(LazyJudge(KeywordNLI, name="m", resolved=KeywordNLI().resolved, backend="onnx-int8"), store)
    assert fp32.key != int8.key and int8.key.endswith("#onnx-int8")


# -- pairing -------------------------------------------------------------------------------------------


def _clustered(n: int, dim: int = 16, groups: int = 7, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(2, n // 6), dim))
    vectors = centres[rng.integers(0, len(centres), n)] + 0.3 * rng.normal(size=(n, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32), np.array([f"a{i % groups}" for i in range(n)])


def _brute(vectors, groups, k, within=False):
    """Each row's k best similarities to other rows (of other groups unless ``within``), best first."""
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    if not within:
        sims[groups[:, None] == groups[None, :]] = -np.inf
    best = -np.sort(-sims, axis=1)[:, :k]
    return [row[np.isfinite(row)] for row in best]


@pytest.mark.parametrize("within", [False, True])
def test_exact_neighbours_match_brute_force_in_small_chunks(monkeypatch, within):
    vectors, groups = _clustered(120)
    monkeypatch.setattr(pair_mod, "CHUNK_CELLS", 500)  # ~4 rows per chunk
    idx, sim = exact_neighbours(vectors, groups, 5, within)
    for row, expected in enumerate(_brute(vectors, groups, 5, within)):
        found = idx[row] >= 0
        # the k best, up to near-ties (within TIE, decided by rank): the same similarities
        assert np.allclose(-np.sort(-sim[row][found]), expected, atol=2 * pair_mod.TIE)
        assert np.allclose(sim[row][found], vectors[idx[row][found]] @ vectors[row], atol=1e-6)
        assert row not in idx[row]
        if not within:
            assert all(groups[j] != groups[row] for j in idx[row] if j >= 0)


def test_near_ties_are_decided_by_rank_not_by_float_noise():
    """Two candidates whose similarities differ by float noise: the lower rank wins, in any input order."""
    base = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    twin = np.array([0.6, 0.8, 0.0], dtype=np.float32)
    vectors = np.stack([base, twin, twin + np.float32(1e-7) * np.array([0, 0, 1], dtype=np.float32), [0, 0, 1]])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    groups = np.array(["a", "b", "c", "d"])
    for ranks in (np.array([0, 5, 1, 9]), np.array([0, 1, 5, 9])):
        idx, _ = exact_neighbours(vectors, groups, 1, ranks=ranks)
        assert idx[0, 0] == (2 if ranks[2] < ranks[1] else 1)


def _ann_neighbours(vectors: np.ndarray, groups: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k neighbours of another group from a PairState in approximate mode (the HNSW index)."""
    claims = [Claim(f"c{i}", str(g), "S", "t", "t", (0, 1)) for i, g in enumerate(groups)]
    state = PairState(Pairer(top_k=k), vectors.shape[1], approximate=True)
    state.update(claims, vectors, [c.id for c in claims])
    return state.knn, state.knn_sim  # a fresh state's slots are the rows


def test_ann_neighbours_find_nearly_all_exact_neighbours():
    vectors, groups = _clustered(3000, dim=32)
    exact, _ = exact_neighbours(vectors, groups, 5)
    approx, sims = _ann_neighbours(vectors, groups, 5)
    found = sum(len(set(a) & set(e)) for a, e in zip(approx.tolist(), exact.tolist()))
    assert found / exact.size >= 0.95
    rows = np.arange(len(vectors))[:, None]
    assert not np.any((approx >= 0) & (groups[np.clip(approx, 0, None)] == groups[rows]))  # other articles only
    ok = approx >= 0
    assert np.allclose(sims[ok], np.einsum("ij,ij->i", vectors[rows.repeat(5, 1)[ok]], vectors[approx[ok]]), atol=1e-4)


def _claims(n: int, groups: int = 7) -> list[Claim]:
    return [Claim(f"c{i}", f"a{i % groups}", f"S{i % groups}", f"t{i}", f"t{i}", (0, 1)) for i in range(n)]


def test_pairer_gives_the_same_pairs_with_the_index_on_a_small_corpus():
    vectors, _ = _clustered(300)
    claims = _claims(300)
    exact = Pairer(top_k=3, min_similarity=0.3, ann_threshold=10**9)
    approx = Pairer(top_k=3, min_similarity=0.3, ann_threshold=0)
    exact_ids = {p.id for p in exact.pair(claims, vectors)}
    approx_ids = {p.id for p in approx.pair(claims, vectors)}
    assert exact.stats["method"] == "exact" and approx.stats["method"] == "ann"
    assert len(exact_ids & approx_ids) / len(exact_ids) >= 0.97
    assert exact.stats["cross_source_pairs"] == cross_source_pairs(claims) == sum(
        1 for i in range(300) for j in range(i + 1, 300) if claims[i].article_id != claims[j].article_id)


def test_cross_source_pair_count_within_source():
    assert cross_source_pairs(_claims(10), within_source=True) == 45
    assert cross_source_pairs([]) == 0


# -- the store -----------------------------------------------------------------------------------------


def test_claims_survive_the_store_unchanged(tmp_path):
    claim = Claim("c:1", "a:1", "Yonhap", "In 1945 it fell.", "In 1945 Seoul fell.", (3, 19), "KCNA",
                  ("Seoul",), ("1945",), ("1945",), 4, "c:0", TimeSpan("1945-01-01", "1945-12-31", "in 1945", "year"))
    assert claim_from_dict(json.loads(json.dumps(asdict(claim)))) == claim
    quantified = replace(claim, id="c:2", quantities=(Quantity(72.0, 88.0, "people", True, "about 80 people", "count"),
                                                      Quantity(1000.0, math.inf, "", True, "more than 1,000", "count")),
                         time=None, entity_types=("GPE",))
    assert claim_from_row(json.loads(json.dumps(claim_row(quantified)))) == quantified
    store = Store(tmp_path / "s.sqlite")
    store.put_claims("v1", [("k", [claim, quantified])])
    assert store.get_claims("v1", ["k", "missing"]) == {"k": [claim, quantified]}
    assert store.get_claims("v2", ["k"]) == {}  # other rules, other claims
    with store.db:  # claims stored as objects by an earlier verify read back alike
        store.db.execute("UPDATE claims SET claims = ?", (json.dumps([asdict(claim), asdict(quantified)]),))
    assert store.get_claims("v1", ["k"]) == {"k": [claim, quantified]}


def test_claims_report_lines_are_kept_per_extractor_and_report_schema(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    kept = ClaimLines(b"a,\n    bc,\n    ", np.array([1, 2]), ["c:1", "c:2"], {1: "c:0"}, [("Expo 2030", "2030", 1)])
    store.put_claim_lines("v1", "2", [("k", kept), ("none", ClaimLines(b"", np.zeros(0), [], {}, []))])
    (back, empty) = store.get_claim_lines("v1", "2", ["k", "missing", "none"]).values()
    assert back.lines == kept.lines and back.lengths.tolist() == [1, 2]
    assert (back.ids, back.rebuts, back.facts) == (kept.ids, kept.rebuts, kept.facts)
    assert (empty.ids, empty.lengths.tolist()) == ([], [])
    assert store.get_claim_lines("v2", "2", ["k"]) == {} and store.get_claim_lines("v1", "3", ["k"]) == {}


def test_a_run_writes_the_stored_claims_lines_and_the_next_reuses_them(fake_settings, tmp_path, monkeypatch):
    """The claims section of ``report.json`` is the stored lines copied (a run per article), made once per article;
    the bytes are the ones rendered claim by claim."""
    from verify.report import render_json, schema

    made: list[str] = []
    real = schema.claim_line
    monkeypatch.setattr(schema, "claim_line", lambda claim: made.append(claim.id) or real(claim))
    settings = fake_settings.model_copy(update={"store": tmp_path / "s.sqlite"})
    first = Pipeline(settings).run_paths([SEEDS])
    assert sorted(made) == sorted(c.id for c in first.claims)
    made.clear()
    again = Pipeline(settings).run_paths([SEEDS])
    assert made == [] and type(again.claims).__name__ == "StoredClaims"
    plain = Pipeline(fake_settings.model_copy(update={"store": None}), store=False).run_paths([SEEDS])
    assert json.loads(render_json(again))["claims"] == json.loads(render_json(plain))["claims"]
    assert render_json(again).split('"claims": [')[1].split('"pairs"')[0] == \
        render_json(plain).split('"claims": [')[1].split('"pairs"')[0]


def test_store_records_runs_and_migrations(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    assert store.migrations() == [name for name, _ in MIGRATIONS]
    run = store.start_run("0.1", {"top_k": 5})
    store.finish_run(run, "ok", {"claims": 3}, {"nli": 1.5})
    assert store.runs()[0] | {"started": None} == {"id": run, "started": None, "finished": store.runs()[0]["finished"],
                                                   "status": "ok", "verify_version": "0.1", "counts": {"claims": 3},
                                                   "timings": {"nli": 1.5}}


def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConfigError, match="not a usable verify store"):
        Store(junk)


def test_killing_a_writer_mid_run_leaves_the_store_usable(tmp_path):
    """SIGKILL while a process writes batch after batch: the store opens, passes integrity_check and
    holds only whole batches."""
    path = tmp_path / "s.sqlite"
    script = (
        "import sys, numpy as np\n"
        "from verify.pipeline.store import Store\n"
        "s = Store(sys.argv[1])\n"
        "print('ready', flush=True)\n"
        "i = 0\n"
        "while True:\n"
        "    s.put_vectors('m', [(f'{i}-{j}', np.ones(64, dtype=np.float32)) for j in range(500)])\n"
        "    i += 1\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    assert proc.stdout.readline().strip() == "ready"
    import time

    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    n = db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    db.close()
    assert n > 0 and n % 500 == 0
    assert Store(path).counts()["embeddings"] == n


# -- incremental runs ----------------------------------------------------------------------------------


def _pipeline(settings, store, embedder, judge):
    return Pipeline(settings, embedder=CachedEmbedder(embedder, store), judge=CachedJudge(judge, store), store=store)


def test_rerun_does_no_model_work_and_a_new_article_costs_only_its_pairs(fake_settings, tmp_path, monkeypatch):
    from verify.extract.claims import ClaimExtractor
    from verify.ingest import load_articles

    extracted: list[str] = []
    original = ClaimExtractor._extract_one
    monkeypatch.setattr(ClaimExtractor, "_extract_one", lambda self, a, units: extracted.append(a.id) or original(self, a, units))
    store = Store(tmp_path / "s.sqlite")
    embedder, judge = CountingEmbedder(), CountingJudge()
    articles = load_articles([SEEDS])
    first = _pipeline(fake_settings, store, embedder, judge).run(articles[:-1])
    assert judge.seen and embedder.texts and len(extracted) == len(articles) - 1

    embedder.texts.clear(), judge.seen.clear(), extracted.clear()
    from verify.verdict.aggregate import Aggregator

    decided: list[str] = []
    decide = Aggregator.decide
    monkeypatch.setattr(Aggregator, "decide", lambda self, j: decided.append(j.pair.id) or decide(self, j))
    again = _pipeline(fake_settings, store, embedder, judge).run(articles[:-1])
    assert (embedder.texts, judge.seen, extracted) == ([], [], [])
    assert decided == [v.pair.id for v in again.verdicts if v.pair.via]  # the rest come from the store
    assert [(v.pair.id, v.verdict, v.confidence, v.reason, v.conflicts, v.forward) for v in again.verdicts] == \
        [(v.pair.id, v.verdict, v.confidence, v.reason, v.conflicts, v.forward) for v in first.verdicts]
    assert again.meta["counts"]["nli_cached"] == 2 * len(again.verdicts)

    added = _pipeline(fake_settings, store, embedder, judge).run(articles)
    assert extracted == [articles[-1].id]
    new_texts = {c.standalone for c in added.claims if c.article_id == articles[-1].id}
    assert set(embedder.texts) <= new_texts
    assert judge.seen and all(p in new_texts or h in new_texts for p, h in judge.seen)
    runs = store.runs()
    assert [r["status"] for r in runs] == ["ok", "ok", "ok"]


def test_an_interrupted_run_is_marked_and_leaves_the_store_usable(fake_settings, tmp_path):
    class Interrupting(CountingJudge):
        def predict(self, texts, on_batch=None):
            raise KeyboardInterrupt

    store = Store(tmp_path / "s.sqlite")
    with pytest.raises(KeyboardInterrupt):
        _pipeline(fake_settings, store, CountingEmbedder(), Interrupting()).run_paths([SEEDS])
    assert store.runs()[0]["status"] == "interrupted"
    assert store.counts()["claims"] > 0  # the stages that finished are kept
    assert _pipeline(fake_settings, store, CountingEmbedder(), CountingJudge()).run_paths([SEEDS]).verdicts


def test_models_load_only_on_a_cache_miss(tmp_path):
    loads: list[str] = []

    def loader():
        loads.append("judge")
        return CountingJudge()

    store = Store(tmp_path / "s.sqlite")
    judge = CachedJudge(LazyJudge(loader, name="m", resolved=KeywordNLI().resolved, backend="torch"), store)
    claims = _claims(2, groups=2)
    from verify.records import ClaimPair

    judge_pairs(judge.predict, [ClaimPair(claims[0], claims[1], 0.9)])
    assert loads == ["judge"]
    cold = CachedJudge(LazyJudge(loader, name="m", resolved=KeywordNLI().resolved, backend="torch"), store)
    judge_pairs(cold.predict, [ClaimPair(claims[0], claims[1], 0.9)])
    assert loads == ["judge"] and cold.hits == 2


# -- ingest speed-up keeps behaviour -------------------------------------------------------------------


def _reference_normalise(raw: str) -> tuple[str, list[int]]:
    from verify.ingest import CHAR_MAP, DROP_CHARS

    chars, pos = [], []
    for i, ch in enumerate(raw):
        if ch == "\r":
            if raw[i + 1 : i + 2] == "\n":
                continue
            ch = "\n"
        if ch in DROP_CHARS:
            continue
        ch = CHAR_MAP.get(ch, ch)
        if ch != "\n" and unicodedata.category(ch) == "Cc":
            continue
        chars.append(ch)
        pos.append(i)
    return "".join(chars), pos


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("ab c\r\n\t\x00\x85\x7f\x9f\u200b\u00ad\u2019\u201c\u00a0\ufeffé中")), max_size=40))
def test_fast_character_normalisation_matches_the_character_loop(raw):
    from verify.ingest.cleaning import _normalise_chars

    assert _normalise_chars(raw) == _reference_normalise(raw)


# -- CLI -----------------------------------------------------------------------------------------------


def test_store_option_and_store_info(cli, fake_env, tmp_path):
    runner = CliRunner()
    store = tmp_path / "desk.sqlite"
    for _ in range(2):
        result = runner.invoke(cli, ["claims", str(SEEDS), "--store", str(store), "--json"])
        assert result.exit_code == 0, result.output
    info = runner.invoke(cli, ["store", "info", "--store", str(store), "--json"])
    assert info.exit_code == 0
    data = json.loads(info.stdout)
    assert data["counts"]["articles"] == 3 and data["counts"]["runs"] == 2
    assert [r["status"] for r in data["runs"]] == ["ok", "ok"]
    table = runner.invoke(cli, ["store", "info", "--store", str(store)])
    assert "recent runs" in table.stdout


def test_no_store_writes_nothing(cli, fake_env, tmp_path):
    result = CliRunner().invoke(cli, ["claims", str(SEEDS), "--no-store", "--json"])
    assert result.exit_code == 0
    assert not (tmp_path / "cache" / "cache.sqlite").exists()


@pytest.mark.parametrize("args, message", [
    (["store", "info", "--store", "nowhere.sqlite"], "no store yet"),
    (["claims", str(SEEDS), "--backend", "tensorrt"], "backend"),
    (["claims", str(SEEDS), "--engine", "spark"], "engine"),
    (["bench", "--sizes", "10"], "at least 50 claims"),
    (["bench", "--sizes", "ten"], "whole numbers"),
])
def test_bad_scale_options_are_one_line_errors(cli, fake_env, args, message):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


# -- bench pieces --------------------------------------------------------------------------------------

DATA = Path(os.environ.get("VERIFY_DATA_DIR", Path(__file__).resolve().parents[3] / "shared" / "data"))


@pytest.mark.skipif(not DATA.exists(), reason="needs the shared data")
def test_bench_corpus_is_built_from_real_sentences():
    from verify.evaluation.bench import OUTLETS, build_corpus

    records, extra, true_pairs = build_corpus(DATA, 150)
    assert len(records) >= 10 and {r["source"] for r in records} <= set(OUTLETS)
    assert true_pairs and all(p != h for p, h, _ in true_pairs)
    texts = "\n\n".join(r["text"] for r in records)
    assert sum(p in texts and h in texts for p, h, _ in true_pairs) >= 0.9 * len(true_pairs)
    assert extra["text"] and extra["text"] not in texts


def test_pair_recall_counts_only_pairs_that_became_claims():
    from verify.evaluation.bench import pair_recall

    a, b, c = (Claim(f"c{i}", f"a{i}", "S", t, t, (0, 1)) for i, t in enumerate(["x one", "x two", "y three"]))
    got = pair_recall([a, b, c], [("c1", "c0")], [("x one", "x two", "e"), ("x one", "y three", "c"), ("gone", "x two", "e")])
    assert got == {"true_pairs": 2, "found": 1, "recall": 0.5}


def test_bench_markdown_and_plot_from_results(tmp_path):
    from verify.evaluation.bench import plot, render_markdown

    add = {"seconds": 4.0, "claims": 1004, "pairs": 810, "new_pairs_scored": 10,
           "stages_s": {"ingest": 0.5, "claims": 0.2, "embed": 0.1, "pair": 0.3, "nli": 0.4, "aggregate": 0.2,
                        "save_state": 0.1},
           "scratch": {"candidates": 811, "same": 809, "only_incremental": 1, "only_scratch": 2,
                       "recall_incremental": 0.9, "recall_scratch": 0.9012}}
    run = {"claims": 1000, "articles": 100, "total_s": 12.0, "peak_rss_mib": 900.0,
           "stages_s": {"claims": 0.4, "embed": 6.0, "pair": 0.1, "nli": 5.0, "aggregate": 0.1, "report": 0.1},
           "pairing": {"candidates": 800, "cross_source_pairs": 500000, "recall": {
               "exact": {"recall": 0.92, "true_pairs": 100}, "ann": {"recall": 0.91, "true_pairs": 100}}},
           "nli": {"pairs_per_s": 400.0, "inputs_per_s": 800.0, "backend": "torch-bf16"},
           "naive": {"pairs_per_s": 150.0, "candidate_pairs_per_s": 140.0, "extrapolated_s": 3333.0},
           "speedup_per_input": 5.33, "speedup_same_pairs": 5.71, "add_article": add, "load_1min": [1.5, 2.0]}
    bigger = run | {"claims": 10000, "add_article": add | {"seconds": 5.0, "claims": 10004, "runs_s": [5.5, 5.0, 4.75]}}
    results = {"machine": {"cpu": "x", "cores": 2, "memory_gib": 24, "gpu": None, "python": "3.11", "torch": "2"},
               "verify_version": "0.1", "created": "now", "baseline_sample": 2000, "settings": {}, "runs": [run, bigger]}
    md = render_markdown(results)
    assert "| 1,000 | 100 |" in md and "92.0% / 91.0%" in md and "5.33x / 5.71x" in md
    assert "| 1,004 | 4.00 | 0.50 / 0.20 / 0.10 / 0.30 / 0.40 / 0.20 / 0.10 | 810 (10) | 809 of 811 (+1 / -2) | " \
           "90.00% / 90.12% | 1.5 -> 2.0 |" in md
    assert "| 10,004 | 5.00 (5.50, 5.00, 4.75) |" in md  # the median, then each run
    assert "at 10,000 claims took 1.25x what it took at 1,000 claims" in md
    fake = {**results, "settings": {"nli_model": "keyword"}, "runs": [run | {"naive": None, "speedup_per_input": None}]}
    assert "| - | - | - |" in render_markdown(fake) and "models: nli_model=keyword" in render_markdown(fake)
    plot(results, tmp_path / "p.png")
    plot(fake, tmp_path / "fake.png")
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "fake.png").stat().st_size > 1000


# -- the embedder's plain path -------------------------------------------------------------------------


def _st_folder(tmp_path: Path, kinds: list[str], pooling: dict, bert: dict | None = None, prompts: dict | None = None) -> Path:
    folder = tmp_path / "st"
    (folder / "1_Pooling").mkdir(parents=True)
    modules = [{"idx": i, "name": str(i), "path": ["", "1_Pooling", "2_Normalize", "3_Dense"][i],
                "type": f"sentence_transformers.models.{kind}"} for i, kind in enumerate(kinds)]
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    (folder / "sentence_bert_config.json").write_text(json.dumps(bert or {"max_seq_length": 256, "do_lower_case": False}))
    if prompts is not None:
        (folder / "config_sentence_transformers.json").write_text(json.dumps({"prompts": prompts}))
    return folder


MEAN = {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}
CLS = {"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}


@pytest.mark.parametrize("kinds, pooling, bert, prompts, expected", [
    (["Transformer", "Pooling", "Normalize"], MEAN, None, None, "mean"),
    (["Transformer", "Pooling"], CLS, None, {}, "cls"),
    (["Transformer", "Pooling", "Dense"], MEAN, None, None, None),  # a projection: sentence-transformers runs it
    (["Transformer", "Pooling", "Normalize"], MEAN | {"pooling_mode_max_tokens": True}, None, None, None),
    (["Transformer", "Pooling", "Normalize"], MEAN, {"do_lower_case": True}, None, None),
    (["Transformer", "Pooling", "Normalize"], MEAN, None, {"query": "query: "}, None),
])
def test_plain_pooling_only_for_models_transformers_runs_identically(tmp_path, kinds, pooling, bert, prompts, expected):
    from verify.models.embed import plain_pooling

    assert plain_pooling(str(_st_folder(tmp_path, kinds, pooling, bert, prompts))) == expected
    assert plain_pooling(str(tmp_path / "missing")) is None


# -- memory-flat outputs -------------------------------------------------------------------------------


def test_the_streamed_json_report_is_the_documented_document(fake_settings, tmp_path):
    from verify.report import ReportJSON, iter_json, render_json, to_json_model, write_atomic

    report = Pipeline(fake_settings, store=False).run_paths([SEEDS])
    text = render_json(report)
    assert ReportJSON.model_validate_json(text) == to_json_model(report)
    assert json.loads(text)["schema_version"] == to_json_model(report).schema_version
    write_atomic(tmp_path / "r.json", iter_json(report))
    assert (tmp_path / "r.json").read_text(encoding="utf-8") == text


def test_ann_pairs_are_the_same_on_every_run():
    vectors, groups = _clustered(2500, dim=24, seed=3)
    first, _ = _ann_neighbours(vectors, groups, 5)
    again, _ = _ann_neighbours(vectors, groups, 5)
    assert (first == again).all()


def test_claims_lines_are_found_for_articles_in_any_order_repeated_or_empty(tmp_path):
    from verify.report.schema import claim_line

    pipeline = Pipeline(Settings(embed_model="hash", nli_model="keyword"), store=Store(tmp_path / "s.sqlite"))
    claim = Claim("c:0", "a:1", "Wire", "It fell in 1945 é.", "It fell in 1945 é.", (0, 18))
    known = {"k1": [claim, replace(claim, id="c:1", rebuts="c:0")], "k2": [],
             "k3": [replace(claim, id="c:3", article_id="a:3", source="Post")]}
    article = {k: Article(f"a:{k[1]}", "", "Post" if k == "k3" else "Wire", None, None, None, "", "", (0,)) for k in known}
    for keys in (["k1", "k2", "k3"], ["k2", "k1", "k3", "k1", "k2"], ["k2"]):
        claims = pipeline._with_lines("v1", [article[k] for k in keys], keys, dict(known))
        assert list(claims) == [c for k in keys for c in known[k]]
        assert [claims.line(n) for n in range(len(claims))] == [claim_line(c) for c in claims]
        assert claim_columns(claims) == claim_columns(list(claims))  # the columns kept: those of the records


def test_stored_claims_are_decoded_an_article_at_a_time_when_read(fake_settings, tmp_path, monkeypatch):
    """A second run over the same articles reads the stored claims' columns, lines and facts' entries, and decodes
    an article's claims only when one of them is read; what it reads is what the first run extracted."""
    from verify.pipeline import core

    settings = fake_settings.model_copy(update={"store": tmp_path / "s.sqlite"})
    pipeline = Pipeline(settings)
    articles = pipeline.ingest([SEEDS, ROOT / "tests" / "fixtures" / "topics"])
    first = list(pipeline.extract(articles))
    decoded: list[int] = []
    monkeypatch.setattr(core, "claims_from_json", lambda blob: decoded.append(1) or claims_from_json(blob))
    again = Pipeline(settings).extract(articles)
    assert isinstance(again, StoredClaims) and decoded == []
    assert claim_columns(again) == claim_columns(first) and len(again) == len(first)
    assert facts_of(again.facts) == shared_facts(first, pipeline.knowledge)
    assert again[-1] == first[-1] and decoded == [1]  # the last article's claims only
    assert again == first and again[1:3] == first[1:3] and len(decoded) == len({c.article_id for c in first})


def test_a_store_can_be_closed_on_another_thread(tmp_path):
    """The collector may free a store on whichever thread allocates (a run's state reader): closing it there works."""
    import threading

    store = Store(tmp_path / "s.sqlite")
    store.put_claims("v1", [("k", [])])
    errors: list[BaseException] = []

    def close() -> None:
        try:
            store._closer()
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            errors.append(exc)

    thread = threading.Thread(target=close)
    thread.start()
    thread.join()
    assert errors == [] and not store._closer.alive
    assert Store(tmp_path / "s.sqlite").get_claims("v1", ["k"]) == {"k": []}
