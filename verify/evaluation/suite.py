"""Benchmark YAML -> scores: measure an NLI judge on NLI and claim-evidence sets.

A benchmark is data, not code: a YAML file in ``evaluations/benchmarks/`` (validated by `Benchmark`) names
the files, the fields and an explicit label map. `NLIEvaluator` is built from the rows and called with a
judge (anything with ``predict(pairs, on_batch) -> [{label: prob}]``); it returns a flat dict of metrics.
`run_suite` runs many benchmarks and writes ``results.json``, ``samples.jsonl`` and ``results.md``,
rewriting each atomically as soon as a benchmark finishes, so an interrupted run keeps what it finished.
`run_comparison` runs the suite for several models, one folder each, plus ``comparison.json`` / ``.md``.

All metrics are fractions in [0, 1]; published anchor figures are stored in the same unit.
"""

from __future__ import annotations

import csv
import glob
import importlib
import io
import json
import logging
import os
import platform
import random
import re
import subprocess
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any, Literal, TextIO

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from verify import __version__
from verify.errors import ConfigError, InputError, VerifyError
from verify.registry import Registry

log = logging.getLogger(__name__)

Format = Literal["jsonl", "tsv", "csv"]
GoldLabel = Literal["entailment", "neutral", "contradiction", "not_entailment"]
ProgressFactory = Callable[[str, int], Callable[[int], None]]

THREE_CLASS: tuple[str, ...] = ("entailment", "neutral", "contradiction")
TWO_CLASS: tuple[str, ...] = ("entailment", "not_entailment")
LABEL_ORDER: tuple[str, ...] = (*THREE_CLASS, "not_entailment")
PRIMARY_METRIC = "accuracy"
SCHEMA_VERSION = "1.0"
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SUBSAMPLE_SEED = 13

# Used by `evaluate_file` when no label map is given: label *names* only, never positions.
DEFAULT_LABEL_MAP: dict[str, str] = {
    "entailment": "entailment", "neutral": "neutral", "contradiction": "contradiction",
    "not_entailment": "not_entailment", "e": "entailment", "n": "neutral", "c": "contradiction",
}


class MissingDataError(InputError):
    """A benchmark's data file is not in the data directory (a suite skips the benchmark)."""


# --------------------------------------------------------------------------------------
# Benchmark configuration (YAML)
# --------------------------------------------------------------------------------------
class Anchor(BaseModel):
    """A published figure of a well-known system on the same set, in the same unit as our metric."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str
    score: float = Field(ge=0, le=1, description="a fraction: 84.6% is written 0.846")
    metric: Literal["accuracy", "macro_f1"]
    source: str = Field(min_length=1, description="paper or model card the figure comes from")


class Holdout(BaseModel):
    """Evaluate only rows[:size] after random.Random(seed).shuffle(rows), as models/train_nli.py holds them out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int
    size: int = Field(ge=1)


