"""Claim -> vector. Batched sentence-transformers embeddings, cached by text hash."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .models import resolve
from .store import Store
from .types import short_hash

log = logging.getLogger(__name__)


def pick_device(device: str) -> str:
    """auto -> cuda when available, else cpu; an explicit cuda without a GPU is an error."""
    import torch

    from .errors import ConfigError

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda asked for, but torch sees no CUDA GPU; use --device cpu or auto")
    return device


class SentenceEmbedder:
    """sentence-transformers model (alias, HF id or path): unit vectors, batched."""

    def __init__(self, model: str = "all-MiniLM-L6-v2", *, device: str = "auto", batch_size: int = 32,
                 allow_download: bool = False, **_: object) -> None:
        from sentence_transformers import SentenceTransformer

        self.resolved = resolve(model, "embed", allow_download=allow_download)
        self.name = model
        self.device = pick_device(device)
        self.batch_size = batch_size if self.device == "cpu" else max(batch_size, 256)
        self.model = SentenceTransformer(self.resolved.path, device=self.device, local_files_only=True)
        self.dim = self.model.get_embedding_dimension() or 0

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = []
        for i in range(0, len(texts), self.batch_size * 8):  # chunks: progress without per-batch overhead
            chunk = list(texts[i : i + self.batch_size * 8])
            out.append(self.model.encode(chunk, batch_size=self.batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True).astype(np.float32))
            if on_batch:
                on_batch(len(chunk))
        return np.concatenate(out)


class CachedEmbedder:
    """Wraps an embedder: texts whose hash is stored for the same model are not embedded again."""

    def __init__(self, inner: Any, store: Store) -> None:
        self.inner = inner
        self.store = store
        self.name = inner.name
        self.resolved = getattr(inner, "resolved", None)
        self._memo: dict[str, np.ndarray] = {}
        self.hits = 0

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit-normalised vectors, one row per text; cached texts are not embedded again."""
        if not texts:
            return self.inner.embed([])
        hashes = [short_hash(t) for t in texts]
        cached = {h: self._memo[h] for h in dict.fromkeys(hashes) if h in self._memo}
        cached |= self.store.get_vectors(self.name, [h for h in dict.fromkeys(hashes) if h not in cached])
        todo = list(dict.fromkeys(t for t, h in zip(texts, hashes) if h not in cached))
        self.hits += len(texts) - len(todo)
        log.info("embedding %d texts (%d cached)", len(todo), len(texts) - len(todo))
        if on_batch and len(texts) > len(todo):
            on_batch(len(texts) - len(todo))
        for i in range(0, len(todo), 4096):  # stored in slices: an interruption keeps what was done
            batch = todo[i : i + 4096]
            new = list(zip((short_hash(t) for t in batch), self.inner.embed(batch, on_batch)))
            self.store.put_vectors(self.name, new)
            cached |= dict(new)
        self._memo |= cached
        return np.stack([cached[h] for h in hashes])


class HashEmbedder:
    """A deterministic bag-of-words embedder for tests: shared words give high cosine."""

    name = "hash"

    def __init__(self, dim: int = 256, **_: object) -> None:
        self.dim = dim

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                if len(word) > 2:
                    out[row, int(short_hash(word, size=4), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        if on_batch and texts:
            on_batch(len(texts))
        return out / np.where(norms == 0, 1, norms)
