"""Claim -> ClaimPair: cross-source candidates by cosine top-k plus shared entities/values."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .types import Claim, ClaimPair

# entities that appear in almost every article of a topic are weak evidence of "same fact"
GENERIC_ENTITIES = {"North Korea", "South Korea", "Korea", "United States", "Russia", "China", "Japan", "Soviet Union"}


def shared_keys(a: Claim, b: Claim) -> tuple[str, ...]:
    """Specific entities, numbers and dates both claims mention."""
    ents = (set(a.entities) & set(b.entities)) - GENERIC_ENTITIES
    vals = (set(a.numbers) & set(b.numbers)) | (set(a.dates) & set(b.dates))
    return tuple(sorted(ents)) + tuple(sorted(vals))


MAX_BLOCK = 100  # blocking keys shared by more claims than this are too common to pair on


def _key_index(claims: Sequence[Claim]) -> dict[str, list[int]]:
    """Specific entity / number / date -> the claims mentioning it (generic countries left out)."""
    index: dict[str, list[int]] = {}
    for i, c in enumerate(claims):
        for key in {*c.entities} - GENERIC_ENTITIES | {*c.numbers, *c.dates}:
            index.setdefault(key, []).append(i)
    return index


class Pairer:
    def __init__(
        self,
        top_k: int = 5,
        min_similarity: float = 0.5,
        shared_min_similarity: float = 0.35,
        within_source: bool = False,
    ) -> None:
        self.top_k = top_k
        self.min_similarity = min_similarity
        self.shared_min_similarity = shared_min_similarity
        self.within_source = within_source

    def pair(self, claims: Sequence[Claim], vectors: np.ndarray) -> list[ClaimPair]:
        """Unordered candidate pairs (a before b in input order), best similarity first."""
        if len(claims) != len(vectors):
            raise ValueError(f"{len(claims)} claims but {len(vectors)} vectors")
        if len(claims) < 2:
            return []
        sims = vectors @ vectors.T
        sources = np.array([c.article_id for c in claims])
        allowed = sources[:, None] != sources[None, :]
        if self.within_source:
            allowed = ~np.eye(len(claims), dtype=bool)
        chosen: dict[tuple[int, int], ClaimPair] = {}

        def add(i: int, j: int) -> None:
            key = (min(i, j), max(i, j))
            if key not in chosen:
                a, b = claims[key[0]], claims[key[1]]
                chosen[key] = ClaimPair(a=a, b=b, similarity=round(float(sims[i, j]), 4), shared=shared_keys(a, b))

        masked = np.where(allowed, sims, -np.inf)
        k = min(self.top_k, len(claims) - 1)
        top = np.argpartition(-masked, k - 1, axis=1)[:, :k] if k > 0 else np.zeros((len(claims), 0), dtype=int)
        for i in range(len(claims)):
            for j in top[i]:
                if masked[i, j] >= self.min_similarity:
                    add(i, int(j))
        # blocking: claims that share a specific entity, number or date, above a lower cosine
        for members in _key_index(claims).values():
            if len(members) > MAX_BLOCK:
                continue  # a value half the corpus mentions says little about "the same fact"
            for x, i in enumerate(members):
                for j in members[x + 1 :]:
                    if masked[i, j] >= self.shared_min_similarity:
                        add(i, j)
        self._add_rebuttal_pairs(claims, sims, chosen)
        return sorted(chosen.values(), key=lambda p: -p.similarity)

    @staticmethod
    def _add_rebuttal_pairs(claims: Sequence[Claim], sims: np.ndarray, chosen: dict[tuple[int, int], ClaimPair]) -> None:
        """If X (another source) resembles D and R rebuts D ("In fact, ..."), pair X with R too."""
        index = {c.id: i for i, c in enumerate(claims)}
        rebutters: dict[int, list[int]] = {}
        for r, c in enumerate(claims):
            if c.rebuts in index:
                rebutters.setdefault(index[c.rebuts], []).append(r)
        for (i, j) in list(chosen):
            for x, d in ((i, j), (j, i)):
                for r in rebutters.get(d, []):
                    if claims[x].article_id == claims[r].article_id:
                        continue
                    key = (min(x, r), max(x, r))
                    if key not in chosen:
                        a, b = claims[key[0]], claims[key[1]]
                        chosen[key] = ClaimPair(a, b, round(float(sims[x, r]), 4), shared_keys(a, b), via=claims[d].id)
