"""Record tables: a run's pair verdicts (``VerdictTable``) and outlet assessments (``AssessmentTable``) as columns,
each record made only when it is read.

An incremental run at 100k claims keeps some 300k verdicts and as many assessments from the run before and
decides a few dozen afresh. Decoding every kept one into a record, only for the report to count them, sort them and
write them out again as JSON, took most of the run. A table holds per record what those steps need - for a verdict
its pair, verdict name, confidence and pair id; for an assessment its group - and its line of ``report.json`` once
known, and makes records on demand: the views count and order pairs from the columns (``verify.report.view``) and
read only the few they show; the JSON writer takes the lines as they are. A table is a ``Sequence`` like the tuple
a ``Report`` otherwise holds, and equal to a tuple of the same records.

Lines kept from an earlier run stay where the store keeps them (``StoredLines``: files of the pairing state mapped
into memory, or the store's claim lines) and go into the report as runs - slices of what lies back to back - not
one by one; ``StoredClaims`` is a run's claims with their lines.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar, overload

import numpy as np

from verify.columns import ClaimColumns, MadeWhenRead
from verify.records import Assessment, ClaimPair, PairVerdict

READ_CHUNK = 4096  # records made together when a table is read through
SEPARATOR = b",\n    "  # between two records of a list in ``report.json``

T = TypeVar("T")
Group = tuple[str, str]  # (claim id, other outlet): what one Assessment judges


def packed(lines: Sequence[bytes]) -> tuple[bytes, np.ndarray]:
    """Lines laid back to back as a ``StoredLines`` buffer holds them (each followed by SEPARATOR), and their
    lengths."""
    return (SEPARATOR.join(lines) + SEPARATOR if lines else b""), np.array([len(line) for line in lines], dtype=np.int64)


def offsets(lengths: np.ndarray) -> np.ndarray:
    """The byte offset of each line of these lengths, laid back to back as ``packed`` lays them."""
    steps = np.asarray(lengths, dtype=np.int64) + len(SEPARATOR)
    return np.cumsum(steps) - steps


class StoredLines:
    """Records of ``report.json`` as a stored state keeps them: ``buffers[s]`` (bytes, or a file mapped in memory)
    holds records one after another, each followed by SEPARATOR; ``where[n]`` is record n's (buffer, byte offset,
    length), buffer -1 where record n is not stored. A run of records stored back to back is handed on as one slice
    (``runs``): 300k records kept from the run before go into the next report as a few hundred slices, not as 300k
    lines split apart and joined again."""

    def __init__(self, buffers: Sequence[Any], where: np.ndarray) -> None:
        self.buffers, self.where = list(buffers), np.asarray(where, dtype=np.int64).reshape(-1, 3)
        stored = self.where[self.where[:, 0] >= 0]
        sizes = np.array([len(b) for b in self.buffers], dtype=np.int64)
        if len(stored) and (stored[:, 0].max() >= len(self.buffers) or (stored[:, 1:] < 0).any()
                            or (stored[:, 1] + stored[:, 2] > sizes[stored[:, 0]]).any()):
            raise ValueError("the stored report lines do not fit their segments")

    def __len__(self) -> int:
        return len(self.where)

    def take(self, records: np.ndarray) -> StoredLines:
        """The lines of these records, over the same buffers; a record -1 is not stored."""
        records = np.asarray(records, dtype=np.int64)
        where = self.where[np.maximum(records, 0)] if len(self.where) else np.zeros((len(records), 3), dtype=np.int64)
        where[records < 0] = -1
        return StoredLines(self.buffers, where)

    def stored(self, n: int) -> bool:
        return bool(self.where[n, 0] >= 0)

    def line(self, n: int) -> bytes:
        buffer, offset, length = self.where[n].tolist()
        return bytes(self.buffers[buffer][offset : offset + length])

    def runs(self, order: Sequence[int], line: Callable[[int], bytes]) -> Iterator[bytes | memoryview]:
        """The records at positions ``order``, in that order, as runs: records separated by SEPARATOR, a SEPARATOR
        between two runs left to the caller. Records stored back to back make one run (a slice of their buffer);
        any other record is a run of its own, ``line(n)``."""
        order = np.asarray(order, dtype=np.int64)
        if not len(order):
            return
        buffer, offset, length = self.where[order].T
        stored = buffer >= 0
        end = offset + length
        follows = np.zeros(len(order), dtype=bool)  # record i continues the run of record i - 1
        follows[1:] = (stored[1:] & stored[:-1] & (buffer[1:] == buffer[:-1])
                       & (offset[1:] == end[:-1] + len(SEPARATOR)))
        starts = np.flatnonzero(~follows)
        stops = np.append(starts[1:], len(order)) - 1
        views = [memoryview(b) for b in self.buffers]
        runs = zip(order[starts].tolist(), buffer[starts].tolist(), offset[starts].tolist(), end[stops].tolist())
        for first, at, start, stop in runs:  # only the runs' ends listed: a few hundred, not 400k positions
            yield views[at][start:stop] if at >= 0 else line(first)


class StoredClaims(MadeWhenRead[Any]):
    """A run's claims, article by article: each article's claims as records (``parts[k]``: a list) or as the store
    keeps them (anything else), decoded by ``decode`` the first time one of them is read - a run at 100k claims
    reads the columns (``columns``: ids, articles, outlets, rebuttal links), not 100k records. With each claim's
    line of ``report.json`` as the store keeps it (``stored``), which the JSON report copies instead of writing
    100k claims again, and the shared facts' entries (entity, value, outlet, claim id) of every claim in order
    (``facts``, for ``verify.verdict.aggregate.facts_of``; None when not kept). Equal to a tuple of the same claims."""

    def __init__(self, parts: Sequence[Any], counts: Sequence[int], columns: ClaimColumns,
                 decode: Callable[[Any], list[Any]],
                 stored: StoredLines | None = None, facts: list[tuple[str, str, str, str]] | None = None) -> None:
        self.parts, self.decode, self.columns, self.facts = list(parts), decode, columns, facts
        self.starts = np.concatenate([[0], np.cumsum(np.asarray(counts, dtype=np.int64))]).tolist()
        size = self.starts[-1]
        self.stored = stored if stored is not None else StoredLines([], np.full((size, 3), -1))
        if len(self.parts) != len(counts) or len(self.stored) != size or len(columns.ids) != size:
            raise ValueError("claims, their columns and their stored lines differ in length")

    def _part(self, k: int) -> list[Any]:
        part = self.parts[k]
        if not isinstance(part, list):
            part = self.parts[k] = self.decode(part)
            if len(part) != self.starts[k + 1] - self.starts[k]:
                raise ValueError("a stored article holds another number of claims than its columns")
        return part

    def __len__(self) -> int:
        return self.starts[-1]

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[n] for n in range(len(self))[index]]
        n = range(len(self))[index]  # negative positions, and IndexError past the end
        k = bisect_right(self.starts, n) - 1
        return self._part(k)[n - self.starts[k]]

    def __iter__(self) -> Iterator[Any]:
        for k in range(len(self.parts)):
            yield from self._part(k)

    def __repr__(self) -> str:
        return f"StoredClaims({len(self)} claims of {len(self.parts)} articles)"

    def line(self, n: int) -> bytes:
        return self.stored.line(n)

    def runs(self, order: Sequence[int], block: int = READ_CHUNK) -> Iterator[bytes | memoryview]:
        return self.stored.runs(order, self.line)


class RecordTable(MadeWhenRead[T]):
    """``size`` records, made by ``read(positions)`` when read; ``lines[n]``: record n as ``report.json`` holds it
    (inert UTF-8), None until rendered or where ``stored`` holds it."""

    def __init__(self, size: int, read: Callable[[Sequence[int]], list[T]], lines: list[bytes | None] | None = None,
                 stored: StoredLines | None = None):
        self.lines = [None] * size if lines is None else lines
        if len(self.lines) != size or (stored is not None and len(stored) != size):
            raise ValueError("a record table's columns differ in length")
        self._size, self._read, self.stored = size, read, stored
        self._rendered = False  # every line made or stored (``json_lines``)

    def read(self, positions: Iterable[int]) -> list[T]:
        """The records at these positions, in this order."""
        positions = list(positions)
        return self._read(positions) if positions else []

    def json_lines(self, render: Callable[[T, int], bytes]) -> list[bytes | None]:
        """Every record's line, None where ``stored`` holds it; the missing ones are made by ``render(record,
        position)`` (and kept)."""
        if self._rendered:  # the state writer and the report both ask: 400k lines looked through once
            return self.lines
        missing = np.equal(np.array(self.lines, dtype=object), None) if self.lines else np.zeros(0, dtype=bool)
        if self.stored is not None:
            missing &= self.stored.where[:, 0] < 0
        todo = np.flatnonzero(missing).tolist()
        for start in range(0, len(todo), READ_CHUNK):
            chunk = todo[start : start + READ_CHUNK]
            for n, record in zip(chunk, self.read(chunk)):
                self.lines[n] = render(record, n)
        self._rendered = True
        return self.lines

    def line(self, n: int) -> bytes:
        """Record n's line, once ``json_lines`` has made the missing ones."""
        line = self.lines[n]
        if line is None:
            if self.stored is None or not self.stored.stored(n):
                raise ValueError(f"record {n} has no line yet (json_lines makes them)")
            return self.stored.line(n)
        return line

    def runs(self, order: Sequence[int], block: int = READ_CHUNK) -> Iterator[bytes | memoryview]:
        """The lines at positions ``order`` as runs (see ``StoredLines.runs``), once ``json_lines`` has made the
        missing ones: records stored back to back as one slice of their buffer; without stored lines, ``block``
        lines joined at a time."""
        if self.stored is not None:
            yield from self.stored.runs(order, self.line)
            return
        for start in range(0, len(order), block):
            yield SEPARATOR.join([self.line(n) for n in order[start : start + block]])

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[T, ...]: ...

    def __getitem__(self, index: int | slice) -> T | tuple[T, ...]:
        if isinstance(index, slice):
            return tuple(self.read(range(len(self))[index]))
        n = range(len(self))[index]  # negative positions, and IndexError past the end
        return self._read([n])[0]

    def __iter__(self) -> Iterator[T]:
        for start in range(0, len(self), READ_CHUNK):
            yield from self.read(range(start, min(start + READ_CHUNK, len(self))))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} records)"


