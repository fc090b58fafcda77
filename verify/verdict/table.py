"""Record tables: a run's pair verdicts (``VerdictTable``) and outlet assessments (``AssessmentTable``) as columns,
each record made only when it is read.

An incremental run at 100k claims keeps some 300k verdicts and as many assessments from the run before and
decides a few dozen afresh. Decoding every kept one into a record, only for the report to count them, sort them and
write them out again as JSON, took most of the run. A table holds per record what those steps need - for a verdict
its pair, verdict name, confidence and pair id; for an assessment its group - and its line of ``report.json`` once
known, and makes records on demand: the views count and order pairs from the columns (``verify.report.view``) and
read only the few they show; the JSON writer takes the lines as they are. A table is a ``Sequence`` like the tuple
a ``Report`` otherwise holds, and equal to a tuple of the same records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TypeVar, overload

import numpy as np

from verify.records import Assessment, ClaimPair, PairVerdict

READ_CHUNK = 4096  # records made together when a table is read through

T = TypeVar("T")
Group = tuple[str, str]  # (claim id, other outlet): what one Assessment judges


class RecordTable(Sequence[T]):
    """``size`` records, made by ``read(positions)`` when read; ``lines[n]``: record n as ``report.json`` holds it
    (inert UTF-8), None until rendered."""

    def __init__(self, size: int, read: Callable[[Sequence[int]], list[T]], lines: list[bytes | None] | None = None):
        self.lines = [None] * size if lines is None else lines
        if len(self.lines) != size:
            raise ValueError("a record table's columns differ in length")
        self._size, self._read = size, read
        self._rendered = False  # every line made (``json_lines``)

    def read(self, positions: Iterable[int]) -> list[T]:
        """The records at these positions, in this order."""
        positions = list(positions)
        return self._read(positions) if positions else []

    def json_lines(self, render: Callable[[T, int], bytes]) -> list[bytes]:
        """Every record's line; the missing ones are made by ``render(record, position)`` (and kept)."""
        if self._rendered:  # the state writer and the report both ask: 400k lines looked through once
            return self.lines  # type: ignore[return-value]
        missing = np.flatnonzero(np.equal(np.array(self.lines, dtype=object), None)).tolist() if self.lines else []
        for start in range(0, len(missing), READ_CHUNK):
            chunk = missing[start : start + READ_CHUNK]
            for n, record in zip(chunk, self.read(chunk)):
                self.lines[n] = render(record, n)
        self._rendered = True
        return self.lines  # type: ignore[return-value]

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

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]  # as a tuple of records holding dicts: not hashable

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} records)"


class VerdictTable(RecordTable[PairVerdict]):
    """``pairs[n]``'s verdict is named ``names[n]`` with ``confidences[n]`` (arrays: of str objects, of floats);
    ``ids[n]`` is the pair's id."""

    def __init__(self, pairs: Sequence[ClaimPair], names: Sequence[str], confidences: Sequence[float],
                 ids: Sequence[str], read: Callable[[Sequence[int]], list[PairVerdict]],
                 lines: list[bytes | None] | None = None) -> None:
        super().__init__(len(pairs), read, lines)
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
                 lines: list[bytes | None] | None = None) -> None:
        super().__init__(len(groups), read, lines)
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
