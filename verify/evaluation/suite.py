"""Run the benchmark suite: each benchmark's examples through a judge, results written as each one finishes.

`run_suite` runs many benchmarks with one judge and writes ``results.json``, ``samples.jsonl`` and
``results.md``; `run_comparison` runs the suite for several models, one folder each, plus ``comparison.json`` /
``.md``. The pieces: `benchmarks` (YAML and rows), `evaluator` (scoring a judge), `metrics`, `results` (schema
and files), `compare` (side by side).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from verify.evaluation import ProgressFactory
from verify.evaluation.benchmarks import Benchmark, MissingDataError
from verify.evaluation.compare import compare_runs, write_comparison
from verify.evaluation.evaluator import NLIEvaluator
from verify.evaluation.results import (
    ResultsWriter,
    RunConfig,
    RunResults,
    benchmark_result,
    new_results,
    sample_lines,
)

log = logging.getLogger(__name__)


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
