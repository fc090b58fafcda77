"""Incremental runs (verify.pipeline.incremental, verify.pairing.PairState): a corpus that differs from one the store
has seen by a few articles gives the report a run from scratch gives, for the work of those articles only."""

from __future__ import annotations

import json
import logging
import random
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from verify import pairing
from verify.models.fakes import CountingEmbedder, CountingJudge
from verify.pairing import Pairer, PairState, unique_ids
from verify.pipeline import incremental
from verify.pipeline.caches import CachedEmbedder
from verify.pipeline.core import Pipeline
from verify.pipeline.store import Store
from verify.records import Article, Claim
from verify.report import render_json
from verify.verdict.aggregate import Aggregator

ROOT = Path(__file__).resolve().parents[2]
OUTLETS = ("Wire One", "Daily Two", "Herald Three", "Post Four", "Ledger Five")


def sentences() -> list[str]:
    """Sentences of the seed and topic articles, with negated and re-numbered copies (for conflicts)."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    texts += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests" / "fixtures" / "topics").rglob("*.txt"))]
    found = [s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if 40 < len(s.strip()) < 300]
    out = list(dict.fromkeys(found))
    out += [re.sub(r"\b(was|were|is|are|has|had)\b", r"\1 not", s, count=1) for s in out[::3]]
    out += [re.sub(r"\d", lambda m: str((int(m.group()) + 3) % 10), s, count=1) for s in out[1::4] if re.search(r"\d", s)]
    return out


def write_corpus(folder: Path, n: int = 30, seed: int = 0) -> list[Path]:
    """``n`` articles of 5 to 8 sentences each from a shared pool, from five outlets: one file each."""
    pool = sentences()
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(n):
        record = {"text": "\n\n".join(rng.sample(pool, rng.randint(5, 8))), "source": OUTLETS[i % len(OUTLETS)],
                  "title": f"story {i}", "date": f"2024-05-{1 + i % 27:02d}"}
        files.append(folder / f"{i:03d}.jsonl")
        files[-1].write_text(json.dumps(record) + "\n", encoding="utf-8")
    return files


def document(report) -> dict:
    data = json.loads(render_json(report))
    data.pop("meta")
    data.pop("created", None)
    return data


@pytest.fixture
def articles(fake_settings, tmp_path) -> list[Article]:
    return Pipeline(fake_settings, store=False).ingest(write_corpus(tmp_path / "corpus"))


def scratch(settings, arts: list[Article]):
    return Pipeline(settings, store=False).run(arts)


def _steps(arts: list[Article]) -> list[list[Article]]:
    """A desk's week: a start, new articles one and three at a time, the order reversed, one dropped, half the
    corpus at once, one re-dated, the last one dropped."""
    n = len(arts)
    redated = [*arts[:2], replace(arts[2], date="2024-06-30"), *arts[3:]]  # same text, another date: new claims
    return [arts[: n // 2], arts[: n // 2 + 1], arts[: n // 2 + 4], list(reversed(arts[: n // 2 + 4])),
            arts[1 : n // 2 + 4], arts, redated, redated[:-1]]


@pytest.mark.parametrize("approximate", [False, True])
def test_every_step_of_a_growing_corpus_gives_the_from_scratch_report(fake_settings, articles, tmp_path, monkeypatch,
                                                                       approximate):
    if approximate:  # a small index is exact enough: the pairs must be the from-scratch ones too
        monkeypatch.setattr(Pairer, "approximate", lambda self, n: True)
    store = Store(tmp_path / "s.sqlite")
    for step in _steps(articles):
        pipeline = Pipeline(fake_settings, store=store)
        report = pipeline.run(step)
        assert document(report) == document(scratch(fake_settings, step))
        assert pipeline.last_pairing["method"] == ("ann" if approximate else "exact")
    stats = pipeline.last_pairing["incremental"]
    assert stats["state"] == "updated" and stats["pairs_kept"] > 0 and stats["verdicts_rerun"] < len(report.verdicts)


def test_a_new_article_costs_only_its_own_pairs(fake_settings, articles, tmp_path, monkeypatch):
    store = Store(tmp_path / "s.sqlite")
    old = articles[:-1]
    Pipeline(fake_settings, store=store).run(old)
    decided: list[str] = []
    decide = Aggregator.decide
    monkeypatch.setattr(Aggregator, "decide", lambda self, j: decided.append(j.pair.id) or decide(self, j))
    judge = CountingJudge()
    pipeline = Pipeline(fake_settings, judge=judge, store=store)
    report = pipeline.run(articles)
    new_ids = {c.id for c in report.claims if c.article_id == articles[-1].id}
    new_texts = {c.standalone for c in report.claims if c.article_id == articles[-1].id}
    new_pairs = {v.pair.id for v in report.verdicts if {v.pair.a.id, v.pair.b.id} & new_ids}
    assert new_pairs and judge.seen
    assert all(p in new_texts or h in new_texts for p, h in judge.seen)  # NLI: only pairs with a new claim
    assert len(judge.seen) == 2 * len(new_pairs)
    assert set(decided) <= new_pairs | {v.pair.id for v in report.verdicts if v.pair.via}  # the rest: stored
    assert report.meta["counts"]["nli_cached"] == 2 * (len(report.verdicts) - len(new_pairs))
    stats = pipeline.last_pairing["incremental"]
    assert stats["new_claims"] == len(new_ids) and stats["dropped_claims"] == 0
    assert stats["verdicts_rerun"] < len(report.verdicts) / 2
    assert document(report) == document(scratch(fake_settings, articles))


def test_an_unchanged_corpus_runs_again_without_models_or_verdict_logic(fake_settings, articles, tmp_path, monkeypatch):
    store = Store(tmp_path / "s.sqlite")
    first = Pipeline(fake_settings, embedder=CachedEmbedder(CountingEmbedder(), store), store=store).run(articles)
    embedder, judge = CountingEmbedder(), CountingJudge()
    monkeypatch.setattr(Aggregator, "aggregate", lambda *a, **k: pytest.fail("the verdict logic ran"))
    monkeypatch.setattr(Aggregator, "decide", lambda *a, **k: pytest.fail("a pair was decided"))
    pipeline = Pipeline(fake_settings, embedder=CachedEmbedder(embedder, store), judge=judge, store=store)
    again = pipeline.run(articles)
    assert (embedder.texts, judge.seen) == ([], [])
    assert document(again) == document(first)
    assert pipeline.last_pairing["incremental"] | {"verdicts_rerun": 0} == {
        "state": "updated", "new_claims": 0, "dropped_claims": 0, "searched_again": 0,
        "pairs_kept": len(first.verdicts), "verdicts_rerun": 0}


def _state_folder(store: Store) -> Path:
    (row,) = store.pair_states()
    return store.state_root() / row["id"] / row["generation"]


@pytest.mark.parametrize("damage", ["delete pairing", "flip a byte", "truncate verdicts", "delete index",
                                    "garbage index", "other dimension"])
def test_a_state_that_cannot_be_trusted_is_paired_afresh(fake_settings, articles, tmp_path, monkeypatch, caplog, damage):
    monkeypatch.setattr(Pairer, "approximate", lambda self, n: True)
    store = Store(tmp_path / "s.sqlite")
    Pipeline(fake_settings, store=store).run(articles[:-1])
    folder = _state_folder(store)
    if damage == "delete pairing":
        (folder / "pairing.npz").unlink()
    elif damage == "flip a byte":
        data = bytearray((folder / "pairing.npz").read_bytes())
        data[len(data) // 2] ^= 0xFF
        (folder / "pairing.npz").write_bytes(bytes(data))
    elif damage == "truncate verdicts":
        (folder / "verdicts.jsonl").write_text("", encoding="utf-8")
    elif damage == "delete index":
        (folder / "index.usearch").unlink()
    elif damage == "garbage index":
        size = (folder / "index.usearch").stat().st_size
        (folder / "index.usearch").write_bytes(b"\x00" * size)
    else:  # a state written for vectors of another size is never read as this one's
        meta = json.loads((folder / "meta.json").read_text())
        (folder / "meta.json").write_text(json.dumps(meta | {"dim": meta["dim"] + 1}))
    with caplog.at_level(logging.WARNING, logger="verify.pipeline.incremental"):
        pipeline = Pipeline(fake_settings, store=store)
        report = pipeline.run(articles)
    assert pipeline.last_pairing["incremental"]["state"] == "new"
    assert "cannot be trusted" in caplog.text
    assert document(report) == document(scratch(fake_settings, articles))
    assert len(store.pair_states()) == 1 and not folder.exists()  # the new state replaced nothing: the old one is gone


def test_the_index_is_stored_and_extended_with_the_new_claims_only(fake_settings, articles, tmp_path, monkeypatch):
    monkeypatch.setattr(Pairer, "approximate", lambda self, n: True)
    added: list[int] = []
    original = pairing.index_add
    monkeypatch.setattr(pairing, "index_add", lambda index, keys, vectors: added.append(len(keys)) or
                        original(index, keys, vectors))
    store = Store(tmp_path / "s.sqlite")
    first = Pipeline(fake_settings, store=store).run(articles[:-2])
    assert added == [len(first.claims)] and (_state_folder(store) / "index.usearch").exists()
    second = Pipeline(fake_settings, store=store).run(articles)
    assert added[1:] == [len(second.claims) - len(first.claims)]
    from usearch.index import Index

    assert len(Index.restore(str(_state_folder(store) / "index.usearch"))) == len(second.claims)


def test_states_are_kept_per_corpus_and_the_least_recently_used_dropped(fake_settings, tmp_path):
    store = Store(tmp_path / "s.sqlite")
    corpora = [Pipeline(fake_settings, store=False).ingest(write_corpus(tmp_path / f"c{i}", n=6, seed=10 + i))
               for i in range(incremental.STATES_KEPT + 2)]
    for arts in corpora:
        Pipeline(fake_settings, store=store).run(arts)
    rows = store.pair_states()
    assert len(rows) == incremental.STATES_KEPT
    assert sorted(p.name for p in store.state_root().iterdir()) == sorted(r["id"] for r in rows)
    pipeline = Pipeline(fake_settings, store=store)
    pipeline.run(corpora[-1])  # the latest corpus finds its own state among the others
    assert pipeline.last_pairing["incremental"]["state"] == "updated"
    pipeline = Pipeline(fake_settings, store=store)
    pipeline.run(corpora[0])  # dropped: paired afresh
    assert pipeline.last_pairing["incremental"]["state"] == "new"


def test_a_pair_state_moved_claim_by_claim_matches_one_built_at_once():
    """Exact mode: after any sequence of additions and removals, the candidates of a from-scratch build."""
    rng = np.random.default_rng(4)
    n, dim = 400, 12
    centres = rng.normal(size=(40, dim))
    vectors = (centres[rng.integers(0, 40, n)] + 0.4 * rng.normal(size=(n, dim))).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    names = [f"E{i}" for i in range(25)]
    claims = [Claim(f"c{i}", f"a{i % 60}", f"S{i % 7}", f"t{i}", f"t{i}", (0, 1), entities=tuple(rng.choice(names, 2)),
                    entity_types=("PERSON", "ORG"), numbers=(str(rng.integers(0, 30)),)) for i in range(n)]
    pairer = Pairer(top_k=3, min_similarity=0.55, shared_min_similarity=0.3)
    state = PairState(pairer, dim, approximate=False)
    present = set(range(20))
    for step in range(10):
        present |= set(rng.choice(60, 3).tolist())
        if step % 3 == 2:
            present -= {min(present)}
        chosen = [i for i, c in enumerate(claims) if int(c.article_id[1:]) in present]
        cs, vs = [claims[i] for i in chosen], vectors[chosen]
        state.update(cs, vs, unique_ids(c.id for c in cs))
        fresh = PairState(pairer, dim, approximate=False)
        fresh.update(cs, vs, unique_ids(c.id for c in cs))
        assert state.candidates(vs) == fresh.candidates(vs)
        assert Pairer.finish(pairer, cs, vs, state.candidates(vs), "exact")[0] == pairer.pair(cs, vs)


def test_another_nli_model_or_other_rules_reuse_the_pairing_not_what_they_change(fake_settings, articles, tmp_path):
    from verify.models.resolve import Resolved

    store = Store(tmp_path / "s.sqlite")
    Pipeline(fake_settings, store=store).run(articles)
    other = CountingJudge(resolved=Resolved("keyword", "-", "retrained", "registry"))
    pipeline = Pipeline(fake_settings, judge=other, store=store)
    report = pipeline.run(articles)
    assert len(other.seen) == 2 * len(report.verdicts)  # the stored scores are another model's
    assert pipeline.last_pairing["incremental"]["state"] == "updated"  # the pairing is the same
    stricter = fake_settings.model_copy(update={"contradict_threshold": 0.95})
    judge = CountingJudge(resolved=other.resolved)
    pipeline = Pipeline(stricter, judge=judge, store=store)
    report = pipeline.run(articles)
    assert judge.seen == [] and pipeline.last_pairing["incremental"]["verdicts_rerun"] == len(report.verdicts)
    assert document(report) == document(scratch(stricter, articles))


def test_a_state_that_cannot_be_written_is_left_out(fake_settings, articles, tmp_path, monkeypatch, caplog):
    store = Store(tmp_path / "s.sqlite")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(incremental, "write_verdicts", full_disk)
    with caplog.at_level(logging.WARNING, logger="verify.pipeline.incremental"):
        report = Pipeline(fake_settings, store=store).run(articles)
    assert "could not keep the pairing state" in caplog.text and store.pair_states() == []
    assert document(report) == document(scratch(fake_settings, articles))
    assert not any(store.state_root().rglob("*.npz"))