class Metadata(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: float = Field(ge=0, description="bump when files, fields or the label map change")


class Benchmark(BaseModel):
    """One evaluation set: where its rows are and how to read them. Variants may `include:` a base file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    task: Literal["nli", "claim-evidence"]
    description: str = ""
    files: list[str] = Field(min_length=1, description="globs relative to the data dir; zip members as 'x.zip:member'")
    format: Format
    premise_field: str = "premise"
    hypothesis_field: str = "hypothesis"
    label_field: str = "label"
    label_map: dict[str, GoldLabel] = Field(min_length=1)
    two_class: bool = False
    split: str = ""
    licence: str
    use: Literal["ok", "eval"]
    quick_limit: int = Field(300, ge=1)
    anchors: list[Anchor] = Field(default_factory=list)
    metadata: Metadata
    holdout: Holdout | None = None
    flatten: str | None = Field(None, description="a list field: one row per element, merged over its parent")
    verdicts: bool = Field(False, description="also score the pipeline's verdict logic (always on for claim-evidence)")
    process_rows: str | None = Field(None, pattern=r"^[\w.]+:\w+$", description="'module:function' over the rows")

    @field_validator("files", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("label_map", mode="before")
    @classmethod
    def _string_keys(cls, value: Any) -> Any:
        """YAML reads `0: entailment` with an int key; raw labels are compared as strings."""
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _classes_agree(self) -> Benchmark:
        targets = set(self.label_map.values())
        if self.two_class and not targets <= set(TWO_CLASS):
            raise ValueError("two_class benchmarks map labels to entailment / not_entailment only")
        if not self.two_class and "not_entailment" in targets:
            raise ValueError("label_map uses not_entailment; set two_class: true")
        return self

    @property
    def labels(self) -> tuple[str, ...]:
        """The gold classes, in canonical order."""
        targets = set(self.label_map.values())
        return tuple(label for label in LABEL_ORDER if label in targets)


def benchmarks_dir() -> Path:
    return ROOT / "evaluations" / "benchmarks"


def _read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A YAML mapping with its `include:` chain merged in (the including file's keys win)."""
    path = path.resolve()
    if path in seen:
        raise ConfigError(f"{path}: include cycle ({' -> '.join(p.name for p in (*seen, path))})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of benchmark fields")
    include = data.pop("include", None)
    if include is None:
        return data
    return {**_read_yaml(path.parent / str(include), (*seen, path)), **data}


def load_benchmark(path: Path) -> Benchmark:
    """Read and validate one benchmark YAML; errors become one ConfigError naming each bad field."""
    data = _read_yaml(path)
    try:
        return Benchmark.model_validate(data)
    except ValidationError as exc:
        lines = [f"{'.'.join(str(p) for p in e['loc']) or 'benchmark'}: {e['msg']}" for e in exc.errors()]
        raise ConfigError(f"{path}: " + "; ".join(lines)) from None


def load_benchmarks(directory: Path | None = None) -> dict[str, Benchmark]:
    """Every benchmark in a folder (files starting with '_' are include-only bases), by name."""
    directory = directory or benchmarks_dir()
    found: dict[str, Benchmark] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        bench = load_benchmark(path)
        if bench.name in found:
            raise ConfigError(f"{path}: benchmark name {bench.name!r} is used twice")
        found[bench.name] = bench
    return found


def select_benchmarks(available: Mapping[str, Benchmark], names: Sequence[str] = ()) -> list[Benchmark]:
    """The named benchmarks (all when none named); an unknown name gets a did-you-mean."""
    if not names:
        return list(available.values())
    registry: Registry[Benchmark] = Registry("benchmark")
    for name, bench in available.items():
        registry.register(name, bench)
    return [registry.get(name) for name in dict.fromkeys(names)]


# --------------------------------------------------------------------------------------
# Reading rows: files, globs, zip members; jsonl / tsv / csv
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Source:
    path: Path
    member: str | None = None  # a file inside the zip at `path`

    def __str__(self) -> str:
        return f"{self.path}:{self.member}" if self.member else str(self.path)


def resolve_sources(data_dir: Path, spec: str) -> list[Source]:
    """The files a spec names ('glob', 'file' or 'x.zip:member'), or MissingDataError naming the path."""
    zip_part, sep, member = spec.partition(".zip:")
    if sep:
        archive = data_dir / f"{zip_part}.zip"
        _require(archive.is_file(), archive)
        if member not in zip_members(archive):
            raise MissingDataError(f"{archive}: no member {member!r} in the zip")
        return [Source(archive, member)]
    pattern = data_dir / spec
    if any(ch in spec for ch in "*?["):
        paths = sorted(Path(p) for p in glob.glob(str(pattern)))
        _require(bool(paths), pattern)
        return [Source(p) for p in paths]
    _require(pattern.is_file(), pattern)
    return [Source(pattern)]


def zip_members(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path}: not a readable zip ({exc})") from None


def _require(ok: bool, path: Path) -> None:
    if not ok:
        raise MissingDataError(
            f"{path}: no such file; pass --data-dir (or set VERIFY_DATA_DIR) to the folder holding the shared data"
        )


def read_source(source: Source, fmt: Format) -> Iterator[dict[str, Any]]:
    """Records of one file or zip member, decoded as utf-8-sig."""
    try:
        if source.member:
            with zipfile.ZipFile(source.path) as zf:
                text = zf.read(source.member).decode("utf-8-sig")
            yield from parse_records(io.StringIO(text, newline=""), fmt, str(source))
            return
        with source.path.open(encoding="utf-8-sig", newline="") as handle:
            yield from parse_records(handle, fmt, str(source))
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def parse_records(handle: TextIO, fmt: Format, name: str) -> Iterator[dict[str, Any]]:
    """JSON objects one per line, or header rows of a TSV (no quoting: stray quotes are text) or CSV."""
    if fmt == "jsonl":
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{name}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise InputError(f"{name}:{lineno}: expected one JSON object per line")
            yield record
        return
    quoting = csv.QUOTE_NONE if fmt == "tsv" else csv.QUOTE_MINIMAL
    reader = csv.DictReader(handle, delimiter="\t" if fmt == "tsv" else ",", quoting=quoting)
    try:
        yield from reader
    except csv.Error as exc:
        raise InputError(f"{name}:{reader.line_num}: unreadable {fmt} ({exc})") from None


def flatten_rows(records: Iterable[dict[str, Any]], list_field: str) -> Iterator[dict[str, Any]]:
    """One row per element of a nested list, its fields merged over the parent's (the element's win)."""
    for record in records:
        children = record.get(list_field) or []
        if not isinstance(children, list):
            raise InputError(f"flatten: field {list_field!r} holds a {type(children).__name__}, not a list")
        parent = {k: v for k, v in record.items() if k != list_field}
        for child in children:
            yield {**parent, **child} if isinstance(child, dict) else {**parent, list_field: child}


def import_hook(spec: str) -> Callable[[Iterable[dict[str, Any]]], Iterable[dict[str, Any]]]:
    """Lazily import a 'module:function' row hook named in a benchmark YAML."""
    module, _, attr = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"process_rows {spec!r}: cannot import it ({exc})") from None


# --------------------------------------------------------------------------------------
# Rows -> labelled examples
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Example:
    premise: str
    hypothesis: str
    gold: str  # one of LABEL_ORDER
    row: int  # record number in the source files (0-based, after flattening)


@dataclass(frozen=True, slots=True)
class LoadedExamples:
    examples: list[Example]
    skipped: dict[str, int]  # reason -> rows, e.g. {"label '-'": 3}
    available: int  # usable rows before --limit


def label_lookup(label_map: Mapping[str, str]) -> dict[str, str]:
    """Exact raw labels, plus their case-folded forms (an exact key always wins)."""
    lookup = {str(k).strip(): v for k, v in label_map.items()}
    for key, value in list(lookup.items()):
        lookup.setdefault(key.casefold(), value)
    return lookup


def map_label(raw: object, lookup: Mapping[str, str]) -> str | None:
    """Our label for a raw label value (string or int), or None when the map does not name it."""
    if raw is None:
        return None
    key = str(raw).strip()
    return lookup.get(key) or lookup.get(key.casefold())


