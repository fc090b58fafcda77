"""Real-news benchmarks: document-level stance (FNC-1) and summary consistency (WiCE, or any jsonl with an
article, a summary sentence and a label), run through the real pipeline.

Each item becomes two in-memory articles built as ingest builds them (`verify.api.article`): the *claim
outlet* (the FNC-1 headline, or the summary sentence: its title and only sentence) and the *evidence outlet*
(the article body). `Pipeline.run` verifies the two; the benchmark reads the pipeline's judgements and
verdicts between the claim outlet's claim and the evidence outlet's claims. In the same run, on the same
items, the NLI max-pool baseline scores every (claim sentence, evidence sentence) pair in both directions.

Systems compared per item:
- ``verify_stance``: the fitted stance model (`verify.verdict.calibrate`) over `evidence_features`.
- ``verify_rules``: the fitted thresholds as a rule over the same features (entailment first).
- ``verify_verdicts``: the pipeline's pair verdicts as they stand (support -> agree first, then a
  contradict/disputed pair -> disagree, any other pair -> discuss, no pair -> unrelated).
- ``nli_maxpool``: the NLI model alone, max-pooled over all sentence pairs (entailment first).

Every item's pipeline result is cached on disk (one jsonl line per item, keyed by the models, the core source
and the harness version), so re-fits and re-runs are instant.
"""

from __future__ import annotations

import csv
import dataclasses
import glob
import hashlib
import json
import logging
import os
import random
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from verify import __version__
from verify.config import Settings
from verify.errors import ConfigError, InputError
from verify.pipeline.core import Pipeline
from verify.records import Article, Claim, ClaimPair, Judgement, TimeSpan, short_hash
from verify.verdict.calibrate import Params, StanceModel, evidence_features, load_params, no_evidence, rule_stance
from verify.evaluation import metrics as M

log = logging.getLogger(__name__)

HARNESS_VERSION = "1"
ROOT = Path(__file__).resolve().parents[2]
BENCH_DIR = ROOT / "evaluations" / "benchmarks" / "news"
CACHE_DIR = ROOT / "evaluations" / "results" / "tmp" / "news-cache"
CLAIM_OUTLET, EVIDENCE_OUTLET = "Claim outlet", "Evidence outlet"
SYSTEMS: tuple[str, ...] = ("verify_stance", "verify_rules", "verify_verdicts", "nli_maxpool", "nli_maxpool_lr")
BASELINES: tuple[str, ...] = ("nli_maxpool", "nli_maxpool_lr")
# the max-pool statistics the learned baseline (nli_maxpool_lr) reads
BASELINE_FEATURES: tuple[str, ...] = ("entail_as_hyp", "entail_as_prem", "contra_as_hyp", "contra_as_prem")
# the NLI max-pool baseline before any fit: entailment first, then contradiction, then any NLI signal
DEFAULT_BASELINE = {"agree": 0.5, "disagree": 0.5, "related": 0.1}
ProgressFactory = Callable[[str, int], Callable[[int], None]]


