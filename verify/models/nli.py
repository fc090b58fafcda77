"""ClaimPair -> Judgement: a cross-encoder scores each pair in both directions.

Labels come from the model's own ``id2label``, never from the position of a logit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from verify.errors import ModelNotFound
from verify.models.resolve import Resolved, resolve
from verify.records import NLI_LABELS, ClaimPair, Judgement, short_hash

log = logging.getLogger(__name__)

LABEL_ALIASES = {
    "entailment": "entailment", "entails": "entailment", "entailed": "entailment", "supports": "entailment",
    "neutral": "neutral", "not_enough_info": "neutral",
    "contradiction": "contradiction", "contradicts": "contradiction", "refutes": "contradiction",
}


def label_index(id2label: dict) -> dict[str, int]:
    """Map our three labels to the model's logit indices using its id2label."""
    mapping: dict[str, int] = {}
    for idx, name in id2label.items():
        ours = LABEL_ALIASES.get(str(name).strip().lower())
        if ours:
            mapping[ours] = int(idx)
    if set(mapping) != set(NLI_LABELS):
        raise ModelNotFound(
            f"the model's id2label {dict(id2label)} does not name entailment, neutral and contradiction; "
            "is it an NLI model?"
        )
    return mapping


def pair_texts(pairs: Sequence[ClaimPair]) -> list[tuple[str, str]]:
    """Both directions of every pair: (a, b) then (b, a), using the stand-alone texts."""
    out = []
    for p in pairs:
        out += [(p.a.standalone, p.b.standalone), (p.b.standalone, p.a.standalone)]
    return out


def judge_pairs(predict: Callable[..., list[dict[str, float]]], pairs: Sequence[ClaimPair],
                on_batch: Callable[[int], None] | None = None) -> list[Judgement]:
    """Score both directions of every pair with one batched ``predict`` call."""
    if not pairs:
        return []
    probs = predict(pair_texts(pairs), on_batch)
    return [Judgement(p, probs[2 * i], probs[2 * i + 1]) for i, p in enumerate(pairs)]


def load_judge(model: str, *, device: str = "auto", batch_size: int = 32, allow_download: bool = False,
               backend: str = "auto", cache_dir: Path | None = None) -> Any:
    """A registered fake (e.g. "keyword") or an NLIJudge for an alias, HF id or folder."""
    from verify.registry import NLI_JUDGES

    if model in NLI_JUDGES:
        return NLI_JUDGES.get(model)(device=device, batch_size=batch_size)
    return NLIJudge(model, device=device, batch_size=batch_size, allow_download=allow_download, backend=backend,
                    cache_dir=cache_dir)


def token_batches(lengths: Sequence[int], max_rows: int, max_tokens: int) -> list[list[int]]:
    """Indices grouped shortest first, each group padded to its longest member costing at most
    ``max_tokens`` (rows x longest) and holding at most ``max_rows``: little padding, steady memory."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) >= max_rows or (len(current) + 1) * lengths[i] > max_tokens):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


MAX_LENGTH = 256  # tokens per pair; longer pairs are truncated
PAD_TO = 16  # batch lengths rounded up: few distinct shapes, so the kernel caches stay small
TOKENIZE_CHUNK = 8192  # pairs tokenized at once: memory stays flat however many pairs there are


def encoded_batches(texts: Sequence[tuple[str, str]], tokenizer: Any, max_length: int, max_rows: int,
                    max_tokens: int) -> Iterator[tuple[list[int], list[dict[str, Any]]]]:
    """(indices, unpadded features) per batch. Pairs are ordered by characters, tokenized a chunk at a
    time and grouped by token length within the chunk (token_batches): little padding, bounded memory."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i][0]) + len(texts[i][1]))
    for start in range(0, len(order), TOKENIZE_CHUNK):
        chunk = order[start : start + TOKENIZE_CHUNK]
        enc = tokenizer([texts[i][0] for i in chunk], [texts[i][1] for i in chunk], truncation=True,
                        max_length=max_length)
        features = [{k: enc[k][j] for k in enc.keys()} for j in range(len(chunk))]
        for group in token_batches([len(f["input_ids"]) for f in features], max_rows, max_tokens):
            yield [chunk[j] for j in group], [features[j] for j in group]


def batch_limits(batch_size: int, device: str, backend: str = "torch") -> tuple[int, int]:
    """(rows, padded tokens) per batch, the fastest measured here: on CPU, bf16 (AMX) wants big batches
    (4 x batch_size rows, batch_size x 256 tokens), fp32 and int8 smaller ones (batch_size rows,
    batch_size x 64 tokens); a GPU takes far larger batches."""
    if device != "cpu":
        return max(batch_size, 256), 65536
    if backend == "torch-bf16":
        return batch_size * 4, batch_size * 256
    return batch_size, batch_size * 64


