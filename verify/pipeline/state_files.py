"""The files of a stored pairing state (see ``verify.pipeline.incremental``): the verdict part read back
(``StoredVerdicts``) and written (``write_verdicts``, ``write_lines``), the claim vectors by slot
(``write_vectors``, ``read_vectors``), and the file-level helpers - checksums, writes, hard links.
"""

from __future__ import annotations

import gc
import json
import mmap
import os
import shutil
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from verify.pairing import Known, PairState, PairTable, sorted_unique
from verify.records import Assessment, ClaimPair, Judgement, PairVerdict, evidence_from_dict
from verify.report.schema import VERSION as REPORT_VERSION
from verify.report.schema import assessment_line, pair_line
from verify.report.view import table_order
from verify.verdict.table import SEPARATOR, AssessmentTable, RecordTable, StoredLines, VerdictTable, offsets, packed

MAX_SEGMENTS = 16  # report-line and vector segments a generation may link before they are written into one
SUM_THREADS = 4  # files checksummed at once
DECODE_LINES = 128  # stored lines decoded together: few calls, and their lists freed before the collector keeps them

Group = tuple[str, str]  # (claim id, other outlet): what one Assessment judges
_CHAR = np.dtype("<U1").itemsize


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a state's records are read back: they hold no cycles, and
    each full collection their number sets off would walk every object of the process for nothing."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


class Judgements(Sequence[Judgement]):
    """A run's judgements, one per pair: the fresh ones as given, the stored ones made from the state's scores when
    read - the verdict logic reads only the pairs it works out again, not the 300k others."""

    def __init__(self, pairs: Sequence[ClaimPair], probs: np.ndarray, labels: list[str], records: np.ndarray,
                 turned: np.ndarray, fresh: dict[int, Judgement]) -> None:
        self.pairs, self.probs, self.labels, self.fresh = pairs, probs, labels, fresh
        self.records, self.turned = np.asarray(records).tolist(), np.asarray(turned).tolist()

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, p: int) -> Judgement:  # type: ignore[override]
        if p in self.fresh:
            return self.fresh[p]
        scores = self.probs[self.records[p]].tolist()
        forward, backward = dict(zip(self.labels, scores[:3])), dict(zip(self.labels, scores[3:]))
        return Judgement(self.pairs[p], *((backward, forward) if self.turned[p] else (forward, backward)))


