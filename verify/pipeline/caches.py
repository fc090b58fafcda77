"""Everything the pipeline caches, and the keys it caches under, in one place.

- ``CachedEmbedder``: vectors in the store by (model and weights, text hash); a text is embedded once.
- ``CachedJudge``: NLI scores in the store by (model path, revision, backend, pair hash); each distinct pair
  is scored once per run, and once ever per model revision.
- ``LazyEmbedder`` / ``LazyJudge``: stand for a model whose weights load on first use, so a fully cached run
  never loads them.
- ``core_version``: the declared versions of every stage with the loaded knowledge data and the spaCy
  pipeline. Claims are cached under ``verify.extract.claims.extractor_version`` and verdicts under
  ``verify.verdict.aggregate.Aggregator.key``, built the same way.

Keys come from declared versions (``VERSION`` in verify.ingest, verify.extract, verify.pipeline,
verify.models and verify.verdict; tests/pipeline/test_versions.py fails when a stage's sources change and
its version does not) and from digests of what was loaded (knowledge data, model weights, fitted
parameters), never from source files by name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

from verify import extract, ingest, models, pipeline, verdict
from verify.knowledge import Knowledge
from verify.models.contracts import Embedder, Judge, OnBatch, Probs
from verify.models.resolve import Resolved
from verify.models.runtime import weights_digest
from verify.nlp import NLP
from verify.pipeline.store import Store
from verify.records import short_hash

log = logging.getLogger(__name__)

VECTORS_PER_COMMIT = 4096  # embedded texts per store commit: an interrupt loses at most this many
STORE_EVERY = 1024  # scored (premise, hypothesis) texts per store commit: an interrupt loses at most this many


def core_version(knowledge: Knowledge, nlp: NLP) -> str:
    """What every result of a run depends on besides its inputs, settings, models and fitted parameters: the
    declared version of each stage, the loaded knowledge data and the spaCy pipeline."""
    return short_hash(ingest.VERSION, extract.VERSION, pipeline.VERSION, models.VERSION, verdict.VERSION,
                      knowledge.digest, nlp.version)


def vectors_key(embedder: Embedder) -> str:
    """Vectors are stored under the model's name, its revision and its weights' digest (a fake: its name)."""
    resolved = embedder.resolved
    if resolved is None:
        return embedder.name
    return f"{embedder.name}@{resolved.revision}+{weights_digest(resolved.path)}"


def scores_key(judge: Judge) -> str:
    """Scores are stored under the model's folder and revision (weights and temperature), and the backend
    when it is not full-precision torch: int8 scores are not fp32 scores."""
    key = f"{judge.resolved.path}@{judge.resolved.revision}"
    return key if judge.backend == "torch" else f"{key}#{judge.backend}"


class LazyEmbedder:
    """An Embedder whose model loads on first use; name and resolved are known up front."""

    def __init__(self, load: Callable[[], Embedder], name: str, resolved: Resolved | None) -> None:
        self._load = load
        self._model: Embedder | None = None
        self.name = name
        self.resolved = resolved

    def load(self) -> Embedder:
        if self._model is None:
            self._model = self._load()
        return self._model

    def embed(self, texts: Sequence[str], on_batch: OnBatch | None = None) -> np.ndarray:
        return self.load().embed(texts, on_batch)


class LazyJudge:
    """A Judge whose model loads on first use; name, resolved and backend are known up front."""

    def __init__(self, load: Callable[[], Judge], name: str, resolved: Resolved, backend: str) -> None:
        self._load = load
        self._model: Judge | None = None
        self.name = name
        self.resolved = resolved
        self.backend = backend

    def load(self) -> Judge:
        if self._model is None:
            self._model = self._load()
        return self._model

    def predict(self, texts: Sequence[tuple[str, str]], on_batch: OnBatch | None = None) -> list[Probs]:
        return self.load().predict(texts, on_batch)


class CachedEmbedder:
    """Wraps an embedder: texts whose hash is stored for the same model are not embedded again."""

    def __init__(self, inner: Embedder, store: Store) -> None:
        self.inner = inner
        self.store = store
        self.name = inner.name
        self.resolved = inner.resolved
        self.key = vectors_key(inner)
        self._memo: dict[str, np.ndarray] = {}
        self.hits = 0

    def embed(self, texts: Sequence[str], on_batch: OnBatch | None = None) -> np.ndarray:
        """Unit-normalised vectors, one row per text; cached texts are not embedded again."""
        if not texts:
            return self.inner.embed([])
        hashes = [short_hash(t) for t in texts]
        cached = {h: self._memo[h] for h in dict.fromkeys(hashes) if h in self._memo}
        cached |= self.store.get_vectors(self.key, [h for h in dict.fromkeys(hashes) if h not in cached])
        todo = list(dict.fromkeys(t for t, h in zip(texts, hashes) if h not in cached))
        self.hits += len(texts) - len(todo)
        log.info("embedding %d texts (%d cached)", len(todo), len(texts) - len(todo))
        if on_batch and len(texts) > len(todo):
            on_batch(len(texts) - len(todo))
        for i in range(0, len(todo), VECTORS_PER_COMMIT):  # stored in slices: an interruption keeps what was done
            batch = todo[i : i + VECTORS_PER_COMMIT]
            new = list(zip((short_hash(t) for t in batch), self.inner.embed(batch, on_batch)))
            self.store.put_vectors(self.key, new)
            cached |= dict(new)
        self._memo |= cached
        return np.stack([cached[h] for h in hashes])


class CachedJudge:
    """Wraps a judge: each distinct (premise, hypothesis) pair is scored once per run, and pairs already
    scored by the same model revision are read from the store, so re-running on an unchanged corpus does
    no NLI work and a new article costs only its pairs. Fresh scores are stored every STORE_EVERY texts,
    so an interrupted run keeps the work it did. ``store=None`` only removes duplicates."""

    def __init__(self, inner: Judge, store: Store | None) -> None:
        self.inner = inner
        self.store = store
        self.name = inner.name
        self.resolved = inner.resolved
        self.backend = inner.backend
        self.key = scores_key(inner)
        self.hits = 0  # texts whose scores came from the store
        self.duplicates = 0  # texts scored once for several pairs in this run

    def predict(self, texts: Sequence[tuple[str, str]], on_batch: OnBatch | None = None) -> list[Probs]:
        hashes = [short_hash(p, h) for p, h in texts]
        first: dict[str, int] = {}
        for i, h in enumerate(hashes):
            first.setdefault(h, i)
        known = self.store.get_scores(self.key, list(first)) if self.store is not None else {}
        todo = [i for h, i in first.items() if h not in known]
        self.hits += sum(h in known for h in hashes)
        self.duplicates += len(texts) - len(first)
        if on_batch and len(texts) > len(todo):
            on_batch(len(texts) - len(todo))
        # the inner judge sorts by length too: chunks of the sorted list keep its batches as they would be
        todo.sort(key=lambda i: len(texts[i][0]) + len(texts[i][1]))
        for start in range(0, len(todo), STORE_EVERY):
            chunk = todo[start : start + STORE_EVERY]
            fresh = {hashes[i]: probs for i, probs in zip(chunk, self.inner.predict([texts[i] for i in chunk], on_batch))}
            if self.store is not None:
                self.store.put_scores(self.key, fresh.items())  # committed now: Ctrl-C or a crash keeps it
            known |= fresh
        return [known[h] for h in hashes]  # shared, read-only: one dict per distinct pair, not per use


def preload(model: Embedder | Judge) -> None:
    """Load a lazy model's weights now, through its cache wrapper if it has one."""
    inner = model.inner if isinstance(model, (CachedEmbedder, CachedJudge)) else model
    if isinstance(inner, (LazyEmbedder, LazyJudge)):
        inner.load()
