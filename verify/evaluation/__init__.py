"""The evaluation wing: it imports the core and the core never imports it.

- the NLI benchmark suite: ``benchmarks`` (YAML and rows), ``evaluator`` (a judge on labelled pairs),
  ``results`` (results.json / .md), ``compare`` (several models), ``suite`` (running them), ``plots``;
- real news through the pipeline: ``news_data`` (benchmarks and items), ``news`` (the harness and the run),
  ``news_scoring`` (systems and figures), ``news_results``, and ``fit`` (the verdict parameters);
- ``metrics`` (every metric, once), ``e2e`` (gold pairs on the seed articles), ``edits`` (value-edit pairs),
  ``bench`` (speed and memory at scale).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout: evaluations/ (benchmarks, data, results) lives here
ProgressFactory = Callable[[str, int], Callable[[int], None]]  # (task name, total) -> advance(n)
