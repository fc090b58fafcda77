"""Claim -> ClaimPair: cross-source candidates by cosine top-k plus shared entities/values."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from verify.knowledge import Knowledge
from verify.records import Claim, ClaimPair

# entity types specific enough that two claims naming the same one are likely about the same fact;
# countries, regions and nationalities (GPE, LOC, NORP) are too coarse to pair on
SPECIFIC_TYPES = frozenset({"PERSON", "ORG", "FAC", "EVENT", "WORK_OF_ART", "LAW", "PRODUCT"})
MAX_BLOCK = 100  # blocking keys shared by more claims than this are too common to pair on


def specific_entities(claim: Claim, generic: frozenset[str] = frozenset()) -> set[str]:
    """The claim's entities of a specific type (a person, an organisation, a building, an event...), less
    the knowledge packs' generic names. An entity with no known type counts as specific."""
    types = claim.entity_types or ("",) * len(claim.entities)
    return {e for e, t in zip(claim.entities, types) if (t in SPECIFIC_TYPES or not t) and e not in generic}


def shared_keys(a: Claim, b: Claim, generic: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """Specific entities, numbers and dates both claims mention."""
    ents = specific_entities(a, generic) & specific_entities(b, generic)
    vals = (set(a.numbers) & set(b.numbers)) | (set(a.dates) & set(b.dates))
    return tuple(sorted(ents)) + tuple(sorted(vals))


def _key_index(claims: Sequence[Claim], generic: frozenset[str] = frozenset()) -> dict[str, list[int]]:
    """Specific entity / number / date -> the claims mentioning it."""
    index: dict[str, list[int]] = {}
    for i, c in enumerate(claims):
        for key in specific_entities(c, generic) | {*c.numbers, *c.dates}:
            index.setdefault(key, []).append(i)
    return index


ANN_THRESHOLD = 20_000  # claims; above this, nearest neighbours come from an approximate index
CHUNK_CELLS = 1 << 24  # similarity cells computed at once by the exact search (64 MiB of float32)


def cross_source_pairs(claims: Sequence[Claim], within_source: bool = False) -> int:
    """How many pairs a brute-force comparison would score: all pairs of claims from different articles."""
    n = len(claims)
    if within_source:
        return n * (n - 1) // 2
    sizes: dict[str, int] = {}
    for c in claims:
        sizes[c.article_id] = sizes.get(c.article_id, 0) + 1
    return (n * n - sum(v * v for v in sizes.values())) // 2


def exact_neighbours(vectors: np.ndarray, groups: np.ndarray, k: int, within_source: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(indices, similarities) of each row's k most similar rows from another group, by chunked matrix
    products: memory stays at CHUNK_CELLS whatever the corpus size. Missing neighbours have index -1."""
    n = len(vectors)
    k = min(k, n - 1)
    idx = np.full((n, max(k, 0)), -1, dtype=np.int64)
    sim = np.full((n, max(k, 0)), -np.inf, dtype=np.float32)
    if k <= 0:
        return idx, sim
    codes = np.unique(groups, return_inverse=True)[1].ravel()  # integers compare far faster than strings
    step = max(1, CHUNK_CELLS // n)
    for start in range(0, n, step):
        rows = slice(start, min(n, start + step))
        block = vectors[rows] @ vectors.T
        if within_source:
            block[np.arange(block.shape[0]), np.arange(rows.start, rows.stop)] = -np.inf
        else:
            np.putmask(block, codes[rows, None] == codes[None, :], -np.inf)
        top = np.argpartition(-block, k - 1, axis=1)[:, :k]
        idx[rows] = top
        sim[rows] = np.take_along_axis(block, top, axis=1)
    idx[~np.isfinite(sim)] = -1
    return idx, sim


def ann_neighbours(vectors: np.ndarray, groups: np.ndarray, k: int, within_source: bool = False,
                   extra: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Like exact_neighbours, from an HNSW index (usearch, inner product on unit vectors). Asks for
    ``k + extra`` neighbours so that claims of the row's own article can be dropped afterwards.
    The index is built on one thread: the same corpus gives the same graph and so the same pairs,
    which a re-run needs to find every score in the store (a threaded build differed on ~1% of rows)."""
    from usearch.index import Index

    n, dim = vectors.shape
    index = Index(ndim=dim, metric="ip", dtype="f32", connectivity=16, expansion_add=48, expansion_search=48)
    keys = np.arange(n, dtype=np.uint64)
    index.add(keys, np.ascontiguousarray(vectors, dtype=np.float32), threads=1)
    want = min(n, k + extra + 1)
    found = index.search(np.ascontiguousarray(vectors, dtype=np.float32), want, threads=0)
    keys_found = found.keys.astype(np.int64)
    sims = 1.0 - found.distances.astype(np.float32)  # usearch's "ip" distance is 1 - dot
    idx = np.full((n, k), -1, dtype=np.int64)
    sim = np.full((n, k), -np.inf, dtype=np.float32)
    for row in range(n):
        cols = keys_found[row]
        ok = (cols >= 0) & (cols < n) & (cols != row)
        if not within_source:
            ok &= groups[np.clip(cols, 0, n - 1)] != groups[row]
        cols, s = cols[ok][:k], sims[row][ok][:k]
        idx[row, : len(cols)] = cols
        sim[row, : len(cols)] = s
    return idx, sim


class Pairer:
    """Candidate pairs: each claim's top-k nearest claims from other articles (exact below
    ``ann_threshold`` claims, approximate above), plus claims sharing a specific entity, number or date,
    plus the claims that rebut a paired claim. Never builds the N x N similarity matrix."""

    def __init__(
        self,
        top_k: int = 5,
        min_similarity: float = 0.5,
        shared_min_similarity: float = 0.35,
        within_source: bool = False,
        ann_threshold: int = ANN_THRESHOLD,
        knowledge: Knowledge | None = None,
    ) -> None:
        self.top_k = top_k
        self.min_similarity = min_similarity
        self.shared_min_similarity = shared_min_similarity
        self.within_source = within_source
        self.ann_threshold = ann_threshold
        self.generic = knowledge.generic if knowledge is not None else frozenset()
        self.stats: dict[str, int | str] = {}

    def pair(self, claims: Sequence[Claim], vectors: np.ndarray) -> list[ClaimPair]:
        """Unordered candidate pairs (a before b in input order), best similarity first."""
        if len(claims) != len(vectors):
            raise ValueError(f"{len(claims)} claims but {len(vectors)} vectors")
        self.stats = {"claims": len(claims), "cross_source_pairs": cross_source_pairs(claims, self.within_source),
                      "method": "exact", "candidates": 0}
        if len(claims) < 2:
            return []
        vectors = np.asarray(vectors, dtype=np.float32)
        groups = np.array([c.article_id for c in claims])
        chosen: dict[tuple[int, int], ClaimPair] = {}

        def add(i: int, j: int, similarity: float, via: str | None = None) -> None:
            key = (min(i, j), max(i, j))
            if key not in chosen:
                a, b = claims[key[0]], claims[key[1]]
                chosen[key] = ClaimPair(a, b, round(float(similarity), 4), shared_keys(a, b, self.generic), via=via)

        approximate = len(claims) > self.ann_threshold
        self.stats["method"] = "ann" if approximate else "exact"
        search = ann_neighbours if approximate else exact_neighbours
        idx, sim = search(vectors, groups, self.top_k, self.within_source)
        for i, j in zip(*np.nonzero((sim >= self.min_similarity) & (idx >= 0))):
            add(int(i), int(idx[i, j]), sim[i, j])
        # blocking: claims that share a specific entity, number or date, above a lower cosine; each claim
        # keeps its top_k partners per key, so the pairs grow linearly with the corpus
        for members in _key_index(claims, self.generic).values():
            if len(members) > MAX_BLOCK:
                continue  # a value half the corpus mentions says little about "the same fact"
            ids = np.array(members)
            block = vectors[ids] @ vectors[ids].T
            ok = (block >= self.shared_min_similarity) & ~np.eye(len(ids), dtype=bool)
            if not self.within_source:
                ok &= groups[ids][:, None] != groups[ids][None, :]
            scores = np.where(ok, block, -np.inf)
            for x in range(len(ids)):
                for y in np.argsort(-scores[x])[: self.top_k]:
                    if ok[x, y]:
                        add(members[x], members[y], block[x, y])
        self._add_rebuttal_pairs(claims, vectors, chosen, add)
        self.stats["candidates"] = len(chosen)
        return sorted(chosen.values(), key=lambda p: -p.similarity)

    @staticmethod
    def _add_rebuttal_pairs(claims: Sequence[Claim], vectors: np.ndarray, chosen: dict[tuple[int, int], ClaimPair],
                            add: Callable[..., None]) -> None:
        """If X (another source) resembles D and R rebuts D ("In fact, ..."), pair X with R too."""
        index = {c.id: i for i, c in enumerate(claims)}
        rebutters: dict[int, list[int]] = {}
        for r, c in enumerate(claims):
            if c.rebuts in index:
                rebutters.setdefault(index[c.rebuts], []).append(r)
        for (i, j) in list(chosen):
            for x, d in ((i, j), (j, i)):
                for r in rebutters.get(d, []):
                    if claims[x].article_id != claims[r].article_id:  # always across articles
                        add(x, r, vectors[x] @ vectors[r], via=claims[d].id)