# --------------------------------------------------------------------------------------------
# benchmark YAML
# --------------------------------------------------------------------------------------------
class Sample(BaseModel):
    """Which FNC-1 items: bodies split by a hash of their id (``fit`` / ``held_out``), then up to
    ``per_class`` items of each stance drawn with ``seed``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bodies: Literal["fit", "held_out", "all"] = "held_out"
    fit_share: float = Field(0.7, gt=0, lt=1, description="share of body ids (by hash) in the fit part")
    per_class: int | None = Field(250, ge=1)
    seed: int = 13


class NewsBenchmark(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    task: Literal["stance", "consistency"]
    description: str = ""
    files: list[str] = Field(min_length=1, description="stance: [stances csv, bodies csv]; consistency: jsonl globs")
    # stance (FNC-1 layout)
    headline_field: str = "Headline"
    body_id_field: str = "Body ID"
    stance_field: str = "Stance"
    body_field: str = "articleBody"
    sample: Sample = Sample()
    # consistency (any jsonl: article text or list of sentences, one summary sentence, a label)
    article_field: str = "article"
    summary_field: str = "summary"
    label_field: str = "label"
    label_map: dict[str, str] = Field(min_length=1)
    limit: int | None = Field(None, ge=1, description="consistency: a seeded subset of N items")
    split: str = ""
    licence: str
    use: Literal["ok", "eval"]
    quick_limit: int = Field(200, ge=1)
    metadata: dict[str, float] = Field(default_factory=lambda: {"version": 1.0})

    @property
    def labels(self) -> tuple[str, ...]:
        return M.STANCE_LABELS if self.task == "stance" else M.CONSISTENCY_LABELS

    def model_post_init(self, _: Any) -> None:
        bad = sorted(set(self.label_map.values()) - set(self.labels))
        if bad:
            raise ValueError(f"label_map targets {bad} are not {self.task} labels ({', '.join(self.labels)})")
        if self.task == "stance" and len(self.files) != 2:
            raise ValueError("a stance benchmark names two files: the stances csv, then the bodies csv")


def load_news_benchmark(path: Path) -> NewsBenchmark:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return NewsBenchmark.model_validate(data)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc']) or 'benchmark'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"{path}: " + "; ".join(lines)) from None


def load_news_benchmarks(directory: Path | None = None) -> dict[str, NewsBenchmark]:
    found: dict[str, NewsBenchmark] = {}
    for path in sorted((directory or BENCH_DIR).glob("*.yaml")):
        bench = load_news_benchmark(path)
        if bench.name in found:
            raise ConfigError(f"{path}: benchmark name {bench.name!r} is used twice")
        found[bench.name] = bench
    return found


# --------------------------------------------------------------------------------------------
# items
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NewsItem:
    id: str  # stable: "fnc1:<row>" / "<file stem>:<line>"
    claim: str  # the headline or summary sentence: the claim outlet's title and only sentence
    evidence: str  # the article body: the evidence outlet's article
    gold: str
    group: str  # items of one group (one body) never straddle a fit fold and its test fold


def body_part(body_id: str, fit_share: float = 0.7) -> str:
    """'fit' or 'held_out', fixed by a hash of the body id (so the benchmark never sees a fitted body)."""
    h = int(hashlib.blake2b(str(body_id).encode(), digest_size=8).hexdigest(), 16)
    return "fit" if (h % 10_000) < fit_share * 10_000 else "held_out"


def _data_file(root: Path, spec: str) -> Path:
    path = root / spec
    if not path.is_file():
        raise InputError(f"{path}: no such file; pass --data-dir (or set VERIFY_DATA_DIR) to the shared data folder")
    return path


def load_stance_items(bench: NewsBenchmark, data_dir: Path, sample: Sample | None = None,
                      limit: int | None = None) -> list[NewsItem]:
    """A seeded, class-balanced sample of headline/body pairs from one part of the bodies."""
    sample = sample or bench.sample
    stances_path, bodies_path = (_data_file(data_dir, f) for f in bench.files)
    with bodies_path.open(encoding="utf-8-sig", newline="") as handle:
        bodies = {r[bench.body_id_field]: r[bench.body_field] for r in csv.DictReader(handle)}
    by_label: dict[str, list[NewsItem]] = {}
    with stances_path.open(encoding="utf-8-sig", newline="") as handle:
        for row, record in enumerate(csv.DictReader(handle)):
            label = bench.label_map.get(str(record.get(bench.stance_field, "")).strip())
            body_id = str(record.get(bench.body_id_field, "")).strip()
            headline = (record.get(bench.headline_field) or "").strip()
            if label is None or body_id not in bodies or not headline or not bodies[body_id].strip():
                continue
            if sample.bodies != "all" and body_part(body_id, sample.fit_share) != sample.bodies:
                continue
            by_label.setdefault(label, []).append(NewsItem(f"{bench.name}:{row}", headline, bodies[body_id], label,
                                                           f"body:{body_id}"))
    if not by_label:
        raise InputError(f"{stances_path}: no usable row (fields {bench.headline_field!r}, {bench.body_id_field!r}, "
                         f"{bench.stance_field!r} with labels {sorted(bench.label_map)})")
    per_class = sample.per_class if limit is None else min(sample.per_class or limit, max(1, limit // len(by_label)))
    # each class drawn with its own seeded generator, then interleaved by rank: a smaller per_class (or a run
    # stopped early) gives a prefix of the same items, so cached work is never wasted
    drawn = {label: random.Random(f"{sample.seed}:{label}").sample(by_label.get(label, []), len(by_label.get(label, [])))
             for label in bench.labels}
    drawn = {label: order[:per_class] if per_class is not None else order for label, order in drawn.items()}
    return [drawn[label][rank] for rank in range(max(map(len, drawn.values())))
            for label in bench.labels if rank < len(drawn[label])]


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v).strip() for v in value if str(v).strip())
    return "" if value is None else str(value).strip()


def load_consistency_items(bench: NewsBenchmark, data_dir: Path, limit: int | None = None) -> list[NewsItem]:
    """Items of any jsonl with an article (text or list of sentences), a summary sentence and a label."""
    paths = sorted(Path(p) for spec in bench.files for p in glob.glob(str(data_dir / spec)))
    if not paths:
        raise InputError(f"{data_dir / bench.files[0]}: no such file; pass --data-dir (or set VERIFY_DATA_DIR)")
    items: list[NewsItem] = []
    for path in paths:
        with path.open(encoding="utf-8-sig") as handle:
            for lineno, line in enumerate(handle):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{lineno + 1}: not valid JSON ({exc.msg})") from None
                label = bench.label_map.get(str(record.get(bench.label_field, "")).strip())
                article, summary = _as_text(record.get(bench.article_field)), _as_text(record.get(bench.summary_field))
                if label is None or not article or not summary:
                    continue
                item_id = f"{path.stem}:{lineno}"
                items.append(NewsItem(item_id, summary, article, label, item_id))
    if not items:
        raise InputError(f"{paths[0]}: no usable row (fields {bench.article_field!r}, {bench.summary_field!r}, "
                         f"{bench.label_field!r} with labels {sorted(bench.label_map)})")
    cap = limit if limit is not None else bench.limit
    order = random.Random(13).sample(range(len(items)), len(items))  # a seeded order: any cap is a prefix of it
    return [items[i] for i in order[:cap]]


def load_items(bench: NewsBenchmark, data_dir: Path, limit: int | None = None) -> list[NewsItem]:
    if bench.task == "stance":
        return load_stance_items(bench, data_dir, limit=limit)
    return load_consistency_items(bench, data_dir, limit)


# --------------------------------------------------------------------------------------------
# the harness: one item through the pipeline, plus the max-pool baseline
# --------------------------------------------------------------------------------------------
class TitleClaimPipeline(Pipeline):
    """The pipeline, except that an article from which the extractor keeps no claim contributes its title
    as its one claim (``title_claims="fallback"``). Headlines are fragments the check-worthiness filter
    drops, so without this the claim outlet of a headline item has nothing to verify."""

    def extract(self, articles: Sequence[Article], on_batch: Callable[[int], None] | None = None) -> list[Claim]:
        from verify.extract.claims import claim_from_text

        claims = super().extract(articles, on_batch)
        have = {c.article_id for c in claims}
        extra = [claim_from_text(a.title, article_id=a.id, source=a.source, article_date=a.date)
                 for a in articles if a.id not in have and a.title and a.title.strip()]
        self.title_claim_ids = {c.id for c in extra}
        return claims + extra


_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[\"'(\[]?[A-Z0-9])")


def sentences(text: str) -> list[str]:
    """All sentences, unfiltered (the baseline pools over every one): lines, then sentence ends."""
    out = []
    for line in text.splitlines():
        out += [s.strip() for s in _SENTENCE_END.split(line) if len(s.strip()) > 1]
    return out


def claim_dict(claim: Claim) -> dict[str, Any]:
    return dataclasses.asdict(claim)


def claim_from_dict(data: Mapping[str, Any]) -> Claim:
    d = dict(data)
    d["span"] = tuple(d["span"])
    for key in ("entities", "numbers", "dates"):
        d[key] = tuple(d.get(key) or ())
    if d.get("time"):
        d["time"] = TimeSpan(**d["time"])
    names = {f.name for f in dataclasses.fields(Claim)}
    return Claim(**{k: v for k, v in d.items() if k in names})


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


def core_digest() -> str:
    """Every core source file and data table (not the evaluation wing, CLI, reports or the fitted params):
    a cached item is reused only while none of them changed."""
    here = Path(__file__).resolve().parents[1]
    skip_dirs = {"evaluation", "cli", "report", "__pycache__"}
    skip_files = {"api.py", "__main__.py",
                  "calibrate.py", "params.json"}
    files = sorted(p for p in here.rglob("*") if p.is_file() and not (set(p.relative_to(here).parts[:-1]) & skip_dirs)
                   and p.name not in skip_files and p.suffix in (".py", ".json", ".toml", ".txt", ".yaml", ".tsv", ".csv"))
    return short_hash(*(f"{p.relative_to(here)}\x00{p.read_text(encoding='utf-8', errors='replace')}" for p in files))


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
                          str(self.baseline), core_digest())

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
# records -> features and predictions
# --------------------------------------------------------------------------------------------
def record_judgements(record: Mapping[str, Any]) -> dict[str, tuple[Claim, list[Judgement]]]:
    """The claim outlet's claims, each with the judgements of its pairs with the evidence outlet."""
    claims = {c["id"]: claim_from_dict(c) for c in record["claims"]}
    out: dict[str, tuple[Claim, list[Judgement]]] = {cid: (c, []) for cid, c in claims.items()}
    built: dict[str, Claim] = {}
    for j in record["judgements"]:
        a = built.setdefault(j["a"]["id"], claim_from_dict(j["a"]))
        b = built.setdefault(j["b"]["id"], claim_from_dict(j["b"]))
        pair = ClaimPair(a, b, j["similarity"], tuple(j.get("shared") or ()), j.get("via"))
        judgement = Judgement(pair, j["forward"], j["backward"])
        for claim_id in (a.id, b.id):
            if claim_id in out:
                out[claim_id][1].append(judgement)
    return out


