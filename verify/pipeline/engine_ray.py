"""`--engine ray`: claim extraction as Ray tasks, embedding and NLI as Ray actors that load their model
once per worker. The driver keeps the store, pairing and the verdict logic, so caching and incremental runs
work as locally (verify.pipeline.incremental: the pairing state lives beside the driver's store) and only
cache misses - the new articles, their texts and the pairs that involve them - travel to the cluster.

Local by default (``ray.init`` on this machine); point ``ray_address`` (``--ray-address``,
``VERIFY_RAY_ADDRESS``) at a running cluster, e.g. ``auto`` on a cluster node or ``ray://head:10001``.
Every node needs verify installed (same version) and the models reachable under the same alias.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from verify.config import Settings
from verify.errors import ConfigError
from verify.models.contracts import Embedder, Judge, OnBatch, Probs
from verify.models.nli import MAX_LENGTH, encoded_batches
from verify.pipeline.engine_local import local_embedder, local_judge
from verify.records import Article, Claim

log = logging.getLogger(__name__)

ARTICLES_PER_TASK = 32
TEXTS_PER_CALL = 1024  # embedding texts per actor call
BATCHES_PER_CALL = 16  # NLI batches per actor call
# Model actors reserve a quarter CPU each in Ray's bookkeeping, so that both model stages and the
# extraction tasks fit on a small machine at once; the actors' own threads do the real work.
ACTOR_CPUS = 0.25
TASK_CPUS = 0.5


RAY_CONNECT_TIMEOUT_S = 5.0  # an address where nothing answers fails within this, not after minutes of retries


def check_address(address: str | None) -> None:
    """Fail fast (ConfigError) when ``address`` names a host and port where nothing accepts a connection.
    ``None`` (start Ray here) and ``auto`` (find the cluster this node belongs to) are left to Ray."""
    if not address or address in ("auto", "local"):
        return
    target = address.split("://", 1)[1] if "://" in address else address
    host, _, port = target.rstrip("/").rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit():
        raise ConfigError(f"--ray-address {address!r}: give HOST:PORT, ray://HOST:PORT or auto")
    try:
        socket.create_connection((host, int(port)), timeout=RAY_CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else exc.strerror or type(exc).__name__
        raise ConfigError(f"--ray-address {address!r}: nothing answers there ({reason}); start the cluster "
                          "(`ray start --head`), fix the address, or drop --ray-address to run Ray locally") from None


def ray_module(address: str | None = None) -> Any:
    """Ray, started on this machine or joined at ``address`` on first use."""
    try:
        import ray
    except ImportError:
        raise ConfigError("--engine ray needs Ray: pip install 'ray>=2.9' (or use --engine local)") from None
    if not ray.is_initialized():
        check_address(address)
        num_cpus = None if address else int(os.environ.get("VERIFY_RAY_NUM_CPUS", "0")) or None
        log.info("starting Ray (%s)", address or "local")
        sigterm = signal.getsignal(signal.SIGTERM)
        try:
            ray.init(address=address, num_cpus=num_cpus, include_dashboard=False, log_to_driver=False,
                     configure_logging=False, runtime_env={"env_vars": {"TOKENIZERS_PARALLELISM": "false",
                                                                        "HF_HUB_OFFLINE": "1"}})
        except (ConnectionError, TimeoutError) as exc:  # e.g. "auto" with no cluster on this node
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, sigterm)  # ray.init installed its own handler before failing
            raise ConfigError(f"--ray-address {address!r}: cannot join the Ray cluster ({str(exc)[:200]})") from None
    return ray


def shutdown() -> None:
    import ray

    if ray.is_initialized():
        ray.shutdown()


def _extract_chunk(articles: list[Article], packs: tuple[str, ...], nlp_model: str | None) -> list[Claim]:
    from verify.extract.claims import ClaimExtractor
    from verify.knowledge import load_knowledge
    from verify.nlp import NLP

    return ClaimExtractor(load_knowledge(packs), NLP(nlp_model)).extract(articles)


def ray_extract(articles: Sequence[Article], settings: Settings,
                on_batch: Callable[[int], None] | None = None) -> list[Claim]:
    """ClaimExtractor over chunks of articles as Ray tasks; claims come back in article order."""
    ray = ray_module(settings.ray_address)
    task = ray.remote(num_cpus=TASK_CPUS)(_extract_chunk)
    chunks = [list(articles[i : i + ARTICLES_PER_TASK]) for i in range(0, len(articles), ARTICLES_PER_TASK)]
    refs = [task.remote(chunk, tuple(settings.knowledge), settings.nlp_model) for chunk in chunks]
    claims: list[Claim] = []
    for chunk, ref in zip(chunks, refs):
        claims += ray.get(ref)
        if on_batch:
            on_batch(len(chunk))
    return claims


class _ModelActor:
    """One model per worker process (the embedder, or the NLI judge), loaded in __init__ and used for every call."""

    def __init__(self, kind: str, settings: dict[str, Any]) -> None:
        import torch

        from verify.models.runtime import pick_device

        torch.set_num_threads(1)
        cfg = Settings(**settings)
        self.device = pick_device(cfg.device)  # as the model picks it
        self.embedder: Embedder | None = local_embedder(cfg) if kind == "embed" else None
        self.judge: Judge | None = local_judge(cfg) if kind == "nli" else None

    def embed(self, texts: list[str]) -> np.ndarray:
        assert self.embedder is not None, "an NLI actor was asked to embed"
        return self.embedder.embed(texts)

    def predict_batches(self, batches: list[list[tuple[str, str]]]) -> list[list[dict[str, float]]]:
        from verify.models.nli import NLIJudge

        assert isinstance(self.judge, NLIJudge), "Ray scores NLI models, not fakes (they run locally)"
        return self.judge.predict_batches(batches)

    def info(self) -> dict[str, Any]:
        if self.judge is not None:
            return {"resolved": self.judge.resolved, "backend": self.judge.backend, "device": self.device}
        assert self.embedder is not None
        return {"resolved": self.embedder.resolved, "backend": None, "device": self.device}


class _ActorPool:
    def __init__(self, kind: str, settings: Settings) -> None:
        ray = ray_module(settings.ray_address)
        gpus = 1 if settings.device == "cuda" else 0
        actor = ray.remote(num_cpus=ACTOR_CPUS, num_gpus=gpus / settings.ray_workers)(_ModelActor)
        public = settings.model_dump(exclude={"engine"})
        self.actors = [actor.remote(kind, public) for _ in range(settings.ray_workers)]
        self.info = ray.get(self.actors[0].info.remote())
        self.ray = ray

    def map(self, method: str, chunks: list[Any]) -> Iterator[Any]:
        """Chunks spread round-robin over the actors; results in chunk order, as they arrive."""
        refs = [getattr(self.actors[i % len(self.actors)], method).remote(c) for i, c in enumerate(chunks)]
        for ref in refs:
            yield self.ray.get(ref)


class RayEmbedder:
    """An Embedder whose texts are embedded by Ray actors, in chunks of TEXTS_PER_CALL."""

    def __init__(self, settings: Settings) -> None:
        self.pool = _ActorPool("embed", settings)
        self.name = settings.embed_model
        self.resolved = self.pool.info["resolved"]

    def embed(self, texts: Sequence[str], on_batch: OnBatch | None = None) -> np.ndarray:
        chunks = [list(texts[i : i + TEXTS_PER_CALL]) for i in range(0, len(texts), TEXTS_PER_CALL)]
        parts = []
        for chunk, vectors in zip(chunks, self.pool.map("embed", chunks)):
            parts.append(vectors)
            if on_batch:
                on_batch(len(chunk))
        return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)


class RayJudge:
    """A Judge on Ray actors. The driver forms the same token-sized batches as the local judge and sends
    whole batches, so every pair is scored in the same company as locally: identical scores."""

    def __init__(self, settings: Settings) -> None:
        from transformers import AutoTokenizer

        from verify.models.nli import batch_limits

        self.pool = _ActorPool("nli", settings)
        self.name = settings.nli_model
        self.resolved = self.pool.info["resolved"]
        self.backend = self.pool.info["backend"]
        self.device = self.pool.info["device"]
        self.tokenizer = AutoTokenizer.from_pretrained(self.resolved.path, local_files_only=True)
        self.batch_size, self.max_tokens = batch_limits(settings.batch_size, self.device, self.backend)

    def predict(self, texts: Sequence[tuple[str, str]], on_batch: OnBatch | None = None) -> list[Probs]:
        plan = [idx for idx, _ in encoded_batches(texts, self.tokenizer, MAX_LENGTH, self.batch_size, self.max_tokens)]
        calls = [plan[i : i + BATCHES_PER_CALL] for i in range(0, len(plan), BATCHES_PER_CALL)]
        payload = [[[texts[i] for i in idx] for idx in call] for call in calls]
        out: list[dict[str, float] | None] = [None] * len(texts)
        for call, scored in zip(calls, self.pool.map("predict_batches", payload)):
            for idx, probs in zip(call, scored):
                for i, p in zip(idx, probs):
                    out[i] = p
            if on_batch:
                on_batch(sum(len(idx) for idx in call))
        return out  # type: ignore[return-value]

