"""ClaimPair -> Judgement: a cross-encoder scores each pair in both directions.

Labels come from the model's own ``id2label``, never from the position of a logit.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import replace
from itertools import chain
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from verify.errors import ModelNotFound
from verify.models import CACHE_DIR
from verify.models.contracts import Judge
from verify.models.resolve import Resolved, resolve
from verify.records import NLI_LABELS, ClaimPair, Judgement

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
               backend: str = "auto", cache_dir: Path | None = None) -> Judge:
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
PAD_TO = 16  # batch lengths rounded up where shapes are compiled and cached (see pad_multiple)
TOKENIZE_CHUNK = 8192  # pairs tokenized at once (at least 4 batches): memory stays flat however many pairs there are
GPU_ROWS = 4096  # rows per GPU batch (issue 16, H200, forward alone: 5.5k pairs/s at 256 rows, 91k at 4096)
QUEUE_DEPTH = 2  # batches formed ahead of the model

Batch = tuple[np.ndarray, dict[str, np.ndarray]]  # (positions in the input, padded int64 arrays by input name)
T = TypeVar("T")


def load_tokenizer(model_dir: str, max_length: int = MAX_LENGTH) -> Any:
    """The model's fast tokenizer (a ``tokenizers.Tokenizer``), truncating pairs to ``max_length`` tokens, never
    padding. Read from ``tokenizer.json`` when the folder has one (no transformers import), else through transformers."""
    file = Path(model_dir) / "tokenizer.json"
    if file.is_file():
        from tokenizers import Tokenizer

        return fast_tokenizer(Tokenizer.from_file(str(file)), max_length)
    from transformers import AutoTokenizer

    return fast_tokenizer(AutoTokenizer.from_pretrained(model_dir, local_files_only=True), max_length)


def fast_tokenizer(tokenizer: Any, max_length: int) -> Any:
    """``tokenizer`` (a ``tokenizers.Tokenizer`` or a transformers fast tokenizer) as a ``tokenizers.Tokenizer`` that
    truncates pairs longest-first to ``max_length`` tokens, as transformers' ``truncation=True`` does, and never pads."""
    backend = getattr(tokenizer, "backend_tokenizer", tokenizer)
    if not hasattr(backend, "encode_batch"):
        raise ModelNotFound(f"{type(tokenizer).__name__} is not a fast tokenizer; the model folder needs a tokenizer.json")
    if backend.padding is not None:
        backend.no_padding()
    truncation = backend.truncation or {}
    if (truncation.get("max_length"), truncation.get("strategy"), truncation.get("direction")) != (
            max_length, "longest_first", "right"):
        backend.enable_truncation(max_length)
    return backend