class VerdictTable(RecordTable[PairVerdict]):
    """``pairs[n]``'s verdict is named ``names[n]`` with ``confidences[n]`` (arrays: of str objects, of floats);
    ``ids[n]`` is the pair's id."""

    def __init__(self, pairs: Sequence[ClaimPair], names: Sequence[str], confidences: Sequence[float],
                 ids: Sequence[str], read: Callable[[Sequence[int]], list[PairVerdict]],
                 lines: list[bytes | None] | None = None, stored: StoredLines | None = None) -> None:
        super().__init__(len(pairs), read, lines, stored)
        self.order: list[int] | None = None  # positions in report order, once worked out (verify.report.view)
        if not len(pairs) == len(names) == len(confidences) == len(ids):
            raise ValueError("a verdict table's columns differ in length")
        self.pairs = pairs
        self.names, self.ids = _objects(names), _objects(ids)
        self.confidences = np.asarray(confidences, dtype=np.float64)

    @classmethod
    def of(cls, verdicts: Sequence[PairVerdict]) -> VerdictTable:
        """A table over records already made."""
        verdicts = list(verdicts)
        return cls([v.pair for v in verdicts], [v.verdict for v in verdicts], [v.confidence for v in verdicts],
                   [v.pair.id for v in verdicts], lambda positions: [verdicts[n] for n in positions])


