"""Deterministic stand-ins for the models, for tests and quick runs: no weights, no torch.

``HashEmbedder`` ("hash") and ``KeywordNLI`` ("keyword") are registered in verify.registry, so
``VERIFY_EMBED_MODEL=hash VERIFY_NLI_MODEL=keyword verify claims seeds/`` runs in about a second.
``CountingEmbedder`` and ``CountingJudge`` record what they were asked, for tests of caching and interrupts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from verify.models.contracts import OnBatch, Probs
from verify.models.resolve import Resolved
from verify.records import short_hash


class HashEmbedder:
    """A bag-of-words embedder: shared words give high cosine."""

    name = "hash"
    resolved: Resolved | None = None

    def __init__(self, dim: int = 256, **_: object) -> None:
        self.dim = dim

    def embed(self, texts: Sequence[str], on_batch: OnBatch | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                if len(word) > 2:
                    out[row, int(short_hash(word, size=4), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        if on_batch and texts:
            on_batch(len(texts))
        return out / np.where(norms == 0, 1, norms)


NEGATIONS = re.compile(r"\b(not|no|never|none|without|denies|denied|n't)\b", re.IGNORECASE)


class KeywordNLI:
    """A rule-based judge: negation mismatch -> contradiction, word overlap -> entailment."""

    name = "keyword"
    backend = "rules"

    def __init__(self, **_: object) -> None:
        self.resolved = Resolved("keyword", "-", "fake", "registry")

    def predict(self, texts: Sequence[tuple[str, str]], on_batch: OnBatch | None = None) -> list[Probs]:
        out = []
        for premise, hypothesis in texts:
            pw, hw = set(re.findall(r"\w+", premise.lower())), set(re.findall(r"\w+", hypothesis.lower()))
            overlap = len(pw & hw) / max(1, len(hw))
            if bool(NEGATIONS.search(premise)) != bool(NEGATIONS.search(hypothesis)) and overlap > 0.5:
                out.append({"entailment": 0.05, "neutral": 0.1, "contradiction": 0.85})
            elif overlap > 0.7:
                out.append({"entailment": 0.85, "neutral": 0.1, "contradiction": 0.05})
            else:
                out.append({"entailment": 0.1, "neutral": 0.8, "contradiction": 0.1})
        if on_batch and texts:
            on_batch(len(texts))
        return out


class CountingEmbedder(HashEmbedder):
    """A HashEmbedder that records every text it embeds (``texts``)."""

    def __init__(self, dim: int = 256, **_: object) -> None:
        super().__init__(dim)
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str], on_batch: OnBatch | None = None) -> np.ndarray:
        self.texts += list(texts)
        return super().embed(texts, on_batch)


class CountingJudge(KeywordNLI):
    """A KeywordNLI that records every pair it scores (``seen``) and the calls (``calls``); with ``fail_after``,
    the call after that many raises KeyboardInterrupt (an interrupted run). ``resolved`` names what it
    stands for (default: KeywordNLI's)."""

    def __init__(self, fail_after: int | None = None, resolved: Resolved | None = None, **_: object) -> None:
        super().__init__()
        self.resolved = resolved or self.resolved
        self.fail_after = fail_after
        self.seen: list[tuple[str, str]] = []
        self.calls = 0

    def predict(self, texts: Sequence[tuple[str, str]], on_batch: OnBatch | None = None) -> list[Probs]:
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt
        self.calls += 1
        self.seen += list(texts)
        return super().predict(texts, on_batch)
