"""Incremental runs: a corpus that differs from one the store has seen by a few articles costs the work of those
articles - their claims' neighbours and blocks, the NLI of the pairs that involve them, and the verdict logic of
the groups those pairs can reach.

Beside the SQLite store (``Store.state_root()``) lives the state of each of the last STATES_KEPT corpora, one
folder per generation, registered in the store's ``pair_states`` table with every file's size and CRC-32:
``pairing.npz`` (the ``verify.pairing.PairState`` arrays), ``index.usearch`` (the HNSW index, approximate mode),
``verdicts.npz`` + ``verdicts.jsonl`` (per candidate pair: its claims' slots, similarity, NLI scores both ways,
rebuttal link, shared keys and final verdict) and ``assessments.jsonl`` (every outlet assessment).

A run (``Incremental``): picks the state of the same key (embedding model, extraction rules, pairing settings)
whose articles overlap the run's most - none, or one sharing less than KEEP_SHARE of the run's articles, means a
fresh one; moves its pairing to the run's claims (``PairState.update``); scores NLI only for pairs the state does
not hold as they are (same claims in the same order, same similarity and rebuttal link); re-runs the verdict
logic on the groups the changed pairs can reach (``Incremental.aggregate``), taking every other verdict and
assessment from the state; then writes the next generation and drops the one it read.

A state that cannot be trusted - a file missing or of another size or checksum, arrays that do not fit, an index of
another size or dimension - is ignored and the corpus paired afresh from its vectors: never a wrong answer, at
worst the cost of a first run. Verdicts are those a run over the whole corpus gives for the same pairs; the pairs
are those of a from-scratch pairing in exact mode (see ``verify.pairing.PairState`` for what holds in approximate
mode).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from verify.pairing import Pairer, PairState, unique_ids
from verify.pipeline.store import Store
from verify.records import (
    CONFLICTING,
    Assessment,
    Claim,
    ClaimPair,
    Cluster,
    Judgement,
    PairVerdict,
    evidence_from_dict,
    evidence_to_dict,
    short_hash,
)
from verify.verdict.aggregate import Aggregator, clusters

log = logging.getLogger(__name__)

FORMAT = "1"  # of the state files; part of every state key
STATES_KEPT = 4  # states (corpora) kept per store, least recently used dropped first
KEEP_SHARE = 0.5  # a state sharing less than this share of a run's articles is not worth updating
FULL_SHARE = 0.5  # when the verdict logic must look at more than this share of the pairs, it looks at all
ORPHAN_AGE_S = 3600  # generation folders no state names (a crashed writer's) are removed after this long

Decide = Callable[[Sequence[Judgement]], list[PairVerdict]]
Group = tuple[str, str]  # (claim id, other outlet): what one Assessment judges


def state_key(embed_key: str, extractor: str, pairer: Pairer) -> str:
    """What a stored pairing depends on: the vectors' model, the claims' rules and the pairing settings."""
    import usearch

    return short_hash(FORMAT, embed_key, extractor, pairer.key(), usearch.__version__)


class Incremental:
    """One run's incremental pairing and verdicts over ``store``: ``key`` names the pairing (``state_key``),
    ``scores_key`` the NLI model whose scores the state may hold. Call in order: ``pair``, ``judge``,
    ``aggregate``, ``save``."""

    def __init__(self, store: Store, pairer: Pairer, key: str, scores_key: str) -> None:
        self.store, self.pairer, self.key, self.scores_key = store, pairer, key, scores_key
        self.verdict_key = ""
        self.root = store.state_root()
        self.state: PairState | None = None
        self.row: dict[str, Any] | None = None  # the register row of the state read
        self.old: StoredVerdicts | None = None
        self.articles: list[str] = []
        self.pairs: list[ClaimPair] = []
        self.slots = np.zeros((0, 2), dtype=np.int64)  # per pair: the slots of a and b
        self.match: list[int] = []  # per pair: its record in ``old``, -1 when new or changed
        self.swapped: dict[int, int] = {}  # pair -> the record that holds it the other way round (scores reusable)
        self.judgements: list[Judgement] = []
        self.verdicts: list[PairVerdict] = []
        self.assessments: list[Assessment] = []
        self.rewritten: set[int] = set()  # pairs whose verdict this run decided (the others: from the state)
        self.index: GroupIndex | None = None
        self.stats: dict[str, Any] = {}

    # -- pairing -----------------------------------------------------------------------------------------
    def pair(self, claims: Sequence[Claim], vectors: np.ndarray, article_keys: Sequence[str]) -> list[ClaimPair]:
        """The corpus's candidate pairs, from the best stored state moved to this corpus (or a fresh one)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        dim = vectors.shape[1] if vectors.ndim == 2 and len(vectors) else 0
        approximate = self.pairer.approximate(len(claims))
        self.articles = sorted(set(article_keys))
        self.state, self.row, self.old = self._load(dim, approximate)
        reused = self.state is not None
        if self.state is None:
            self.state = PairState(self.pairer, dim, approximate)
        self.state.update(claims, vectors, unique_ids(f"{k}/{c.id}" for k, c in zip(article_keys, claims)))
        slot_of = self.state.slot_of
        chosen = self.state.candidates(vectors)
        known = self.old.known(chosen, slot_of) if self.old else None
        self.pairs, ij = self.pairer.finish(claims, vectors, chosen, self.state.method, known)
        self.slots = slot_of[np.array(ij, dtype=np.int64).reshape(-1, 2)]
        self.match, self.swapped = self.old.match(self.slots, self.pairs) if self.old else ([-1] * len(self.pairs), {})
        self.stats = {"state": "updated" if reused else "new", **self.state.stats,
                      "pairs_kept": sum(m >= 0 for m in self.match)}
        return self.pairs

    # -- NLI ---------------------------------------------------------------------------------------------
    def judge(self, judge: Callable[[Sequence[ClaimPair], Callable[[int], None] | None], list[Judgement]],
              on_batch: Callable[[int], None] | None = None) -> list[Judgement]:
        """Judgements for every pair: the state's scores for the pairs it holds (either way round), ``judge`` for
        the rest."""
        todo = [p for p, m in enumerate(self.match) if m < 0 and p not in self.swapped]
        if on_batch and len(todo) < len(self.pairs):
            on_batch(2 * (len(self.pairs) - len(todo)))
        fresh = dict(zip(todo, judge([self.pairs[p] for p in todo], on_batch)))
        old = self.old
        self.judgements = [fresh[p] if p in fresh else old.judgement(pair, m, swap=False) if m >= 0  # type: ignore[union-attr]
                           else old.judgement(pair, self.swapped[p], swap=True)  # type: ignore[union-attr]
                           for p, (pair, m) in enumerate(zip(self.pairs, self.match))]
        return self.judgements

    @property
    def reused(self) -> int:
        """Pairs whose scores came from the state."""
        return sum(m >= 0 for m in self.match) + len(self.swapped)

    # -- verdicts ----------------------------------------------------------------------------------------
    def aggregate(self, aggregator: Aggregator, decide: Decide, verdict_key: str
                  ) -> tuple[list[PairVerdict], list[Cluster], list[Assessment]]:
        """Verdicts, clusters and assessments of every pair, as ``aggregator.aggregate`` over all of them gives;
        ``verdict_key`` names what they depend on besides the pairs (the NLI model, the rules).

        The verdict logic is local: a pair's verdict depends on its own decision (``decide``), the decision of the
        pair it rebuts through, and the assessments of its two groups (claim, other outlet); an assessment on its
        group's pairs and, for a soft conflict, on the assessment of its mirror group (the deciding pair's other
        claim against this claim's outlet) when that one comes first. So only changed pairs, the groups they are
        in and the groups that read one of those as their mirror (transitively) can change. Their pairs are
        re-run together with every group their verdicts read, complete, and every mirror those read, until nothing
        is missing; the rest comes from the state."""
        judgements, old = self.judgements, self.old
        self.verdict_key = verdict_key
        if old is None or old.verdict_key != self.verdict_key:
            return self._everything(aggregator, decide)
        index = self.index = GroupIndex(self.pairs)
        removed = old.removed(set(self.match))
        direct = {p for p, m in enumerate(self.match) if m < 0} | self._rebuttals_to_redo(index, old, removed)
        touched = {g for p in direct for g in index.groups(p)} | old.removed_groups(self.state, removed)  # type: ignore[arg-type]
        reach = _closure(touched, old.mirror_dependents())
        targets = {p for g in reach for p in index.members(g)} | direct
        need = set(reach) | {g for p in targets for g in index.groups(p)}
        decisions: dict[int, PairVerdict] = {}
        while True:
            subset = {p for g in need for p in index.members(g)} | direct
            subset = sorted(subset | index.rebuttal_bases(subset))
            if len(subset) > FULL_SHARE * len(judgements):
                return self._everything(aggregator, decide)
            todo = [p for p in subset if p not in decisions]
            decisions.update(zip(todo, decide([judgements[p] for p in todo])))
            sub_verdicts, _, sub_assessments = aggregator.aggregate([judgements[p] for p in subset], [
                decisions[p] for p in subset]) if subset else ([], [], [])
            found = {(x.claim_id, x.source): x for x in sub_assessments}
            mirrors = {m for g in need if g in found for m in [index.mirror(found[g])] if m is not None} - need
            if not mirrors:
                break
            need |= mirrors
        fresh = {p: v for p, v in zip(subset, sub_verdicts) if p in targets}
        verdicts = [fresh[p] if p in fresh else old.verdict(j, m) for p, (j, m) in enumerate(zip(judgements, self.match))]
        assessments = {g: x for g, x in old.assessments().items() if g not in need}
        assessments |= {g: found[g] for g in need if g in found}
        self.rewritten = set(fresh)
        self.stats["verdicts_rerun"] = len(subset)
        return self._finish(verdicts, sorted(assessments.values(), key=lambda x: (x.claim_id, x.source)))

    def _everything(self, aggregator: Aggregator, decide: Decide
                    ) -> tuple[list[PairVerdict], list[Cluster], list[Assessment]]:
        verdicts, _, assessments = aggregator.aggregate(self.judgements, decide(self.judgements))
        self.rewritten = set(range(len(verdicts)))
        self.stats["verdicts_rerun"] = len(verdicts)
        return self._finish(verdicts, assessments)

    def _finish(self, verdicts: list[PairVerdict], assessments: list[Assessment]
                ) -> tuple[list[PairVerdict], list[Cluster], list[Assessment]]:
        self.verdicts, self.assessments = verdicts, assessments
        return verdicts, clusters(verdicts), assessments

    def _rebuttals_to_redo(self, index: GroupIndex, old: StoredVerdicts, removed: list[int]) -> set[int]:
        """The rebuttal pairs whose base pair (the other claim with the rebutted one) is new, changed or gone."""
        if not index.rebuttals:
            return set()
        ids = self.state.claim_id  # type: ignore[union-attr]
        changed = {frozenset((str(ids[a]), str(ids[b]))) for a, b in old.slots[removed].tolist()}
        changed |= {frozenset((self.pairs[p].a.id, self.pairs[p].b.id)) for p, m in enumerate(self.match) if m < 0}
        out = set()
        for p in index.rebuttals:
            pair = self.pairs[p]
            other = pair.b if pair.a.rebuts == pair.via else pair.a
            if frozenset((other.id, pair.via)) in changed:
                out.add(p)
        return out

    # -- the stored state --------------------------------------------------------------------------------
    def _load(self, dim: int, approximate: bool) -> tuple[PairState | None, dict[str, Any] | None, StoredVerdicts | None]:
        """The best state of this key moved to nothing yet, its register row and its verdicts; Nones when there is
        none worth updating or it cannot be trusted."""
        if self.root is None:
            return None, None, None
        mine = set(self.articles)
        best = max(self.store.pair_states(self.key), key=lambda r: len(mine & set(r["articles"])), default=None)
        if best is None or len(mine & set(best["articles"])) < KEEP_SHARE * len(mine):
            return None, None, None
        folder = self.root / best["id"] / best["generation"]
        try:
            _check_files(folder, best["files"])
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if (meta["format"], meta["dim"], meta["approximate"]) != (FORMAT, dim, approximate):
                self._drop(best)  # another mode (the corpus crossed the ANN threshold): start afresh
                return None, None, None
            with np.load(folder / "pairing.npz", allow_pickle=False) as arrays:
                index = _load_index(folder / "index.usearch") if approximate else None
                state = PairState.from_arrays(self.pairer, dim, approximate, dict(arrays), index)
            if state.alive.sum() < KEEP_SHARE * len(state.alive):
                self._drop(best)  # mostly claims long gone: cheaper to start afresh than to carry them
                return None, None, None
            # scores of another NLI model (or backend) are not this one's: then the pairing alone is kept
            verdicts = StoredVerdicts(folder, meta["verdict_key"]) if meta["scores_key"] == self.scores_key else None
        except (OSError, ValueError, KeyError, RuntimeError, json.JSONDecodeError) as exc:
            log.warning("the stored pairing %s cannot be trusted (%s); pairing afresh", best["id"], exc)
            self._drop(best)
            return None, None, None
        return state, best, verdicts

    def _drop(self, row: dict[str, Any]) -> None:
        """Forget a state's generation (unless another run has moved it on meanwhile)."""
        assert self.root is not None
        self.store.drop_pair_state(row["id"], row["generation"])
        shutil.rmtree(self.root / row["id"] / row["generation"], ignore_errors=True)

    def save(self) -> None:
        """Write this run's state as the next generation of the state it read (or a new one), then drop the
        generation it read and any state beyond STATES_KEPT. A state that cannot be written (a read-only or full
        disk) is left out with a warning: the next run pairs afresh, the results stay right."""
        if self.root is None or self.state is None:
            return
        state_id = self.row["id"] if self.row else short_hash(self.key, str(time.time_ns()), str(os.getpid()))
        generation = f"{time.time_ns():x}-{os.getpid()}"
        folder = self.root / state_id / generation
        tmp = folder.with_name(generation + ".tmp")
        try:
            self._write(tmp)
            files = {f.name: _file_sum(f) for f in sorted(tmp.iterdir())}
            os.replace(tmp, folder)
        except OSError as exc:
            log.warning("could not keep the pairing state for the next run (%s)", exc)
            shutil.rmtree(tmp, ignore_errors=True)
            return
        self.store.put_pair_state(state_id, self.key, generation, self.articles, len(self.state.slot_of), files)
        if self.row and self.row["generation"] != generation:
            shutil.rmtree(self.root / state_id / self.row["generation"], ignore_errors=True)
        self._tidy()

    def _write(self, folder: Path) -> None:
        assert self.state is not None
        folder.mkdir(parents=True, exist_ok=True)
        meta = {"format": FORMAT, "dim": self.state.dim, "approximate": self.state.approximate,
                "scores_key": self.scores_key, "verdict_key": self.verdict_key, "pairs": len(self.pairs)}
        _write(folder / "meta.json", json.dumps(meta).encode())
        with open(folder / "pairing.npz", "wb") as handle:
            np.savez(handle, **self.state.arrays())
            _sync(handle)
        if self.state.approximate:
            self.state.index.save(str(folder / "index.usearch"))
        index = self.index

        def mirror(x: Assessment) -> Group | None:
            nonlocal index
            index = index or GroupIndex(self.pairs)
            return index.mirror(x)

        write_verdicts(folder, self.slots, self.pairs, self.judgements, self.verdicts, self.assessments, self.old,
                       self.match, self.rewritten, mirror)

    def _tidy(self) -> None:
        """Drop states beyond STATES_KEPT (least recently used first) and folders no state names."""
        assert self.root is not None
        rows = self.store.pair_states()
        for row in rows[STATES_KEPT:]:
            self.store.drop_pair_state(row["id"])
        named = {(r["id"], r["generation"]) for r in rows[:STATES_KEPT]}
        for state_dir in self.root.iterdir():
            for gen in state_dir.iterdir() if state_dir.is_dir() else ():
                if (state_dir.name, gen.name) not in named and time.time() - gen.stat().st_mtime > ORPHAN_AGE_S:
                    shutil.rmtree(gen, ignore_errors=True)
            if state_dir.is_dir() and not any(state_dir.iterdir()) and state_dir.name not in {r[0] for r in named}:
                state_dir.rmdir()
        for row in rows[STATES_KEPT:]:
            shutil.rmtree(self.root / row["id"], ignore_errors=True)


