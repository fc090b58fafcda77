"""Real-news benchmarks through the real pipeline: document-level stance (FNC-1) and summary consistency (WiCE,
or any jsonl with an article, a summary sentence and a label).

Each item becomes two in-memory articles built as ingest builds them (`verify.api.article`): the *claim
outlet* (the FNC-1 headline, or the summary sentence: its title and only sentence) and the *evidence outlet*
(the article body). `Harness` runs the two through `Pipeline.run` and keeps the pipeline's judgements and
verdicts between the claim outlet's claims and the evidence outlet's claims; in the same run, on the same
items, the NLI max-pool baseline scores every (claim sentence, evidence sentence) pair in both directions.
`run_news` scores every system (`news_scoring`), optionally with each verdict rule off in turn, and writes the
results files (`news_results`) after each benchmark.

Every item's pipeline result is cached on disk (one jsonl line per item, keyed by the models, the core's declared
versions and knowledge (`core_version`) and the harness version), so re-fits and re-runs are instant.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from verify.config import Settings
from verify.errors import InputError
from verify.evaluation import ROOT, ProgressFactory
from verify.evaluation import metrics as M
from verify.evaluation.news_data import NewsBenchmark, NewsItem, claim_dict, claim_from_dict, load_items
from verify.evaluation.news_results import NewsBenchResult, NewsResults, write_results
from verify.evaluation.news_scoring import SYSTEMS, predict, score_predictions
from verify.evaluation.results import git_commit
from verify.pipeline.caches import core_version
from verify.pipeline.core import Pipeline
from verify.records import Article, Claim, ClaimPair, Judgement, short_hash
from verify.verdict.params import Params, load_params

log = logging.getLogger(__name__)

HARNESS_VERSION = "1"
CACHE_DIR = ROOT / "evaluations" / "results" / "tmp" / "news-cache"
CLAIM_OUTLET, EVIDENCE_OUTLET = "Claim outlet", "Evidence outlet"


# --------------------------------------------------------------------------------------------
# the harness: one item through the pipeline, plus the max-pool baseline
# --------------------------------------------------------------------------------------------
class TitleClaimPipeline(Pipeline):
    """The pipeline, except that an article from which the extractor keeps no claim contributes its title
    as its one claim (``title_claims="fallback"``). Headlines are fragments the check-worthiness filter
    drops, so without this the claim outlet of a headline item has nothing to verify."""

    def extract(self, articles: Sequence[Article], on_batch: Callable[[int], None] | None = None,
                keys: Sequence[str] | None = None) -> Sequence[Claim]:
        from verify.extract.claims import claim_from_text

        claims = super().extract(articles, on_batch, keys)
        have = {c.article_id for c in claims}
        extra = [claim_from_text(a.title, article_id=a.id, source=a.source, article_date=a.date)
                 for a in articles if a.id not in have and a.title and a.title.strip()]
        self.title_claim_ids = {c.id for c in extra}
        return [*claims, *extra] if extra else claims


_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[\"'(\[]?[A-Z0-9])")


def sentences(text: str) -> list[str]:
    """All sentences, unfiltered (the baseline pools over every one): lines, then sentence ends."""
    out = []
    for line in text.splitlines():
        out += [s.strip() for s in _SENTENCE_END.split(line) if len(s.strip()) > 1]
    return out


# the small files of a model folder that change its outputs (calibration.json: the softmax temperature)
PREDICTION_FILES = frozenset({"config.json", "calibration.json", "special_tokens_map.json", "vocab.txt",
                              "sentence_bert_config.json", "modules.json"})


def model_fingerprint(obj: Any) -> str:
    """A digest of what makes a local model folder's outputs (weights, config, tokenizer, temperature): a model
    retrained or recalibrated in place keeps its path and may keep its revision, so they cannot key a cache."""
    resolved = getattr(obj, "resolved", None)
    path = Path(getattr(resolved, "path", "") or "")
    if not path.is_dir():
        return str(getattr(resolved, "revision", "") or getattr(obj, "name", ""))
    parts = []
    for f in sorted(p for p in path.iterdir() if p.is_file()):
        if f.name in PREDICTION_FILES or f.name.startswith("tokenizer"):  # not the card, metrics or training log
            parts.append(f"{f.name}:{hashlib.blake2b(f.read_bytes(), digest_size=8).hexdigest()}")
        elif f.suffix in (".safetensors", ".bin", ".onnx"):
            with f.open("rb") as handle:  # size plus the first and last MiB: cheap, and changes with any retraining
                head = handle.read(1 << 20)
                handle.seek(max(0, f.stat().st_size - (1 << 20)))
                tail = handle.read()
            parts.append(f"{f.name}:{f.stat().st_size}:{hashlib.blake2b(head + tail, digest_size=8).hexdigest()}")
    return short_hash(*parts)


class Harness:
    """Runs items through a pipeline (and the baseline through its judge), caching each item's record."""

    def __init__(self, pipeline: Pipeline, *, title_claims: Literal["fallback", "never"] = "fallback",
                 cache_dir: Path | None = CACHE_DIR, baseline: bool = True, key: str | None = None,
                 refresh_verdicts: bool = True) -> None:
        self.base = pipeline
        self.title_claims = title_claims
        cls = TitleClaimPipeline if title_claims == "fallback" else Pipeline
        self.pipeline = cls(pipeline.settings, embedder=pipeline.embedder, judge=pipeline.judge, checks=pipeline.checks,
                            store=pipeline.store or False)
        self.baseline = baseline
        self.refresh_verdicts = refresh_verdicts
        self.cache_dir = cache_dir
        self._cache: dict[str, dict[str, Any]] | None = None
        self._articles: dict[str, tuple[Article, Article]] = {}
        self.key = key or self._key()  # once: sources edited during a run must not split its cache

    def _key(self) -> str:
        judge, embedder = self.pipeline.judge, self.pipeline.embedder
        s = self.pipeline.settings.public()
        for volatile in ("store", "cache_dir", "data_dir", "device", "backend", "batch_size", "engine", "ray_address",
                         "ray_workers", "allow_download"):
            s.pop(volatile, None)
        return short_hash(HARNESS_VERSION, getattr(judge, "key", judge.name), model_fingerprint(judge),
                          str(getattr(embedder, "name", "")), model_fingerprint(embedder),
                          json.dumps(s, sort_keys=True, default=str), str(self.pipeline.checks), self.title_claims,
                          str(self.baseline), core_version(self.pipeline.knowledge, self.pipeline.nlp))

    def _cache_path(self) -> Path | None:
        """This process's cache file (several processes may fill one cache; each reads all its files)."""
        return self.cache_dir / f"{self.key}.{os.getpid()}.jsonl" if self.cache_dir else None

    def _load_cache(self) -> dict[str, dict[str, Any]]:
        if self._cache is None:
            self._cache = {}
            files = sorted(self.cache_dir.glob(f"{self.key}*.jsonl"), key=lambda p: p.stat().st_mtime) \
                if self.cache_dir else []
            for path in files:  # oldest first: a record written later (e.g. refreshed verdicts) wins
                for line in path.read_text(encoding="utf-8").splitlines():
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:  # a line cut short by an interrupted run
                        continue
                    self._cache[record["key"]] = record
        return self._cache

    @staticmethod
    def item_key(item: NewsItem) -> str:
        return short_hash(item.id, item.claim, item.evidence, item.gold)

    def records(self, items: Sequence[NewsItem], on_item: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
        """Each item's record, from the cache when there; a cached record whose verdicts were made under other
        fitted parameters than the packaged ones gets the verdict stage run again on its judgements."""
        cache = self._load_cache()
        path = self._cache_path()
        current = load_params().digest
        out = []
        handle = None
        try:
            for item in items:
                key = self.item_key(item)
                old = cache.get(key)
                if old is None:
                    record = self.run_item(item)
                elif self.refresh_verdicts and old.get("params_digest") != current:
                    record = self.reaggregate(item, old)  # only the fitted params changed: the verdict stage again
                else:
                    record = None
                if record is not None:
                    record["key"] = key
                    cache[key] = record
                    if path:
                        if handle is None:
                            path.parent.mkdir(parents=True, exist_ok=True)
                            handle = path.open("a", encoding="utf-8")
                        handle.write(json.dumps(record) + "\n")
                        handle.flush()
                out.append(cache[key])
                if on_item:
                    on_item(1)
        finally:
            if handle:
                handle.close()
        return out

    def articles(self, item: NewsItem) -> tuple[Article, Article]:
        """The claim outlet's and the evidence outlet's articles, built as ingest builds them (kept per item)."""
        from verify.api import article

        made = self._articles.get(item.id)
        if made is None or made[0].original != item.claim or made[1].original != item.evidence:
            made = (article(item.claim, source=CLAIM_OUTLET, title=item.claim, path=f"{item.id}:claim"),
                    article(item.evidence, source=EVIDENCE_OUTLET, path=f"{item.id}:evidence"))
            self._articles[item.id] = made
        return made

    def run_item(self, item: NewsItem, baseline: Mapping[str, float] | None = None) -> dict[str, Any]:
        claim_article, evidence_article = self.articles(item)
        report = self.pipeline.run([claim_article, evidence_article])
        claims = [c for c in report.claims if c.article_id == claim_article.id]
        from_title = getattr(self.pipeline, "title_claim_ids", set())
        judgements = []
        for v in report.verdicts:
            a_side, b_side = v.pair.a.article_id, v.pair.b.article_id
            if {a_side, b_side} != {claim_article.id, evidence_article.id}:
                continue
            judgements.append({"a": claim_dict(v.pair.a), "b": claim_dict(v.pair.b), "similarity": v.pair.similarity,
                               "shared": list(v.pair.shared), "via": v.pair.via, "forward": v.forward,
                               "backward": v.backward, "verdict": v.verdict})
        record = {"id": item.id, "gold": item.gold, "group": item.group, "claims": [claim_dict(c) for c in claims],
                  "title_claim": any(c.id in from_title for c in claims), "judgements": judgements,
                  "evidence_claims": sum(1 for c in report.claims if c.article_id == evidence_article.id),
                  "pairs": len(report.verdicts), "params_digest": load_params().digest,
                  "assessments": [{"claim_id": x.claim_id, "verdict": x.verdict, "probability": x.probability,
                                   "rule": x.rule} for x in getattr(report, "assessments", ())
                                  if x.claim_id in {c.id for c in claims} and x.source == EVIDENCE_OUTLET]}
        if self.baseline:
            record["baseline"] = dict(baseline) if baseline else self.maxpool(claim_article, evidence_article)
        return json.loads(json.dumps(record))  # as the cache gives it back (lists, not tuples)

    def reaggregate(self, item: NewsItem, record: Mapping[str, Any], settings: Settings | None = None) -> dict[str, Any]:
        """The pipeline's verdict stage (``make_aggregator``: the packaged params, ``settings.disabled_rules``) run
        again on the record's judgements, which are all the pipeline's pairs of the item's two articles."""
        from verify.pipeline.core import make_aggregator

        claim_article, evidence_article = self.articles(item)
        dates = {claim_article.id: claim_article.date, evidence_article.id: evidence_article.date}
        judgements = []
        built: dict[str, Claim] = {}
        for j in record["judgements"]:
            a = built.setdefault(j["a"]["id"], claim_from_dict(j["a"]))
            b = built.setdefault(j["b"]["id"], claim_from_dict(j["b"]))
            judgements.append(Judgement(ClaimPair(a, b, j["similarity"], tuple(j.get("shared") or ()), j.get("via")),
                                        j["forward"], j["backward"]))
        aggregator = make_aggregator(settings or self.pipeline.settings, dates, self.pipeline.knowledge,
                                     self.pipeline.checks)
        verdicts, _, assessments = aggregator.aggregate(judgements)
        claim_ids = {c["id"] for c in record["claims"]}
        out = dict(record)
        out["judgements"] = [{**j, "verdict": v.verdict} for j, v in zip(record["judgements"], verdicts)]
        out["assessments"] = [{"claim_id": x.claim_id, "verdict": x.verdict, "probability": x.probability,
                               "rule": x.rule} for x in assessments
                              if x.claim_id in claim_ids and x.source == EVIDENCE_OUTLET]
        out["params_digest"] = load_params().digest
        return json.loads(json.dumps(out))

    def maxpool(self, claim_article: Article, evidence_article: Article) -> dict[str, float]:
        """The NLI model alone: every (claim sentence, evidence sentence) pair, both directions, max-pooled."""
        hyps = sentences(claim_article.text) or [claim_article.text]
        prems = sentences(evidence_article.text) or [evidence_article.text]
        texts = [(p, h) for h in hyps for p in prems] + [(h, p) for h in hyps for p in prems]
        probs = self.pipeline.judge.predict(texts)
        half = len(texts) // 2
        fwd, bwd = probs[:half], probs[half:]  # fwd: evidence premise, claim hypothesis
        return {"entail_as_hyp": max(p["entailment"] for p in fwd), "entail_as_prem": max(p["entailment"] for p in bwd),
                "contra_as_hyp": max(p["contradiction"] for p in fwd),
                "contra_as_prem": max(p["contradiction"] for p in bwd), "sentences": float(len(prems))}


# --------------------------------------------------------------------------------------------
# running the benchmarks
# --------------------------------------------------------------------------------------------
def rule_names() -> list[str] | None:
    """The verdict rules' names, when the settings can switch them off (``disabled_rules``); else None."""
    if "disabled_rules" not in Settings.model_fields:
        return None
    try:
        from verify.verdict import RULE_NAMES
    except ImportError:
        return None
    return list(RULE_NAMES)


def model_info(obj: Any, name: str) -> dict[str, Any]:
    """A model's name, path, revision and content fingerprint, for the results' provenance."""
    resolved = getattr(obj, "resolved", None)
    return {"name": name, "path": getattr(resolved, "path", None), "revision": getattr(resolved, "revision", None),
            "fingerprint": model_fingerprint(obj)}


def coverage(records: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Shares of items whose claim the extractor kept, came from the title, or is missing; and of items paired."""
    n = max(len(records), 1)
    return {"claim_extracted": sum(bool(r["claims"]) and not r["title_claim"] for r in records) / n,
            "claim_from_title": sum(bool(r["title_claim"]) for r in records) / n,
            "no_claim": sum(not r["claims"] for r in records) / n,
            "paired": sum(bool(r["judgements"]) for r in records) / n}


def run_news(benchmarks: Sequence[NewsBenchmark], pipeline: Pipeline, out_dir: Path, *, data_dir: Path,
             limit: int | None = None, params: Params | None = None, title_claims: Literal["fallback", "never"] = "fallback",
             ablation: bool = True, cache_dir: Path | None = CACHE_DIR, resamples: int = 1000,
             on_progress: ProgressFactory | None = None, on_skip: Callable[[str, str], None] | None = None,
             cache_key: str | None = None, refresh_verdicts: bool = True) -> NewsResults:
    """Run each benchmark through the pipeline (plus the baseline), score, and write the three files after each."""
    params = params or load_params()
    harness = Harness(pipeline, title_claims=title_claims, cache_dir=cache_dir, key=cache_key,
                      refresh_verdicts=refresh_verdicts)
    results = NewsResults(
        created=datetime.now(UTC).isoformat(timespec="seconds"), git_commit=git_commit(),
        models={"nli": model_info(harness.pipeline.judge, pipeline.settings.nli_model),
                "embed": model_info(harness.pipeline.embedder, pipeline.settings.embed_model)},
        params={"digest": params.digest, "provenance": dict(params.provenance)},
        config={"data_dir": str(data_dir), "limit": limit, "title_claims": title_claims, "resamples": resamples,
                "cache_key": harness.key,
                "settings": {k: v for k, v in pipeline.settings.public().items() if k not in ("store", "cache_dir")}},
    )
    samples: list[str] = []
    write_results(out_dir, results, samples)
    for bench in benchmarks:
        try:
            items = load_items(bench, data_dir, limit)
        except InputError as exc:
            results.skipped[bench.name] = str(exc)
            if on_skip:
                on_skip(bench.name, str(exc))
            write_results(out_dir, results, samples)
            continue
        advance = on_progress(bench.name, len(items)) if on_progress else None
        records = harness.records(items, advance)
        preds = predict(records, bench.task, params)
        boot = M.bootstrap_indices(preds.groups, resamples)
        systems = score_predictions(preds, bench.task, boot)
        result = NewsBenchResult(
            task=bench.task, split=bench.split, licence=bench.licence, use=bench.use,
            version=bench.metadata.get("version", 1.0), files=bench.files, n=len(records), labels=list(bench.labels),
            gold_counts={label: preds.gold.count(label) for label in bench.labels},
            primary_metric="macro_f1" if bench.task == "stance" else "balanced_accuracy",
            coverage={k: round(v, 4) for k, v in coverage(records).items()}, systems=systems,
            verdict_params={d: sum(r.get("params_digest") == d for r in records)
                            for d in dict.fromkeys(str(r.get("params_digest")) for r in records)},
        )
        if ablation:
            result.ablation = run_ablation(bench, items, records, harness, params)
        results.benchmarks[bench.name] = result
        for i, (item, record) in enumerate(zip(items, records)):
            samples.append(json.dumps({
                "benchmark": bench.name, "id": item.id, "group": item.group, "gold": item.gold,
                "claim": item.claim, "pred": {s: preds.pred[s][i] for s in SYSTEMS},
                "score": {s: round(preds.score[s][i], 4) for s in SYSTEMS},
                "verdicts": [j["verdict"] for j in record["judgements"]], "title_claim": record["title_claim"],
                "baseline": record.get("baseline")}, ensure_ascii=False))
        write_results(out_dir, results, samples)
    results.complete = True
    write_results(out_dir, results, samples)
    return results


def run_ablation(bench: NewsBenchmark, items: Sequence[NewsItem], records: Sequence[Mapping[str, Any]],
                 harness: Harness, params: Params) -> dict[str, Any]:
    """The pipeline's verdict stage again on every item's judgements with each verdict rule off in turn
    (settings ``disabled_rules``); "(none)" switches nothing off and reproduces the main run."""
    names = rule_names()
    if names is None:
        return {"unavailable": "the settings have no 'disabled_rules' (or verify.verdict names no rules) yet"}
    out: dict[str, Any] = {}
    base = harness.pipeline.settings
    for rule in ("(none)", *names):
        settings = Settings(**{**base.model_dump(), "disabled_rules": [] if rule == "(none)" else [rule]})
        redone = [harness.reaggregate(item, record, settings) for item, record in zip(items, records)]
        preds = predict(redone, bench.task, params)
        row = {}
        for system in ("verify_verdicts", "verify_stance"):
            if bench.task == "stance":
                m = M.stance_metrics(preds.gold, preds.pred[system])
            else:
                m = M.consistency_metrics(preds.gold, preds.pred[system], preds.score[system])
            row[system] = {k: round(v, 4) for k, v in m.items()}
        out[rule] = row
    return out