def item_features(record: Mapping[str, Any], knowledge: Any = None) -> dict[str, float]:
    """The features of the claim outlet's claim with the most evidence (most similar pair; the first claim on
    ties); the no-evidence vector when the pipeline kept no claim."""
    best: dict[str, float] | None = None
    for claim, judgements in record_judgements(record).values():
        feats = evidence_features(claim, judgements, knowledge)
        if best is None or (feats["has_evidence"], feats["sim_max"]) > (best["has_evidence"], best["sim_max"]):
            best = feats
    return best if best is not None else no_evidence()


ASSESSMENT_STANCE = {"support": "agree", "contradict": "disagree", "disputed": "disagree", "different-time": "discuss",
                     "neutral": "discuss", "unrelated": "unrelated"}


def verdict_stance(record: Mapping[str, Any]) -> str:
    """What the pipeline reports: its assessment of the claim against the evidence outlet (support -> agree,
    contradict / disputed -> disagree, neutral / different-time -> discuss, unrelated or no pair -> unrelated;
    support first when the outlet has several claims). Records made before assessments existed: the pair
    verdicts, support first, then a conflict, then any pair."""
    if "assessments" in record:
        found = {ASSESSMENT_STANCE.get(x["verdict"], "discuss") for x in record["assessments"]}
        return next((label for label in ("agree", "disagree", "discuss") if label in found), "unrelated")
    verdicts = [j["verdict"] for j in record["judgements"]]
    if "support" in verdicts:
        return "agree"
    if {"contradict", "disputed"} & set(verdicts):
        return "disagree"
    return "discuss" if verdicts else "unrelated"