class GroupIndex:
    """The groups (claim id, other outlet) of a pair list, as the verdict logic forms them."""

    def __init__(self, pairs: Sequence[ClaimPair]) -> None:
        self.pairs = pairs
        self.touching: dict[str, list[int]] = {}
        for p, pair in enumerate(pairs):
            if pair.a.source != pair.b.source:
                self.touching.setdefault(pair.a.id, []).append(p)
                self.touching.setdefault(pair.b.id, []).append(p)
        self.rebuttals = [p for p, pair in enumerate(pairs) if pair.via is not None]

    def groups(self, p: int) -> tuple[Group, ...]:
        a, b = self.pairs[p].a, self.pairs[p].b
        return () if a.source == b.source else ((a.id, b.source), (b.id, a.source))

    def members(self, group: Group) -> list[int]:
        claim, source = group
        return [p for p in self.touching.get(claim, ()) if _other(self.pairs[p], claim).source == source]

    def mirror(self, x: Assessment) -> Group | None:
        """The group whose assessment a soft conflict ``x`` reads (the deciding pair's other claim against this
        claim's outlet); None when ``x`` reads none."""
        if not (x.verdict in CONFLICTING or x.verdict == "different-time" or x.rule == "outlet"):
            return None
        for p in self.touching.get(x.claim_id, ()):
            pair = self.pairs[p]
            if pair.id == x.pair_ids[0]:
                me = pair.a if pair.a.id == x.claim_id else pair.b
                return _other(pair, x.claim_id).id, me.source
        return None

    def rebuttal_bases(self, subset: set[int]) -> set[int]:
        """The base pairs (other claim, rebutted claim) of the rebuttal pairs among ``subset``."""
        out: set[int] = set()
        for p in self.rebuttals:
            if p in subset:
                pair = self.pairs[p]
                other = pair.b if pair.a.rebuts == pair.via else pair.a
                out |= {q for q in self.touching.get(other.id, ()) if _other(self.pairs[q], other.id).id == pair.via}
        return out


