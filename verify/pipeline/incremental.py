"""Incremental runs: a corpus that differs from one the store has seen by a few articles costs the work of those
articles - their claims' neighbours and blocks, the NLI of the pairs that involve them, and the verdict logic of
the groups those pairs can reach.

Beside the SQLite store (``Store.state_root()``) lives the state of each of the last STATES_KEPT corpora, one
folder per generation, registered in the store's ``pair_states`` table with every file's size and CRC-32:
``pairing.npz`` (the ``verify.pairing.PairState`` arrays), ``vectors-*.npy`` (each slot's claim vector, in segments
of slots as they were added), ``index.usearch`` (the HNSW index, approximate mode),
``verdicts.npz`` + ``heads.jsonl`` + ``pairs-*.jsonl`` (per candidate pair: its claims' slots, similarity, NLI
scores both ways, verdict name, confidence and pair id; its rebuttal link and shared keys; its record in
``report.json``, which holds the rest of its verdict) and ``assessments.npz`` + ``assessments.jsonl`` (per outlet
assessment its group and the mirror group it read; its record in ``report.json``). The pairs' records lie in
segments: a generation links the segments of the one before that still hold records it keeps and
writes one more with its new records, so adding an article does not copy 300k records; when dead records make up
more than half of the bytes, or there are more than MAX_SEGMENTS, one segment holds all. A segment holds its records
in report order and ``assessments.jsonl`` in assessment order, each record followed by the report's separator
(``verify.verdict.table.SEPARATOR``), so the next report copies the kept records in runs, as slices of the files
mapped into memory (``StoredLines``), never split into 700k lines and joined again.

A run (``Incremental``): picks the state of the same key (embedding model, extraction rules, pairing settings) whose
articles overlap the run's most - none, or one sharing less than KEEP_SHARE of the run's articles, means a fresh
one; reads it on a thread while the claims are extracted (``prefetch``, ``read_state``); moves its pairing to the
run's claims (``PairState.update``); scores NLI only for pairs the state does not hold as they are (same claims in
the same order, same similarity and rebuttal link); re-runs the verdict logic on the groups the changed pairs can
reach (``Incremental.aggregate``), taking every other verdict and assessment from the state; then writes the next
generation and drops the one it read. What the state holds is read back as it is - vectors, similarities and shared
keys for the pairing, scores for the NLI (made into judgements only for the pairs the verdict logic reads) - and
only what changed is worked out afresh. The kept verdicts and assessments are not decoded at all: the run's are a
``VerdictTable`` of names, confidences, ids and report lines and an ``AssessmentTable`` of groups and report lines
(``verify.verdict.table``), whose records are made only for what a view shows.

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
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from verify.columns import claim_columns
from verify.pairing import Pairer, PairState, PairTable, unique_ids
from verify.pipeline.state_files import (
    Group,
    StoredVerdicts,
    check_files,
    collector_paused,
    file_sums,
    load_index,
    read_vectors,
    write,
    write_vectors,
    write_verdicts,
)
from verify.pipeline.store import Store
from verify.records import (
    CONFLICTING,
    Assessment,
    Claim,
    ClaimPair,
    Cluster,
    Judgement,
    PairVerdict,
    short_hash,
)
from verify.report.schema import VERSION as REPORT_VERSION
from verify.verdict.aggregate import Aggregator, clusters
from verify.verdict.table import AssessmentTable, VerdictTable

log = logging.getLogger(__name__)

FORMAT = "6"  # of the state files (3: verdicts as report lines in segments, 4: lines found by number, 5: segments in
# report order, lines found by byte offset, 6: assessment lines too); in every state key
STATES_KEPT = 4  # states (corpora) kept per store, least recently used dropped first
KEEP_SHARE = 0.5  # a state sharing less than this share of a run's articles is not worth updating
FULL_SHARE = 0.5  # when the verdict logic must look at more than this share of the pairs, it looks at all
ORPHAN_AGE_S = 3600  # generation folders no state names (a crashed writer's) are removed after this long

Decide = Callable[[Sequence[Judgement]], list[PairVerdict]]


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
        self.claims: Sequence[Claim] = ()
        self.pairs: Sequence[ClaimPair] = []  # a PairTable: records made when read
        self.rows = np.zeros((0, 2), dtype=np.int64)  # per pair: the indices of a and b in ``claims``
        self.slots = np.zeros((0, 2), dtype=np.int64)  # per pair: the slots of a and b
        self.match = np.zeros(0, dtype=np.int64)  # per pair: its record in ``old``, -1 when new or changed
        self.turned = np.zeros(0, dtype=np.int64)  # per pair: the record holding it the other way round (scores
        # reusable), -1 when none or when ``match`` has one
        self.judgements: Sequence[Judgement] = []
        self.verdicts: VerdictTable = VerdictTable.of([])
        self.assessments = AssessmentTable.of([])
        self.kept_assessments = np.zeros(0, dtype=np.int64)  # per assessment: its record in ``old``, -1 when fresh
        self.rewritten: set[int] = set()  # pairs whose verdict this run decided (the others: from the state)
        self.index: GroupIndex | None = None
        self.stats: dict[str, Any] = {}
        self.vectors = np.zeros((0, 0), dtype=np.float32)  # per claim of the run
        self.stored_vectors = np.zeros((0, 0), dtype=np.float32)  # per slot of the state read
        self.vector_segments: list[tuple[str, int, int]] = []  # its vector files: name, first slot, slots
        self._removal: threading.Thread | None = None  # removing the generation read, after ``save``
        self._reading: tuple[str, str, Future[_Read | None]] | None = None  # a state read ahead (``prefetch``)

    # -- pairing -----------------------------------------------------------------------------------------
    def pair(self, claims: Sequence[Claim], embed: Callable[[Sequence[int]], np.ndarray], article_keys: Sequence[str]
             ) -> Sequence[ClaimPair]:
        """The corpus's candidate pairs, from the best stored state moved to this corpus (or a fresh one).
        ``embed(positions)`` gives the vectors of those claims; it is asked only for claims the state holds no
        vector of (the same claim of the same article, under the same embedding model: the state key)."""
        approximate = self.pairer.approximate(len(claims))
        self.articles, self.claims = sorted(set(article_keys)), claims
        uids = unique_ids(f"{k}/{i}" for k, i in zip(article_keys, claim_columns(claims).ids))
        self.state, self.row, self.old = self._load(approximate)
        vectors, held = self._vectors(uids, embed)
        reused = self.state is not None
        if self.state is None:
            self.state = PairState(self.pairer, vectors.shape[1], approximate)
        self.state.update(claims, vectors, uids, held if reused else None)
        self.vectors = vectors
        slot_of = self.state.slot_of
        chosen = self.state.candidates(vectors)
        known = self.old.known(chosen, slot_of) if self.old else None
        with collector_paused():  # tens of thousands of ClaimPairs, no cycle among them
            self.pairs, self.rows = self.pairer.finish(claims, vectors, chosen, self.state.method, known)
        self.slots = slot_of[self.rows]
        none = np.full(len(self.pairs), -1, dtype=np.int64)
        self.match, self.turned = self.old.match(self.slots, self.pairs) if self.old else (none, none.copy())
        self.stats = {"state": "updated" if reused else "new", **self.state.stats,
                      "pairs_kept": int((self.match >= 0).sum())}
        return self.pairs

    def _vectors(self, uids: Sequence[str], embed: Callable[[Sequence[int]], np.ndarray]
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Every claim's vector: the state's where it holds the claim, else ``embed``'s; and per claim the slot that
        holds it (-1: none). A state whose vectors are of another size than the model's (another model under the
        same name) is dropped."""
        state = self.state
        held = state.held(uids) if state is not None else np.full(len(uids), -1, dtype=np.int64)
        todo = np.nonzero(held < 0)[0]
        fresh = np.asarray(embed(todo.tolist()), dtype=np.float32) if len(todo) else None
        if state is not None and fresh is not None and (fresh.ndim != 2 or fresh.shape[1] != state.dim):
            log.warning("the stored pairing holds vectors of %d values, the model gives %s; pairing afresh", state.dim,
                        fresh.shape[1:])
            self._drop(self.row)  # type: ignore[arg-type]
            self.state = self.row = self.old = None
            self.stored_vectors, self.vector_segments = np.zeros((0, 0), dtype=np.float32), []
            return self._vectors(uids, embed)
        dim = state.dim if state is not None else (fresh.shape[1] if fresh is not None and fresh.ndim == 2 else 0)
        if state is not None:  # one gather (150 MB at 100k claims); the rows of claims it lacks are overwritten
            vectors = self.stored_vectors[np.maximum(held, 0)] if len(self.stored_vectors) else np.zeros(
                (len(uids), dim), dtype=np.float32)
        else:
            vectors = np.zeros((len(uids), dim), dtype=np.float32)
        if fresh is not None:
            vectors[todo] = fresh
        return vectors, held

    # -- NLI ---------------------------------------------------------------------------------------------
    def judge(self, judge: Callable[[Sequence[ClaimPair], Callable[[int], None] | None], list[Judgement]],
              on_batch: Callable[[int], None] | None = None) -> Sequence[Judgement]:
        """Judgements for every pair: the state's scores for the pairs it holds (either way round), made when read;
        ``judge``'s for the rest."""
        stored = np.where(self.match >= 0, self.match, self.turned)
        todo = np.nonzero(stored < 0)[0].tolist()
        if on_batch and len(todo) < len(self.pairs):
            on_batch(2 * (len(self.pairs) - len(todo)))
        fresh = dict(zip(todo, judge([self.pairs[p] for p in todo], on_batch)))
        self.judgements = (self.old.judgements(self.pairs, stored, self.turned >= 0, fresh) if self.old
                           else [fresh[p] for p in range(len(self.pairs))])
        return self.judgements

    @property
    def reused(self) -> int:
        """Pairs whose scores came from the state."""
        return int((self.match >= 0).sum() + (self.turned >= 0).sum())

    # -- verdicts ----------------------------------------------------------------------------------------
    def aggregate(self, aggregator: Aggregator, decide: Decide, verdict_key: str
                  ) -> tuple[VerdictTable, list[Cluster], AssessmentTable]:
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
        if old is None or old.verdict_key != self.verdict_key or old.report_version != REPORT_VERSION:
            return self._everything(aggregator, decide)
        index = self.index = GroupIndex(self.pairs, self.rows, self.claims)
        removed = old.removed(self.match)
        direct = set(np.nonzero(self.match < 0)[0].tolist()) | self._rebuttals_to_redo(index, old, removed)
        touched = {g for p in direct for g in index.groups(p)} | old.removed_groups(self.state, removed)  # type: ignore[arg-type]
        dependents = old.dependents()
        reach = _closure(touched, dependents)
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
        self.rewritten = set(fresh)
        self.stats["verdicts_rerun"] = len(subset)
        made = [found[g] for g in need if g in found]
        return self._finish(self._with_stored(fresh, old), self._assessment_table(old.without(need, made), made, old))

    def _assessment_table(self, refs: np.ndarray, made: list[Assessment], old: StoredVerdicts) -> AssessmentTable:
        """The assessments in group order: per position a stored one (``refs[n]``, its record in ``old``: its report
        line as stored, decoded only when read) or a fresh one (``made[-1 - refs[n]]``)."""
        self.kept_assessments = np.where(refs >= 0, refs, -1)
        groups = old.groups[np.maximum(refs, 0), :2].astype(object)
        for n in np.nonzero(refs < 0)[0].tolist():
            groups[n] = (made[-1 - refs[n]].claim_id, made[-1 - refs[n]].source)
        ref_list = refs.tolist()

        def read(positions: Sequence[int]) -> list[Assessment]:
            stored = iter(old.read_assessments([ref_list[n] for n in positions if ref_list[n] >= 0]))
            return [next(stored) if ref_list[n] >= 0 else made[-1 - ref_list[n]] for n in positions]

        return AssessmentTable(groups, read, stored=old.assessment_lines.take(refs))  # kept lines: where they lie

    def _with_stored(self, fresh: dict[int, PairVerdict], old: StoredVerdicts) -> VerdictTable:
        """Every pair's verdict: ``fresh`` where it has one, else the state's - its name, confidence, id and report
        line as stored, its record decoded from that line only when read."""
        records = self.match.copy()  # every pair without a fresh verdict is held as it is (match >= 0)
        names, confidences, ids = old.names[records], old.confidences[records], old.ids[records]
        for p, v in fresh.items():
            names[p], confidences[p], ids[p], records[p] = v.verdict, v.confidence, v.pair.id, -1

        def read(positions: Sequence[int]) -> list[PairVerdict]:
            rest = [p for p in positions if p not in fresh]
            stored = dict(zip(rest, old.verdicts([self.judgements[p] for p in rest], self.match[rest])))
            return [fresh[p] if p in fresh else stored[p] for p in positions]

        return VerdictTable(self.pairs, names, confidences, ids, read, stored=old.lines.take(records))

    def _everything(self, aggregator: Aggregator, decide: Decide
                    ) -> tuple[VerdictTable, list[Cluster], AssessmentTable]:
        verdicts, _, assessments = aggregator.aggregate(self.judgements, decide(self.judgements))
        self.rewritten = set(range(len(verdicts)))
        self.kept_assessments = np.full(len(assessments), -1, dtype=np.int64)
        self.stats["verdicts_rerun"] = len(verdicts)
        return self._finish(VerdictTable.of(verdicts), AssessmentTable.of(assessments))

    def _finish(self, verdicts: VerdictTable, assessments: AssessmentTable
                ) -> tuple[VerdictTable, list[Cluster], AssessmentTable]:
        self.verdicts, self.assessments = verdicts, assessments
        return verdicts, clusters(verdicts), assessments

    def _rebuttals_to_redo(self, index: GroupIndex, old: StoredVerdicts, removed: np.ndarray) -> set[int]:
        """The rebuttal pairs whose base pair (the other claim with the rebutted one) is new, changed or gone."""
        if not index.rebuttals:
            return set()
        ids = self.state.claim_id  # type: ignore[union-attr]
        changed = {frozenset((str(ids[a]), str(ids[b]))) for a, b in old.slots[removed].tolist()}
        changed |= {frozenset((self.pairs[p].a.id, self.pairs[p].b.id)) for p in np.nonzero(self.match < 0)[0].tolist()}
        out = set()
        for p in index.rebuttals:
            pair = self.pairs[p]
            other = pair.b if pair.a.rebuts == pair.via else pair.a
            if frozenset((other.id, pair.via)) in changed:
                out.add(p)
        return out

    # -- the stored state --------------------------------------------------------------------------------
    def prefetch(self, article_keys: Sequence[str]) -> None:
        """Start reading the state ``pair`` will pick for these articles on a thread of its own (``read_state``)
        while the claims are extracted: checksumming and reading about a gigabyte at 100k claims wait on the disk
        and on zlib, which let go of the interpreter lock, so the read goes on beside extraction instead of after
        it. The thread holds nothing of the store (a SQLite connection is used and closed on its own thread)."""
        row = self._pick(sorted(set(article_keys)))
        if row is None:
            return
        future: Future[_Read | None] = Future()
        read = self._reader(row)

        def run() -> None:
            try:
                future.set_result(read())
            except BaseException as exc:  # noqa: BLE001 - handed to ``_load``, which judges it as if it had read it
                future.set_exception(exc)

        threading.Thread(target=run, name="verify-state-read", daemon=True).start()
        self._reading = (row["id"], row["generation"], future)

    def _reader(self, row: dict[str, Any]) -> Callable[[], _Read | None]:
        """``read_state`` of the state this register row names (nothing of the store in it: see ``prefetch``)."""
        return partial(read_state, self.root / row["id"] / row["generation"], row["files"], self.pairer,  # type: ignore[operator]
                       self.scores_key)

    def _pick(self, articles: Sequence[str]) -> dict[str, Any] | None:
        """The register row of the state of this key that shares the most of these articles; None when there is no
        store folder or none shares KEEP_SHARE of them."""
        if self.root is None:
            return None
        mine = set(articles)
        best = max(self.store.pair_states(self.key), key=lambda r: len(mine & set(r["articles"])), default=None)
        if best is None or len(mine & set(best["articles"])) < KEEP_SHARE * len(mine):
            return None
        return best

    def _load(self, approximate: bool) -> tuple[PairState | None, dict[str, Any] | None, StoredVerdicts | None]:
        """The best state of this key moved to nothing yet, its register row and its verdicts; Nones when there is
        none worth updating or it cannot be trusted."""
        best = self._pick(self.articles)
        if best is None:
            return None, None, None
        reading, self._reading = self._reading, None
        try:
            if reading is not None and reading[:2] == (best["id"], best["generation"]):
                read = reading[2].result()
            else:  # nothing read ahead, or another run moved the state on meanwhile
                read = self._reader(best)()
        except (OSError, ValueError, KeyError, RuntimeError, json.JSONDecodeError) as exc:
            log.warning("the stored pairing %s cannot be trusted (%s); pairing afresh", best["id"], exc)
            self._drop(best)
            return None, None, None
        if read is None or read.state.approximate != approximate:
            self._drop(best)  # another format, mostly claims long gone (cheaper to start afresh than to carry them),
            return None, None, None  # or another mode (the corpus crossed the ANN threshold): start afresh
        self.stored_vectors, self.vector_segments = read.vectors, read.segments
        return read.state, best, read.verdicts

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
            files = self._sums(sorted(tmp.iterdir()))
            os.replace(tmp, folder)
        except OSError as exc:
            log.warning("could not keep the pairing state for the next run (%s)", exc)
            shutil.rmtree(tmp, ignore_errors=True)
            return
        self.store.put_pair_state(state_id, self.key, generation, self.articles, len(self.state.slot_of), files)
        self._tidy()
        if self.row and self.row["generation"] != generation:  # removed while the run goes on (``wait``): freeing
            # its gigabyte of files takes the file system a few tenths of a second at 100k claims
            self._removal = threading.Thread(target=shutil.rmtree, args=(self.root / state_id / self.row["generation"],),
                                             kwargs={"ignore_errors": True}, name="verify-state-removal")
            self._removal.start()

    def wait(self) -> None:
        """Until the generation read is removed (``save`` starts that and returns)."""
        if self._removal is not None:
            self._removal.join()
            self._removal = None

    def _sums(self, paths: list[Path]) -> dict[str, list[int]]:
        """The written files' sizes and checksums; for a file linked from the generation read (the same file), the
        sum that generation registered, which its read checked."""
        out: dict[str, list[int]] = {}
        for path in paths:
            if self.row and path.name in self.row["files"]:
                read = self.root / self.row["id"] / self.row["generation"] / path.name  # type: ignore[operator]
                if read.exists() and os.path.samefile(path, read):
                    out[path.name] = list(self.row["files"][path.name])
        todo = [path for path in paths if path.name not in out]
        out.update(zip((path.name for path in todo), file_sums(todo)))
        return {path.name: out[path.name] for path in paths}

    def _write(self, folder: Path) -> None:
        assert self.state is not None
        folder.mkdir(parents=True, exist_ok=True)
        old = self.root / self.row["id"] / self.row["generation"] if self.row else None  # type: ignore[operator]
        segments = write_vectors(folder, self.state, self.vectors, old, self.vector_segments, self.stored_vectors)
        meta = {"format": FORMAT, "dim": self.state.dim, "approximate": self.state.approximate,
                "scores_key": self.scores_key, "verdict_key": self.verdict_key, "report_version": REPORT_VERSION,
                "pairs": len(self.pairs), "vectors": segments}
        write(folder / "meta.json", json.dumps(meta).encode())
        with open(folder / "pairing.npz", "wb") as handle:
            np.savez(handle, **self.state.arrays())
        if self.state.approximate:
            self.state.index.save(str(folder / "index.usearch"))
        index = self.index

        def mirror(x: Assessment) -> Group | None:
            nonlocal index
            index = index or GroupIndex(self.pairs, self.rows, self.claims)
            return index.mirror(x)

        write_verdicts(folder, self.slots, self.judgements, self.verdicts, self.assessments, self.old, self.match,
                       self.rewritten, self.kept_assessments, mirror)

    def _tidy(self) -> None:
        """Drop states beyond STATES_KEPT (least recently used first) and folders no state names."""
        assert self.root is not None
        rows = self.store.pair_states()
        for row in rows[STATES_KEPT:]:
            self.store.drop_pair_state(row["id"])
        named = {(r["id"], r["generation"]) for r in rows[:STATES_KEPT]}
        for state_dir in self.root.iterdir():
            for gen in state_dir.iterdir() if state_dir.is_dir() else ():
                if (state_dir.name, gen.name) not in named and time.time() - _mtime(gen) > ORPHAN_AGE_S:
                    shutil.rmtree(gen, ignore_errors=True)
            if state_dir.is_dir() and not any(state_dir.iterdir()) and state_dir.name not in {r[0] for r in named}:
                state_dir.rmdir()
        for row in rows[STATES_KEPT:]:
            shutil.rmtree(self.root / row["id"], ignore_errors=True)