def to_examples(records: Iterable[dict[str, Any]], *, premise_field: str, hypothesis_field: str, label_field: str,
                label_map: Mapping[str, str], name: str) -> tuple[list[Example], dict[str, int]]:
    """Keep rows with a mapped label and non-empty texts (stripped); count the rest by reason."""
    lookup = label_lookup(label_map)
    examples: list[Example] = []
    skipped: Counter[str] = Counter()
    first: dict[str, Any] | None = None
    for row, record in enumerate(records):
        first = first if first is not None else record
        raw = record.get(label_field)
        gold = map_label(raw, lookup)
        premise, hypothesis = _text(record.get(premise_field)), _text(record.get(hypothesis_field))
        if gold is None:
            skipped[f"label {raw!r}" if raw is not None else f"no {label_field!r} field"] += 1
        elif not premise or not hypothesis:
            skipped["empty premise or hypothesis"] += 1
        else:
            examples.append(Example(premise, hypothesis, gold, row))
    if not examples:
        raise InputError(_why_empty(name, first, (premise_field, hypothesis_field, label_field), skipped))
    return examples, dict(skipped)


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _why_empty(name: str, first: dict[str, Any] | None, fields: tuple[str, ...], skipped: Counter[str]) -> str:
    if first is None:
        return f"{name}: no rows"
    missing = [f for f in fields if f not in first]
    if missing:
        return (f"{name}: no field {missing[0]!r} (fields: {', '.join(map(str, first))}); "
                "set premise_field / hypothesis_field / label_field (--premise-field ...)")
    seen = ", ".join(f"{reason} x{n}" for reason, n in skipped.most_common(5))
    return (f"{name}: no usable row ({seen}); map the labels explicitly, "
            'e.g. --label-map "0=entailment,1=neutral,2=contradiction"')


def holdout_rows(examples: Sequence[Example], holdout: Holdout) -> list[Example]:
    """Exactly models/train_nli.py's held-out set: valid rows in file order, Random(seed).shuffle, [:size]."""
    rows = list(examples)
    random.Random(holdout.seed).shuffle(rows)
    return rows[: holdout.size]


def subsample(examples: Sequence[Example], limit: int | None, seed: int = DEFAULT_SUBSAMPLE_SEED) -> list[Example]:
    """A seeded random subset of `limit` rows, kept in their original order (files are often sorted by label)."""
    if limit is None or limit >= len(examples):
        return list(examples)
    keep = sorted(random.Random(seed).sample(range(len(examples)), max(limit, 0)))
    return [examples[i] for i in keep]


def load_examples(benchmark: Benchmark, data_dir: Path, limit: int | None = None) -> LoadedExamples:
    """A benchmark's labelled examples: files -> (flatten) -> (hook) -> label map -> (holdout) -> limit."""
    sources = [s for spec in benchmark.files for s in resolve_sources(data_dir, spec)]
    records: Iterable[dict[str, Any]] = (r for s in sources for r in read_source(s, benchmark.format))
    if benchmark.flatten:
        records = flatten_rows(records, benchmark.flatten)
    if benchmark.process_rows:
        records = import_hook(benchmark.process_rows)(records)
    examples, skipped = to_examples(
        records, premise_field=benchmark.premise_field, hypothesis_field=benchmark.hypothesis_field,
        label_field=benchmark.label_field, label_map=benchmark.label_map, name=benchmark.name,
    )
    if skipped:
        log.info("%s: skipped %s", benchmark.name, ", ".join(f"{why} x{n}" for why, n in skipped.items()))
    if benchmark.holdout:
        examples = holdout_rows(examples, benchmark.holdout)
    return LoadedExamples(subsample(examples, limit), skipped, len(examples))


# --------------------------------------------------------------------------------------
# Metrics: small pure functions
# --------------------------------------------------------------------------------------
def accuracy(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Share of exact matches; 0.0 for no rows."""
    _same_length(gold, pred)
    return sum(g == p for g, p in zip(gold, pred)) / len(gold) if gold else 0.0


def precision_recall_f1(gold: Sequence[str], pred: Sequence[str], label: str) -> tuple[float, float, float]:
    """One class's precision, recall and F1 (0.0 where undefined)."""
    _same_length(gold, pred)
    tp = sum(g == label and p == label for g, p in zip(gold, pred))
    n_pred, n_gold = sum(p == label for p in pred), sum(g == label for g in gold)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    """Unweighted mean F1 over `labels` (the gold classes): a class never predicted counts as 0."""
    if not labels:
        return 0.0
    return sum(precision_recall_f1(gold, pred, label)[2] for label in labels) / len(labels)


def confusion(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, int]]:
    """counts[gold][pred] over `labels` on both axes (pairs with a label outside them are left out)."""
    _same_length(gold, pred)
    counts = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, pred):
        if g in counts and p in counts[g]:
            counts[g][p] += 1
    return counts


