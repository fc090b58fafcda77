"""results.json, samples.jsonl and results.md of a suite run: the schema (`RunResults`), provenance (git
commit, library versions, the judge) and `ResultsWriter`, which rewrites the three files atomically after each
benchmark so an interrupted run keeps what it finished.

All metrics are fractions in [0, 1]; published anchor figures are stored in the same unit.
"""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from verify import __version__
from verify.evaluation import ROOT
from verify.evaluation.benchmarks import Anchor, Benchmark
from verify.evaluation.evaluator import EvalResult
from verify.evaluation.metrics import CalibrationBin
from verify.report import write_atomic

SCHEMA_VERSION = "1.0"
RESULT_FILES: tuple[str, ...] = ("results.json", "samples.jsonl", "results.md")


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
        created=datetime.now(UTC).isoformat(timespec="seconds"), git_commit=git_commit(), model=info,
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


def pct(value: float | None) -> str:
    """A fraction as a percentage with one decimal ('' for None)."""
    return "" if value is None else f"{100 * value:.1f}"


def format_anchors(anchors: Sequence[Anchor]) -> str:
    """'system 84.6 (accuracy); ...': the published figures, for a table cell."""
    return "; ".join(f"{a.system} {pct(a.score)} ({a.metric.replace('_', '-')})" for a in anchors)


def md_cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown(results: RunResults) -> str:
    """results.md: one table row per benchmark (percentages), then skipped sets and confusion matrices."""
    head = [
        "# verify evaluation", "",
        f"Model `{md_cell(results.model.name)}` (revision {results.model.revision or '-'}) on {results.device}, "
        f"created {results.created}, suite {results.config.suite or '-'}"
        + (f", limit {results.config.limit}" if results.config.limit else "")
        + ("" if results.complete else " - **incomplete run**") + ".",
        "", "Figures are percentages; ECE is expected calibration error (10 bins, lower is better).", "",
        "| benchmark | n | accuracy | macro-F1 | ECE | pairs/s | anchors |", "|---|---:|---:|---:|---:|---:|---|",
    ]
    rows = [
        f"| {name} | {int(r.metrics['n'])} | {pct(r.metrics['accuracy'])} | {pct(r.metrics['macro_f1'])} | "
        f"{pct(r.metrics['ece'])} | {r.metrics['pairs_per_s']:.0f} | {md_cell(format_anchors(r.anchors))} |"
        for name, r in results.benchmarks.items()
    ]
    tail: list[str] = []
    if results.skipped:
        tail += ["", "## Skipped", ""] + [f"- {name}: {md_cell(why)}" for name, why in results.skipped.items()]
    for name, r in results.benchmarks.items():
        outputs = list(next(iter(r.confusion.values()), {}))
        tail += ["", f"### {name}: confusion (rows gold, columns predicted)", "",
                 "| gold \\ pred | " + " | ".join(outputs) + " |", "|---|" + "---:|" * len(outputs)]
        tail += [f"| {g} | " + " | ".join(str(r.confusion[g][p]) for p in outputs) + " |" for g in r.labels]
    return "\n".join(head + rows + tail) + "\n"


def write_result_files(out_dir: Path, results_json: str, samples: Iterable[str], markdown: str) -> list[Path]:
    """`RESULT_FILES` in `out_dir` (samples one per line), each rewritten atomically: an interrupted run keeps
    the files of the last benchmark it finished."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / name for name in RESULT_FILES]
    for path, text in zip(paths, (results_json, "".join(line + "\n" for line in samples), markdown)):
        write_atomic(path, text)
    return paths


class ResultsWriter:
    """Keeps results.json, samples.jsonl and results.md in `out_dir` current, each rewritten atomically."""

    def __init__(self, out_dir: Path, results: RunResults) -> None:
        self.out_dir = out_dir
        self.results = results
        self.samples: list[str] = []

    def flush(self) -> None:
        write_result_files(self.out_dir, self.results.model_dump_json(indent=2) + "\n", self.samples,
                           render_markdown(self.results))

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
