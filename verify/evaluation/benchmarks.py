"""Benchmark definitions and their rows: YAML -> `Benchmark`, data files -> labelled `Example`s.

A benchmark is data, not code: a YAML file in ``evaluations/benchmarks/`` (validated by `Benchmark`) names
the files, the fields and an explicit label map. `load_examples` reads its files (globs, zip members; jsonl,
tsv or csv), flattens nested lists, runs an optional row hook, maps the labels, takes the training script's
held-out rows when asked, and draws a seeded subset. `file_source`, `guess_format` and `parse_label_map` do
the same for an ad-hoc file named on the command line.
"""

from __future__ import annotations

import csv
import glob
import importlib
import io
import json
import logging
import random
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from verify.errors import ConfigError, InputError
from verify.evaluation import ROOT
from verify.registry import Registry

log = logging.getLogger(__name__)

Format = Literal["jsonl", "tsv", "csv"]
GoldLabel = Literal["entailment", "neutral", "contradiction", "not_entailment"]

THREE_CLASS: tuple[str, ...] = ("entailment", "neutral", "contradiction")
TWO_CLASS: tuple[str, ...] = ("entailment", "not_entailment")
LABEL_ORDER: tuple[str, ...] = (*THREE_CLASS, "not_entailment")
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
# Ad-hoc files named on the command line
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
