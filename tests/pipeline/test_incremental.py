"""Incremental runs (verify.pipeline.incremental, verify.pairing.PairState): a corpus that differs from one the store
has seen by a few articles gives the report a run from scratch gives, for the work of those articles only."""

from __future__ import annotations

import json
import logging
import random
import re
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from verify import pairing
from verify.models.fakes import CountingEmbedder, CountingJudge
from verify.pairing import Known, Pairer, PairState, sorted_unique, unique_ids, unique_rows
from verify.pipeline import incremental, state_files
from verify.pipeline.caches import CachedEmbedder
from verify.pipeline.core import Pipeline
from verify.pipeline.store import Store
from verify.records import (
    Agreement,
    Article,
    Assessment,
    Attribution,
    Claim,
    ClaimPair,
    Conflict,
    DistinctEntities,
    Judgement,
    NLIScores,
    OutletEvidence,
    PairVerdict,
    Rebuttal,
    TimeGap,
)
from verify.report import render_json
from verify.report.schema import pair_line, to_json_model
from verify.report.view import verdict_counts
from verify.verdict.aggregate import Aggregator
from verify.verdict.table import SEPARATOR, AssessmentTable, StoredLines, VerdictTable, offsets, packed

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
    monkeypatch.setattr(state_files, "DECODE_LINES", 3)  # stored lines decoded a few at a time, as a big state is
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


def test_the_state_holds_the_vectors_so_only_new_claims_are_embedded(fake_settings, articles, tmp_path, caplog):
    """No vector cache in front of the embedder: the pairing state's own vectors stand for the claims it holds. A
    model giving vectors of another size under the same name drops the state (and gets every claim to embed)."""
    store = Store(tmp_path / "s.sqlite")
    Pipeline(fake_settings, embedder=CountingEmbedder(), store=store).run(articles[:-2])
    embedder = CountingEmbedder()
    report = Pipeline(fake_settings, embedder=embedder, store=store).run(articles[:-1])
    assert sorted(embedder.texts) == sorted(c.standalone for c in report.claims if c.article_id == articles[-2].id)
    assert document(report) == document(scratch(fake_settings, articles[:-1]))
    wider = CountingEmbedder(dim=300)
    with caplog.at_level(logging.WARNING, logger="verify.pipeline.incremental"):
        pipeline = Pipeline(fake_settings, embedder=wider, store=store)
        again = pipeline.run(articles)
    assert "vectors of 256 values" in caplog.text and pipeline.last_pairing["incremental"]["state"] == "new"
    assert set(wider.texts) == {c.standalone for c in again.claims}
    assert document(again) == document(Pipeline(fake_settings, embedder=CountingEmbedder(dim=300), store=False
                                                ).run(articles))


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
        next(folder.glob("pairs-*.jsonl")).write_text("", encoding="utf-8")
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