def read_state(folder: Path, files: dict[str, list[int]], pairer: Pairer, scores_key: str) -> _Read | None:
    """A state's generation folder checked against its registered ``files`` and read; None when it is of another
    format or holds mostly claims long gone. Raises what an untrustworthy state raises. Touches no store: it runs
    on ``Incremental.prefetch``'s thread."""
    check_files(folder, files)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if meta["format"] != FORMAT:
        return None
    dim, approximate = int(meta["dim"]), bool(meta["approximate"])
    with np.load(folder / "pairing.npz", allow_pickle=False) as arrays:
        index = load_index(folder / "index.usearch") if approximate else None
        state = PairState.from_arrays(pairer, dim, approximate, dict(arrays), index)
    if state.alive.sum() < KEEP_SHARE * len(state.alive):
        return None
    segments = [(name, int(first), int(count)) for name, first, count in meta["vectors"]]
    vectors = read_vectors(folder, segments, len(state.uid), dim)
    # scores of another NLI model (or backend) are not this one's: then the pairing alone is kept
    verdicts = (StoredVerdicts(folder, meta["verdict_key"], meta["report_version"])
                if meta["scores_key"] == scores_key else None)
    return _Read(state, vectors, segments, verdicts)


@dataclass(frozen=True)
class _Read:
    """A stored state as ``read_state`` reads it: its pairing, vectors per slot, vector segments and verdicts
    (None when its scores are another model's)."""

    state: PairState
    vectors: np.ndarray
    segments: list[tuple[str, int, int]]
    verdicts: StoredVerdicts | None