def baseline_stance(stats: Mapping[str, float], t: Mapping[str, float]) -> str:
    """NLI max-pool, entailment checked first."""
    entail = max(stats["entail_as_hyp"], stats["entail_as_prem"])
    contra = max(stats["contra_as_hyp"], stats["contra_as_prem"])
    if entail >= t["agree"]:
        return "agree"
    if contra >= t["disagree"]:
        return "disagree"
    return "discuss" if max(entail, contra) >= t["related"] else "unrelated"


def baseline_matrix(stats: Sequence[Mapping[str, float]]) -> np.ndarray:
    return np.array([[float(s[f]) for f in BASELINE_FEATURES] for s in stats])


def baseline_model(params: Params) -> StanceModel | None:
    """The learned baseline: the same logistic regression over the max-pool statistics only (fitted alongside)."""
    data = params.provenance.get("baseline_model")
    return StanceModel.from_json(data) if data else None


def fitted_stance(params: Params) -> StanceModel | None:
    """The fitted stance model: the one the pipeline uses, else the one the fit kept in the provenance
    (``verify eval fit --no-ship-stance`` fits it without letting the pipeline use it)."""
    data = params.provenance.get("stance_model")
    return params.stance or (StanceModel.from_json(data) if data else None)


def baseline_thresholds(params: Params) -> dict[str, float]:
    return {**DEFAULT_BASELINE, **(params.provenance.get("baseline_thresholds") or {})}