def encode(tokenizer: Any, pairs: Sequence[tuple[str, str]], threads: int = 1) -> list[Any]:
    """One batched tokenizer call over ``pairs`` (Encodings, in order); with ``threads`` > 1 the pairs are split over
    that many threads (the tokenizer releases the GIL), whatever TOKENIZERS_PARALLELISM says."""
    pairs = [(p, h) for p, h in pairs]
    if threads <= 1 or len(pairs) < 2048:
        return tokenizer.encode_batch(pairs)
    step = -(-len(pairs) // threads)
    with ThreadPoolExecutor(threads, thread_name_prefix="verify-tokenize") as pool:
        parts = pool.map(tokenizer.encode_batch, [pairs[i : i + step] for i in range(0, len(pairs), step)])
        return [e for part in parts for e in part]


def padded(encodings: Sequence[Any], pad_to: int = PAD_TO, pad_id: int = 0) -> dict[str, np.ndarray]:
    """input_ids, token_type_ids and attention_mask as int64 [rows, width] arrays, padded on the right to the
    longest row rounded up to ``pad_to``."""
    lengths = np.fromiter((len(e.ids) for e in encodings), np.int64, len(encodings))
    width = -(-int(lengths.max()) // pad_to) * pad_to
    mask = np.arange(width) < lengths[:, None]
    total = int(lengths.sum())
    ids = np.full(mask.shape, pad_id, np.int64)
    ids[mask] = np.fromiter(chain.from_iterable(e.ids for e in encodings), np.int64, total)
    types = np.zeros(mask.shape, np.int64)
    types[mask] = np.fromiter(chain.from_iterable(e.type_ids for e in encodings), np.int64, total)
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask.astype(np.int64)}


def encoded_batches(texts: Sequence[tuple[str, str]], tokenizer: Any, max_length: int, max_rows: int,
                    max_tokens: int, *, pad_to: int = PAD_TO, pad_id: int = 0, threads: int = 1) -> Iterator[Batch]:
    """Padded batches, each tokenized once. Pairs are ordered by characters, tokenized a chunk at a time (one
    batched call) and grouped by token length within the chunk (token_batches): little padding, bounded memory.
    The grouping depends on the pairs and the limits only, so another process planning the same pairs with the same
    limits (pipeline/engine_ray.py) forms the same batches."""
    tokenizer = fast_tokenizer(tokenizer, max_length)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i][0]) + len(texts[i][1]))
    size = max(TOKENIZE_CHUNK, 4 * max_rows)
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        encodings = encode(tokenizer, [texts[i] for i in chunk], threads)
        for group in token_batches([len(e.ids) for e in encodings], max_rows, max_tokens):
            yield np.array([chunk[j] for j in group]), padded([encodings[j] for j in group], pad_to, pad_id)


class _End:
    """The producer's last word: done, or the error it stopped on."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def overlapped(items: Iterable[T], depth: int = QUEUE_DEPTH) -> Iterator[T]:
    """``items``, computed ahead in a worker thread (at most ``depth`` waiting) while the caller works on the last
    one. An error in the worker is raised here; closing the generator (use ``contextlib.closing``) stops the worker."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            put(_End(exc))
            return
        put(_End())

    worker = threading.Thread(target=produce, name="verify-nli-batches", daemon=True)
    worker.start()
    try:
        while not isinstance(item := ready.get(), _End):
            yield item
        if item.error is not None:
            raise item.error
    finally:
        stop.set()
        worker.join()


def batch_limits(batch_size: int, device: str, backend: str = "torch") -> tuple[int, int]:
    """(rows, tokens: rows x longest pair) per batch, the fastest measured here: on CPU, bf16 (AMX) wants big
    batches (4 x batch_size rows, batch_size x 256 tokens), fp32 and int8 smaller ones (batch_size rows,
    batch_size x 64 tokens); a GPU is busy only with thousands of rows (GPU_ROWS, x 64 tokens)."""
    if device != "cpu":
        rows = max(batch_size, GPU_ROWS)
        return rows, rows * 64
    if backend == "torch-bf16":
        return batch_size * 4, batch_size * 256
    return batch_size, batch_size * 64


def pad_multiple(device: str, backend: str) -> int:
    """What batch lengths are rounded up to: PAD_TO where each shape costs a compiled kernel (bf16 on CPU, where
    oneDNN caches one per shape; GPUs, for torch.compile and CUDA graphs), else 1: length-sorted batches then carry
    almost no padding (fp32 on CPU: 20% faster on short pairs than rounding to 16)."""
    return PAD_TO if device != "cpu" or backend == "torch-bf16" else 1


