"""results.json, samples.jsonl and results.md of `verify eval news`: the schema (`NewsResults`) and the
Markdown tables (percentages with 95% cluster-bootstrap intervals)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from verify import __version__
from verify.evaluation.results import write_result_files


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
    """Rewrite the three files atomically (after each benchmark, so an interrupted run keeps what it finished)."""
    return write_result_files(out_dir, results.model_dump_json(indent=2) + "\n", samples, render_markdown(results))
