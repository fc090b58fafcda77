"""run(articles, settings) -> Report: the one-way flow ingest -> claims -> embed -> pair -> nli -> aggregate."""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from verify import __version__
from verify.columns import ClaimColumns, claim_columns
from verify.config import Settings
from verify.errors import InputError
from verify.extract.claims import ClaimExtractor, extractor_version
from verify.ingest import load_articles, override_dates
from verify.knowledge import Knowledge, load_knowledge
from verify.models.contracts import Embedder, Judge
from verify.models.nli import judge_pairs
from verify.models.resolve import resolve
from verify.nlp import NLP
from verify.pairing import Pairer
from verify.pipeline.caches import (
    CachedEmbedder,
    CachedJudge,
    LazyEmbedder,
    LazyJudge,
    preload,
    scores_key,
    vectors_key,
)
from verify.pipeline.engine_local import import_spacy, local_embedder, local_judge
from verify.pipeline.incremental import Incremental, state_key
from verify.pipeline.store import ClaimLines, Store, article_key, claims_from_json
from verify.records import Article, Claim, Judgement, PairVerdict, Report, short_hash
from verify.registry import EMBEDDERS, NLI_JUDGES
from verify.verdict.aggregate import Aggregator, decision_key, fact_keys, facts_of, shared_facts
from verify.verdict.params import load_params
from verify.verdict.rules import Thresholds
from verify.verdict.table import SEPARATOR, AssessmentTable, StoredClaims, StoredLines, VerdictTable, packed

log = logging.getLogger(__name__)

# progress(stage, total) returns an advance(n) callback; the CLI draws bars with it
ProgressFactory = Callable[[str, int], Callable[[int], None]]


def make_embedder(settings: Settings, store: Store | None = None) -> Embedder:
    """The embedder the settings name; a real model's vectors are cached in the store and its weights
    load only when some text is not cached."""
    if settings.embed_model in EMBEDDERS:
        return EMBEDDERS.get(settings.embed_model)()
    if settings.engine == "ray":
        from verify.pipeline.engine_ray import RayEmbedder

        def load() -> Embedder:
            return RayEmbedder(settings)
    else:
        def load() -> Embedder:
            return local_embedder(settings)
    resolved = resolve(settings.embed_model, "embed", allow_download=settings.allow_download)
    lazy = LazyEmbedder(load, settings.embed_model, resolved)
    return CachedEmbedder(lazy, store) if store is not None else lazy


def make_judge(settings: Settings, store: Store | None = None) -> Judge:
    """The NLI judge the settings name; a real model's scores are cached in the store and its weights
    load only when some pair is not cached."""
    from verify.models.nli import load_judge
    from verify.models.runtime import load_temperature, model_revision, pick_backend, pick_device

    if settings.nli_model in NLI_JUDGES:
        return load_judge(settings.nli_model, device=settings.device, batch_size=settings.batch_size)
    if settings.engine == "ray":
        from verify.pipeline.engine_ray import RayJudge

        def load() -> Judge:
            return RayJudge(settings)
    else:
        def load() -> Judge:
            return local_judge(settings)
    resolved = resolve(settings.nli_model, "nli", allow_download=settings.allow_download)
    # the revision names the weights and the temperature (as NLIJudge's does once loaded), so scores stored
    # for a model retrained or recalibrated in place are never served for the new one
    resolved = replace(resolved, revision=model_revision(resolved.path, resolved.revision, load_temperature(resolved.path)))
    backend = pick_backend(settings.backend, pick_device(settings.device), resolved.path)
    lazy = LazyJudge(load, settings.nli_model, resolved, backend)
    return CachedJudge(lazy, store)  # without a store it still scores each distinct pair once


def thresholds(settings: Settings) -> Thresholds:
    """The fitted thresholds (verify/verdict/params.json), with those the settings give instead."""
    return Thresholds.resolve(load_params(), contradict=settings.contradict_threshold, support=settings.support_threshold,
                              weak_entail=settings.weak_entail, same_fact_similarity=settings.same_fact_similarity)