class StoredVerdicts:
    """The verdict part of a stored state: per candidate pair (aligned) its slots (a, b), similarity, NLI scores both
    ways (``probs``, in ``labels`` order), verdict name, confidence and pair id; a JSON line [rebuttal link, shared
    keys] (its head, for the pairing); and its record in ``report.json`` (``lines``), from which the rest of its
    verdict is decoded when asked for. Per assessment its group (claim, outlet), the mirror group it read ("", ""
    when none) and its record in ``report.json`` (``assessment_lines``, in assessment order), decoded when asked
    for."""

    def __init__(self, folder: Path, verdict_key: str, report_version: str = REPORT_VERSION) -> None:
        self.folder, self.verdict_key, self.report_version = folder, verdict_key, report_version
        with np.load(folder / "verdicts.npz", allow_pickle=False) as data:
            self.slots, self.similarity, probs = data["slots"], data["similarity"], data["probs"]
            self.labels: list[str] = data["labels"].tolist()
            self.names = data["names"].astype(object)
            self.confidences = data["confidence"]
            self.ids = data["ids"].astype(object)
            self.segments: list[str] = data["segments"].tolist()
            self.where = data["where"]  # per pair: its line's segment, byte offset (in the segment) and length
            self.plain = data["plain"]  # per pair: no rebuttal link, no shared keys (its head line says nothing)
        self.plain_list: list[bool] = self.plain.tolist()
        self.head_lines = (folder / "heads.jsonl").read_text(encoding="utf-8").splitlines()
        if self.where.shape != (len(self.names), 3) or (len(self.where) and self.where[:, 0].min() < 0):
            raise ValueError("the stored report lines do not fit together")
        self.lines = StoredLines([mapped(folder / name) for name in self.segments], self.where)
        with np.load(folder / "assessments.npz", allow_pickle=False) as data:
            self.groups = data["groups"]  # per assessment: claim, outlet, mirror claim, mirror outlet
            spans = data["lines"]  # per assessment: its line's byte offset and length
        if self.groups.shape != (len(spans), 4) or spans.shape[1:] != (2,):
            raise ValueError("the stored assessments do not fit together")
        self.assessment_lines = StoredLines([mapped(folder / "assessments.jsonl")],
                                            np.column_stack([np.zeros(len(spans), dtype=np.int64), spans]))
        self.heads: dict[int, tuple[str | None, tuple[str, ...]]] = {}
        if (not len(self.slots) == len(self.similarity) == len(probs) == len(self.names) == len(self.confidences)
                == len(self.ids) == len(self.head_lines) == len(self.lines) == len(self.plain)
                or probs.shape[1:] != (6,) or len(self.labels) != 3 or self.slots.shape[1:] != (2,)):
            raise ValueError("the stored verdicts do not fit together")
        self.probs = probs
        codes = self.slots[:, 0] << 32 | self.slots[:, 1]
        self.order = np.argsort(codes)
        self.codes = codes[self.order]

    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The record of each slot pair (a[i], b[i]) in this order, -1 where none."""
        codes = np.asarray(a, dtype=np.int64) << 32 | np.asarray(b, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.codes, codes), 0, max(len(self.codes) - 1, 0))
        hit = (self.codes[pos] == codes) if len(self.codes) else np.zeros(len(codes), dtype=bool)
        return np.where(hit, self.order[pos] if len(self.codes) else -1, -1)

    def heads_of(self, records: Sequence[int]) -> list[tuple[str | None, tuple[str, ...]]]:
        """These records' rebuttal links and shared keys, decoded once and together (a JSON document of the lines
        not read yet); most records have neither (``plain``) and are not read at all."""
        plain = self.plain_list
        todo = [i for i in dict.fromkeys(records) if not plain[i] and i not in self.heads]
        if todo:
            decoded = json.loads("[" + ",".join([self.head_lines[i] for i in todo]) + "]")
            self.heads.update((i, (via, tuple(shared))) for i, (via, shared) in zip(todo, decoded))
        return [(None, ()) if plain[i] else self.heads[i] for i in records]

    @collector_paused()
    def known(self, chosen: np.ndarray, slot_of: np.ndarray) -> Known:
        """Similarity and shared keys of the chosen rows (i, j) the state holds (either way round): both depend on
        the two claims alone, which a slot pins down."""
        a, b = slot_of[chosen[:, 0]], slot_of[chosen[:, 1]]
        found = np.maximum(self.find(a, b), self.find(b, a))
        held = found >= 0
        shared = [keys for _, keys in self.heads_of(found[held].tolist())]
        return Known(chosen[held], self.similarity[found[held]], shared)

    def match(self, slots: np.ndarray, pairs: Sequence[ClaimPair]) -> tuple[np.ndarray, np.ndarray]:
        """Per pair, its stored record when that holds the pair as it is (same claims in the same order, same
        similarity and rebuttal link), else -1; and per pair the record holding it the other way round, -1 where
        none or where a record holds it this way round."""
        slots = slots.reshape(-1, 2)
        same, turned = self.find(slots[:, 0], slots[:, 1]), self.find(slots[:, 1], slots[:, 0])
        turned[same >= 0] = -1
        if len(self.similarity) == 0:  # a state without pairs holds none of them
            return same, turned
        table = PairTable.of(pairs)
        via = table.via
        candidates = np.nonzero((same >= 0) & (table.similarity == self.similarity[np.maximum(same, 0)]))[0]
        linked = np.zeros(len(same), dtype=bool)
        heads = self.heads_of(same[candidates].tolist())
        linked[candidates] = [via[p] == link for p, (link, _) in zip(candidates.tolist(), heads)]
        return np.where(linked, same, -1), turned

    def judgements(self, pairs: Sequence[ClaimPair], records: np.ndarray, turned: np.ndarray,
                   fresh: dict[int, Judgement]) -> Judgements:
        """Per pair its judgement: ``fresh[p]``, else the stored scores of its record (``turned``: the record holds it
        the other way round), made into a ``Judgement`` when read."""
        return Judgements(pairs, self.probs, self.labels, records, turned, fresh)

    @collector_paused()
    def verdicts(self, judgements: Sequence[Judgement], records: np.ndarray) -> list[PairVerdict]:
        """The stored verdicts of these records for these judgements (of the same pairs), decoded from their report
        lines."""
        decoded = _decoded([self.lines.line(i) for i in np.asarray(records).tolist()])
        return [PairVerdict(j.pair, d["verdict"], d["confidence"], j.forward, j.backward, d["reason"],
                            tuple(d["conflicts"]), d["rule"], tuple(map(evidence_from_dict, d["evidence"])))
                for j, d in zip(judgements, decoded)]

    def dependents(self) -> dict[Group, list[Group]]:
        """Mirror group -> the groups whose stored assessment read it."""
        out: dict[Group, list[Group]] = {}
        for claim, source, *mirror in self.groups[self.groups[:, 2] != ""].tolist():
            out.setdefault((mirror[0], mirror[1]), []).append((claim, source))
        return out

    def without(self, groups: set[Group], fresh: list[Assessment]) -> np.ndarray:
        """The stored assessments but those of ``groups``, with ``fresh`` ones (of other groups) put in, all in
        group order: per position its stored record, or -1 - k for ``fresh[k]``. Found by array search, not by a
        tuple per stored assessment."""
        claims, sources = self.groups[:, 0], self.groups[:, 1]  # in group order: sorted by claim
        wanted = np.array(sorted({c for c, _ in groups}), dtype=str)
        bounds = np.stack([np.searchsorted(claims, wanted, side="left"), np.searchsorted(claims, wanted, side="right")])
        maybe = [n for lo, hi in bounds.T.tolist() for n in range(lo, hi)]
        keep = np.ones(len(claims), dtype=bool)
        keep[[n for n, g in zip(maybe, self.groups[maybe, :2].tolist()) if tuple(g) in groups]] = False
        kept = np.nonzero(keep)[0]
        kept_claims = claims[kept]  # once: a copy per fresh assessment took 6 s at 100k claims
        order = sorted(range(len(fresh)), key=lambda k: (fresh[k].claim_id, fresh[k].source))
        at = []
        for k in order:  # kept rows before fresh[k]: those of a smaller claim, and of its claim with a smaller outlet
            claim, source = fresh[k].claim_id, fresh[k].source
            lo = int(np.searchsorted(kept_claims, claim, side="left"))
            hi = int(np.searchsorted(kept_claims, claim, side="right"))
            at.append(lo + int((sources[kept[lo:hi]] < source).sum()))
        return np.insert(kept, np.array(at, dtype=np.int64), -1 - np.array(order, dtype=np.int64))

    @collector_paused()
    def read_assessments(self, positions: Sequence[int]) -> list[Assessment]:
        """The stored assessments at these positions, decoded from their report lines."""
        decoded = _decoded([self.assessment_lines.line(n) for n in positions])
        return [Assessment(d["claim"], d["outlet"], d["verdict"], d["probability"], d["rule"], tuple(d["pairs"]))
                for d in decoded]

    def removed(self, match: np.ndarray) -> np.ndarray:
        """The stored pairs no current pair matches."""
        kept = np.zeros(len(self.names), dtype=bool)
        kept[match[match >= 0]] = True
        return np.nonzero(~kept)[0]

    def removed_groups(self, state: PairState, removed: np.ndarray) -> set[Group]:
        """The groups of these stored pairs."""
        ids, sources = state.claim_id, state.source
        out: set[Group] = set()
        for a, b in self.slots[removed].tolist():
            if sources[a] != sources[b]:
                out |= {(str(ids[a]), str(sources[b])), (str(ids[b]), str(sources[a]))}
        return out


def mapped(path: Path) -> Any:
    """The file's bytes, mapped into memory read-only (a segment of 300 MB is not copied; its records are read as
    slices of it); an empty file as empty bytes. A generation's files are never changed once written, only
    removed, which leaves a mapping whole."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return b""
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def _decoded(lines: Sequence[bytes]) -> Iterator[Any]:
    """Each JSON line decoded, DECODE_LINES at a time."""
    for start in range(0, len(lines), DECODE_LINES):
        yield from json.loads(b"[" + b",".join(lines[start : start + DECODE_LINES]) + b"]")