class CalibrationBin(BaseModel):
    """One confidence bin (lo, hi] of a reliability diagram: how often the answers in it were right."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    lo: float
    hi: float
    n: int = Field(ge=0)
    accuracy: float  # share of the bin's answers that were right
    confidence: float  # mean top probability of the bin's answers

    def rounded(self, digits: int = 4) -> CalibrationBin:
        return self.model_copy(update={"accuracy": round(self.accuracy, digits),
                                       "confidence": round(self.confidence, digits)})


def reliability_bins(confidences: Sequence[float], correct: Sequence[bool], n_bins: int = 10) -> list[CalibrationBin]:
    """The non-empty equal-width bins (lo, hi] of the top probability, in order (0 falls in the first bin,
    anything above 1, e.g. a rounding 1.0000001, in the last)."""
    _same_length(confidences, correct)
    members: dict[int, list[int]] = {}
    for i, c in enumerate(confidences):
        b = next((b for b in range(n_bins) if c <= (b + 1) / n_bins), n_bins - 1)
        members.setdefault(b, []).append(i)
    return [
        CalibrationBin(lo=b / n_bins, hi=(b + 1) / n_bins, n=len(idx),
                       accuracy=sum(bool(correct[i]) for i in idx) / len(idx),
                       confidence=sum(confidences[i] for i in idx) / len(idx))
        for b, idx in sorted(members.items())
    ]


def pool_bins(groups: Iterable[Sequence[CalibrationBin]]) -> list[CalibrationBin]:
    """Bins of several runs merged into one set (same edges): counts add, accuracy and confidence are n-weighted."""
    merged: dict[tuple[float, float], list[CalibrationBin]] = {}
    for bins in groups:
        for b in bins:
            merged.setdefault((b.lo, b.hi), []).append(b)
    pooled = []
    for (lo, hi), same in sorted(merged.items()):
        n = sum(b.n for b in same)
        if n:
            pooled.append(CalibrationBin(lo=lo, hi=hi, n=n, accuracy=sum(b.n * b.accuracy for b in same) / n,
                                         confidence=sum(b.n * b.confidence for b in same) / n))
    return pooled


def calibration_error(bins: Sequence[CalibrationBin]) -> float:
    """ECE from bins: sum of |bin| / n * |accuracy(bin) - mean confidence(bin)|; 0.0 for no bins."""
    total = sum(b.n for b in bins)
    return sum(b.n / total * abs(b.accuracy - b.confidence) for b in bins) if total else 0.0


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool], n_bins: int = 10) -> float:
    """ECE: sum over equal-width bins (lo, hi] of |bin| / n * |accuracy(bin) - mean confidence(bin)|."""
    return calibration_error(reliability_bins(confidences, correct, n_bins))


def majority_baseline(gold: Sequence[str]) -> float:
    """Accuracy of always answering the most frequent gold label."""
    return Counter(gold).most_common(1)[0][1] / len(gold) if gold else 0.0


def classification_metrics(gold: Sequence[str], pred: Sequence[str], confidences: Sequence[float],
                           labels: Sequence[str]) -> dict[str, float]:
    """accuracy, macro_f1, precision_/recall_/f1_<label> per gold class, ece and majority_baseline."""
    out = {"accuracy": accuracy(gold, pred), "macro_f1": macro_f1(gold, pred, labels)}
    for label in labels:
        out[f"precision_{label}"], out[f"recall_{label}"], out[f"f1_{label}"] = precision_recall_f1(gold, pred, label)
    out["ece"] = expected_calibration_error(confidences, [g == p for g, p in zip(gold, pred)])
    out["majority_baseline"] = majority_baseline(gold)
    return out


def _same_length(a: Sequence[object], b: Sequence[object]) -> None:
    if len(a) != len(b):
        raise ValueError(f"length mismatch: {len(a)} vs {len(b)}")


def decide(probs: Mapping[str, float], two_class: bool) -> tuple[str, float, dict[str, float]]:
    """(label, confidence, probabilities used). Two-class: p(not_entailment) = p(neutral) + p(contradiction)."""
    if two_class:
        used = {"entailment": probs["entailment"], "not_entailment": probs["neutral"] + probs["contradiction"]}
    else:
        used = {label: probs[label] for label in THREE_CLASS}
    label = max(used, key=lambda k: used[k])  # ties go to the first in canonical order
    return label, used[label], used


# --------------------------------------------------------------------------------------
# The evaluator
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Prediction:
    example: Example
    pred: str
    probs: dict[str, float]  # the judge's three-way probabilities


@dataclass(frozen=True)
class EvalResult:
    name: str
    metrics: dict[str, float]
    labels: tuple[str, ...]  # gold classes (rows of the confusion matrix)
    outputs: tuple[str, ...]  # predicted classes (its columns)
    confusion: dict[str, dict[str, int]]
    predictions: tuple[Prediction, ...]
    skipped: dict[str, int] = field(default_factory=dict)
    available: int = 0
    primary_metric: str = PRIMARY_METRIC
    calibration: tuple[CalibrationBin, ...] = ()  # reliability-diagram bins of the top probability


class NLIEvaluator:
    """Accuracy, macro-F1, per-class P/R/F1 and calibration (ECE) of an NLI judge on labelled pairs.

    Gold labels use our names (entailment / neutral / contradiction, or entailment / not_entailment
    with ``two_class``). Call it with a judge: ``NLIEvaluator(pairs, labels)(judge) -> {metric: value}``.
    """

    primary_metric = PRIMARY_METRIC

    def __init__(self, pairs: Sequence[tuple[str, str]], labels: Sequence[str], *, name: str = "",
                 two_class: bool = False, rows: Sequence[int] | None = None, classes: Sequence[str] | None = None,
                 skipped: Mapping[str, int] | None = None, available: int | None = None,
                 verdicts: bool = False) -> None:
        """``classes``: the gold classes to report (default: those among ``labels``). ``verdicts``: also score
        the pipeline's verdict logic (premise = evidence, hypothesis = claim), as for claim-evidence sets."""
        if len(pairs) != len(labels):
            raise ValueError(f"{name or 'evaluator'}: {len(pairs)} pairs but {len(labels)} labels")
        if rows is not None and len(rows) != len(pairs):
            raise ValueError(f"{name or 'evaluator'}: {len(pairs)} pairs but {len(rows)} row numbers")
        allowed = TWO_CLASS if two_class else THREE_CLASS
        unknown = sorted(set(labels) - set(allowed))
        if unknown:
            raise ValueError(f"{name or 'evaluator'}: labels {unknown} are not among {list(allowed)}")
        row_numbers = list(rows) if rows is not None else list(range(len(pairs)))
        self.examples = [Example(p, h, g, r) for (p, h), g, r in zip(pairs, labels, row_numbers)]
        self.name = name
        self.two_class = two_class
        self.outputs = allowed
        wanted = set(classes if classes is not None else labels)
        self.labels = tuple(label for label in allowed if label in wanted)
        self.skipped = dict(skipped or {})
        self.available = len(pairs) if available is None else available
        self.verdicts = verdicts

    @classmethod
    def from_benchmark(cls, benchmark: Benchmark, data_dir: Path, limit: int | None = None) -> NLIEvaluator:
        """Load a benchmark's rows (MissingDataError when its files are absent)."""
        loaded = load_examples(benchmark, data_dir, limit)
        return cls.from_examples(loaded.examples, name=benchmark.name, two_class=benchmark.two_class,
                                 classes=benchmark.labels, skipped=loaded.skipped, available=loaded.available,
                                 verdicts=(benchmark.task == "claim-evidence" or benchmark.verdicts)
                                 and not benchmark.two_class)

    @classmethod
    def from_examples(cls, examples: Sequence[Example], **kwargs: Any) -> NLIEvaluator:
        return cls([(e.premise, e.hypothesis) for e in examples], [e.gold for e in examples],
                   rows=[e.row for e in examples], **kwargs)

    def __len__(self) -> int:
        return len(self.examples)

    def __call__(self, judge: Any, on_batch: Callable[[int], None] | None = None) -> dict[str, float | str]:
        """The flat metrics dict, plus "primary_metric"."""
        return {**self.evaluate(judge, on_batch).metrics, "primary_metric": self.primary_metric}

    def evaluate(self, judge: Any, on_batch: Callable[[int], None] | None = None) -> EvalResult:
        """Run the judge once over every pair (timed) and score its answers."""
        texts = [(e.premise, e.hypothesis) for e in self.examples]
        start = time.perf_counter()
        probs = judge.predict(texts, on_batch) if texts else []
        elapsed = time.perf_counter() - start
        _check_probs(probs, len(texts), self.name)
        decided = [decide(p, self.two_class) for p in probs]
        gold = [e.gold for e in self.examples]
        pred = [label for label, _, _ in decided]
        confidences = [conf for _, conf, _ in decided]
        metrics = classification_metrics(gold, pred, confidences, self.labels)
        bins = reliability_bins(confidences, [g == p for g, p in zip(gold, pred)])
        metrics = {k: round(v, 4) for k, v in metrics.items()}
        if texts and set(self.labels) < set(self.outputs):
            # a set without some of our labels (FEVER has no neutral): also score the argmax over its labels only
            restricted = [max(self.labels, key=lambda k: used[k]) for _, _, used in decided]
            metrics["accuracy_gold_labels"] = round(accuracy(gold, restricted), 4)
        if texts and self.verdicts:
            metrics |= self._verdict_metrics(judge, probs, gold)
        metrics["n"] = float(len(texts))
        metrics["pairs_per_s"] = round(len(texts) / elapsed, 1) if texts and elapsed > 0 else 0.0
        predictions = tuple(Prediction(e, label, dict(p)) for e, label, p in zip(self.examples, pred, probs))
        return EvalResult(self.name, metrics, self.labels, self.outputs, confusion(gold, pred, self.outputs),
                          predictions, self.skipped, self.available, calibration=tuple(b.rounded() for b in bins))


    def _verdict_metrics(self, judge: Any, forward: Sequence[Mapping[str, float]], gold: Sequence[str]) -> dict[str, float]:
        """Accuracy and macro-F1 of the pipeline's verdicts (NLI both ways + value/entity/time checks)."""
        from verify.verdict.aggregate import Aggregator
        from verify.extract.claims import claim_from_text
        from verify.records import ClaimPair, Judgement

        backward = judge.predict([(e.hypothesis, e.premise) for e in self.examples])
        aggregator = Aggregator()
        predicted = []
        for example, fwd, bwd in zip(self.examples, forward, backward):
            pair = ClaimPair(claim_from_text(example.premise, article_id="a:evidence", source="evidence"),
                             claim_from_text(example.hypothesis, article_id="a:claim", source="claim"), 1.0)
            verdict = aggregator.decide(Judgement(pair, dict(fwd), dict(bwd))).verdict
            predicted.append(VERDICT_TO_LABEL[verdict])
        return {"verdict_accuracy": round(accuracy(gold, predicted), 4),
                "verdict_macro_f1": round(macro_f1(gold, predicted, self.labels), 4)}