@dataclass
class Predictions:
    gold: list[str]
    groups: list[str]
    pred: dict[str, list[str]]  # system -> labels
    score: dict[str, list[float]]  # system -> a score of the positive class (agree / faithful)


def predict(records: Sequence[Mapping[str, Any]], task: str, params: Params, knowledge: Any = None) -> Predictions:
    t = params.thresholds
    base_t = baseline_thresholds(params)
    base_lr = baseline_model(params)
    stance_model = fitted_stance(params)
    preds: dict[str, list[str]] = {s: [] for s in SYSTEMS}
    scores: dict[str, list[float]] = {s: [] for s in SYSTEMS}
    for record in records:
        feats = item_features(record, knowledge)
        probs = stance_model.predict_proba(feats) if stance_model else None
        stance = max(probs, key=probs.__getitem__) if probs else rule_stance(feats, t["support"], t["contradict"],
                                                                               t["weak_entail"])
        labels = {"verify_stance": stance,
                  "verify_rules": rule_stance(feats, t["support"], t["contradict"], t["weak_entail"]),
                  "verify_verdicts": verdict_stance(record)}
        stats = record.get("baseline")
        entail_claim = max(feats["entail_as_hyp"], feats["entail_as_prem"])
        item_scores = {"verify_stance": probs["agree"] if probs else entail_claim, "verify_rules": entail_claim,
                       "verify_verdicts": float(labels["verify_verdicts"] == "agree")}
        lr = base_lr.predict_proba(stats) if base_lr is not None and stats else None
        labels["nli_maxpool_lr"] = max(lr, key=lr.__getitem__) if lr else "unrelated"
        item_scores["nli_maxpool_lr"] = lr["agree"] if lr else 0.0
        if task == "stance":
            labels["nli_maxpool"] = baseline_stance(stats, base_t) if stats else "unrelated"
            item_scores["nli_maxpool"] = max(stats["entail_as_hyp"], stats["entail_as_prem"]) if stats else 0.0
        else:  # faithful = the article supports the summary; the baseline: article sentence -> summary entailment
            labels = {k: "faithful" if v == "agree" else "unfaithful" for k, v in labels.items()}
            e = stats["entail_as_hyp"] if stats else 0.0
            labels["nli_maxpool"] = "faithful" if e >= base_t["agree"] else "unfaithful"
            item_scores["nli_maxpool"] = e
            item_scores["verify_rules"] = feats["entail_as_hyp"]
        for s in SYSTEMS:
            preds[s].append(labels[s])
            scores[s].append(float(item_scores[s]))
    return Predictions([r["gold"] for r in records], [r["group"] for r in records], preds, scores)


def stance_intervals_vs_baselines(system: str, gold: Sequence[str], pred: Mapping[str, Sequence[str]],
                                  resamples: list[np.ndarray]) -> dict[str, list[float]]:
    """A system's 95% intervals; for verify's systems also of the differences to each baseline
    (``delta_*`` to nli_maxpool, ``delta_lr_*`` to nli_maxpool_lr) on the same resamples."""
    if system in BASELINES:
        return M.stance_intervals(gold, pred[system], resamples)
    ci = M.stance_intervals(gold, pred[system], resamples, pred["nli_maxpool"])
    lr = M.stance_intervals(gold, pred[system], resamples, pred["nli_maxpool_lr"])
    return ci | {k.replace("delta_", "delta_lr_"): v for k, v in lr.items() if k.startswith("delta_")}