def _clustered(n: int = 400, dim: int = 12, seed: int = 4) -> tuple[list[Claim], np.ndarray]:
    """Claims of 60 articles from 7 outlets, with vectors around 40 centres and shared names and numbers."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim))
    vectors = (centres[rng.integers(0, 40, n)] + 0.4 * rng.normal(size=(n, dim))).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    names = [f"E{i}" for i in range(25)]
    claims = [Claim(f"c{i}", f"a{i % 60}", f"S{i % 7}", f"t{i}", f"t{i}", (0, 1), entities=tuple(rng.choice(names, 2)),
                    entity_types=("PERSON", "ORG"), numbers=(str(rng.integers(0, 30)),)) for i in range(n)]
    return claims, vectors


def test_a_pair_state_moved_claim_by_claim_matches_one_built_at_once():
    """Exact mode: after any sequence of additions and removals, the candidates of a from-scratch build."""
    rng = np.random.default_rng(4)
    claims, vectors = _clustered()
    dim = vectors.shape[1]
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
        assert np.array_equal(state.candidates(vs), fresh.candidates(vs))
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


def test_candidate_rows_are_distinct_and_in_order():
    rows = unique_rows(np.array([[3, 4], [1, 2], [3, 4], [0, 9], [1, 2]]))
    assert rows.tolist() == [[0, 9], [1, 2], [3, 4]]
    assert unique_rows(np.zeros((0, 2), dtype=np.int64)).shape == (0, 2)


def test_sorted_unique_is_np_unique():
    rng = np.random.default_rng(0)
    for values in (rng.integers(-5, 50, 500), rng.integers(0, 1 << 62, 300), np.array([7]), np.zeros(0, np.int64)):
        assert np.array_equal(sorted_unique(values), np.unique(values))


def test_pairs_assembled_from_known_similarities_and_keys_are_the_pairs_worked_out():
    claims, vectors = _clustered()
    pairer = Pairer(top_k=3, min_similarity=0.55, shared_min_similarity=0.3)
    state = PairState(pairer, vectors.shape[1], approximate=False)
    state.update(claims, vectors, unique_ids(c.id for c in claims))
    chosen = state.candidates(vectors)
    pairs, rows = pairer.finish(claims, vectors, chosen, "exact")
    half = slice(None, None, 2)  # what a stored state would hold: the rest is worked out
    known = Known(rows[half], np.array([p.similarity for p in pairs[half]]), [p.shared for p in pairs[half]])
    again, again_rows = pairer.finish(claims, vectors, chosen, "exact", known)
    assert again == pairs and np.array_equal(again_rows, rows)
    marked = Known(rows[:1], np.array([pairs[0].similarity]), [("from the state",)])
    assert pairer.finish(claims, vectors, chosen, "exact", marked)[0][0].shared == ("from the state",)  # read, not redone


def test_a_pair_table_reads_as_the_list_of_its_pairs():
    """Pairs as columns (``PairTable``): indexing, slices, iteration, equality and the columns the pipeline reads
    in place of records (ends, similarity, plain) agree with the records themselves."""
    claims, vectors = _clustered()
    pairer = Pairer(top_k=3, min_similarity=0.55, shared_min_similarity=0.3)
    table, _ = pairer.finish(claims, vectors, _candidates(pairer, claims, vectors), "exact")
    records = [ClaimPair(p.a, p.b, p.similarity, p.shared, p.via) for p in table]
    records[-1] = replace(records[-1], via=records[0].a.id)  # a rebuttal link, as a table of records holds it
    for pairs in (table, pairing.PairTable.of(records)):
        expected = list(pairs)
        assert len(expected) > 4 and pairs == expected and pairs[-1] == expected[-1] and pairs[1:4] == expected[1:4]
        assert pairing.pair_ends(pairs, [0, 2]) == [(p.a.id, p.a.source, p.b.id, p.b.source) for p in expected[0:3:2]]
        assert pairing.PairTable.of(pairs).similarity.tolist() == [p.similarity for p in expected]
        assert pairing.PairTable.of(pairs).plain().tolist() == [p.via is None and not p.shared for p in expected]
        with pytest.raises(IndexError):
            pairs[len(expected)]
    assert pairing.PairTable.of(records) == records and pairing.PairTable.of(table) is table
    assert pairing.pair_ends(records, [1]) == pairing.pair_ends(pairing.PairTable.of(records), [1])
    assert any(not p.shared for p in table) and any(p.shared for p in table)  # both kinds of pair were compared


def _candidates(pairer: Pairer, claims, vectors) -> np.ndarray:
    state = PairState(pairer, vectors.shape[1], approximate=False)
    state.update(claims, vectors, unique_ids(c.id for c in claims))
    return state.candidates(vectors)


def test_head_lines_are_decoded_together_and_once():
    heads = [(None, ()), (None, ("1945", 'a "quoted", name [x]')), ("c:1", ()), ('c:"x", [y]', ("\u00dcber", "b")),
             (None, ())]
    old = state_files.StoredVerdicts.__new__(state_files.StoredVerdicts)
    old.head_lines = [json.dumps([via, list(shared)]) for via, shared in heads]
    old.plain_list = [via is None and not shared for via, shared in heads]
    old.heads = {}
    assert old.heads_of([3, 0, 1, 3, 2, 4]) == [heads[i] for i in [3, 0, 1, 3, 2, 4]]
    assert sorted(old.heads) == [1, 2, 3]  # the plain ones are never read
    old.head_lines = []  # what was decoded is not decoded again
    assert old.heads_of(range(len(heads))) == heads


def test_stored_verdicts_decode_as_the_run_gave_them(fake_settings, articles, tmp_path, monkeypatch):
    monkeypatch.setattr(state_files, "DECODE_LINES", 4)
    store = Store(tmp_path / "s.sqlite")
    report = Pipeline(fake_settings, store=store).run(articles)
    old = state_files.StoredVerdicts(_state_folder(store), "")
    heads = [json.loads(line) for line in old.head_lines]  # written in the order of the run's pairs
    assert old.heads_of(range(len(heads))) == [(r[0], tuple(r[1])) for r in heads]
    assert [(h[0], tuple(h[1])) for h in heads] == [(v.pair.via, v.pair.shared) for v in report.verdicts]
    judgements = [Judgement(v.pair, v.forward, v.backward) for v in report.verdicts]
    assert old.verdicts(judgements, np.arange(len(judgements))) == list(report.verdicts)
    assert old.names.tolist() == [v.verdict for v in report.verdicts]
    assert old.ids.tolist() == [v.pair.id for v in report.verdicts]
    assert [old.lines.line(n) for n in range(len(old.lines))] == [pair_line(v, v.pair.id) for v in report.verdicts]
    assert any(v.evidence for v in report.verdicts)
    assert old.groups[:, :2].tolist() == [[x.claim_id, x.source] for x in report.assessments]
    assert old.read_assessments(range(len(old.groups))) == list(report.assessments)


def test_a_kept_verdict_is_read_only_when_asked_for(fake_settings, articles, tmp_path, monkeypatch):
    """An incremental run's report holds the kept verdicts as columns and lines: counting, ordering and writing
    the JSON decode none of them; reading one decodes that one."""
    store = Store(tmp_path / "s.sqlite")
    Pipeline(fake_settings, store=store).run(articles[:-1])
    decoded: list[int] = []
    original = state_files.StoredVerdicts.verdicts

    def counted(self, judgements, records):
        decoded.extend(np.asarray(records).tolist())
        return original(self, judgements, records)

    monkeypatch.setattr(state_files.StoredVerdicts, "verdicts", counted)
    read_assessments = state_files.StoredVerdicts.read_assessments
    assessed: list[int] = []

    def counted_assessments(self, positions):
        assessed.extend(positions)
        return read_assessments(self, positions)

    monkeypatch.setattr(state_files.StoredVerdicts, "read_assessments", counted_assessments)
    report = Pipeline(fake_settings, store=store).run(articles)
    assert isinstance(report.verdicts, VerdictTable)
    render_json(report)
    verdict_counts(report)
    assert decoded == [] and assessed == []
    report.verdicts[0]
    assert len(decoded) <= 1
    scratch = Pipeline(fake_settings, store=False).run(articles)
    tail = '\n  "pairs": ['  # from the pairs on, the documents are the same text
    assert render_json(report).split(tail)[1] == render_json(scratch).split(tail)[1]
    assert to_json_model(report).pairs == to_json_model(scratch).pairs
    assert to_json_model(report).assessments == to_json_model(scratch).assessments


@pytest.mark.parametrize("max_segments", [2, state_files.MAX_SEGMENTS])
def test_report_lines_are_kept_in_linked_segments(fake_settings, articles, tmp_path, monkeypatch, max_segments):
    """Each added article's pairs go into a segment of their own, the kept ones stay where they were (linked, not
    copied); past MAX_SEGMENTS (or mostly dead bytes) one segment holds all. Every report reads as from scratch."""
    monkeypatch.setattr(state_files, "MAX_SEGMENTS", max_segments)
    store = Store(tmp_path / "s.sqlite")
    tail = '\n  "pairs": ['
    counts = []
    for n in range(len(articles) - 4, len(articles) + 1):
        report = Pipeline(fake_settings, store=store).run(articles[:n])
        assert render_json(report).split(tail)[1] == render_json(scratch(fake_settings, articles[:n])).split(tail)[1]
        counts.append(len(list(_state_folder(store).glob("pairs-*.jsonl"))))
    assert max(counts) <= max_segments and (counts[-1] > 1 if max_segments > 4 else 1 in counts[1:])
    (row,) = store.pair_states()  # a linked file is registered with the sum it was read with: the file's own
    assert {f.name: state_files.file_sum(f) for f in _state_folder(store).iterdir()} == row["files"]


def test_the_group_index_finds_what_a_scan_of_the_pairs_finds():
    """Groups by claim id, also when an article is given twice (its claims at two places)."""
    rng = random.Random(5)
    claims = [Claim(f"c{i}", f"a{i // 4}", f"S{i // 4 % 3}", f"t{i}", f"t{i}", (0, 1),
                    rebuts="c4" if i == 5 else None) for i in range(24)]
    claims += claims[:4]  # article a0 again
    rows = sorted({(i, j) for i, j in (sorted(rng.sample(range(len(claims)), 2)) for _ in range(120))
                   if claims[i].article_id != claims[j].article_id})
    pairs = [ClaimPair(claims[i], claims[j], 0.5, via="c4" if 5 in (i, j) else None) for i, j in rows]
    index = incremental.GroupIndex(pairs, np.array(rows), claims)

    def touching(claim_id: str) -> list[int]:
        return [p for p, x in enumerate(pairs) if x.a.source != x.b.source and claim_id in (x.a.id, x.b.id)]

    for claim_id in {c.id for c in claims}:
        assert index.touching(claim_id) == touching(claim_id)
        for source in {c.source for c in claims}:
            assert index.members((claim_id, source)) == [
                p for p in touching(claim_id) if incremental._other(pairs[p], claim_id).source == source]
    for p, pair in enumerate(pairs):
        x = Assessment(pair.a.id, pair.b.source, "contradict", 0.9, "nli-contradiction", (pair.id,))
        expected = (pair.b.id, pair.a.source) if pair.a.source != pair.b.source else None
        assert index.mirror(x) == expected
    assert index.rebuttals == [p for p, x in enumerate(pairs) if x.via]
    assert index.rebuttal_bases(set(range(len(pairs)))) == {
        q for p in index.rebuttals for q in touching(incremental._other(pairs[p], "c5").id)
        if incremental._other(pairs[q], incremental._other(pairs[p], "c5").id).id == "c4"}


EVIDENCE = [Conflict("date", "1945-08-08", "1945-08-09", "the tower"), Agreement("people", "about 80", "79"),
            DistinctEntities("FAC", ("Friendship Tower", 'a "quoted", name'), ()), TimeGap("past", "once", ""),
            TimeGap("years_apart", "2001-05-01", "2024-05-01", 23.0), NLIScores("entailment", 0.8125, 0.25, 0.65),
            Attribution("c:1", "Wire One", "KCNA"), OutletEvidence("c:1", "Daily Two", "neutral", "p:2"),
            Rebuttal("Wire One", "c:1", "c:2", "KCNA", "It was built.", "In fact, it was not.", "p:1")]


def test_every_kind_of_evidence_is_tried():
    from verify.records import EVIDENCE_TYPES

    assert {type(x) for x in EVIDENCE} == set(EVIDENCE_TYPES.values())


@pytest.mark.parametrize("item", EVIDENCE, ids=lambda x: x.type)
def test_evidence_is_stored_in_the_report_line_and_read_back_as_it_was(item, tmp_path):
    a = Claim("c:1", "a:1", "Wire One", "It was built.", "It was built.", (0, 13))
    b = Claim("c:2", "a:2", "Daily Two", "It was not built.", "It was not built.", (0, 17))
    scores = {"entailment": 0.1, "neutral": 0.2, "contradiction": 0.7}
    verdict = PairVerdict(ClaimPair(a, b, 0.75), "contradict", 0.7, scores, scores, "a reason", ("x",), "value-conflict",
                          (item,))
    old = state_files.StoredVerdicts.__new__(state_files.StoredVerdicts)
    line = pair_line(verdict, verdict.pair.id)
    old.lines = StoredLines([line + SEPARATOR], np.array([[0, 0, len(line)]]))
    (again,) = old.verdicts([Judgement(verdict.pair, scores, scores)], np.array([0]))
    assert again == verdict


def test_the_collector_is_paused_only_while_records_are_read_back():
    import gc

    assert gc.isenabled()
    with state_files.collector_paused():
        assert not gc.isenabled()
        with state_files.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with state_files.collector_paused():
            pass
        assert not gc.isenabled()  # a caller's choice stays as it was
    finally:
        gc.enable()


@pytest.mark.parametrize("n_fresh", [0, 1, 3, 40])
def test_stored_assessments_without_some_groups_take_fresh_ones_in_group_order(n_fresh):
    rng = random.Random(n_fresh)
    everything = [Assessment(f"c:{rng.randrange(10**3):03d}", f"Outlet {rng.randrange(4)}", "support", 0.9, "nli",
                             ("p:1",)) for _ in range(300)]
    everything = sorted({(x.claim_id, x.source): x for x in everything}.values(), key=lambda x: (x.claim_id, x.source))
    stored = everything[::2]  # the state's; the other half are new groups
    old = state_files.StoredVerdicts.__new__(state_files.StoredVerdicts)
    old.groups = np.array([[x.claim_id, x.source, "", ""] for x in stored], dtype=str).reshape(-1, 4)
    gone = {(x.claim_id, x.source) for x in rng.sample(stored, min(n_fresh, len(stored)))}  # decided again
    fresh = [x for x in everything if (x.claim_id, x.source) in gone] + rng.sample(everything[1::2], n_fresh)
    rng.shuffle(fresh)
    refs = old.without(gone | {(x.claim_id, x.source) for x in fresh}, fresh).tolist()
    made = [stored[r] if r >= 0 else fresh[-1 - r] for r in refs]
    expected = [x for x in everything if x in stored or x in fresh]
    assert made == expected and all((r >= 0) == (x not in fresh) for r, x in zip(refs, made))



def test_stored_lines_are_found_by_segment_and_offset(tmp_path):
    one, two = b'{"a":1}' + SEPARATOR + b'{"b":"x\\ny"}' + SEPARATOR, b'["c"]' + SEPARATOR
    (tmp_path / "one.jsonl").write_bytes(one)
    (tmp_path / "two.jsonl").write_bytes(two)
    (tmp_path / "none.jsonl").write_bytes(b"")
    buffers = [state_files.mapped(tmp_path / name) for name in ("one.jsonl", "two.jsonl", "none.jsonl")]
    assert [bytes(b) for b in buffers] == [one, two, b""]
    where = np.array([[1, 0, 5], [0, 13, 12], [0, 0, 7], [0, 13, 12]])
    stored = StoredLines(buffers, where)
    assert [stored.line(n) for n in range(4)] == [b'["c"]', b'{"b":"x\\ny"}', b'{"a":1}', b'{"b":"x\\ny"}']
    for wrong in ([[1, 8, 5]], [[0, -1, 7]], [[3, 0, 1]]):  # past its segment's end, before its start, no segment
        with pytest.raises(ValueError, match="do not fit"):
            StoredLines(buffers, np.array(wrong))


def test_stored_lines_go_out_as_runs_of_what_lies_back_to_back():
    lines = [f'{{"n":{n}}}'.encode() for n in range(6)]
    buffer = SEPARATOR.join(lines[:5]) + SEPARATOR
    starts = [buffer.index(line) for line in lines[:5]]
    where = np.array([[0, starts[n], len(lines[n])] for n in range(5)] + [[-1, -1, -1]])  # the last not stored
    stored = StoredLines([buffer], where)
    runs = [bytes(run) for run in stored.runs([0, 1, 2, 5, 3, 4, 4, 1], lambda n: lines[n])]
    assert runs == [SEPARATOR.join(lines[:3]), lines[5], SEPARATOR.join(lines[3:5]), lines[4], lines[1]]
    assert list(stored.runs([], lambda n: lines[n])) == []


def test_in_sorted_is_np_isin_for_a_sorted_reference():
    rng = np.random.default_rng(1)
    for values, reference in ((rng.integers(0, 40, 200), np.unique(rng.integers(0, 40, 30))),
                              (rng.integers(0, 1 << 62, 50), np.zeros(0, np.int64)),
                              (np.zeros(0, np.int64), np.arange(5)), (np.array([9, -1, 3]), np.array([3]))):
        assert np.array_equal(pairing.in_sorted(values, reference), np.isin(values, reference))


def test_a_state_finds_the_slots_of_the_claims_it_holds():
    claims, vectors = _clustered()
    state = PairState(Pairer(top_k=3, min_similarity=0.55, shared_min_similarity=0.3), vectors.shape[1], False)
    uids = unique_ids(c.id for c in claims)
    state.update(claims[:-2], vectors[:-2], uids[:-2])
    held = state.held(uids)
    assert held[:-2].tolist() == state.slot_of.tolist() and held[-2:].tolist() == [-1, -1]
    state.update(claims[2:], vectors[2:], uids[2:], held[2:])  # the caller's look-up, passed on
    assert state.slot_of[:-2].tolist() == held[2:-2].tolist() and sorted(state.slot_of[-2:].tolist()) == [
        len(claims) - 2, len(claims) - 1]


def test_assessments_naming_a_longer_outlet_than_any_stored_are_kept_whole(fake_settings, articles, tmp_path):
    """The stored groups are copied as an array of fixed width: a fresh outlet name longer than every stored one
    widens it instead of being cut, in the run that adds it and in the run that reads it back."""
    store = Store(tmp_path / "s.sqlite")
    Pipeline(fake_settings, store=store).run(articles[:-1])
    longer = [*articles[:-1], replace(articles[-1], source="An Outlet Whose Name Is Longer Than Any Other " * 3)]
    expected = document(scratch(fake_settings, longer))
    assert document(Pipeline(fake_settings, store=store).run(longer)) == expected
    moved = [*longer[1:], longer[0]]  # the same articles in another order: read back from the state
    again = Pipeline(fake_settings, store=store)
    assert document(again.run(moved)) == document(scratch(fake_settings, moved))
    assert again.last_pairing["incremental"]["state"] == "updated"


def test_a_table_is_written_as_runs_and_read_back_line_by_line(tmp_path):
    """``write_runs``: stored lines copied as the runs they lie in, fresh ones as made, each followed by the separator;
    the spans it returns find every line again."""
    lines = [f'{{"n":{n},"x":"{"é" * n}"}}'.encode() for n in range(5)]
    buffer = SEPARATOR.join(lines[:3]) + SEPARATOR
    where = np.array([[0, buffer.index(lines[n]), len(lines[n])] for n in range(3)] + [[-1, -1, -1]] * 2)
    table = AssessmentTable([("c", "o")] * 5, lambda positions: [], [None, None, None, lines[3], lines[4]],
                            StoredLines([buffer], where))
    spans = state_files.write_runs(tmp_path / "lines", table)
    again = StoredLines([state_files.mapped(tmp_path / "lines")], np.column_stack([np.zeros(5, np.int64), spans]))
    assert [again.line(n) for n in range(5)] == lines
    assert (tmp_path / "lines").read_bytes() == SEPARATOR.join(lines) + SEPARATOR


def test_the_generation_read_is_gone_when_the_run_returns(fake_settings, articles, tmp_path):
    """``save`` removes the generation it read on a thread; the run waits for it before it returns."""
    store = Store(tmp_path / "s.sqlite")
    Pipeline(fake_settings, store=store).run(articles[:-1])
    (row,) = store.pair_states()
    Pipeline(fake_settings, store=store).run(articles)
    (again,) = store.pair_states()
    assert again["generation"] != row["generation"]
    assert [p.name for p in (store.state_root() / row["id"]).iterdir()] == [again["generation"]]


def test_packed_lines_are_found_by_their_offsets_and_taken_by_record():
    lines = [b'{"a":1}', b'{"b":"\xc3\xa9"}', b"[]"]
    data, lengths = packed(lines)
    assert data == SEPARATOR.join(lines) + SEPARATOR and lengths.tolist() == [7, 10, 2]
    empty, none = packed([])
    assert empty == b"" and none.tolist() == []
    stored = StoredLines([data], np.column_stack([np.zeros(3, np.int64), offsets(lengths), lengths]))
    taken = stored.take(np.array([2, -1, 0]))
    assert [taken.line(0), taken.line(2)] == [b"[]", b'{"a":1}'] and not taken.stored(1)
    assert StoredLines([], np.zeros((0, 3))).take(np.array([-1, -1])).where.tolist() == [[-1, -1, -1]] * 2


def test_the_state_is_read_on_a_thread_while_the_claims_are_extracted(fake_settings, articles, tmp_path, monkeypatch):
    """``prefetch`` starts reading the state before extraction; the pairing takes what that thread read."""
    store = Store(tmp_path / "s.sqlite")
    Pipeline(fake_settings, store=store).run(articles[:-1])
    events: list[tuple[str, str]] = []
    read, extract = incremental.read_state, Pipeline.extract

    def reading(*args):
        events.append(("read", threading.current_thread().name))
        return read(*args)

    def extracting(self, arts, on_batch=None, keys=None):
        events.append(("extract", threading.current_thread().name))
        return extract(self, arts, on_batch, keys)

    monkeypatch.setattr(incremental, "read_state", reading)
    monkeypatch.setattr(Pipeline, "extract", extracting)
    pipeline = Pipeline(fake_settings, store=store)
    report = pipeline.run(articles)
    assert sorted(events) == [("extract", "MainThread"), ("read", "verify-state-read")]
    assert pipeline.last_pairing["incremental"]["state"] == "updated"
    assert document(report) == document(scratch(fake_settings, articles))


def test_a_state_moved_on_while_it_was_read_ahead_is_read_again(fake_settings, articles, tmp_path, monkeypatch):
    """Another run moves the state on (and removes the generation being read ahead) while this one extracts its
    claims: the pairing reads the new generation, and the report is the one from scratch."""
    store = Store(tmp_path / "s.sqlite")
    Pipeline(fake_settings, store=store).run(articles[:-2])
    extract, read, nested, readers = Pipeline.extract, incremental.read_state, [], []

    def reading(*args):
        readers.append(threading.current_thread().name)
        return read(*args)

    def extracting(self, arts, on_batch=None, keys=None):
        if not nested:
            nested.append(self)
            Pipeline(fake_settings, store=store).run(articles[:-1])
        return extract(self, arts, on_batch, keys)

    monkeypatch.setattr(Pipeline, "extract", extracting)
    monkeypatch.setattr(incremental, "read_state", reading)
    pipeline = Pipeline(fake_settings, store=store)
    report = pipeline.run(articles)
    assert readers == ["verify-state-read"] * 2 + ["MainThread"]  # ahead for both runs, then again for this one
    assert nested and pipeline.last_pairing["incremental"]["state"] == "updated"
    assert document(report) == document(scratch(fake_settings, articles))