# the pipeline's verdicts as NLI labels, for scoring claim-evidence sets through the verdict logic
VERDICT_TO_LABEL = {"support": "entailment", "contradict": "contradiction", "disputed": "contradiction",
                    "different-time": "neutral", "neutral": "neutral"}


def _check_probs(probs: Sequence[Mapping[str, float]], n: int, name: str) -> None:
    if len(probs) != n:
        raise VerifyError(f"{name}: the judge returned {len(probs)} answers for {n} pairs")
    for p in probs[:1]:
        missing = [label for label in THREE_CLASS if label not in p]
        if missing:
            raise VerifyError(f"{name}: the judge's answers lack {missing}; "
                              "it must return entailment/neutral/contradiction")


# --------------------------------------------------------------------------------------
# Results: schema and writers
# --------------------------------------------------------------------------------------
class ModelInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    path: str | None = None
    revision: str | None = None
    origin: str | None = None


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suite: str | None = None  # "quick" | "full" | None (a single file)
    limit: int | None = None
    data_dir: str | None = None


class BenchmarkResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    task: str
    split: str
    use: str
    licence: str
    version: float
    files: list[str]
    two_class: bool
    limit: int | None  # rows asked for (None: all)
    n_available: int  # usable rows before the limit
    primary_metric: str
    metrics: dict[str, float]
    labels: list[str]
    confusion: dict[str, dict[str, int]]  # gold -> predicted -> count
    skipped_rows: dict[str, int]
    anchors: list[Anchor]
    calibration: list[CalibrationBin] = Field(default_factory=list)  # non-empty bins, for the reliability diagram