def score_predictions(p: Predictions, task: str, resamples: list[np.ndarray]) -> dict[str, dict[str, Any]]:
    """Per system: metrics, 95% intervals, and the intervals of the differences to the NLI max-pool baselines."""
    out: dict[str, dict[str, Any]] = {}
    for system in SYSTEMS:
        if task == "stance":
            metrics = M.stance_metrics(p.gold, p.pred[system])
            ci = stance_intervals_vs_baselines(system, p.gold, p.pred, resamples)
            confusion = _confusion(p.gold, p.pred[system], M.STANCE_LABELS)
        else:
            metrics = M.consistency_metrics(p.gold, p.pred[system], p.score[system])
            if system in BASELINES:
                ci = M.consistency_intervals(p.gold, p.pred[system], p.score[system], resamples)
            else:
                ci = M.consistency_intervals(p.gold, p.pred[system], p.score[system], resamples,
                                             (p.pred["nli_maxpool"], p.score["nli_maxpool"]))
                lr = M.consistency_intervals(p.gold, p.pred[system], p.score[system], resamples,
                                             (p.pred["nli_maxpool_lr"], p.score["nli_maxpool_lr"]))
                ci |= {k.replace("delta_", "delta_lr_"): v for k, v in lr.items() if k.startswith("delta_")}
            confusion = _confusion(p.gold, p.pred[system], M.CONSISTENCY_LABELS)
        out[system] = {"metrics": {k: round(v, 4) for k, v in metrics.items()}, "ci95": ci, "confusion": confusion}
    return out


def _confusion(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, int]]:
    counts = {g: dict.fromkeys(labels, 0) for g in labels}
    for g, p in zip(gold, pred):
        counts[g][p] += 1
    return counts


# --------------------------------------------------------------------------------------------
# ablation: each verdict rule off in turn
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


# --------------------------------------------------------------------------------------------
# results files
# --------------------------------------------------------------------------------------------
class NewsBenchResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: str
    split: str
    licence: str
    use: str
    version: float
    files: list[str]
    n: int
    labels: list[str]
    gold_counts: dict[str, int]
    primary_metric: str
    coverage: dict[str, float]  # share of items whose claim came from the extractor / the title; paired
    systems: dict[str, dict[str, Any]]  # system -> metrics, ci95, confusion
    ablation: dict[str, Any] = Field(default_factory=dict)  # rule -> metrics, or {"unavailable": why}
    # params digest the pipeline's verdicts (verify_verdicts) were made under -> items (see --keep-verdicts)
    verdict_params: dict[str, int] = Field(default_factory=dict)


