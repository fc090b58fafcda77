"""`verify bench`: time and memory of the pipeline on corpora of growing size, against the naive way."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from verify.cli._common import err, quiet_libraries, setup_logging, user_errors

DEFAULT_OUT = Path("evaluations/results/bench-cpu")


def bench(
    sizes: Annotated[str, typer.Option(help="Corpus sizes in claims, comma-separated.")] = "1000,10000,100000",
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Write results.json, results.md and a PNG here.")] = DEFAULT_OUT,
    data_dir: Annotated[Path | None, typer.Option(help="The shared data folder (default: $VERIFY_DATA_DIR, else ../shared/data).")] = None,
    baseline_sample: Annotated[int, typer.Option(min=32, help="Pairs the naive baseline scores per size (then extrapolated).")] = 2000,
    add_runs: Annotated[int, typer.Option(min=1, max=9, help=(
        "Fresh processes adding the article per size, in rounds across the sizes once all are filled "
        "(median reported)."))] = 5,
    backend: Annotated[str | None, typer.Option(help="NLI backend: auto, torch, torch-bf16, onnx or onnx-int8.")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu or cuda.")] = None,
    engine: Annotated[str | None, typer.Option(help="local or ray.")] = None,
    embed_model: Annotated[str | None, typer.Option(help="Embedding alias (hash: the fake, no naive baseline).")] = None,
    nli_model: Annotated[str | None, typer.Option(help="NLI alias (keyword: the fake, no naive baseline).")] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logging.")] = 0,
) -> None:
    """Build corpora of about SIZES claims from real sentences (kept under <cache_dir>/bench for the next run),
    run verify on each in a fresh process and record wall time per stage, peak memory, pairs and recall, the
    naive CrossEncoder baseline, and the time to add one article to the stored corpus in a fresh `verify claims`
    process, with its pairs against a from-scratch pairing."""
    setup_logging(verbose)
    quiet_libraries()
    with user_errors():
        from verify.config import load_settings
        from verify.errors import ConfigError
        from verify.evaluation.bench import run_sizes

        try:
            wanted = [int(x.replace("_", "")) for x in sizes.split(",") if x.strip()]
        except ValueError:
            raise ConfigError(f"--sizes {sizes!r}: give whole numbers, e.g. 1000,10000") from None
        if not wanted or min(wanted) < 50:
            raise ConfigError("--sizes: each corpus needs at least 50 claims")
        chosen = {"backend": backend, "device": device, "engine": engine, "embed_model": embed_model,
                  "nli_model": nli_model}
        overrides = {k: v for k, v in chosen.items() if v}
        settings = load_settings(data_dir=data_dir, **overrides)
        err.print(f"Benchmarking {', '.join(f'{n:,}' for n in wanted)} claims; each size runs in its own process, "
                  f"then adding an article is timed in {add_runs} rounds across the sizes.")

        def done(run: dict) -> None:
            add = run["add_article"]
            err.print(f"  {run['claims']:,} claims: {run['total_s']:.1f} s end to end, peak {run['peak_rss_mib']:,.0f} MiB, "
                      f"add one article {add['seconds']:.1f} s (first run; {add['new_pairs_scored']:,} new pairs scored, "
                      f"{add['scratch']['same']:,} of {add['scratch']['candidates']:,} pairs as from scratch)",
                      highlight=False)

        results = run_sizes(wanted, settings.data_dir, out_dir, overrides, baseline_sample, on_done=done, add_runs=add_runs)
        for run in results["runs"]:
            add = run["add_article"]
            err.print(f"  {run['claims']:,} claims: add one article {add['seconds']:.2f} s "
                      f"(median of {', '.join(f'{x:.2f}' for x in add['runs_s'])})", highlight=False)
        for name in ("results.json", "results.md", "time_vs_size.png"):
            err.print(f"Wrote {out_dir / name}")