class RunResults(BaseModel):
    """results.json. Metrics are fractions in [0, 1]; n and pairs_per_s are counts and rates."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    verify_version: str = __version__
    created: str
    git_commit: str | None
    model: ModelInfo
    device: str
    backend: str | None = None  # verify.models.runtime backend (torch, torch-bf16, onnx-int8...) for real models
    batch_size: int | None
    versions: dict[str, str | None]
    config: RunConfig
    complete: bool = False  # false while running or after an interruption
    benchmarks: dict[str, BenchmarkResult] = Field(default_factory=dict)
    skipped: dict[str, str] = Field(default_factory=dict)  # benchmark -> why (missing data)


def git_commit(cwd: Path = ROOT) -> str | None:
    """`git rev-parse HEAD` of the checkout, or None outside git / before the first commit."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def library_versions() -> dict[str, str | None]:
    def version(dist: str) -> str | None:
        try:
            return importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            return None

    return {"verify": __version__, "python": platform.python_version(), "torch": version("torch"),
            "transformers": version("transformers"), "onnxruntime": version("onnxruntime")}


def describe_judge(judge: Any) -> tuple[ModelInfo, str, int | None]:
    """(model info, device, batch size) of an NLIJudge or a fake."""
    resolved = getattr(judge, "resolved", None)
    info = ModelInfo(
        name=str(getattr(judge, "name", type(judge).__name__)),
        path=getattr(resolved, "path", None), revision=getattr(resolved, "revision", None),
        origin=getattr(resolved, "origin", None),
    )
    return info, str(getattr(judge, "device", "cpu")), getattr(judge, "batch_size", None)


def new_results(judge: Any, config: RunConfig) -> RunResults:
    info, device, batch_size = describe_judge(judge)
    return RunResults(
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"), git_commit=git_commit(), model=info,
        device=device, backend=getattr(judge, "backend", None), batch_size=batch_size, versions=library_versions(),
        config=config,
    )


def benchmark_result(bench: Benchmark, result: EvalResult, limit: int | None) -> BenchmarkResult:
    return BenchmarkResult(
        task=bench.task, split=bench.split, use=bench.use, licence=bench.licence, version=bench.metadata.version,
        files=list(bench.files), two_class=bench.two_class, limit=limit, n_available=result.available,
        primary_metric=result.primary_metric, metrics=result.metrics, labels=list(result.labels),
        confusion=result.confusion, skipped_rows=result.skipped, anchors=list(bench.anchors),
        calibration=list(result.calibration),
    )


def sample_lines(result: EvalResult) -> list[str]:
    """samples.jsonl lines: every prediction with its inputs, gold label and probabilities."""
    return [
        json.dumps({"benchmark": result.name, "index": p.example.row, "premise": p.example.premise,
                    "hypothesis": p.example.hypothesis, "gold": p.example.gold, "pred": p.pred, "probs": p.probs},
                   ensure_ascii=False)
        for p in result.predictions
    ]


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def format_anchors(anchors: Sequence[Anchor]) -> str:
    return "; ".join(f"{a.system} {_pct(a.score)} ({a.metric.replace('_', '-')})" for a in anchors)


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown(results: RunResults) -> str:
    """results.md: one table row per benchmark (percentages), then skipped sets and confusion matrices."""
    head = [
        "# verify evaluation", "",
        f"Model `{_md(results.model.name)}` (revision {results.model.revision or '-'}) on {results.device}, "
        f"created {results.created}, suite {results.config.suite or '-'}"
        + (f", limit {results.config.limit}" if results.config.limit else "")
        + ("" if results.complete else " - **incomplete run**") + ".",
        "", "Figures are percentages; ECE is expected calibration error (10 bins, lower is better).", "",
        "| benchmark | n | accuracy | macro-F1 | ECE | pairs/s | anchors |", "|---|---:|---:|---:|---:|---:|---|",
    ]
    rows = [
        f"| {name} | {int(r.metrics['n'])} | {_pct(r.metrics['accuracy'])} | {_pct(r.metrics['macro_f1'])} | "
        f"{_pct(r.metrics['ece'])} | {r.metrics['pairs_per_s']:.0f} | {_md(format_anchors(r.anchors))} |"
        for name, r in results.benchmarks.items()
    ]
    tail: list[str] = []
    if results.skipped:
        tail += ["", "## Skipped", ""] + [f"- {name}: {_md(why)}" for name, why in results.skipped.items()]
    for name, r in results.benchmarks.items():
        outputs = list(next(iter(r.confusion.values()), {}))
        tail += ["", f"### {name}: confusion (rows gold, columns predicted)", "",
                 "| gold \\ pred | " + " | ".join(outputs) + " |", "|---|" + "---:|" * len(outputs)]
        tail += [f"| {g} | " + " | ".join(str(r.confusion[g][p]) for p in outputs) + " |" for g in r.labels]
    return "\n".join(head + rows + tail) + "\n"


class ResultsWriter:
    """Keeps results.json, samples.jsonl and results.md in `out_dir` current, each rewritten atomically."""

    def __init__(self, out_dir: Path, results: RunResults) -> None:
        self.out_dir = out_dir
        self.results = results
        self.samples: list[str] = []
        out_dir.mkdir(parents=True, exist_ok=True)

    def flush(self) -> None:
        write_atomic(self.out_dir / "results.json", self.results.model_dump_json(indent=2) + "\n")
        write_atomic(self.out_dir / "samples.jsonl", "".join(line + "\n" for line in self.samples))
        write_atomic(self.out_dir / "results.md", render_markdown(self.results))

    def add(self, name: str, result: BenchmarkResult, samples: list[str]) -> None:
        self.results.benchmarks[name] = result
        self.samples += samples
        self.flush()

    def skip(self, name: str, why: str) -> None:
        self.results.skipped[name] = why
        self.flush()

    def finish(self) -> RunResults:
        self.results.complete = True
        self.flush()
        return self.results

    @property
    def paths(self) -> list[Path]:
        return [self.out_dir / n for n in ("results.json", "samples.jsonl", "results.md")]