class NewsResults(BaseModel):
    """results.json of `verify eval news`. Metrics are fractions; ci95 are cluster-bootstrap intervals."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["1.0"] = "1.0"
    verify_version: str = __version__
    created: str
    git_commit: str | None
    models: dict[str, dict[str, Any]]
    params: dict[str, Any]  # digest and provenance of the stance model and thresholds used
    config: dict[str, Any]
    complete: bool = False
    benchmarks: dict[str, NewsBenchResult] = Field(default_factory=dict)
    skipped: dict[str, str] = Field(default_factory=dict)


def _pct(v: float | None) -> str:
    return "-" if v is None or np.isnan(v) else f"{100 * v:.1f}"


def _ci(ci: Sequence[float] | None) -> str:
    return "" if not ci else f" [{_pct(ci[0])}, {_pct(ci[1])}]"


STANCE_COLUMNS = ("macro_f1", "fnc_score", "f1_agree", "f1_disagree", "f1_discuss", "f1_unrelated", "accuracy")
CONSISTENCY_COLUMNS = ("balanced_accuracy", "roc_auc", "accuracy", "recall_faithful", "recall_unfaithful")


def render_markdown(results: NewsResults) -> str:
    lines = ["# verify on real news", "",
             "Models: " + ", ".join(f"{k} `{v.get('name')}` ({v.get('revision') or '-'})" for k, v in results.models.items())
             + f"; "
             f"params {results.params.get('digest', '-')}; created {results.created}"
             + ("" if results.complete else " - **incomplete run**") + ".", "",
             ("Figures are percentages; [brackets] are 95% cluster-bootstrap intervals (1,000 resamples of bodies/items); "
             "delta is the difference to a baseline on the same resamples."), ""]
    for name, r in results.benchmarks.items():
        cols = STANCE_COLUMNS if r.task == "stance" else CONSISTENCY_COLUMNS
        delta = "delta_macro_f1" if r.task == "stance" else "delta_balanced_accuracy"
        delta_lr = delta.replace("delta_", "delta_lr_")
        lines += [f"## {name} ({r.task}, n={r.n}; {', '.join(f'{k} {v}' for k, v in r.gold_counts.items())})", "",
                  (f"Coverage: {', '.join(f'{k} {_pct(v)}%' for k, v in r.coverage.items())}. Pipeline verdicts made "
                  f"under params {', '.join(f'{k} ({v} items)' for k, v in r.verdict_params.items())}."), "",
                  "| system | " + " | ".join(cols) + f" | {delta} (vs nli_maxpool) | {delta_lr} (vs nli_maxpool_lr) |",
                  "|---|" + "---:|" * (len(cols) + 2)]
        for system, s in r.systems.items():
            cells = [_pct(s["metrics"].get(c)) + (_ci(s["ci95"].get(c)) if c in s["ci95"] else "") for c in cols]
            lines.append(f"| {system} | " + " | ".join(cells) + f" | {_ci(s['ci95'].get(delta)).strip() or '-'} | "
                         f"{_ci(s['ci95'].get(delta_lr)).strip() or '-'} |")
        if r.ablation:
            lines += ["", ("Ablation: the pipeline's verdict stage again on every item's judgements, each verdict rule off "
                          "in turn (`disabled_rules`); `(none)` reproduces the run above."), ""]
            if "unavailable" in r.ablation:
                lines.append(f"- not run: {r.ablation['unavailable']}")
            else:
                key = "macro_f1" if r.task == "stance" else "balanced_accuracy"
                lines += [f"| rule off | verify_verdicts {key} | verify_stance {key} |", "|---|---:|---:|"]
                for rule, row in r.ablation.items():
                    lines.append(f"| {rule} | {_pct(row['verify_verdicts'][key])} | {_pct(row['verify_stance'][key])} |")
        for system, s in r.systems.items():
            labels = list(s["confusion"])
            lines += ["", f"### {name} / {system}: confusion (rows gold, columns predicted)", "",
                      "| gold \\ pred | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
            lines += [f"| {g} | " + " | ".join(str(s["confusion"][g][p]) for p in labels) + " |" for g in labels]
        lines.append("")
    if results.skipped:
        lines += ["## Skipped", ""] + [f"- {k}: {v}" for k, v in results.skipped.items()]
    return "\n".join(lines) + "\n"


def write_results(out_dir: Path, results: NewsResults, samples: Iterable[str]) -> list[Path]:
    from verify.evaluation.suite import write_atomic

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "results.json", out_dir / "samples.jsonl", out_dir / "results.md"]
    write_atomic(paths[0], results.model_dump_json(indent=2) + "\n")
    write_atomic(paths[1], "".join(line + "\n" for line in samples))
    write_atomic(paths[2], render_markdown(results))
    return paths


def _model_info(obj: Any, name: str) -> dict[str, Any]:
    resolved = getattr(obj, "resolved", None)
    return {"name": name, "path": getattr(resolved, "path", None), "revision": getattr(resolved, "revision", None),
            "fingerprint": model_fingerprint(obj)}


def coverage(records: Sequence[Mapping[str, Any]]) -> dict[str, float]:
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
    from verify.evaluation.suite import git_commit

    params = params or load_params()
    harness = Harness(pipeline, title_claims=title_claims, cache_dir=cache_dir, key=cache_key,
                      refresh_verdicts=refresh_verdicts)
    results = NewsResults(
        created=datetime.now(UTC).isoformat(timespec="seconds"), git_commit=git_commit(),
        models={"nli": _model_info(harness.pipeline.judge, pipeline.settings.nli_model),
                "embed": _model_info(harness.pipeline.embedder, pipeline.settings.embed_model)},
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