class AssessmentTable(RecordTable[Assessment]):
    """``groups[n]``: the group (claim id, other outlet) of assessment n (an array of two columns)."""

    def __init__(self, groups: Sequence[Group] | np.ndarray, read: Callable[[Sequence[int]], list[Assessment]],
                 lines: list[bytes | None] | None = None, stored: StoredLines | None = None) -> None:
        super().__init__(len(groups), read, lines, stored)
        self.groups = np.asarray(groups, dtype=object).reshape(-1, 2)

    @classmethod
    def of(cls, assessments: Sequence[Assessment]) -> AssessmentTable:
        """A table over records already made."""
        assessments = list(assessments)
        return cls([(x.claim_id, x.source) for x in assessments], lambda positions: [assessments[n] for n in positions])


def _objects(values: Sequence[str]) -> np.ndarray:

    """An array of str objects (never a fixed-width one, which would cut a longer string assigned later)."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return values
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def names_and_confidences(verdicts: Sequence[PairVerdict]) -> tuple[np.ndarray, np.ndarray]:
    """Each verdict's name and confidence as arrays: a table's columns, or read from the records."""
    if isinstance(verdicts, VerdictTable):
        return verdicts.names, verdicts.confidences
    return _objects([v.verdict for v in verdicts]), np.array([v.confidence for v in verdicts], dtype=np.float64)


def pair_ids(verdicts: Sequence[PairVerdict], positions: Iterable[int]) -> list[str]:
    """The pair ids at these positions: a table's column, or hashed from the records."""
    if isinstance(verdicts, VerdictTable):
        return verdicts.ids[np.asarray(list(positions) if not isinstance(positions, np.ndarray) else positions,
                                       dtype=np.int64)].tolist()
    return [verdicts[n].pair.id for n in positions]


def pairs_of(verdicts: Sequence[PairVerdict]) -> Sequence[ClaimPair]:
    """Each verdict's pair: a table's column, or read from the records."""
    return verdicts.pairs if isinstance(verdicts, VerdictTable) else [v.pair for v in verdicts]


def read(verdicts: Sequence[PairVerdict], positions: Iterable[int]) -> list[PairVerdict]:
    """The records at these positions (a table makes them together)."""
    if isinstance(verdicts, VerdictTable):
        return verdicts.read(positions)
    return [verdicts[n] for n in positions]