def _no_progress(name: str, total: int) -> Callable[[int], None]:
    return lambda n: None


def run_suite(benchmarks: Sequence[Benchmark], judge: Any, out_dir: Path, *, data_dir: Path,
              limit: int | None = None, quick: bool = False, on_progress: ProgressFactory = _no_progress,
              on_skip: Callable[[str, str], None] | None = None) -> RunResults:
    """Evaluate `judge` on each benchmark, writing results after each one.

    ``quick`` caps every benchmark at its ``quick_limit``; ``limit`` caps every benchmark too (the smaller
    wins). A benchmark whose files are missing is recorded under ``skipped`` and reported via ``on_skip``.
    """
    config = RunConfig(suite="quick" if quick else "full", limit=limit, data_dir=str(data_dir))
    writer = ResultsWriter(out_dir, new_results(judge, config))
    writer.flush()
    for bench in benchmarks:
        cap = _smaller(limit, bench.quick_limit if quick else None)
        try:
            evaluator = NLIEvaluator.from_benchmark(bench, data_dir, cap)
        except MissingDataError as exc:
            log.info("skipping %s: %s", bench.name, exc)
            writer.skip(bench.name, str(exc))
            if on_skip:
                on_skip(bench.name, str(exc))
            continue
        result = evaluator.evaluate(judge, on_progress(bench.name, len(evaluator)))
        log.info("%s: accuracy %.4f on %d pairs", bench.name, result.metrics["accuracy"], len(evaluator))
        writer.add(bench.name, benchmark_result(bench, result, cap), sample_lines(result))
    return writer.finish()


