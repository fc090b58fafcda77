"""run(articles, settings) -> Report: the one-way flow ingest -> claims -> embed -> pair -> nli -> aggregate."""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from . import __version__
from .aggregate import Aggregator, Thresholds, shared_facts
from .claims import ClaimExtractor
from .config import Settings
from .errors import InputError
from .ingest import load_articles
from .pair import Pairer
from .registry import EMBEDDERS, NLI_JUDGES
from .store import Store
from .types import Article, PairVerdict, Report

log = logging.getLogger(__name__)

# progress(stage, total) returns an advance(n) callback; the CLI draws bars with it
ProgressFactory = Callable[[str, int], Callable[[int], None]]


class Embedder(Protocol):
    name: str

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> Any: ...


def make_embedder(settings: Settings) -> Embedder:
    if settings.embed_model in EMBEDDERS:
        return EMBEDDERS.get(settings.embed_model)()
    from .embed import SentenceEmbedder

    store = Store(settings.cache_dir / "cache.sqlite")
    return SentenceEmbedder(
        settings.embed_model, device=settings.device, batch_size=settings.batch_size, store=store,
        allow_download=settings.allow_download,
    )


def make_judge(settings: Settings) -> Any:
    """The NLI judge the settings name; a real model's scores are cached in the SQLite store."""
    from .nli import CachedJudge, load_judge

    judge = load_judge(settings.nli_model, device=settings.device, batch_size=settings.batch_size,
                       allow_download=settings.allow_download)
    if settings.nli_model in NLI_JUDGES:
        return judge
    return CachedJudge(judge, Store(settings.cache_dir / "cache.sqlite"))


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(settings.contradict_threshold, settings.support_threshold, settings.same_fact_similarity)


def _no_progress(stage: str, total: int) -> Callable[[int], None]:
    return lambda n: None


class Pipeline:
    """Holds the loaded models so several runs (or tests) pay for loading once."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, judge: Any = None, checks: bool = True) -> None:
        """``checks=False``: verdicts from NLI alone, without value/entity/time/rebuttal checks (a baseline)."""
        self.settings = settings
        self.checks = checks
        self._embedder = embedder
        self._judge = judge

    @property
    def embedder(self) -> Embedder:
        """Loaded on first use, so bad input fails fast, before any model is loaded."""
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        return self._embedder

    @property
    def judge(self) -> Any:
        if self._judge is None:
            self._judge = make_judge(self.settings)
        return self._judge

    def load(self) -> Pipeline:
        """Load both models now (and fail now if one is missing)."""
        _ = self.embedder, self.judge
        return self

    def judge_pair(self, text_a: str, text_b: str, date_a: str | None = None, date_b: str | None = None,
                   checks: bool = True) -> PairVerdict:
        """The full verdict logic on two bare claims (``verify pair``)."""
        from .claims import claim_from_text
        from .types import ClaimPair

        if not text_a.strip() or not text_b.strip():
            raise InputError("both claims need some text")
        a = claim_from_text(text_a, article_id="a:A", source="A", article_date=date_a)
        b = claim_from_text(text_b, article_id="a:B", source="B", article_date=date_b)
        vectors = self.embedder.embed([a.standalone, b.standalone])
        similarity = float(vectors[0] @ vectors[1])
        s = self.settings
        (judgement,) = self.judge.judge([ClaimPair(a, b, round(similarity, 4))])
        return Aggregator(thresholds(s), {"a:A": date_a, "a:B": date_b}, checks=checks).decide(judgement)

    def run_paths(self, paths: Sequence[str | Path], progress: ProgressFactory = _no_progress,
                  on_warning: Callable[[str], None] | None = None) -> Report:
        timings: dict[str, float] = {}
        with _timed(timings, "ingest"):
            articles = load_articles(paths, on_warning=on_warning)
        return self.run(articles, progress, timings, on_warning)

    def run(self, articles: Sequence[Article], progress: ProgressFactory = _no_progress,
            timings: dict[str, float] | None = None, on_warning: Callable[[str], None] | None = None) -> Report:
        s = self.settings
        timings = dict(timings or {})
        if not articles:
            raise InputError("no articles to compare; give files or folders with .txt, .md, .html or .jsonl articles")
        if len({a.source for a in articles}) < 2 and not s.within_source and on_warning:
            on_warning("only one source: nothing to compare across outlets (use --within-source to compare within it)")
        with _timed(timings, "claims"):
            claims = ClaimExtractor().extract(articles, progress("claims", len(articles)))
        with _timed(timings, "embed"):
            vectors = self.embedder.embed([c.standalone for c in claims], progress("embed", len(claims)))
        with _timed(timings, "pair"):
            pairs = Pairer(s.top_k, s.min_similarity, s.shared_min_similarity, s.within_source).pair(claims, vectors)
        with _timed(timings, "nli"):
            judgements = self.judge.judge(pairs, progress("nli", 2 * len(pairs)))
        with _timed(timings, "aggregate"):
            aggregator = Aggregator(thresholds(s), {a.id: a.date for a in articles}, checks=self.checks)
            verdicts, clusters = aggregator.aggregate(judgements)
        meta = {
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "verify_version": __version__,
            "models": {"embed": _model_meta(self.embedder, s.embed_model), "nli": _model_meta(self.judge, s.nli_model)},
            "settings": s.public(),
            "timings_s": {k: round(v, 3) for k, v in timings.items()},
            "counts": {"articles": len(articles), "claims": len(claims), "pairs": len(pairs),
                       "nli_cached": getattr(self.judge, "hits", 0)},
            "python": platform.python_version(),
        }
        log.info("%d articles, %d claims, %d pairs", len(articles), len(claims), len(pairs))
        return Report(tuple(articles), tuple(claims), tuple(verdicts), tuple(clusters), meta, tuple(shared_facts(claims)))


def _model_meta(obj: Any, name: str) -> dict[str, str]:
    resolved = getattr(obj, "resolved", None)
    if resolved is None:
        return {"name": name, "revision": "builtin"}
    return {"name": name, "path": resolved.path, "revision": resolved.revision, "origin": resolved.origin}


@contextmanager
def _timed(timings: dict[str, float], stage: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = time.perf_counter() - start


def run(paths: Sequence[str | Path], settings: Settings | None = None, **kwargs: Any) -> Report:
    """Library entry point: verify.pipeline.run(["seeds/"]) -> Report."""
    return Pipeline(settings or Settings()).run_paths(paths, **kwargs)
