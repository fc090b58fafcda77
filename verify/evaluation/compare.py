"""Several models on the same benchmarks: comparison.json (`Comparison`) and comparison.md side by side."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from verify import __version__
from verify.errors import ConfigError
from verify.evaluation.benchmarks import Anchor
from verify.evaluation.results import (
    SCHEMA_VERSION,
    ModelInfo,
    RunConfig,
    RunResults,
    format_anchors,
    git_commit,
    md_cell,
    pct,
)
from verify.report import write_atomic


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
        created=datetime.now(UTC).isoformat(timespec="seconds"), git_commit=git_commit(),
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
        ", ".join(f"`{md_cell(n)}` ({m.folder}/)" for n, m in comparison.models.items())
        + f"; created {comparison.created}, suite {config.suite if config else '-'}"
        + (f", limit {config.limit}" if config and config.limit else "")
        + ("" if comparison.complete else " - **incomplete run**") + ".", "",
        "Figures are percentages; each model's folder holds its results.md with ECE and confusion matrices.", "",
        "| benchmark | n | " + " | ".join(f"{md_cell(n)} accuracy | {md_cell(n)} macro-F1" for n in names) + " | anchors |",
        "|---|---:|" + "---:|---:|" * len(names) + "---|",
    ]
    rows = []
    for bench, scores in comparison.benchmarks.items():
        best = max(s["accuracy"] for s in scores.values())
        cells = []
        for name in names:
            s = scores.get(name)
            acc = "-" if s is None else pct(s["accuracy"])
            cells += [f"**{acc}**" if s is not None and len(scores) > 1 and s["accuracy"] == best else acc,
                      "-" if s is None else pct(s["macro_f1"])]
        n = int(next(iter(scores.values()))["n"])
        rows.append(f"| {bench} | {n} | " + " | ".join(cells) + f" | {md_cell(format_anchors(comparison.anchors[bench]))} |")
    return "\n".join(head + rows) + "\n"


def write_comparison(out_dir: Path, comparison: Comparison) -> list[Path]:
    """comparison.json and comparison.md in `out_dir`, each rewritten atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "comparison.json", out_dir / "comparison.md"]
    write_atomic(paths[0], comparison.model_dump_json(indent=2) + "\n")
    write_atomic(paths[1], render_comparison(comparison))
    return paths