def _smaller(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


# --------------------------------------------------------------------------------------
# Several models on the same benchmarks
# --------------------------------------------------------------------------------------
class ComparedModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    folder: str  # its results.json, samples.jsonl and results.md are in <out>/<folder>/
    model: ModelInfo
    device: str
    complete: bool


class Comparison(BaseModel):
    """comparison.json: the models' scores side by side. Metrics are fractions in [0, 1]."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["1.0"] = SCHEMA_VERSION
    verify_version: str = __version__
    created: str
    git_commit: str | None
    config: RunConfig | None
    complete: bool = False  # true once every model named has finished
    models: dict[str, ComparedModel] = Field(default_factory=dict)  # by the name given to --compare
    benchmarks: dict[str, dict[str, dict[str, float]]] = Field(default_factory=dict)  # bench -> model -> metrics
    anchors: dict[str, list[Anchor]] = Field(default_factory=dict)


COMPARED_METRICS: tuple[str, ...] = ("accuracy", "macro_f1", "ece", "n")


def model_slug(name: str) -> str:
    """A folder name for a model: 'cross-encoder/nli-deberta-v3-base' -> 'cross-encoder-nli-deberta-v3-base'."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"


def parse_models(text: str) -> dict[str, str]:
    """'m1,m2' -> {model: folder}; names are kept once each and must give distinct folders."""
    folders: dict[str, str] = {}
    for name in dict.fromkeys(filter(None, (part.strip() for part in text.split(",")))):
        slug = model_slug(name)
        clash = next((other for other, s in folders.items() if s == slug), None)
        if clash is not None:
            raise ConfigError(f"--compare: {clash!r} and {name!r} would both write to {slug}/; name them differently")
        folders[name] = slug
    if not folders:
        raise ConfigError('--compare: name the models, e.g. --compare "verify-nli-minilm,nli-deberta-v3-base"')
    return folders


def compare_runs(runs: Mapping[str, RunResults], folders: Mapping[str, str], complete: bool = False) -> Comparison:
    """The comparison of finished (or partial) runs, keyed by model name; benchmarks in first-seen order."""
    first = next(iter(runs.values()), None)
    comparison = Comparison(
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"), git_commit=git_commit(),
        config=first.config if first else None, complete=complete,
    )
    for name, run in runs.items():
        comparison.models[name] = ComparedModel(folder=folders[name], model=run.model, device=run.device,
                                                complete=run.complete)
        for bench, result in run.benchmarks.items():
            comparison.benchmarks.setdefault(bench, {})[name] = {k: result.metrics[k] for k in COMPARED_METRICS}
            comparison.anchors.setdefault(bench, list(result.anchors))
    return comparison


def render_comparison(comparison: Comparison) -> str:
    """comparison.md: benchmark x model accuracy and macro-F1 (percentages, best accuracy in bold), anchors."""
    names = list(comparison.models)
    config = comparison.config
    head = [
        "# verify comparison", "",
        ", ".join(f"`{_md(n)}` ({m.folder}/)" for n, m in comparison.models.items())
        + f"; created {comparison.created}, suite {config.suite if config else '-'}"
        + (f", limit {config.limit}" if config and config.limit else "")
        + ("" if comparison.complete else " - **incomplete run**") + ".", "",
        "Figures are percentages; each model's folder holds its results.md with ECE and confusion matrices.", "",
        "| benchmark | n | " + " | ".join(f"{_md(n)} accuracy | {_md(n)} macro-F1" for n in names) + " | anchors |",
        "|---|---:|" + "---:|---:|" * len(names) + "---|",
    ]
    rows = []
    for bench, scores in comparison.benchmarks.items():
        best = max(s["accuracy"] for s in scores.values())
        cells = []
        for name in names:
            s = scores.get(name)
            acc = "-" if s is None else _pct(s["accuracy"])
            cells += [f"**{acc}**" if s is not None and len(scores) > 1 and s["accuracy"] == best else acc,
                      "-" if s is None else _pct(s["macro_f1"])]
        n = int(next(iter(scores.values()))["n"])
        rows.append(f"| {bench} | {n} | " + " | ".join(cells) + f" | {_md(format_anchors(comparison.anchors[bench]))} |")
    return "\n".join(head + rows) + "\n"


def write_comparison(out_dir: Path, comparison: Comparison) -> list[Path]:
    """comparison.json and comparison.md in `out_dir`, each rewritten atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "comparison.json", out_dir / "comparison.md"]
    write_atomic(paths[0], comparison.model_dump_json(indent=2) + "\n")
    write_atomic(paths[1], render_comparison(comparison))
    return paths


def run_comparison(benchmarks: Sequence[Benchmark], models: Mapping[str, str], load: Callable[[str], Any],
                   out_dir: Path, *, data_dir: Path, limit: int | None = None, quick: bool = False,
                   on_progress: ProgressFactory = _no_progress,
                   on_skip: Callable[[str, str], None] | None = None) -> dict[str, RunResults]:
    """`run_suite` for each model ({name: folder}, loaded one at a time by `load(name)`) into
    ``out_dir/<folder>/``; ``comparison.json`` and ``comparison.md`` are rewritten after each model."""
    runs: dict[str, RunResults] = {}
    for name, folder in models.items():
        judge = load(name)
        runs[name] = run_suite(benchmarks, judge, out_dir / folder, data_dir=data_dir, limit=limit, quick=quick,
                               on_progress=on_progress,
                               on_skip=None if runs else on_skip)  # missing data is the same for all
        del judge
        write_comparison(out_dir, compare_runs(runs, models, complete=len(runs) == len(models)))
    return runs


# --------------------------------------------------------------------------------------
# Ad-hoc files and judges
# --------------------------------------------------------------------------------------
def guess_format(path: str) -> Format:
    """jsonl/json -> jsonl, tsv/txt -> tsv, csv -> csv (for 'x.zip:member', the member's suffix)."""
    name = path.rpartition(".zip:")[2] if ".zip:" in path else path
    suffix = Path(name).suffix.lower()
    formats: dict[str, Format] = {".jsonl": "jsonl", ".json": "jsonl", ".tsv": "tsv", ".txt": "tsv", ".csv": "csv"}
    if suffix not in formats:
        raise InputError(f"{path}: cannot tell the format from {suffix or 'no suffix'!r}; "
                         "pass --format jsonl, tsv or csv")
    return formats[suffix]


def parse_label_map(text: str) -> dict[str, str]:
    """'0=entailment,1=neutral,2=contradiction' -> {'0': 'entailment', ...} (targets checked)."""
    mapping: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        raw, sep, target = item.partition("=")
        target = target.strip().lower()
        if not sep or target not in LABEL_ORDER:
            raise ConfigError(f"label map item {item!r}: write RAW=LABEL with LABEL one of {', '.join(LABEL_ORDER)}")
        mapping[raw.strip()] = target
    if not mapping:
        raise ConfigError("empty label map; e.g. --label-map \"0=entailment,1=neutral,2=contradiction\"")
    return mapping


def file_source(spec: str) -> Source:
    """A user-named file or 'x.zip:member', checked to exist."""
    zip_part, sep, member = spec.partition(".zip:")
    path = Path(f"{zip_part}.zip" if sep else spec).expanduser()
    if not path.is_file():
        raise InputError(f"{path}: no such file; check --data")
    if sep and member not in (members := zip_members(path)):
        raise InputError(f"{path}: no member {member!r} in the zip (members: {', '.join(members[:5])})")
    return Source(path, member or None)


def file_evaluator(path: str | Path, *, premise_field: str = "premise", hypothesis_field: str = "hypothesis",
                   label_field: str = "label", label_map: Mapping[str, str] | None = None, limit: int | None = None,
                   fmt: Format | None = None) -> NLIEvaluator:
    """An evaluator over any jsonl/tsv/csv file (or 'x.zip:member'); two-class when gold says not_entailment."""
    spec = str(path)
    source = file_source(spec)
    fmt = fmt or guess_format(spec)
    records = read_source(source, fmt)
    name = Path(source.member or source.path).stem
    examples, skipped = to_examples(records, premise_field=premise_field, hypothesis_field=hypothesis_field,
                                    label_field=label_field, label_map=label_map or DEFAULT_LABEL_MAP, name=spec)
    golds = {e.gold for e in examples}
    two_class = "not_entailment" in golds
    if two_class and golds & {"neutral", "contradiction"}:
        raise InputError(f"{spec}: labels mix not_entailment with neutral/contradiction; map them to one scheme")
    available = len(examples)
    return NLIEvaluator.from_examples(subsample(examples, limit), name=name, two_class=two_class,
                                      skipped=skipped, available=available)


def evaluate_file(path: str | Path, judge: Any, *, premise_field: str = "premise", hypothesis_field: str = "hypothesis",
                  label_field: str = "label", label_map: Mapping[str, str] | None = None, limit: int | None = None,
                  fmt: Format | None = None, on_batch: Callable[[int], None] | None = None) -> EvalResult:
    """Score `judge` on a labelled file without a benchmark YAML."""
    evaluator = file_evaluator(path, premise_field=premise_field, hypothesis_field=hypothesis_field,
                               label_field=label_field, label_map=label_map, limit=limit, fmt=fmt)
    return evaluator.evaluate(judge, on_batch)