class NLIJudge:
    """A sequence-classification NLI model (safetensors only, no remote code) on a chosen backend
    (see verify.models.runtime), fed length-sorted batches sized by tokens."""

    def __init__(self, model: str = "verify-nli-minilm", *, device: str = "auto", batch_size: int = 32,
                 allow_download: bool = False, max_length: int = MAX_LENGTH, backend: str = "auto",
                 cache_dir: Path | None = None, max_tokens: int | None = None) -> None:
        from transformers import AutoTokenizer

        from verify.config import Settings
        from verify.models.embed import pick_device
        from verify.models.runtime import load_temperature, make_runner, model_revision, pick_backend

        self.name = model
        self.resolved: Resolved = resolve(model, "nli", allow_download=allow_download)
        self.device = pick_device(device)
        self.backend = pick_backend(backend, self.device)
        self.batch_size, self.max_tokens = batch_limits(batch_size, self.device, self.backend)
        self.max_tokens = max_tokens or self.max_tokens
        self.max_length = max_length
        self.tokenizer = AutoTokenizer.from_pretrained(self.resolved.path, local_files_only=True)
        cache = cache_dir or Settings.model_fields["cache_dir"].default
        self._logits, id2label = make_runner(self.backend, self.resolved.path, self.device, cache)
        self.labels = label_index(id2label)
        # temperature scaling fitted with the weights (calibration.json); the revision names both, so
        # scores cached for other weights or another temperature are never read back
        self.temperature = load_temperature(self.resolved.path)
        self.resolved = replace(self.resolved, revision=model_revision(self.resolved.path, self.resolved.revision,
                                                                      self.temperature))

    def predict(self, texts: Sequence[tuple[str, str]], on_batch: Callable[[int], None] | None = None) -> list[dict[str, float]]:
        """Probabilities {entailment, neutral, contradiction} for (premise, hypothesis) pairs."""
        out: list[dict[str, float] | None] = [None] * len(texts)
        for idx, features in encoded_batches(texts, self.tokenizer, self.max_length, self.batch_size, self.max_tokens):
            for i, probs in zip(idx, self._probs(self.tokenizer.pad(features, pad_to_multiple_of=PAD_TO, return_tensors="np"))):
                out[i] = probs
            if on_batch:
                on_batch(len(idx))
        return out  # type: ignore[return-value]

    def predict_batches(self, batches: Sequence[Sequence[tuple[str, str]]]) -> list[list[dict[str, float]]]:
        """Score batches exactly as given (a planner elsewhere formed them, see RayJudge)."""
        return [self._probs(self.tokenizer([p for p, _ in b], [h for _, h in b], padding=True, truncation=True,
                                           max_length=self.max_length, pad_to_multiple_of=PAD_TO,
                                           return_tensors="np")) for b in batches]

    def _probs(self, batch: Any) -> list[dict[str, float]]:
        probs = _softmax(self._logits({k: np.asarray(v) for k, v in batch.items()}), self.temperature)
        return [{name: round(float(row[j]), 4) for name, j in self.labels.items()} for row in probs]

    def judge(self, pairs: Sequence[ClaimPair], on_batch: Callable[[int], None] | None = None) -> list[Judgement]:
        return judge_pairs(self.predict, pairs, on_batch)


def _softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of logits / temperature (T > 1 softens, T < 1 sharpens; the argmax never changes)."""
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


STORE_EVERY = 1024  # scored (premise, hypothesis) texts per store commit: an interrupt loses at most this many


class CachedJudge:
    """Wraps a judge: each distinct (premise, hypothesis) pair is scored once per run, and pairs already
    scored by the same model revision are read from the store, so re-running on an unchanged corpus does
    no NLI work and a new article costs only its pairs. Fresh scores are stored every STORE_EVERY texts,
    so an interrupted run keeps the work it did. ``store=None`` only removes duplicates."""

    def __init__(self, judge: Any, store: Any) -> None:
        self.inner = judge
        self.store = store
        self.name = judge.name
        self.resolved = judge.resolved
        self.backend = backend = getattr(judge, "backend", "torch")  # int8 scores are not fp32 scores: keyed apart
        self.key = f"{judge.resolved.path}@{judge.resolved.revision}" + ("" if backend == "torch" else f"#{backend}")
        self.hits = 0  # texts whose scores came from the store
        self.duplicates = 0  # texts scored once for several pairs in this run

    def predict(self, texts: Sequence[tuple[str, str]], on_batch: Callable[[int], None] | None = None) -> list[dict[str, float]]:
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

    def judge(self, pairs: Sequence[ClaimPair], on_batch: Callable[[int], None] | None = None) -> list[Judgement]:
        return judge_pairs(self.predict, pairs, on_batch)


NEGATIONS = re.compile(r"\b(not|no|never|none|without|denies|denied|n't)\b", re.IGNORECASE)


class KeywordNLI:
    """A rule-based stand-in for tests: negation mismatch -> contradiction, word overlap -> entailment."""

    name = "keyword"

    def __init__(self, **_: object) -> None:
        self.resolved = Resolved("keyword", "-", "fake", "registry")

    def predict(self, texts: Sequence[tuple[str, str]], on_batch: Callable[[int], None] | None = None) -> list[dict[str, float]]:
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

    def judge(self, pairs: Sequence[ClaimPair], on_batch: Callable[[int], None] | None = None) -> list[Judgement]:
        return judge_pairs(self.predict, pairs, on_batch)
