"""Evaluation results -> PNG: confusion matrices, reliability diagrams and accuracy bars.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot: no windows, no global backend switch)
and written atomically with the project's one `write_atomic` (temporary file beside the target, fsync, rename).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from verify.evaluation.benchmarks import Anchor
from verify.evaluation.metrics import CalibrationBin, calibration_error, pool_bins
from verify.evaluation.results import RunResults
from verify.report import write_atomic

DPI = 110
ANCHOR_STYLE = {"marker": "D", "color": "black", "s": 28, "zorder": 3}


def _figure(width: float, height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height), dpi=DPI, layout="tight")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def save_png(fig: Figure, path: Path) -> Path:
    """Render `fig` as PNG and write it over `path` atomically (`verify.report.write_atomic`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=DPI, bbox_inches="tight")
    write_atomic(path, png.getvalue())
    return path


def _label(name: str) -> str:
    return name.replace("_", " ")


def confusion_png(result: Any, path: Path, *, name: str = "") -> Path:
    """A confusion matrix with counts: rows gold, columns predicted (a BenchmarkResult or an EvalResult)."""
    name = name or getattr(result, "name", "")
    gold = list(result.labels)
    predicted = list(result.confusion[gold[0]]) if gold else []
    counts = [[result.confusion[g][p] for p in predicted] for g in gold]
    fig, ax = _figure(1.6 + 1.15 * max(len(predicted), 2), 1.3 + 0.8 * max(len(gold), 2))
    total = sum(map(sum, counts))
    ax.set_title(f"{name}: confusion (n={total})" if name else f"confusion (n={total})")
    if counts:
        top = max(max(map(max, counts)), 1)
        ax.imshow(counts, cmap="Blues", vmin=0, vmax=top, aspect="auto")
        for i, row in enumerate(counts):
            for j, count in enumerate(row):
                ax.text(j, i, str(count), ha="center", va="center", fontsize=10,
                        color="white" if count > top / 2 else "black")
    ax.set_xticks(range(len(predicted)), [_label(p) for p in predicted])
    ax.set_yticks(range(len(gold)), [_label(g) for g in gold])
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    return save_png(fig, path)


def reliability_png(results: Mapping[str, Sequence[CalibrationBin]], path: Path, *,
                    title: str = "Reliability") -> Path:
    """Accuracy against mean confidence per bin, one line per entry (a benchmark or a model), ECE in the legend."""
    fig, ax = _figure(6.4 if len(results) > 1 else 4.6, 4.2)
    if len(results) > 10:  # the default cycle repeats after 10 colours
        ax.set_prop_cycle(color=colormaps["tab20"].colors)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect calibration")
    for name, bins in results.items():
        if bins:
            ax.plot([b.confidence for b in bins], [b.accuracy for b in bins], marker="o", markersize=4,
                    label=f"{name} (ECE {100 * calibration_error(bins):.1f}%)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("confidence (mean top probability in the bin)")
    ax.set_ylabel("accuracy")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(results) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize=8, frameon=False)
    else:
        ax.legend(loc="upper left", fontsize=8)
    return save_png(fig, path)


def accuracy_png(table: Mapping[str, Mapping[str, float]], path: Path, *,
                 anchors: Mapping[str, Sequence[Anchor]] | None = None, metric: str = "accuracy",
                 title: str = "") -> Path:
    """Grouped bars, one group per benchmark and one bar per model ({model: {benchmark: score}}), with the
    published anchors for the same metric drawn as black diamonds."""
    models = list(table)
    benchmarks = list(dict.fromkeys(b for scores in table.values() for b in scores))
    width = 0.8 / max(len(models), 1)
    fig, ax = _figure(min(2.5 + len(benchmarks) * (0.45 + 0.25 * len(models)), 16), 4.2)
    for k, model in enumerate(models):
        xs = [i for i, b in enumerate(benchmarks) if b in table[model]]
        heights = [table[model][benchmarks[i]] for i in xs]
        bars = ax.bar([x - 0.4 + width * (k + 0.5) for x in xs], heights, width, label=model)
        if len(models) * len(benchmarks) <= 24:
            ax.bar_label(bars, labels=[f"{100 * h:.0f}" for h in heights], fontsize=7, padding=1)
    marked = False
    for i, bench in enumerate(benchmarks):
        for anchor in (a for a in (anchors or {}).get(bench, ()) if a.metric == metric):
            ax.scatter([i], [anchor.score], label=None if marked else "published anchor", **ANCHOR_STYLE)
            ax.annotate(anchor.system, (i, anchor.score), xytext=(5, 3), textcoords="offset points", fontsize=7)
            marked = True
    ax.set_xticks(range(len(benchmarks)), benchmarks, rotation=30, ha="right")
    ax.set_xlim(-0.6, max(len(benchmarks), 1) - 0.4)
    ax.set_ylim(0, 1.08)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(_label(metric))
    ax.set_title(title or f"{_label(metric).capitalize()} per benchmark")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False)
    return save_png(fig, path)


def write_run_plots(results: RunResults, out_dir: Path) -> list[Path]:
    """One run's plots: confusion_<benchmark>.png each, reliability.png (a line per benchmark), accuracy.png."""
    if not results.benchmarks:
        return []
    benches = results.benchmarks
    paths = [confusion_png(r, out_dir / f"confusion_{name}.png", name=name) for name, r in benches.items()]
    paths.append(reliability_png({name: r.calibration for name, r in benches.items()}, out_dir / "reliability.png",
                                 title=f"Reliability: {results.model.name}"))
    paths.append(accuracy_png({results.model.name: {name: r.metrics["accuracy"] for name, r in benches.items()}},
                              out_dir / "accuracy.png", anchors={name: r.anchors for name, r in benches.items()},
                              title=f"Accuracy per benchmark: {results.model.name}"))
    return paths


def write_comparison_plots(runs: Mapping[str, RunResults], out_dir: Path) -> list[Path]:
    """Several models: accuracy.png (grouped bars per benchmark), reliability.png (a line per model, all
    benchmarks pooled)."""
    if not any(run.benchmarks for run in runs.values()):
        return []
    table = {name: {b: r.metrics["accuracy"] for b, r in run.benchmarks.items()} for name, run in runs.items()}
    anchors = {b: r.anchors for run in runs.values() for b, r in run.benchmarks.items()}
    curves = {name: pool_bins(r.calibration for r in run.benchmarks.values()) for name, run in runs.items()}
    return [
        accuracy_png(table, out_dir / "accuracy.png", anchors=anchors, title="Accuracy per benchmark"),
        reliability_png(curves, out_dir / "reliability.png", title="Reliability (all benchmarks pooled)"),
    ]
