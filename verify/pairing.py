"""Claim -> ClaimPair: cross-source candidates by cosine top-k plus shared entities/values.

The candidates of a corpus are a function of its claims and vectors alone: each claim's ``top_k`` nearest claims
of other articles (``exact_neighbours``, or a usearch HNSW index above ANN_THRESHOLD claims: ``index_search``), the
claims that share a specific entity, number or date (``block_pairs``), and the claims that rebut a paired claim
(``rebuttal_pairs``); ``assemble`` turns them into ClaimPairs. Candidates travel as rows (i, j) of claim indices,
i < j, in an (n, 2) integer array (``unique_rows``). ``PairState`` holds the first two for a corpus by
claim and moves them to a corpus that differs by a few articles (``PairState.update``); ``Pairer.pair`` is one such
update from nothing. Near-ties (within TIE) are broken by a rank drawn from each claim's id (``claim_ranks``), a
similarity within TIE of a threshold is computed again exactly (``at_least``), and a pair's similarity is one
float64 dot product of its two vectors, so a corpus gives the same pairs whether it was paired at once or article
by article (verify.pipeline.incremental keeps the state between runs)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from verify.columns import MadeWhenRead, claim_columns
from verify.knowledge import Knowledge
from verify.records import Claim, ClaimPair

# entity types specific enough that two claims naming the same one are likely about the same fact;
# countries, regions and nationalities (GPE, LOC, NORP) are too coarse to pair on
SPECIFIC_TYPES = frozenset({"PERSON", "ORG", "FAC", "EVENT", "WORK_OF_ART", "LAW", "PRODUCT"})
MAX_BLOCK = 100  # blocking keys shared by more claims than this are too common to pair on
ANN_THRESHOLD = 20_000  # claims; above this, nearest neighbours come from an approximate index
CHUNK_CELLS = 1 << 24  # similarity cells computed at once by the exact search (64 MiB of float32)
TIE = 1e-5  # similarities this close are tied: the claim with the lower rank wins (float noise never decides)
ANN_EXTRA = 12  # the index is asked for this many neighbours more than top_k: own-article ones are dropped after
# usearch HNSW parameters; part of what a stored index was built with (verify.pipeline.incremental)
HNSW = {"connectivity": 16, "expansion_add": 48, "expansion_search": 48}


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


def blocking_keys(claim: Claim, generic: frozenset[str] = frozenset()) -> set[str]:
    """What a claim is blocked on: its specific entities, numbers and dates."""
    return specific_entities(claim, generic) | {*claim.numbers, *claim.dates}


def claim_ranks(ids: Iterable[str]) -> np.ndarray:
    """A tie-break rank per claim, from its id alone (so the same in every corpus the claim is part of)."""
    return np.array([int.from_bytes(hashlib.blake2b(i.encode("utf-8"), digest_size=8).digest(), "big") >> 1
                     for i in ids], dtype=np.int64)


def cross_source_pairs(claims: Sequence[Claim], within_source: bool = False) -> int:
    """How many pairs a brute-force comparison would score: all pairs of claims from different articles."""
    n = len(claims)
    if within_source:
        return n * (n - 1) // 2
    sizes: dict[str, int] = {}
    for article in claim_columns(claims).articles:
        sizes[article] = sizes.get(article, 0) + 1
    return (n * n - sum(v * v for v in sizes.values())) // 2


def best_k(block: np.ndarray, ranks: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(columns, similarities) of each row's k best entries of ``block`` (rows x candidates, -inf where not
    allowed), in no particular order; similarities within TIE of the k-th are decided by ``ranks`` (lower
    wins). Missing: -1, -inf."""
    rows, n = block.shape
    k = min(k, n)
    if k <= 0 or rows == 0:
        return np.full((rows, max(k, 0)), -1, dtype=np.int64), np.full((rows, max(k, 0)), -np.inf, dtype=np.float32)
    idx = np.argpartition(-block, k - 1, axis=1)[:, :k] if k < n else np.tile(np.arange(n), (rows, 1))
    sim = np.take_along_axis(block, idx, axis=1).astype(np.float32)
    kth = sim.min(axis=1)
    # rows where something outside the k found is within 2 TIE of the k-th: ordered by (bucket, rank)
    for r in np.nonzero(np.isfinite(kth) & ((block >= (kth - 2 * TIE)[:, None]).sum(axis=1) > k))[0]:
        cand = np.nonzero(block[r] >= kth[r] - 2 * TIE)[0]
        best = cand[rank_order(block[r, cand], ranks[cand])[:k]]
        idx[r], sim[r] = best, block[r, best]
    idx = idx.astype(np.int64)
    idx[~np.isfinite(sim)] = -1
    return idx, sim