class NLIJudge:
    """A sequence-classification NLI model (safetensors only, no remote code) on a chosen backend
    (see verify.models.runtime), fed length-sorted batches sized by tokens.

    Batches are tokenized and padded in a worker thread (``overlapped``) while the model computes the previous one;
    on CUDA they are pinned, copied without blocking, and read back one batch late, so the card never waits for
    the CPU. ``compile`` puts the torch model through ``torch.compile`` (see verify.models.runtime.TorchRunner)."""

    def __init__(self, model: str = "verify-nli-minilm", *, device: str = "auto", batch_size: int = 32,
                 allow_download: bool = False, max_length: int = MAX_LENGTH, backend: str = "auto",
                 cache_dir: Path | None = None, max_tokens: int | None = None, compile: str | None = None) -> None:
        from verify.models.runtime import load_temperature, make_runner, model_revision, pick_backend, pick_device

        self.name = model
        self.resolved: Resolved = resolve(model, "nli", allow_download=allow_download)
        self.device = pick_device(device)
        self.backend = pick_backend(backend, self.device, self.resolved.path)
        self.batch_size, self.max_tokens = batch_limits(batch_size, self.device, self.backend)
        self.max_tokens = max_tokens or self.max_tokens
        self.max_length = max_length
        self.pad_to = pad_multiple(self.device, self.backend)
        # on a GPU machine the CPU only forms batches: tokenize on every core (H200 machine, 16 cores: 8 threads
        # formed 25-31k pairs/s, the tokenizer's own 16 threads 40k; evaluations/gpu/first_pass.py)
        self.threads = 1 if self.device == "cpu" else os.cpu_count() or 1
        self.tokenizer = load_tokenizer(self.resolved.path, max_length)
        config = json.loads((Path(self.resolved.path) / "config.json").read_text(encoding="utf-8"))
        self.pad_id = int(config.get("pad_token_id") or 0)  # position ids of some models (RoBERTa) depend on it
        self.runner = make_runner(self.backend, self.resolved.path, self.device, cache_dir or CACHE_DIR, compile)
        self.labels = label_index(self.runner.id2label)
        # temperature scaling fitted with the weights (calibration.json); the revision names both, so
        # scores cached for other weights or another temperature are never read back
        self.temperature = load_temperature(self.resolved.path)
        self.resolved = replace(self.resolved, revision=model_revision(self.resolved.path, self.resolved.revision,
                                                                      self.temperature))

    def predict(self, texts: Sequence[tuple[str, str]], on_batch: Callable[[int], None] | None = None) -> list[dict[str, float]]:
        """Probabilities {entailment, neutral, contradiction} for (premise, hypothesis) pairs, in their order."""
        if not texts:
            return []
        out: list[dict[str, float] | None] = [None] * len(texts)
        batches = encoded_batches(texts, self.tokenizer, self.max_length, self.batch_size, self.max_tokens,
                                  pad_to=self.pad_to, pad_id=self.pad_id, threads=self.threads)
        pending: tuple[np.ndarray, Callable[[], np.ndarray]] | None = None
        with closing(overlapped((index, self.runner.prepare(arrays)) for index, arrays in batches)) as ready:
            for index, prepared in ready:
                launched = (index, self.runner.launch(prepared))  # the next batch starts before the last is read
                if pending is not None:
                    self._fill(out, *pending, on_batch)
                pending = launched
        if pending is not None:
            self._fill(out, *pending, on_batch)
        return out  # type: ignore[return-value]

    def predict_batches(self, batches: Sequence[Sequence[tuple[str, str]]]) -> list[list[dict[str, float]]]:
        """Score batches exactly as given (a planner elsewhere formed them, see RayJudge)."""
        return [self._probs(self.runner.launch(self.runner.prepare(
            padded(encode(self.tokenizer, b, self.threads), self.pad_to, self.pad_id)))()) for b in batches]

    def _fill(self, out: list[dict[str, float] | None], index: np.ndarray, logits: Callable[[], np.ndarray],
              on_batch: Callable[[int], None] | None) -> None:
        for i, probs in zip(index.tolist(), self._probs(logits())):
            out[i] = probs
        if on_batch:
            on_batch(len(index))

    def _probs(self, logits: np.ndarray) -> list[dict[str, float]]:
        rows = _softmax(logits, self.temperature).tolist()
        return [{name: round(row[j], 4) for name, j in self.labels.items()} for row in rows]


def _softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of logits / temperature (T > 1 softens, T < 1 sharpens; the argmax never changes)."""
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)
