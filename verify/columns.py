"""Records read as columns. ``ClaimColumns``: what pairing and grouping read of every claim (ids, articles, outlets,
rebuttal links), without the records - a run at 100k claims reads these for claims whose records it never decodes
(the store's ``verify.verdict.table.StoredClaims`` carries them). ``MadeWhenRead``: the base of the sequences whose
records are made only when read (claims, pairs, verdicts, assessments)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from verify.records import Claim

T = TypeVar("T")


class MadeWhenRead(Sequence[T]):
    """A sequence whose records are made when read: equal to a list or tuple of the same records (compared one by
    one, so reading them all), and unhashable like a list."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class ClaimColumns:
    """What pairing and grouping read of every claim, one list each: ids, article ids, outlets and rebutted claim ids
    (None for most). A run at 100k claims reads these, not 100k decoded claims (see ``claim_columns``)."""

    ids: list[str]
    articles: list[str]
    sources: list[str]
    rebuts: list[str | None]


def claim_columns(claims: Sequence[Claim]) -> ClaimColumns:
    """The claims' columns: those the sequence carries (``columns``: claims read back from the store, decoded only
    where read), else taken from the records."""
    columns = getattr(claims, "columns", None)
    if isinstance(columns, ClaimColumns):
        return columns
    return ClaimColumns([c.id for c in claims], [c.article_id for c in claims], [c.source for c in claims],
                        [c.rebuts for c in claims])
