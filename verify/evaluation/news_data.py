"""Real-news benchmark data: the benchmark YAML (`NewsBenchmark`), its items (`NewsItem`), and claims to and
from the JSON of a cached item record.

Stance items (FNC-1 layout: a stances csv and a bodies csv) are a seeded, class-balanced sample from one part of
the bodies, split by a hash of the body id (``fit`` / ``held_out``), so the benchmark never sees a body the fit
used. Consistency items come from any jsonl with an article, a summary sentence and a label.
"""

from __future__ import annotations

import csv
import dataclasses
import glob
import hashlib
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from verify.errors import ConfigError, InputError
from verify.evaluation import ROOT
from verify.evaluation import metrics as M
from verify.records import Claim, TimeSpan

BENCH_DIR = ROOT / "evaluations" / "benchmarks" / "news"


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
# item records: claims as JSON (the cache) and back
# --------------------------------------------------------------------------------------------
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