class GroupIndex:
    """The groups (claim id, other outlet) of a pair list, as the verdict logic forms them. ``rows``: per pair, the
    indices of its claims in ``claims``."""

    def __init__(self, pairs: Sequence[ClaimPair], rows: np.ndarray, claims: Sequence[Claim]) -> None:
        self.pairs = pairs
        columns = claim_columns(claims)
        self.code: dict[str, int] = {}  # claim id -> its number (one per id, however often the claim is given)
        ids = np.array([self.code.setdefault(i, len(self.code)) for i in columns.ids], dtype=np.int64)
        outlets: dict[str, int] = {}
        sources = np.array([outlets.setdefault(o, len(outlets)) for o in columns.sources], dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
        cross = np.nonzero(sources[rows[:, 0]] != sources[rows[:, 1]])[0]
        ends, owners = np.concatenate([ids[rows[cross, 0]], ids[rows[cross, 1]]]), np.concatenate([cross, cross])
        order = np.lexsort((owners, ends))  # by claim, then by pair
        self.owners = owners[order]
        self.offsets = np.searchsorted(ends[order], np.arange(len(self.code) + 1))
        self.rebuttals = [p for p, link in enumerate(PairTable.of(pairs).via) if link is not None]

    def touching(self, claim_id: str) -> list[int]:
        """The pairs (across outlets) of this claim, in order."""
        c = self.code.get(claim_id)
        return [] if c is None else self.owners[self.offsets[c] : self.offsets[c + 1]].tolist()

    def groups(self, p: int) -> tuple[Group, ...]:
        a, b = self.pairs[p].a, self.pairs[p].b
        return () if a.source == b.source else ((a.id, b.source), (b.id, a.source))

    def members(self, group: Group) -> list[int]:
        claim, source = group
        return [p for p in self.touching(claim) if _other(self.pairs[p], claim).source == source]

    def mirror(self, x: Assessment) -> Group | None:
        """The group whose assessment a soft conflict ``x`` reads (the deciding pair's other claim against this
        claim's outlet); None when ``x`` reads none."""
        if not (x.verdict in CONFLICTING or x.verdict == "different-time" or x.rule == "outlet"):
            return None
        for p in self.touching(x.claim_id):
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
                out |= {q for q in self.touching(other.id) if _other(self.pairs[q], other.id).id == pair.via}
        return out


def _mtime(path: Path) -> float:
    """When ``path`` last changed; now when it is gone (another run removing it meanwhile)."""
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()


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