def verdict_meta(settings: Settings) -> dict[str, Any]:
    """For reports: the thresholds the rules used (fitted or from settings), the fitted parameters' digest and
    provenance, and the disabled rules."""
    params = load_params()
    t = thresholds(settings)
    return {"thresholds": {"contradict": t.contradict, "support": t.support, "weak_entail": t.weak_entail,
                           "same_fact_similarity": t.same_fact_similarity},
            "params": {"digest": params.digest, "provenance": dict(params.provenance),
                       "stance_model": params.stance is not None},
            "disabled_rules": list(settings.disabled_rules)}


def make_aggregator(settings: Settings, article_dates: dict[str, str | None], knowledge: Knowledge,
                    checks: bool = True) -> Aggregator:
    return Aggregator(thresholds(settings), article_dates, checks=checks, knowledge=knowledge, params=load_params(),
                      disabled_rules=settings.disabled_rules)


def _no_progress(stage: str, total: int) -> Callable[[int], None]:
    return lambda n: None


class Pipeline:
    """Holds the loaded models so several runs (or tests) pay for loading once."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, judge: Judge | None = None,
                 checks: bool = True, store: Store | None | bool = True) -> None:
        """``checks=False``: verdicts from NLI alone, without value/entity/time/rebuttal checks (a baseline).
        ``store``: a Store, True for the one the settings name, False for none (nothing cached)."""
        self.settings = settings
        self.checks = checks
        self._embedder = embedder
        self._judge = judge
        self.store: Store | None = Store(settings.store_path) if store is True else (store or None)
        self.knowledge: Knowledge = load_knowledge(tuple(settings.knowledge))
        self.nlp = NLP(settings.nlp_model)
        self.last_pairing: dict[str, Any] = {}

    @property
    def embedder(self) -> Embedder:
        """Loaded on first use, so bad input fails fast, before any model is loaded."""
        if self._embedder is None:
            self._embedder = make_embedder(self.settings, self.store)
        return self._embedder

    @property
    def judge(self) -> Judge:
        if self._judge is None:
            self._judge = make_judge(self.settings, self.store)
        return self._judge

    def load(self, weights: bool = False) -> Pipeline:
        """Resolve both models now, so a missing one fails before any work. Weights load on first use,
        or now with ``weights=True``."""
        models = (self.embedder, self.judge)  # resolved now
        if weights:
            for model in models:
                preload(model)
        return self

    def judge_pair(self, text_a: str, text_b: str, date_a: str | None = None, date_b: str | None = None,
                   checks: bool = True) -> PairVerdict:
        """The full verdict logic on two bare claims (``verify pair``)."""
        from verify.extract.claims import claim_from_text
        from verify.records import ClaimPair

        if not text_a.strip() or not text_b.strip():
            raise InputError("both claims need some text")
        a = claim_from_text(text_a, article_id="a:A", source="A", article_date=date_a, knowledge=self.knowledge)
        b = claim_from_text(text_b, article_id="a:B", source="B", article_date=date_b, knowledge=self.knowledge)
        vectors = self.embedder.embed([a.standalone, b.standalone])
        similarity = float(vectors[0] @ vectors[1])
        s = self.settings
        (judgement,) = judge_pairs(self.judge.predict, [ClaimPair(a, b, round(similarity, 4))])
        return make_aggregator(s, {"a:A": date_a, "a:B": date_b}, self.knowledge, checks).decide(judgement)

    def ingest(self, paths: Sequence[str | Path], on_warning: Callable[[str], None] | None = None,
               dates: Sequence[str] = ()) -> list[Article]:
        """The articles in these files and folders, read within the settings' size caps and dated with this
        pipeline's knowledge; ``dates`` override them: "YYYY-MM-DD" for every article, "NAME=YYYY-MM-DD" for one
        file (``verify.ingest.override_dates``). A file the store has read before, unchanged, is not parsed again."""
        articles = load_articles(paths, on_warning=on_warning, knowledge=self.knowledge, cache=self.store,
                                 max_bytes=self.settings.max_file_bytes, max_record_bytes=self.settings.max_record_bytes)
        return override_dates(articles, dates)

    def run_paths(self, paths: Sequence[str | Path], progress: ProgressFactory = _no_progress,
                  on_warning: Callable[[str], None] | None = None, dates: Sequence[str] = ()) -> Report:
        """``ingest`` (timed as the ingest stage) then ``run``."""
        timings: dict[str, float] = {}
        with _timed(timings, "ingest"):
            articles = self.ingest(paths, on_warning, dates)
        return self.run(articles, progress, timings, on_warning)

    def run(self, articles: Sequence[Article], progress: ProgressFactory = _no_progress,
            timings: dict[str, float] | None = None, on_warning: Callable[[str], None] | None = None) -> Report:
        s = self.settings
        timings = dict(timings or {})
        if not articles:
            raise InputError("no articles to compare; give files or folders with .txt, .md, .html or .jsonl articles")
        if len({a.source for a in articles}) < 2 and not s.within_source and on_warning:
            on_warning("only one source: nothing to compare across outlets (use --within-source to compare within it)")
        run_id = self.store.start_run(__version__, s.public()) if self.store else 0
        try:
            report = self._run(articles, progress, timings, run_id)
        except BaseException as exc:  # Ctrl-C included: the run is marked, the store stays consistent
            if self.store:
                self.store.finish_run(run_id, "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed")
            raise
        if self.store:
            self.store.finish_run(run_id, "ok", report.meta["counts"], report.meta["timings_s"])
        return report

    def _run(self, articles: Sequence[Article], progress: ProgressFactory, timings: dict[str, float],
             run_id: int) -> Report:
        s = self.settings
        pairer = Pairer(s.top_k, s.min_similarity, s.shared_min_similarity, s.within_source, knowledge=self.knowledge)
        incremental = self._incremental(pairer)
        keys = [article_key(a) for a in articles] if incremental is not None else []  # hashed once per run
        if incremental is not None:  # the stored state read on a thread while the claims are extracted
            incremental.prefetch(keys)
        with _timed(timings, "claims"):
            claims = self.extract(articles, progress("claims", len(articles)), keys=keys or None)
        on_embed = progress("embed", len(claims))

        def embed(positions: Sequence[int]) -> np.ndarray:  # timed as the embed stage, inside the pair stage
            start = time.perf_counter()
            try:
                on_embed(len(claims) - len(positions))  # the rest: held by the pairing state
                return self.embedder.embed([claims[i].standalone for i in positions], on_embed)
            finally:
                timings["embed"] += time.perf_counter() - start

        timings["embed"] = 0.0
        with _timed(timings, "pair"):
            if incremental is None:
                pairs = pairer.pair(claims, embed(range(len(claims))))
            else:  # pairs among claims the store has seen come from its pairing state, and their vectors
                key_of = dict(zip((a.id for a in articles), keys))
                pairs = incremental.pair(claims, embed, [key_of[a] for a in claim_columns(claims).articles])
            self.last_pairing = dict(pairer.stats) | ({"incremental": incremental.stats} if incremental else {})
        timings["pair"] -= timings["embed"]
        with _timed(timings, "nli"):
            judge = partial(judge_pairs, self.judge.predict)
            on_nli = progress("nli", 2 * len(pairs))
            judgements = incremental.judge(judge, on_nli) if incremental else judge(pairs, on_nli)
        with _timed(timings, "aggregate"):
            dates = {a.id: a.date for a in articles}
            verdicts, clusters, assessments = self._aggregate(judgements, dates, run_id, incremental)
        if incremental is not None:
            with _timed(timings, "save_state"):
                incremental.save()
        meta = {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "verify_version": __version__,
            "models": {"embed": _model_meta(self.embedder, s.embed_model), "nli": _model_meta(self.judge, s.nli_model)},
            "settings": s.public(),
            "verdict": verdict_meta(s),
            "timings_s": {k: round(v, 3) for k, v in timings.items()},
            "counts": {"articles": len(articles), "claims": len(claims), "pairs": len(pairs),
                       "cross_source_pairs": self.last_pairing.get("cross_source_pairs", 0),
                       "nli_cached": (self.judge.hits if isinstance(self.judge, CachedJudge) else 0)
                       + 2 * (incremental.reused if incremental else 0)},
            "python": platform.python_version(),
        }
        log.info("%d articles, %d claims, %d pairs", len(articles), len(claims), len(pairs))
        verdicts = verdicts if isinstance(verdicts, VerdictTable) else tuple(verdicts)  # a table: records made when read
        claims = claims if isinstance(claims, StoredClaims) else tuple(claims)  # its report lines kept
        facts = tuple(facts_of(claims.facts) if isinstance(claims, StoredClaims) and claims.facts is not None
                      else shared_facts(claims, self.knowledge))
        if incremental is not None:
            incremental.wait()  # the generation it read is removed meanwhile
        return Report(tuple(articles), claims, verdicts, tuple(clusters), meta, facts,
                      assessments if isinstance(assessments, AssessmentTable) else tuple(assessments))

    def _incremental(self, pairer: Pairer) -> Incremental | None:
        """The store's incremental pairing and verdicts for this run (None without a store)."""
        if self.store is None:
            return None
        key = state_key(vectors_key(self.embedder), extractor_version(self.knowledge, self.nlp), pairer)
        return Incremental(self.store, pairer, key, scores_key(self.judge))

    def _aggregate(self, judgements: list[Judgement], dates: dict[str, str | None], run_id: int,
                   incremental: Incremental | None = None) -> tuple[list, list, list]:
        """The verdict logic; a pair decided by an earlier run under the same rules (thresholds, fitted parameters,
        knowledge, disabled rules: ``Aggregator.key``) is read from the store, and with ``incremental`` only the
        verdicts the changed pairs can reach are worked out again."""
        aggregator = make_aggregator(self.settings, dates, self.knowledge, self.checks)
        if self.store is None:
            return aggregator.aggregate(judgements)
        store, rules, model = self.store, aggregator.key(), scores_key(self.judge)

        def decide(batch: Sequence[Judgement]) -> list[PairVerdict]:
            keys = [decision_key(j, dates, rules) for j in batch]
            stored = store.get_verdicts(model, [k for k in dict.fromkeys(keys) if k])
            known = [_stored_verdict(j, stored[k]) if k in stored else None for j, k in zip(batch, keys)]
            decided = [old or aggregator.decide(j) for j, old in zip(batch, known)]  # pair rules only: stored
            store.put_verdicts(run_id, model, rules, [(k, v) for k, v, old in zip(keys, decided, known) if k and old is None])
            return decided

        if incremental is not None:
            return incremental.aggregate(aggregator, decide, short_hash(model, rules))
        return aggregator.aggregate(judgements, decide(judgements))

    def extract(self, articles: Sequence[Article], on_batch: Callable[[int], None] | None = None,
                keys: Sequence[str] | None = None) -> Sequence[Claim]:
        """Claims of every article; an article already in the store (same content, same rules) is not re-read. With a
        store, a ``StoredClaims``: the stored ones decoded only where read, their report lines, columns and shared
        facts' entries as the store keeps them riding along. ``keys``: the articles' ``article_key``, when the
        caller has them."""
        if self.store is None:
            return self._extract(articles, on_batch)
        version = extractor_version(self.knowledge, self.nlp)
        keys = list(keys) if keys is not None else [article_key(a) for a in articles]
        known: dict[str, Any] = self.store.get_claim_rows(version, list(dict.fromkeys(keys)))
        missing = [(a, k) for a, k in zip(articles, keys) if k not in known]
        todo = [a for a, _ in missing]
        if on_batch and len(articles) > len(todo):
            on_batch(len(articles) - len(todo))
        if todo:
            fresh = self._extract(todo, on_batch)
            by_article: dict[str, list[Claim]] = {a.id: [] for a in todo}
            for c in fresh:
                by_article[c.article_id].append(c)
            new = {k: by_article[a.id] for a, k in missing}
            self.store.put_articles(todo)
            self.store.put_claims(version, new.items())
            known |= new
        return self._with_lines(version, articles, keys, known)

    def _with_lines(self, version: str, articles: Sequence[Article], keys: Sequence[str], known: dict[str, Any]
                    ) -> StoredClaims:
        """The claims of these articles in order (``known``: per key, its claims or their stored JSON), with what the
        store keeps per article (``ClaimLines``: made and stored for the articles it has none for): the JSON report
        copies their lines a run per article, the pairing reads their columns, the shared facts their entries."""
        from verify.report.schema import VERSION as REPORT_VERSION
        from verify.report.schema import claim_line
        from verify.verdict import VERSION as VERDICT_VERSION

        assert self.store is not None
        derived = f"{REPORT_VERSION}/{VERDICT_VERSION}"  # the lines' schema, the facts' rules
        wanted = list(dict.fromkeys(keys))
        lines = self.store.get_claim_lines(version, derived, wanted)
        made = []
        for key in wanted:  # kept lines are trusted for stored claims (same key: same claims), checked for fresh ones
            if key not in lines or (isinstance(known[key], list) and len(known[key]) != len(lines[key].ids)):
                claims = known[key] = known[key] if isinstance(known[key], list) else claims_from_json(known[key])
                data, lengths = packed([claim_line(c) for c in claims])
                lines[key] = ClaimLines(data, lengths, [c.id for c in claims],
                                        {n: c.rebuts for n, c in enumerate(claims) if c.rebuts is not None},
                                        [(e, v, n) for n, c in enumerate(claims) for e, v in fact_keys(c, self.knowledge)])
                made.append((key, lines[key]))
        if made:
            self.store.put_claim_lines(version, derived, made)
        buffer_of = {key: n for n, key in enumerate(wanted)}
        counts = np.array([len(lines[key].ids) for key in keys], dtype=np.int64)
        lengths = np.concatenate([np.zeros(0, dtype=np.int64), *(lines[key].lengths for key in keys)])
        steps = lengths + len(SEPARATOR)
        starts = np.concatenate([[0], np.cumsum(steps)])  # as if the articles' lines lay back to back
        firsts = np.repeat(starts[np.cumsum(counts) - counts], counts)  # where each claim's article starts
        where = np.column_stack([np.repeat([buffer_of[key] for key in keys], counts), starts[:-1] - firsts, lengths])
        per_article = list(zip(articles, counts.tolist()))
        columns = ClaimColumns([i for key in keys for i in lines[key].ids],
                               [a.id for a, n in per_article for _ in range(n)],
                               [a.source for a, n in per_article for _ in range(n)],
                               [lines[key].rebuts.get(n) for key in keys for n in range(len(lines[key].ids))])
        facts = [(e, v, a.source, lines[key].ids[n]) for a, key in zip(articles, keys) for e, v, n in lines[key].facts]
        return StoredClaims([known[key] for key in keys], counts.tolist(), columns, claims_from_json,
                            StoredLines([lines[key].lines for key in wanted], where), facts)

    def _extract(self, articles: Sequence[Article], on_batch: Callable[[int], None] | None) -> list[Claim]:
        if self.settings.engine == "ray":
            from verify.pipeline.engine_ray import ray_extract

            return ray_extract(articles, self.settings, on_batch)
        import_spacy(self.settings.nlp_model)
        return ClaimExtractor(self.knowledge, self.nlp).extract(articles, on_batch)


def _stored_verdict(judgement: Judgement, row: tuple) -> PairVerdict:
    verdict, confidence, reason, conflicts, rule, evidence = row
    return PairVerdict(judgement.pair, verdict, confidence, judgement.forward, judgement.backward, reason,  # type: ignore[arg-type]
                       conflicts, rule, evidence)


def _model_meta(model: Embedder | Judge, name: str) -> dict[str, str]:
    resolved = model.resolved
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
    """Library entry point: verify.pipeline.core.run(["seeds/"]) -> Report."""
    return Pipeline(settings or Settings()).run_paths(paths, **kwargs)