def rank_order(sims: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Positions of ``sims`` best first; similarities within TIE (same bucket) by rank."""
    buckets = np.where(np.isfinite(sims), np.round(np.asarray(sims, dtype=np.float64) / TIE), -np.inf)
    return np.lexsort((ranks, -buckets))


def exact_neighbours(vectors: np.ndarray, groups: np.ndarray, k: int, within_source: bool = False,
                     ranks: np.ndarray | None = None, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(indices, similarities) of each row's (of ``rows``, default all) k most similar rows from another group,
    by chunked matrix products: memory stays at CHUNK_CELLS whatever the corpus size. Missing: -1, -inf."""
    n = len(vectors)
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    k = max(min(k, n - 1), 0)
    ranks = np.zeros(n, dtype=np.int64) if ranks is None else ranks
    idx = np.full((len(rows), k), -1, dtype=np.int64)
    sim = np.full((len(rows), k), -np.inf, dtype=np.float32)
    if k == 0 or len(rows) == 0:
        return idx, sim
    codes = np.unique(groups, return_inverse=True)[1].ravel()  # integers compare far faster than strings
    step = max(1, CHUNK_CELLS // n)
    for start in range(0, len(rows), step):
        part = rows[start : start + step]
        block = vectors[part] @ vectors.T
        mask_block(block, codes[part], codes, part, np.arange(n), within_source)
        idx[start : start + step], sim[start : start + step] = best_k(block, ranks, k)
    return idx, sim


def mask_block(block: np.ndarray, row_codes: np.ndarray, col_codes: np.ndarray, row_ids: np.ndarray,
               col_ids: np.ndarray, within_source: bool) -> None:
    """-inf where a row may not pair with a column: itself, and its own article unless ``within_source``."""
    if within_source:
        np.putmask(block, row_ids[:, None] == col_ids[None, :], -np.inf)
    else:
        np.putmask(block, row_codes[:, None] == col_codes[None, :], -np.inf)


def new_index(dim: int) -> Any:
    """An empty usearch HNSW index for unit vectors (inner product)."""
    from usearch.index import Index

    return Index(ndim=dim, metric="ip", dtype="f32", **HNSW)


def index_add(index: Any, keys: np.ndarray, vectors: np.ndarray) -> None:
    """Add on one thread: the same vectors added in the same order give the same graph, so the same pairs
    (a threaded build differed on ~1% of rows), which a re-run needs to find every score in the store."""
    if len(keys):
        index.add(np.asarray(keys, dtype=np.uint64), np.ascontiguousarray(vectors, dtype=np.float32), threads=1)


def index_search(index: Any, queries: np.ndarray, query_keys: np.ndarray, groups: np.ndarray, k: int,
                 within_source: bool, want: int, ranks: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Each query's k nearest index keys among the ``want`` the index finds, other than itself (and its own group
    unless ``within_source``), near-ties decided by ``ranks``: (keys, similarities), -1 / -inf where missing.
    ``groups`` and ``ranks`` are indexed by key."""
    n = len(queries)
    idx = np.full((n, k), -1, dtype=np.int64)
    sim = np.full((n, k), -np.inf, dtype=np.float32)
    if n == 0 or len(index) == 0:
        return idx, sim
    found = index.search(np.ascontiguousarray(queries, dtype=np.float32), min(want, len(index)), threads=0)
    keys_found = np.asarray(found.keys, dtype=np.int64).reshape(n, -1)
    sims = 1.0 - np.asarray(found.distances, dtype=np.float32).reshape(n, -1)  # usearch's "ip" distance is 1 - dot
    counts = np.asarray(found.counts).reshape(n)
    limit = len(groups)
    for row in range(n):
        cols, s = keys_found[row, : counts[row]], sims[row, : counts[row]]
        ok = (cols >= 0) & (cols < limit) & (cols != query_keys[row])
        if not within_source:
            ok &= groups[np.clip(cols, 0, limit - 1)] != groups[query_keys[row]]
        cols, s = cols[ok], s[ok]
        best = rank_order(s, ranks[cols])[:k] if ranks is not None else slice(0, k)
        cols, s = cols[best], s[best]
        idx[row, : len(cols)], sim[row, : len(cols)] = cols, s
    return idx, sim


def at_least(sims: np.ndarray, threshold: float, vectors: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``sims >= threshold`` for the pairs (a[i], b[i]), with the similarities within TIE of the threshold
    computed again exactly (one float64 dot product): float noise never moves a pair across it."""
    ok = sims >= threshold
    near = np.isfinite(sims) & (np.abs(sims - threshold) <= TIE)
    if near.any():
        ok[near] = dots(vectors, a[near], b[near]) >= threshold
    return ok


def block_pairs(members: Sequence[int], vectors: np.ndarray, groups: np.ndarray, ranks: np.ndarray, top_k: int,
                min_similarity: float, within_source: bool) -> list[tuple[int, int]]:
    """Within one blocking key's claims (indices into ``vectors``): each claim's ``top_k`` best partners of
    another article at least ``min_similarity`` alike. Members are taken in rank order, so the products (and
    their last bits) are the same however the block was assembled."""
    ids = np.array(sorted(members, key=lambda m: ranks[m]), dtype=np.int64)
    if len(ids) < 2:
        return []
    block = vectors[ids] @ vectors[ids].T
    x, y = np.meshgrid(ids, ids, indexing="ij")
    ok = at_least(block, min_similarity, vectors, x, y) & ~np.eye(len(ids), dtype=bool)
    if not within_source:
        ok &= groups[ids][:, None] != groups[ids][None, :]
    scores = np.where(ok, block, -np.inf)
    out = []
    for x in range(len(ids)):
        for y in rank_order(scores[x], ranks[ids])[:top_k]:
            if ok[x, y]:
                out.append((int(ids[x]), int(ids[y])))
    return out


def rebuttal_pairs(claims: Sequence[Claim], chosen: np.ndarray) -> dict[tuple[int, int], int]:
    """If X (another article) is paired with D and R rebuts D ("In fact, ..."), pair X with R too:
    {(min, max) index of X and R: index of D}, the first D in (pair, direction) order when several.
    ``chosen``: the pairs as rows (i, j)."""
    columns = claim_columns(claims)
    rebutting = [(r, link) for r, link in enumerate(columns.rebuts) if link is not None]
    rebutters: dict[int, list[int]] = {}
    if not rebutting:
        return {}
    index = {i: n for n, i in enumerate(columns.ids)}
    articles = columns.articles
    for r, link in rebutting:
        if link in index:
            rebutters.setdefault(index[link], []).append(r)
    out: dict[tuple[int, int], int] = {}
    if not rebutters:
        return out
    rows = np.asarray(chosen, dtype=np.int64).reshape(-1, 2)
    involved = np.isin(rows, np.array(list(rebutters), dtype=np.int64)).any(axis=1)
    for i, j in sorted(map(tuple, rows[involved].tolist())):
        for x, d in ((i, j), (j, i)):
            for r in rebutters.get(d, []):
                if articles[x] != articles[r]:  # always across articles
                    out.setdefault((min(x, r), max(x, r)), d)
    return out


def dots(vectors: np.ndarray, a: np.ndarray, b: np.ndarray, chunk: int = 65536) -> np.ndarray:
    """The cosine of each pair (a[i], b[i]) of unit vectors: one float64 dot product per pair, which depends on
    the two vectors alone (not on the matrix product it would otherwise be part of)."""
    out = np.empty(len(a), dtype=np.float64)
    for s in range(0, len(a), chunk):
        va = vectors[a[s : s + chunk]].astype(np.float64)
        vb = vectors[b[s : s + chunk]].astype(np.float64)
        out[s : s + chunk] = np.einsum("ij,ij->i", va, vb)
    return out


def unique_rows(rows: np.ndarray) -> np.ndarray:
    """The distinct rows (i, j) of an (n, 2) array of claim indices below 2**32, in (i, j) order."""
    codes = sorted_unique(_codes(np.asarray(rows, dtype=np.int64).reshape(-1, 2)))
    return np.stack([codes >> 32, codes & 0xFFFFFFFF], axis=1)


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of an integer array, by sorting: numpy >= 2.3 hashes integers there, which took 0.29 s for
    311k pair codes on these cores against 7 ms for a sort (``np.setdiff1d`` and ``np.union1d`` go through it too)."""
    values = np.sort(np.asarray(values).ravel())
    return values[np.concatenate(([True], values[1:] != values[:-1]))] if len(values) else values


def in_sorted(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``np.isin(values, reference)`` for a sorted ``reference``, by binary search: ``np.isin`` sorts (or, numpy >= 2.3,
    hashes) both arrays, 0.29 s at 397k pairs when ``values`` are a few."""
    values = np.asarray(values)
    if len(reference) == 0:
        return np.zeros(values.shape, dtype=bool)
    found = np.minimum(np.searchsorted(reference, values), len(reference) - 1)
    return reference[found] == values


def _codes(rows: np.ndarray) -> np.ndarray:
    """One integer per row (i, j), ordered as the rows are: i << 32 | j."""
    return rows[:, 0] << 32 | rows[:, 1]


@dataclass(frozen=True, slots=True)
class Known:
    """What is already worked out for some pairs (by an earlier run; both depend on the two claims alone): per row
    (i, j) of ``rows``, its similarity and shared keys."""

    rows: np.ndarray  # (n, 2) claim indices
    similarity: np.ndarray  # (n,) float64
    shared: Sequence[tuple[str, ...]]

    def locate(self, rows: np.ndarray) -> np.ndarray:
        """Per row of ``rows``, its position here, -1 where it is not known."""
        codes, asked = _codes(self.rows), _codes(rows)
        if len(codes) == 0:
            return np.full(len(asked), -1, dtype=np.int64)
        order = np.argsort(codes)
        at = order[np.minimum(np.searchsorted(codes, asked, sorter=order), len(codes) - 1)]
        return np.where(codes[at] == asked, at, -1)


class PairTable(MadeWhenRead[ClaimPair]):
    """Candidate pairs as columns, each ``ClaimPair`` made when read: per pair the indices (i, j) of its claims in
    ``claims`` (``rows``), its ``similarity``, ``shared`` keys and rebuttal link (``via``: the rebutted claim's id or
    None). An incremental run at 100k claims holds 400k pairs and makes a record of only the few it judges or
    shows; the rest are matched, grouped and written from the columns. Equal to a list of the same pairs."""

    def __init__(self, claims: Sequence[Claim], rows: np.ndarray, similarity: np.ndarray,
                 shared: Sequence[tuple[str, ...]], via: Sequence[str | None]) -> None:
        self.claims, self.rows = claims, np.asarray(rows, dtype=np.int64).reshape(-1, 2)
        self.similarity = np.asarray(similarity, dtype=np.float64)
        self.shared, self.via = list(shared), list(via)
        if not len(self.rows) == len(self.similarity) == len(self.shared) == len(self.via):
            raise ValueError("a pair table's columns differ in length")
        self._a, self._b = self.rows[:, 0].tolist(), self.rows[:, 1].tolist()
        self._s = self.similarity.tolist()

    @classmethod
    def of(cls, pairs: Sequence[ClaimPair]) -> PairTable:
        """A table of these pairs (itself when ``pairs`` is one)."""
        if isinstance(pairs, PairTable):
            return pairs
        n = len(pairs)
        return cls([p.a for p in pairs] + [p.b for p in pairs], np.stack([np.arange(n), n + np.arange(n)], axis=1),
                   [p.similarity for p in pairs], [p.shared for p in pairs], [p.via for p in pairs])

    def plain(self) -> np.ndarray:
        """Per pair: no rebuttal link and no shared keys."""
        return np.array([v is None and not k for v, k in zip(self.via, self.shared)], dtype=bool)

    def ends(self, positions: Iterable[int]) -> list[tuple[str, str, str, str]]:
        """Per pair at these positions: its claim a's id and outlet, its claim b's id and outlet."""
        columns, a, b = claim_columns(self.claims), self._a, self._b
        ids, sources = columns.ids, columns.sources
        return [(ids[a[p]], sources[a[p]], ids[b[p]], sources[b[p]]) for p in positions]

    def __len__(self) -> int:
        return len(self._s)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[p] for p in range(len(self))[index]]
        p = range(len(self))[index]  # negative positions, and IndexError past the end
        return ClaimPair(self.claims[self._a[p]], self.claims[self._b[p]], self._s[p], self.shared[p], self.via[p])

    def __iter__(self) -> Iterator[ClaimPair]:
        claims = self.claims
        for i, j, s, k, v in zip(self._a, self._b, self._s, self.shared, self.via):
            yield ClaimPair(claims[i], claims[j], s, k, v)

    def __repr__(self) -> str:
        return f"PairTable({len(self)} pairs)"


def pair_ends(pairs: Sequence[ClaimPair], positions: Iterable[int]) -> list[tuple[str, str, str, str]]:
    """``PairTable.ends`` for any sequence of pairs (a table's read from its columns)."""
    if isinstance(pairs, PairTable):
        return pairs.ends(positions)
    return [(p.a.id, p.a.source, p.b.id, p.b.source) for p in (pairs[n] for n in positions)]


def assemble(claims: Sequence[Claim], vectors: np.ndarray, rows: np.ndarray, via: np.ndarray | None = None,
             generic: frozenset[str] = frozenset(), known: Known | None = None) -> tuple[PairTable, np.ndarray]:
    """The pairs of the candidate ``rows`` ((i, j) with i < j, distinct, in (i, j) order), a before b in input
    order, best similarity first (then (i, j) order), and their rows in that order. ``via``: per row, the index of
    the rebutted claim of a rebuttal pair, else -1; ``known``: what is already worked out for some rows."""
    rows = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
    via = np.full(len(rows), -1, dtype=np.int64) if via is None else via
    known = known or Known(np.zeros((0, 2), dtype=np.int64), np.zeros(0), ())
    at = known.locate(rows)
    sims = np.zeros(len(rows), dtype=np.float64)
    sims[at >= 0] = known.similarity[at[at >= 0]]
    todo = np.nonzero(at < 0)[0]
    if len(todo):
        sims[todo] = np.round(dots(vectors, rows[todo, 0], rows[todo, 1]), 4)
    order = np.argsort(-sims, kind="stable")  # (i, j) order within a tie
    rows, at, via = rows[order], at[order], via[order]
    shared = [known.shared[k] if k >= 0 else shared_keys(claims[i], claims[j], generic)
              for i, j, k in zip(rows[:, 0].tolist(), rows[:, 1].tolist(), at.tolist())]
    return PairTable(claims, rows, sims[order], shared, [claims[d].id if d >= 0 else None for d in via.tolist()]), rows


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
        self.stats: dict[str, Any] = {}

    def key(self) -> str:
        """What the candidates depend on besides the claims and their vectors (for a stored PairState)."""
        return repr((self.top_k, self.min_similarity, self.shared_min_similarity, self.within_source,
                     self.ann_threshold, sorted(self.generic), MAX_BLOCK, TIE, ANN_EXTRA, sorted(HNSW.items())))

    def approximate(self, n: int) -> bool:
        return n > self.ann_threshold

    def pair(self, claims: Sequence[Claim], vectors: np.ndarray) -> list[ClaimPair]:
        """Unordered candidate pairs (a before b in input order), best similarity first."""
        if len(claims) != len(vectors):
            raise ValueError(f"{len(claims)} claims but {len(vectors)} vectors")
        vectors = np.asarray(vectors, dtype=np.float32)
        state = PairState(self, vectors.shape[1] if vectors.ndim == 2 else 0, self.approximate(len(claims)))
        state.update(claims, vectors, unique_ids(claim_columns(claims).ids))
        return list(self.finish(claims, vectors, state.candidates(vectors), state.method)[0])

    def finish(self, claims: Sequence[Claim], vectors: np.ndarray, pairs: np.ndarray, method: str,
               known: Known | None = None) -> tuple[PairTable, np.ndarray]:
        """The rebuttal pairs added to ``pairs`` (rows (i, j), i < j), then the pairs (a ``PairTable``) and their
        rows (see ``assemble``); counts in ``stats``."""
        chosen = unique_rows(pairs)
        linked = rebuttal_pairs(claims, chosen)
        added = np.array(list(linked), dtype=np.int64).reshape(-1, 2)
        added = added[~in_sorted(_codes(added), _codes(chosen))]  # a pair chosen anyway is no rebuttal pair
        rows = unique_rows(np.concatenate([chosen, added]))
        via = np.full(len(rows), -1, dtype=np.int64)
        via[np.searchsorted(_codes(rows), _codes(added))] = [linked[(i, j)] for i, j in added.tolist()]
        self.stats = {"claims": len(claims), "cross_source_pairs": cross_source_pairs(claims, self.within_source),
                      "method": method, "candidates": len(rows)}
        return assemble(claims, vectors, rows, via, self.generic, known)

    def knn_pairs(self, idx: np.ndarray, sim: np.ndarray, vectors: np.ndarray) -> np.ndarray:
        """Rows (min, max) of each row and each of its neighbours at least ``min_similarity`` alike (repeats
        possible)."""
        r, c = np.nonzero(idx >= 0)
        other = idx[r, c]
        keep = at_least(sim[r, c], self.min_similarity, vectors, r, other)
        r, other = r[keep], other[keep]
        return np.stack([np.minimum(r, other), np.maximum(r, other)], axis=1).astype(np.int64)

    def block(self, members: Sequence[int], vectors: np.ndarray, groups: np.ndarray, ranks: np.ndarray
              ) -> set[tuple[int, int]]:
        """A blocking key's pairs (see ``block_pairs``), as (min, max)."""
        return {(min(x, y), max(x, y)) for x, y in block_pairs(members, vectors, groups, ranks, self.top_k,
                                                                  self.shared_min_similarity, self.within_source)}


def unique_ids(ids: Iterable[str]) -> list[str]:
    """The ids with a "#n" added to the n-th repeat of one (the same article given twice)."""
    seen: dict[str, int] = {}
    out = []
    for i in ids:
        n = seen[i] = seen.get(i, -1) + 1
        out.append(f"{i}#{n}" if n else i)
    return out


class PairState:
    """The pairing structure of a corpus by claim slot: what a corpus differing by a few articles updates
    (``update``) instead of recomputing. A claim keeps its slot while its uid (unique id: article key and claim
    id) stays in the corpus. Per slot: the claim's top_k nearest claims of other articles (``knn``, before the
    ``min_similarity`` cut); per blocking key: its member slots and the pairs it gives; in approximate mode the
    HNSW index, keyed by slot.

    ``update`` searches the new claims against the whole corpus, lets each into the lists of the old claims it
    beats, searches again for claims that lost a neighbour, and rebuilds the blocks of every key a new or dropped
    claim carries. Exact mode gives, after any sequence of updates, the candidates a from-scratch search gives
    for the same corpus (near-ties are decided by rank, see TIE). Approximate mode is approximate both ways: a
    new claim gets the neighbours the index finds and enters an old claim's list when it is among the new claim's
    REVERSE_WANT x (top_k + ANN_EXTRA) nearest; the index only grows by adds on one thread (and removals), so the
    same sequence of corpora gives the same candidates."""

    ARRAYS = ("uid", "claim_id", "article", "source", "rank", "alive", "knn", "knn_sim", "key_names", "key_offsets",
              "key_members", "pair_offsets", "pair_codes")
    REVERSE_WANT = 4

    def __init__(self, pairer: Pairer, dim: int, approximate: bool) -> None:
        k = pairer.top_k
        self.pairer = pairer
        self.dim = dim
        self.approximate = approximate
        self.method = "ann" if approximate else "exact"
        self.uid = self.claim_id = self.article = self.source = self.key_names = np.zeros(0, dtype="<U1")
        self.rank = np.zeros(0, dtype=np.int64)
        self.alive = np.zeros(0, dtype=bool)
        self.knn = np.zeros((0, k), dtype=np.int64)
        self.knn_sim = np.zeros((0, k), dtype=np.float32)
        self.key_offsets = np.zeros(1, dtype=np.int64)
        self.key_members = np.zeros(0, dtype=np.int64)
        self.pair_offsets = np.zeros(1, dtype=np.int64)
        self.pair_codes = np.zeros(0, dtype=np.int64)  # slot pairs as lo << 32 | hi
        self.index: Any = new_index(dim) if approximate else None
        self.slot_of = np.zeros(0, dtype=np.int64)  # the corpus of the last update: claim index -> slot
        self.stats: dict[str, int] = {}

    # -- persistence (files: verify.pipeline.incremental) ---------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in self.ARRAYS}

    @classmethod
    def from_arrays(cls, pairer: Pairer, dim: int, approximate: bool, arrays: Mapping[str, np.ndarray],
                    index: Any = None) -> PairState:
        """A state from ``arrays()``; raises ValueError when they do not fit together."""
        state = cls(pairer, dim, approximate)
        for name in cls.ARRAYS:
            setattr(state, name, arrays[name])
        slots = len(state.uid)
        if (any(len(getattr(state, n)) != slots for n in ("claim_id", "article", "source", "rank", "alive", "knn"))
                or state.knn.shape != (slots, pairer.top_k) or state.knn_sim.shape != state.knn.shape
                or state.key_offsets[-1] != len(state.key_members) or len(state.key_offsets) != len(state.key_names) + 1
                or state.pair_offsets[-1] != len(state.pair_codes) or len(state.pair_offsets) != len(state.key_offsets)
                or (len(state.key_members) and not 0 <= state.key_members.min() <= state.key_members.max() < slots)
                or state.knn.max(initial=-1) >= slots):
            raise ValueError("the stored pairing arrays do not fit together")
        if approximate:
            if index is None or len(index) != int(state.alive.sum()) or index.ndim != dim:
                raise ValueError("the stored index does not hold the stored claims")
            state.index = index
        return state

    # -- update ------------------------------------------------------------------------------------------
    def held(self, uids: Sequence[str]) -> np.ndarray:
        """Per uid, the live slot that holds it; -1 where none does."""
        alive = np.nonzero(self.alive)[0]
        known = dict(zip(self.uid[alive].tolist(), alive.tolist()))
        return np.array([known.get(u, -1) for u in uids], dtype=np.int64)

    def update(self, claims: Sequence[Claim], vectors: np.ndarray, uids: Sequence[str],
               held: np.ndarray | None = None) -> None:
        """Move to the corpus ``claims`` (with their ``vectors`` and unique ``uids``; ``held``: ``held(uids)``, when
        the caller has it already)."""
        n = len(claims)
        if len(vectors) != n or len(uids) != n:
            raise ValueError(f"{n} claims, {len(vectors)} vectors, {len(uids)} uids")
        vectors = np.asarray(vectors, dtype=np.float32)
        alive = np.nonzero(self.alive)[0]
        slot_of = self.held(uids) if held is None else np.array(held, dtype=np.int64)
        gone = alive[~np.isin(alive, slot_of[slot_of >= 0])]
        fresh = np.nonzero(slot_of < 0)[0]
        first_new = len(self.uid)
        slot_of[fresh] = np.arange(first_new, first_new + len(fresh))
        self._grow([claims[i] for i in fresh], [uids[i] for i in fresh])
        self.alive[gone] = False
        self.slot_of = slot_of
        cur = np.full(len(self.uid), -1, dtype=np.int64)
        cur[slot_of] = np.arange(n)
        codes = np.unique(np.array(claim_columns(claims).articles), return_inverse=True)[1].ravel() if n else slot_of
        ranks = self.rank[slot_of]
        old = np.nonzero(slot_of < first_new)[0]
        lists = self.knn[slot_of[old]]
        lost = old[((lists >= 0) & ~self.alive[np.clip(lists, 0, None)]).any(axis=1)]
        if self.approximate:
            self._reindex(gone, slot_of[fresh], vectors[fresh])
        query = sorted_unique(np.concatenate([fresh, lost]))
        idx, sim = self._search(query, vectors, codes, ranks, slot_of, cur)
        self.knn[slot_of[query]] = np.where(idx >= 0, slot_of[np.clip(idx, 0, None)], -1)
        self.knn_sim[slot_of[query]] = sim
        self._let_in(old[~np.isin(old, lost)], fresh, vectors, codes, ranks, slot_of, cur)
        self._update_blocks(claims, vectors, codes, ranks, fresh, gone, slot_of, cur)
        self.stats = {"new_claims": len(fresh), "dropped_claims": len(gone), "searched_again": len(lost)}

    def candidates(self, vectors: np.ndarray) -> np.ndarray:
        """The corpus's neighbour and block pairs, as distinct rows (min, max) of claim indices of the last
        update's corpus, in (i, j) order (``vectors``: its vectors)."""
        cur = np.full(len(self.uid), -1, dtype=np.int64)
        cur[self.slot_of] = np.arange(len(self.slot_of))
        lists = self.knn[self.slot_of]
        near = self.pairer.knn_pairs(np.where(lists >= 0, cur[np.clip(lists, 0, None)], -1), self.knn_sim[self.slot_of],
                                     vectors)
        lo, hi = cur[self.pair_codes >> 32], cur[self.pair_codes & 0xFFFFFFFF]
        return unique_rows(np.concatenate([near, np.stack([np.minimum(lo, hi), np.maximum(lo, hi)], axis=1)]))

    def _grow(self, claims: Sequence[Claim], uids: Sequence[str]) -> None:
        m, k = len(claims), self.pairer.top_k
        self.uid = np.concatenate([self.uid, np.array(uids, dtype=str)]) if m else self.uid
        self.claim_id = np.concatenate([self.claim_id, np.array([c.id for c in claims], dtype=str)]) if m else self.claim_id
        self.article = np.concatenate([self.article, np.array([c.article_id for c in claims], dtype=str)]) if m else self.article
        self.source = np.concatenate([self.source, np.array([c.source for c in claims], dtype=str)]) if m else self.source
        self.rank = np.concatenate([self.rank, claim_ranks(c.id for c in claims)])
        self.alive = np.concatenate([self.alive, np.ones(m, dtype=bool)])
        self.knn = np.concatenate([self.knn, np.full((m, k), -1, dtype=np.int64)])
        self.knn_sim = np.concatenate([self.knn_sim, np.full((m, k), -np.inf, dtype=np.float32)])

    def _reindex(self, gone: np.ndarray, slots: np.ndarray, vectors: np.ndarray) -> None:
        for slot in gone.tolist():
            self.index.remove(slot)
        index_add(self.index, slots, vectors)

    def _search(self, rows: np.ndarray, vectors: np.ndarray, codes: np.ndarray, ranks: np.ndarray,
                slot_of: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Top_k neighbours of these claims among the whole corpus, as claim indices."""
        k = self.pairer.top_k
        idx = np.full((len(rows), k), -1, dtype=np.int64)
        sim = np.full((len(rows), k), -np.inf, dtype=np.float32)
        if len(rows) == 0:
            return idx, sim
        if self.approximate:
            found, s = index_search(self.index, vectors[rows], slot_of[rows], self._slot_codes(codes, slot_of), k,
                                    self.pairer.within_source, k + ANN_EXTRA + 1, self.rank)
            found = np.where(found >= 0, cur[np.clip(found, 0, None)], -1)
        else:
            found, s = exact_neighbours(vectors, codes, k, self.pairer.within_source, ranks, rows)
        idx[:, : found.shape[1]], sim[:, : found.shape[1]] = found, s
        return idx, sim

    def _slot_codes(self, codes: np.ndarray, slot_of: np.ndarray) -> np.ndarray:
        out = np.full(len(self.uid), -1, dtype=np.int64)
        out[slot_of] = codes
        return out

    def _let_in(self, rows: np.ndarray, fresh: np.ndarray, vectors: np.ndarray, codes: np.ndarray, ranks: np.ndarray,
                slot_of: np.ndarray, cur: np.ndarray) -> None:
        """Each new claim enters the neighbour lists (of ``rows``) it now belongs to."""
        if len(rows) == 0 or len(fresh) == 0:
            return
        lists = np.where(self.knn[slot_of[rows]] >= 0, cur[np.clip(self.knn[slot_of[rows]], 0, None)], -1)
        sims = np.where(lists >= 0, self.knn_sim[slot_of[rows]], -np.inf)
        floor = np.where((lists >= 0).all(axis=1), sims.min(axis=1), -np.inf) - 2 * TIE
        if self.approximate:
            want = self.REVERSE_WANT * (self.pairer.top_k + ANN_EXTRA)
            found, s = index_search(self.index, vectors[fresh], slot_of[fresh], self._slot_codes(codes, slot_of), want,
                                    self.pairer.within_source, want + 1)
            position = np.full(len(slot_of), -1, dtype=np.int64)
            position[rows] = np.arange(len(rows))
            j, c = np.nonzero(found >= 0)
            r = position[cur[found[j, c]]]
            keep = r >= 0
            r, cols, vals = r[keep], fresh[j[keep]], s[j[keep], c[keep]]
        else:
            r_list, c_list, v_list = [], [], []
            step = max(1, CHUNK_CELLS // len(fresh))
            for start in range(0, len(rows), step):
                part = rows[start : start + step]
                block = vectors[part] @ vectors[fresh].T
                mask_block(block, codes[part], codes[fresh], part, fresh, self.pairer.within_source)
                rr, cc = np.nonzero((block >= floor[start : start + step, None]) & np.isfinite(block))
                r_list.append(rr + start), c_list.append(fresh[cc]), v_list.append(block[rr, cc])
            r, cols, vals = np.concatenate(r_list), np.concatenate(c_list), np.concatenate(v_list)
        keep = vals >= floor[r]
        r, cols, vals = r[keep], cols[keep], vals[keep]
        k = self.pairer.top_k
        for row in np.unique(r).tolist():
            new = r == row
            cand = np.concatenate([lists[row][lists[row] >= 0], cols[new]])
            cand_sim = np.concatenate([sims[row][lists[row] >= 0], vals[new]]).astype(np.float32)
            best = rank_order(cand_sim, ranks[cand])[:k]
            slot = slot_of[rows[row]]
            self.knn[slot], self.knn_sim[slot] = -1, -np.inf
            self.knn[slot, : len(best)], self.knn_sim[slot, : len(best)] = slot_of[cand[best]], cand_sim[best]

    def _update_blocks(self, claims: Sequence[Claim], vectors: np.ndarray, codes: np.ndarray, ranks: np.ndarray,
                       fresh: np.ndarray, gone: np.ndarray, slot_of: np.ndarray, cur: np.ndarray) -> None:
        """Rebuild the blocks of every key a new or dropped claim carries; the others stay as they are."""
        joining: dict[str, list[int]] = {}
        for i in fresh.tolist():
            for key in blocking_keys(claims[i], self.pairer.generic):
                joining.setdefault(key, []).append(int(slot_of[i]))
        key_of_entry = np.repeat(np.arange(len(self.key_names)), np.diff(self.key_offsets))
        hit = np.zeros(len(self.key_names), dtype=bool)
        hit[key_of_entry[np.isin(self.key_members, gone)]] = True
        position = {name: p for p, name in enumerate(self.key_names.tolist())}
        for key in joining:
            if key in position:
                hit[position[key]] = True
        names, members, pairs = [], [], []
        for p in np.nonzero(hit)[0].tolist():
            names.append(self.key_names[p])
            old = self.key_members[self.key_offsets[p] : self.key_offsets[p + 1]]
            members.append(np.concatenate([old[self.alive[old]], np.array(joining.pop(names[-1], []), dtype=np.int64)]))
        for key, slots in joining.items():  # keys never seen before
            names.append(key)
            members.append(np.array(slots, dtype=np.int64))
        for slots in members:
            found = (self.pairer.block(cur[slots].tolist(), vectors, codes, ranks)
                     if 2 <= len(slots) <= MAX_BLOCK else set())
            lo = np.array([slot_of[min(x, y)] for x, y in found], dtype=np.int64)
            hi = np.array([slot_of[max(x, y)] for x, y in found], dtype=np.int64)
            pairs.append(np.sort(np.minimum(lo, hi) << 32 | np.maximum(lo, hi)))
        keep = ~hit
        sizes = [len(m) for m in members]
        kept_members = self.key_members[keep[key_of_entry]]
        pair_of_entry = np.repeat(np.arange(len(self.key_names)), np.diff(self.pair_offsets))
        kept_pairs = self.pair_codes[keep[pair_of_entry]]
        nonempty = [i for i, size in enumerate(sizes) if size]
        self.key_names = np.concatenate([self.key_names[keep], np.array([names[i] for i in nonempty], dtype=str)])
        self.key_offsets = np.concatenate([[0], np.cumsum(np.concatenate(
            [np.diff(self.key_offsets)[keep], [sizes[i] for i in nonempty]]).astype(np.int64))])
        self.key_members = np.concatenate([kept_members, *[members[i] for i in nonempty]]).astype(np.int64)
        self.pair_offsets = np.concatenate([[0], np.cumsum(np.concatenate(
            [np.diff(self.pair_offsets)[keep], [len(pairs[i]) for i in nonempty]]).astype(np.int64))])
        self.pair_codes = np.concatenate([kept_pairs, *[pairs[i] for i in nonempty]]).astype(np.int64)