class StoredVerdicts:
    """The verdict part of a stored state: per candidate pair (aligned) its slots (a, b), similarity, NLI scores both
    ways (``probs``, in ``labels`` order) and a JSON line [rebuttal link, shared keys, verdict, confidence, reason,
    conflicts, rule, evidence]; per assessment a JSON line [claim, outlet, verdict, probability, rule, pair ids,
    the mirror group it read or null]."""

    def __init__(self, folder: Path, verdict_key: str) -> None:
        self.verdict_key = verdict_key
        with np.load(folder / "verdicts.npz", allow_pickle=False) as data:
            self.slots, self.similarity, probs = data["slots"], data["similarity"], data["probs"]
            self.labels: list[str] = data["labels"].tolist()
        self.lines = (folder / "verdicts.jsonl").read_text(encoding="utf-8").splitlines()
        self.records: list[list[Any]] = json.loads("[" + ",".join(self.lines) + "]")
        self.assessment_lines = (folder / "assessments.jsonl").read_text(encoding="utf-8").splitlines()
        self.assessment_rows: list[list[Any]] = json.loads("[" + ",".join(self.assessment_lines) + "]")
        self.assessments_read: list[Assessment] = []
        if (not len(self.slots) == len(self.similarity) == len(probs) == len(self.records)
                or probs.shape[1:] != (6,) or len(self.labels) != 3 or self.slots.shape[1:] != (2,)):
            raise ValueError("the stored verdicts do not fit together")
        self.probs = probs
        self.prob_rows: list[list[float]] = probs.tolist()
        codes = self.slots[:, 0] << 32 | self.slots[:, 1]
        self.order = np.argsort(codes)
        self.codes = codes[self.order]

    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The record of each slot pair (a[i], b[i]) in this order, -1 where none."""
        codes = np.asarray(a, dtype=np.int64) << 32 | np.asarray(b, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.codes, codes), 0, max(len(self.codes) - 1, 0))
        hit = (self.codes[pos] == codes) if len(self.codes) else np.zeros(len(codes), dtype=bool)
        return np.where(hit, self.order[pos] if len(self.codes) else -1, -1)

    def known(self, chosen: set[tuple[int, int]], slot_of: np.ndarray) -> dict[tuple[int, int], tuple[float, tuple[str, ...]]]:
        """(similarity, shared keys) of the chosen (i, j) pairs the state holds (either way round): both depend on the
        two claims alone, which a slot pins down."""
        ij = np.array(sorted(chosen), dtype=np.int64).reshape(-1, 2)
        a, b = slot_of[ij[:, 0]], slot_of[ij[:, 1]]
        found = np.maximum(self.find(a, b), self.find(b, a))
        return {(i, j): (float(self.similarity[r]), tuple(self.records[r][1]))
                for (i, j), r in zip(ij.tolist(), found.tolist()) if r >= 0}

    def match(self, slots: np.ndarray, pairs: Sequence[ClaimPair]) -> tuple[list[int], dict[int, int]]:
        """Per pair, its stored record when that holds the pair as it is (same claims in the same order, same
        similarity and rebuttal link), else -1; and {pair: record} for pairs held the other way round."""
        slots = slots.reshape(-1, 2)
        same = self.find(slots[:, 0], slots[:, 1])
        if len(self.similarity) == 0:  # a state without pairs holds none of them
            return [-1] * len(pairs), {}
        similar = np.array([p.similarity for p in pairs]) == self.similarity[np.clip(same, 0, None)] if len(same) else same
        out = [int(r) if r >= 0 and ok and self.records[r][0] == pair.via else -1
               for r, ok, pair in zip(same.tolist(), np.asarray(similar, dtype=bool).tolist(), pairs)]
        turned = self.find(slots[:, 1], slots[:, 0])
        return out, {p: int(r) for p, r in enumerate(turned.tolist()) if r >= 0 and same[p] < 0}

    def judgement(self, pair: ClaimPair, i: int, swap: bool) -> Judgement:
        """The stored scores of record i for ``pair`` (``swap``: the record holds it the other way round)."""
        p = self.prob_rows[i]
        forward, backward = dict(zip(self.labels, p[:3])), dict(zip(self.labels, p[3:]))
        return Judgement(pair, *((backward, forward) if swap else (forward, backward)))

    def verdict(self, judgement: Judgement, i: int) -> PairVerdict:
        _, _, verdict, confidence, reason, conflicts, rule, evidence = self.records[i]
        return PairVerdict(judgement.pair, verdict, confidence, judgement.forward, judgement.backward, reason,
                           tuple(conflicts), rule, tuple(evidence_from_dict(e) for e in evidence))

    def assessments(self) -> dict[Group, Assessment]:
        """The stored assessments by group (kept in ``assessments_read``, so that their lines are written again)."""
        self.assessments_read = [Assessment(r[0], r[1], r[2], r[3], r[4], tuple(r[5])) for r in self.assessment_rows]
        return {(x.claim_id, x.source): x for x in self.assessments_read}

    def mirror_dependents(self) -> dict[Group, list[Group]]:
        """Mirror group -> the groups whose stored assessment read it."""
        out: dict[Group, list[Group]] = {}
        for r in self.assessment_rows:
            if r[6] is not None:
                out.setdefault((r[6][0], r[6][1]), []).append((r[0], r[1]))
        return out

    def removed(self, kept: set[int]) -> list[int]:
        """The stored pairs no current pair matches."""
        return [i for i in range(len(self.records)) if i not in kept]

    def removed_groups(self, state: PairState, removed: list[int]) -> set[Group]:
        """The groups of these stored pairs."""
        ids, sources = state.claim_id, state.source
        out: set[Group] = set()
        for a, b in self.slots[removed].tolist():
            if sources[a] != sources[b]:
                out |= {(str(ids[a]), str(sources[b])), (str(ids[b]), str(sources[a]))}
        return out


def write_verdicts(folder: Path, slots: np.ndarray, pairs: Sequence[ClaimPair], judgements: Sequence[Judgement],
                   verdicts: Sequence[PairVerdict], assessments: Sequence[Assessment], old: StoredVerdicts | None,
                   match: Sequence[int], rewritten: set[int], mirror: Callable[[Assessment], Group | None]) -> None:
    """The verdict files of a generation (see StoredVerdicts). ``match[p]``: pair p's record in ``old`` (-1: none);
    its scores, and its line unless p is in ``rewritten``, are written again as they were."""
    labels = list(judgements[0].forward) if judgements else (old.labels if old else ["entailment", "neutral",
                                                                                    "contradiction"])
    probs = np.zeros((len(judgements), 6), dtype=np.float64)
    held = np.array(match, dtype=np.int64) >= 0
    if old is not None and held.any():
        probs[held] = old.probs[np.array(match, dtype=np.int64)[held]]
    for p in np.nonzero(~held)[0].tolist():
        j = judgements[p]
        probs[p] = [j.forward[k] for k in labels] + [j.backward[k] for k in labels]
    with open(folder / "verdicts.npz", "wb") as handle:
        np.savez(handle, slots=slots.reshape(-1, 2), similarity=np.array([p.similarity for p in pairs]), probs=probs,
                 labels=np.array(labels, dtype=str))
        _sync(handle)
    lines = [old.lines[m] if old is not None and m >= 0 and p not in rewritten else
             json.dumps([pair.via, list(pair.shared), v.verdict, v.confidence, v.reason, list(v.conflicts), v.rule,
                         [evidence_to_dict(e) for e in v.evidence]])
             for p, (pair, v, m) in enumerate(zip(pairs, verdicts, match))]
    _write(folder / "verdicts.jsonl", ("\n".join(lines) + "\n").encode())
    stored = {id(x): line for x, line in zip(old.assessments_read, old.assessment_lines)} if old else {}
    rows = [stored.get(id(x)) or json.dumps([x.claim_id, x.source, x.verdict, x.probability, x.rule, list(x.pair_ids),
                                             list(m) if (m := mirror(x)) else None]) for x in assessments]
    _write(folder / "assessments.jsonl", ("\n".join(rows) + "\n").encode())


def _closure(start: set[Group], dependents: dict[Group, list[Group]]) -> set[Group]:
    """``start`` and every group that reads one of them as its mirror, transitively."""
    seen, todo = set(start), list(start)
    while todo:
        for g in dependents.get(todo.pop(), ()):
            if g not in seen:
                seen.add(g)
                todo.append(g)
    return seen


def _other(pair: ClaimPair, claim_id: str) -> Claim:
    return pair.b if pair.a.id == claim_id else pair.a


def _load_index(path: Path) -> Any:
    from usearch.index import Index

    index = Index.restore(str(path))
    if index is None:
        raise ValueError(f"{path.name}: not a usearch index")
    return index


def _file_sum(path: Path) -> list[int]:
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return [path.stat().st_size, crc]


def _check_files(folder: Path, files: dict[str, list[int]]) -> None:
    for name, expected in files.items():
        if _file_sum(folder / name) != expected:
            raise ValueError(f"{name}: size or checksum differs from what was written")


def _sync(handle: Any) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        _sync(handle)