def write_verdicts(folder: Path, slots: np.ndarray, judgements: Sequence[Judgement], verdicts: VerdictTable,
                   assessments: AssessmentTable, old: StoredVerdicts | None, match: np.ndarray,
                   rewritten: set[int], kept: np.ndarray, mirror: Callable[[Assessment], Group | None]) -> None:
    """The verdict files of a generation (see StoredVerdicts). ``match[p]``: pair p's record in ``old`` (-1: none),
    whose scores are written again as they were; ``kept[n]``: assessment n's record in ``old`` (-1: none), whose
    mirror group is written again. The report lines are the tables' (made where they have none, and kept in them
    for the report)."""
    pairs = verdicts.pairs
    labels = list(judgements[0].forward) if judgements else (old.labels if old else ["entailment", "neutral",
                                                                                    "contradiction"])
    probs = np.zeros((len(judgements), 6), dtype=np.float64)
    held = np.array(match, dtype=np.int64) >= 0
    if old is not None and held.any():
        probs[held] = old.probs[np.array(match, dtype=np.int64)[held]]
    for p in np.nonzero(~held)[0].tolist():
        j = judgements[p]
        probs[p] = [j.forward[k] for k in labels] + [j.backward[k] for k in labels]
    verdicts.json_lines(lambda v, n: pair_line(v, verdicts.ids[n]))
    segments, where = write_lines(folder, verdicts, table_order(verdicts), old, match, rewritten)
    pairs = PairTable.of(pairs)
    with open(folder / "verdicts.npz", "wb") as handle:
        np.savez(handle, slots=slots.reshape(-1, 2), similarity=pairs.similarity, probs=probs,
                 labels=np.array(labels, dtype=str), names=np.array(verdicts.names, dtype=str),
                 confidence=np.array(verdicts.confidences, dtype=np.float64), ids=np.array(verdicts.ids, dtype=str),
                 segments=np.array(segments, dtype=str), where=where, plain=pairs.plain())
    match = np.asarray(match, dtype=np.int64)
    heads = np.empty(len(pairs), dtype=object)  # the kept records' lines as they are, the others written
    same = match >= 0 if old is not None else np.zeros(len(pairs), dtype=bool)
    same[list(rewritten)] = False
    if same.any():
        heads[same] = np.asarray(old.head_lines, dtype=object)[match[same]]  # type: ignore[union-attr]
    for p in np.nonzero(~same)[0].tolist():
        heads[p] = json.dumps([pairs.via[p], list(pairs.shared[p])])
    write(folder / "heads.jsonl", "".join(head + "\n" for head in heads.tolist()).encode())  # none: empty
    kept = np.asarray(kept, dtype=np.int64)
    held = kept >= 0
    fresh = np.nonzero(~held)[0].tolist()
    rows = [(*group, *(mirror(x) or ("", ""))) for group, x in zip(assessments.groups[fresh].tolist(),
                                                                      assessments.read(fresh))]
    width = max([old.groups.dtype.itemsize // _CHAR if old is not None else 1, *(len(v) for row in rows for v in row)])
    if old is not None and held.any():  # the kept rows copied as they are (one gather), not via objects
        groups = old.groups[np.maximum(kept, 0)]  # the fresh positions: overwritten below
        if groups.dtype.itemsize // _CHAR < width:
            groups = groups.astype(f"<U{width}")
    else:
        groups = np.zeros((len(assessments), 4), dtype=f"<U{width}")
    if rows:
        groups[fresh] = rows
    assessments.json_lines(lambda x, n: assessment_line(x))
    spans = write_runs(folder / "assessments.jsonl", assessments)
    with open(folder / "assessments.npz", "wb") as handle:
        np.savez(handle, groups=groups, lines=spans)


def write_runs(path: Path, table: RecordTable) -> np.ndarray:
    """The table's lines (made) into a new file, in table order, each followed by SEPARATOR: stored ones copied as
    the runs they lie in. Returns per line its byte offset and length."""
    lengths = np.array([len(line) if line is not None else 0 for line in table.lines], dtype=np.int64)
    if table.stored is not None:
        held = table.stored.where[:, 0] >= 0
        lengths[held] = table.stored.where[held, 2]
    with open(path, "wb") as handle:
        for run in table.runs(range(len(table))):
            handle.write(run)
            handle.write(SEPARATOR)
    return np.column_stack([offsets(lengths), lengths])


def write_lines(folder: Path, table: RecordTable, order: Sequence[int], old: StoredVerdicts | None,
                match: np.ndarray, rewritten: set[int]) -> tuple[list[str], np.ndarray]:
    """The report-line segments of a generation: ``old``'s segments that hold lines kept (``match[p]`` >= 0 and p
    not ``rewritten``), linked, and a new one with the other lines of ``table`` (its lines made), in ``order`` (the
    report's: kept lines keep their order from run to run, so a segment's lines go into the next report as long
    runs); all in one new segment when that would leave more dead bytes than live ones, or more than MAX_SEGMENTS.
    A segment holds its lines each followed by SEPARATOR. Returns the segment names and, per line, its segment,
    byte offset and length."""
    match = np.asarray(match, dtype=np.int64)
    kept = match >= 0
    if rewritten:
        kept[list(rewritten)] = False
    if old is None:
        kept[:] = False
    where = np.zeros((len(table), 3), dtype=np.int64)
    names: list[str] = []
    if kept.any():
        where[kept] = old.where[match[kept]]  # type: ignore[union-attr]
        used = sorted_unique(where[kept, 0])
        sizes = [(old.folder / old.segments[s]).stat().st_size for s in used.tolist()]  # type: ignore[union-attr]
        if len(used) >= MAX_SEGMENTS or sum(sizes) > 2 * int(where[kept, 2].sum()):
            kept[:] = False  # written again, all in one
        else:
            renumber = np.full(len(old.segments), -1, dtype=np.int64)  # type: ignore[union-attr]
            renumber[used] = np.arange(len(used))
            where[kept, 0] = renumber[where[kept, 0]]
            names = [old.segments[s] for s in used.tolist()]  # type: ignore[union-attr]
            for name in names:
                link(old.folder / name, folder / name)  # type: ignore[union-attr]
    order = np.asarray(order, dtype=np.int64)
    fresh = order[~kept[order]].tolist()
    if fresh or not names:
        name = f"pairs-{time.time_ns():x}-{os.getpid()}.jsonl"
        data, lengths = packed([table.line(p) for p in fresh])
        where[fresh, 0], where[fresh, 1], where[fresh, 2] = len(names), offsets(lengths), lengths
        write(folder / name, data)
        names.append(name)
    return names, where


def write_vectors(folder: Path, state: PairState, vectors: np.ndarray, old: Path | None,
                  segments: Sequence[tuple[str, int, int]], stored: np.ndarray) -> list[tuple[str, int, int]]:
    """The vector files of a generation: the ``segments`` (name, first slot, slots) of the state read from ``old``
    (its vectors: ``stored``), linked, and one with the slots added since; all in one past MAX_SEGMENTS.
    ``vectors``: the run's, per claim (``state.slot_of`` gives their slots)."""
    slots = len(state.uid)
    segments = list(segments) if old is not None and len(segments) < MAX_SEGMENTS else []
    first = sum(count for _, _, count in segments)
    for name, _, _ in segments:
        link(old / name, folder / name)  # type: ignore[operator]
    if first < slots:
        rows = np.zeros((slots - first, state.dim), dtype=np.float32)
        if first < len(stored):
            rows[: len(stored) - first] = stored[first:]
        new = state.slot_of >= first
        rows[state.slot_of[new] - first] = vectors[new]
        name = f"vectors-{time.time_ns():x}-{os.getpid()}.npy"
        with open(folder / name, "wb") as handle:
            np.save(handle, rows, allow_pickle=False)
        segments.append((name, first, slots - first))
    return segments


def read_vectors(folder: Path, segments: Sequence[tuple[str, int, int]], slots: int, dim: int) -> np.ndarray:
    """Per slot its vector, from the segments (name, first slot, slots) that cover slots 0 .. slots - 1."""
    vectors = np.zeros((slots, dim), dtype=np.float32)
    end = 0
    for name, first, count in segments:
        rows = np.load(folder / name, allow_pickle=False)
        if first != end or rows.shape != (count, dim):
            raise ValueError(f"{name}: the stored vectors do not fit the slots")
        vectors[first : first + count] = rows
        end = first + count
    if end != slots:
        raise ValueError("the stored vectors do not cover every slot")
    return vectors


def link(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source`` (a copy where the file system has none)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def load_index(path: Path) -> Any:
    from usearch.index import Index

    index = Index.restore(str(path))
    if index is None:
        raise ValueError(f"{path.name}: not a usearch index")
    return index


def file_sum(path: Path) -> list[int]:
    """The file's size and CRC-32."""
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            crc = zlib.crc32(chunk, crc)
    return [path.stat().st_size, crc]


def file_sums(paths: Sequence[Path]) -> list[list[int]]:
    """``file_sum`` of each path, several files at a time: reading and checksumming release the GIL, and a state at
    100k claims is about 900 MB."""
    if len(paths) < 2:
        return [file_sum(path) for path in paths]
    with ThreadPoolExecutor(min(SUM_THREADS, len(paths))) as pool:
        return list(pool.map(file_sum, paths))


def check_files(folder: Path, files: dict[str, list[int]]) -> None:
    for (name, expected), found in zip(files.items(), file_sums([folder / name for name in files])):
        if found != expected:
            raise ValueError(f"{name}: size or checksum differs from what was written")


def write(path: Path, data: bytes) -> None:
    """``data`` into a new file at ``path``. State files are not fsynced: a state is derived data, registered only
    once all its files are written, with their sizes and checksums, which every read checks - after a power loss a
    half-written one is paired afresh, never trusted. Syncing each of them cost about a second per run at 100k
    claims."""
    path.write_bytes(data)
