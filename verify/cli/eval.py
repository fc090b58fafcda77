"""`verify eval ...`: measure an NLI model on one labelled file or on the benchmark suite."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from verify.cli._common import (
    cell,
    err,
    out,
    pack_names,
    progress_bars,
    quiet_libraries,
    setup_logging,
    status,
    terminal_text,
    user_errors,
    warn,
)

if TYPE_CHECKING:
    from verify.evaluation.compare import Comparison
    from verify.evaluation.evaluator import EvalResult
    from verify.evaluation.results import RunResults

DEFAULT_OUT = Path("evaluations/results/latest")
app = typer.Typer(help="Measure NLI models on labelled pairs and the benchmark suite.", no_args_is_help=True)

ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="NLI alias, HF id, folder, or 'keyword' (a fake).")]
DeviceOpt = Annotated[str | None, typer.Option(help="auto, cpu or cuda.")]
BackendOpt = Annotated[str | None, typer.Option(help="auto, torch, torch-bf16, onnx or onnx-int8.")]
BatchOpt = Annotated[int | None, typer.Option(help="Batch size for the model.")]
DownloadOpt = Annotated[bool | None, typer.Option("--allow-download", help="Allow fetching models from the HF Hub.")]
VerboseOpt = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logging (-vv for debug).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
KnowledgeOpt = Annotated[str, typer.Option(
    help="Knowledge packs, comma-separated; the seed gold and pair traps are about the seed stories (korea).")]
NliOnlyOpt = Annotated[bool, typer.Option("--nli-only", help="Decide by NLI alone (the baseline).")]


def _judge(model: str | None, device: str | None, batch_size: int | None, allow_download: bool | None,
           backend: str | None = None, spinner: bool = True) -> Any:
    """Settings (flag > VERIFY_* > verify.toml > defaults), then the judge they name.

    ``spinner=False`` prints one line instead (inside progress bars, where a second live display is refused)."""
    from verify.config import load_settings
    from verify.pipeline.engine_local import local_judge

    settings = load_settings(nli_model=model, device=device, batch_size=batch_size, allow_download=allow_download,
                             backend=backend)
    if not spinner:
        err.print(f"Loading {settings.nli_model}...", highlight=False, markup=False)
    with status(f"Loading {settings.nli_model}...") if spinner else nullcontext():
        return local_judge(settings)  # the judge `verify claims` loads, the same way


@app.command("nli")
def nli(
    data: Annotated[str, typer.Option("--data", "-d", help="A .jsonl, .tsv or .csv file, or 'x.zip:member'.")],
    premise_field: Annotated[str, typer.Option(help="Field holding the premise (evidence).")] = "premise",
    hypothesis_field: Annotated[str, typer.Option(help="Field holding the hypothesis (claim).")] = "hypothesis",
    label_field: Annotated[str, typer.Option(help="Field holding the gold label.")] = "label",
    label_map: Annotated[str | None, typer.Option(
        help='Raw label -> our label, e.g. "0=entailment,1=neutral,2=contradiction". '
             "Default: label names (entailment/neutral/contradiction/not_entailment, e/n/c).")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl, tsv or csv (default: from the suffix).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Evaluate a seeded random subset of N rows.")] = None,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    backend: BackendOpt = None,
    batch_size: BatchOpt = None,
    allow_download: DownloadOpt = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = 0,
) -> None:
    """Accuracy, macro-F1, per-class scores and calibration of a model on one labelled file."""
    setup_logging(verbose)
    quiet_libraries(allow_download)
    with user_errors():
        from verify.errors import ConfigError
        from verify.evaluation.benchmarks import parse_label_map
        from verify.evaluation.evaluator import file_evaluator

        if fmt not in (None, "jsonl", "tsv", "csv"):
            raise ConfigError(f"--format {fmt!r}: choose jsonl, tsv or csv")
        evaluator = file_evaluator(
            data, premise_field=premise_field, hypothesis_field=hypothesis_field, label_field=label_field,
            label_map=parse_label_map(label_map) if label_map else None, limit=limit, fmt=fmt,  # type: ignore[arg-type]
        )
        judge = _judge(model, device, batch_size, allow_download, backend)
        with progress_bars(not as_json) as progress:
            result = evaluator.evaluate(judge, progress("pairs", len(evaluator)))
        if as_json:
            out.print(json.dumps(_result_json(result, judge, data), indent=2), markup=False, highlight=False)
        else:
            _print_result(result)


@app.command("run")
def run(
    suite: Annotated[str, typer.Option(help="quick: each benchmark's quick_limit rows; full: all rows.")] = "quick",
    benchmark: Annotated[list[str] | None, typer.Option(
        "--benchmark", "-b", help="Only these benchmarks (repeatable).")] = None,
    model: ModelOpt = None,
    data_dir: Annotated[Path | None, typer.Option(
        help="Folder holding the shared data (default: $VERIFY_DATA_DIR, else ../shared/data).")] = None,
    out_dir: Annotated[Path, typer.Option(
        "--out", "-o", help="Write results.json, samples.jsonl, results.md and plots/ here.")] = DEFAULT_OUT,
    device: DeviceOpt = None,
    backend: BackendOpt = None,
    batch_size: BatchOpt = None,
    limit: Annotated[int | None, typer.Option(
        min=1, help="At most N rows per benchmark (a seeded random subset).")] = None,
    allow_download: DownloadOpt = None,
    plots: Annotated[bool, typer.Option(
        "--plots/--no-plots", help="Also write PNG plots (confusion, reliability, accuracy) to <out>/plots/.")] = True,
    compare: Annotated[str | None, typer.Option(
        help='Several models, e.g. "verify-nli-minilm,nli-deberta-v3-base": each one\'s results go to '
             "<out>/<model>/, plus comparison.md and comparison.json in <out>.")] = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Run the benchmark suite; each benchmark's results are written as soon as it finishes."""
    setup_logging(verbose)
    quiet_libraries(allow_download)
    with user_errors():
        from verify.config import load_settings
        from verify.errors import ConfigError, InputError
        from verify.evaluation.benchmarks import load_benchmarks, select_benchmarks
        from verify.evaluation.compare import compare_runs, parse_models
        from verify.evaluation.results import RESULT_FILES
        from verify.evaluation.suite import run_comparison, run_suite

        if suite not in ("quick", "full"):
            raise ConfigError(f"--suite {suite!r}: choose quick or full")
        if compare is not None and model is not None:
            raise ConfigError("--model and --compare: pass one (list every model in --compare)")
        models = parse_models(compare) if compare is not None else None
        chosen = select_benchmarks(load_benchmarks(), benchmark or ())
        settings = load_settings(data_dir=data_dir)
        if models is None:
            judge = _judge(model, device, batch_size, allow_download, backend)
            with progress_bars() as progress:
                results = run_suite(chosen, judge, out_dir, data_dir=settings.data_dir, limit=limit,
                                    quick=suite == "quick", on_progress=progress, on_skip=_warn_skipped)
            _print_suite(results)
            runs = {results.model.name: results}
            written = [out_dir / n for n in RESULT_FILES]
            if plots and results.benchmarks:
                from verify.evaluation.plots import write_run_plots

                written += write_run_plots(results, out_dir / "plots")
        else:
            with progress_bars() as progress:
                runs = run_comparison(chosen, models,
                                      lambda name: _judge(name, device, batch_size, allow_download, backend, spinner=False),
                                      out_dir, data_dir=settings.data_dir, limit=limit, quick=suite == "quick",
                                      on_progress=progress, on_skip=_warn_skipped)
            _print_comparison(compare_runs(runs, models, complete=True))
            written = [out_dir / models[name] / n for name in runs for n in RESULT_FILES]
            written += [out_dir / "comparison.json", out_dir / "comparison.md"]
            if plots and any(r.benchmarks for r in runs.values()):
                from verify.evaluation.plots import write_comparison_plots, write_run_plots

                for name, results in runs.items():
                    written += write_run_plots(results, out_dir / models[name] / "plots")
                written += write_comparison_plots(runs, out_dir / "plots")
        for path in written:
            err.print(f"Wrote {path}", highlight=False)
        if not any(r.benchmarks for r in runs.values()):
            raise InputError(f"no benchmark data under {settings.data_dir}; pass --data-dir or set VERIFY_DATA_DIR")


def _warn_skipped(name: str, why: str) -> None:
    warn(f"skipped {name}: {why}")


@app.command("list")
def list_benchmarks(
    data_dir: Annotated[Path | None, typer.Option(help="Folder holding the shared data, to count files found.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The benchmarks, their task, files found in the data folder, licence and use (ok / eval-only)."""
    with user_errors():
        from verify.config import load_settings
        from verify.evaluation.benchmarks import MissingDataError, load_benchmarks, resolve_sources

        root = load_settings(data_dir=data_dir).data_dir
        rows = []
        for name, bench in load_benchmarks().items():
            try:
                found: int | None = sum(len(resolve_sources(root, spec)) for spec in bench.files)
            except MissingDataError:
                found = None
            rows.append({"name": name, "task": bench.task, "files": found, "split": bench.split,
                         "licence": bench.licence, "use": bench.use, "quick_limit": bench.quick_limit,
                         "description": bench.description})
        if as_json:
            out.print(json.dumps(rows, indent=2), markup=False, highlight=False)
            return
        table = Table(title=f"verify benchmarks (data: {root})")
        for col in ("name", "task", "files", "split", "licence", "use"):
            table.add_column(col, overflow="fold")
        for r in rows:
            files = "[red]missing[/red]" if r["files"] is None else str(r["files"])
            use = "eval only" if r["use"] == "eval" else "ok"
            table.add_row(r["name"], r["task"], files, r["split"], r["licence"], use)
        out.print(table)


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------
def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def _result_json(result: EvalResult, judge: Any, data: str) -> dict[str, Any]:
    from verify.evaluation.results import describe_judge

    info, device, batch_size = describe_judge(judge)
    return {
        "data": data, "model": info.model_dump(), "device": device, "batch_size": batch_size,
        "primary_metric": result.primary_metric, "metrics": result.metrics, "labels": list(result.labels),
        "confusion": result.confusion, "skipped_rows": result.skipped, "n_available": result.available,
    }


def _print_result(result: EvalResult) -> None:
    m = result.metrics
    summary = Table(title=cell(f"{result.name}: {int(m['n'])} pairs"))
    for col in ("class", "precision", "recall", "F1"):
        summary.add_column(col, justify="right" if col != "class" else "left")
    for label in result.labels:
        summary.add_row(cell(label), _pct(m[f"precision_{label}"]), _pct(m[f"recall_{label}"]), _pct(m[f"f1_{label}"]))
    out.print(summary)
    out.print(f"accuracy {_pct(m['accuracy'])}%  macro-F1 {_pct(m['macro_f1'])}%  ECE {_pct(m['ece'])}%  "
              f"majority baseline {_pct(m['majority_baseline'])}%  {m['pairs_per_s']:.0f} pairs/s", highlight=False)
    matrix = Table(title="confusion (rows gold, columns predicted)")
    matrix.add_column("gold \\ pred")
    for label in result.outputs:
        matrix.add_column(cell(label), justify="right")
    for gold in result.labels:
        matrix.add_row(cell(gold), *(str(result.confusion[gold][p]) for p in result.outputs))
    out.print(matrix)
    if result.skipped:
        warn("rows skipped: " + ", ".join(f"{why} x{n}" for why, n in result.skipped.items()))


def _print_suite(results: RunResults) -> None:
    from verify.evaluation.results import format_anchors

    where = results.device + (f", {results.backend}" if results.backend else "")
    table = Table(title=f"{results.model.name} on {where} ({results.config.suite} suite, %)")
    for col in ("benchmark", "n", "accuracy", "macro-F1", "ECE", "pairs/s", "anchors"):
        table.add_column(col, justify="left" if col in ("benchmark", "anchors") else "right", overflow="fold")
    for name, r in results.benchmarks.items():
        m = r.metrics
        table.add_row(name, str(int(m["n"])), _pct(m["accuracy"]), _pct(m["macro_f1"]), _pct(m["ece"]),
                      f"{m['pairs_per_s']:.0f}", format_anchors(r.anchors))
    for name in results.skipped:
        table.add_row(f"[dim]{name}[/dim]", "", "", "", "", "", "[yellow]skipped: data missing[/yellow]")
    out.print(table)


def _print_comparison(comparison: Comparison) -> None:
    from verify.evaluation.results import format_anchors

    config = comparison.config
    table = Table(title=f"accuracy / macro-F1 ({config.suite if config else '-'} suite, %)")
    table.add_column("benchmark")
    table.add_column("n", justify="right")
    for name in comparison.models:
        table.add_column(name, justify="right", overflow="fold")
    table.add_column("anchors", overflow="fold")
    for bench, scores in comparison.benchmarks.items():
        cells = [f"{_pct(s['accuracy'])} / {_pct(s['macro_f1'])}" if (s := scores.get(name)) else "-"
                 for name in comparison.models]
        n = str(int(next(iter(scores.values()))["n"]))
        table.add_row(bench, n, *cells, format_anchors(comparison.anchors[bench]))
    out.print(table)



@app.command("e2e")
def e2e(
    paths: Annotated[list[Path] | None, typer.Argument(help="Annotated articles (default: seeds/).")] = None,
    gold: Annotated[Path, typer.Option(help="Gold pairs (jsonl: a, b substrings, gold verdict).")] = Path(
        "evaluations/data/seed_pairs.jsonl"),
    nli_only: NliOnlyOpt = False,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    as_json: JsonOpt = False,
    verbose: VerboseOpt = 0,
    knowledge: KnowledgeOpt = "default,korea",
) -> None:
    """Run the pipeline on annotated articles and score its pair verdicts against gold pairs."""
    setup_logging(verbose)
    quiet_libraries()
    with user_errors():
        from verify.config import load_settings
        from verify.evaluation.e2e import load_gold, match, score
        from verify.pipeline.core import Pipeline

        gold_pairs = load_gold(gold)
        settings = load_settings(nli_model=model, device=device, knowledge=pack_names(knowledge))
        with progress_bars() as progress:
            report = Pipeline(settings, checks=not nli_only).run_paths(paths or [Path("seeds")], progress=progress,
                                                                      on_warning=warn)
        scored = match(report, gold_pairs)
        metrics = score(scored)
        if as_json:
            rows = [{"id": s.gold.id, "gold": s.gold.gold, "predicted": s.predicted, "paired": s.paired,
                     "reason": s.reason} for s in scored]
            out.print(json.dumps({"metrics": metrics, "pairs": rows}, indent=2), markup=False, highlight=False)
            return
        _print_scored(scored, metrics, f"{len(scored)} gold pairs, model {settings.nli_model}")


@app.command("pairs")
def pairs(
    data: Annotated[Path, typer.Option(help="Pair cases (jsonl: a, b, date_a, date_b, gold, kind).")] = Path(
        "evaluations/data/pair_traps.jsonl"),
    nli_only: NliOnlyOpt = False,
    model: ModelOpt = None,
    device: DeviceOpt = None,
    as_json: JsonOpt = False,
    knowledge: KnowledgeOpt = "default,korea",
) -> None:
    """Time traps, value edits, look-alikes and attributions: hand-written pairs through `verify pair`'s logic."""
    quiet_libraries()
    with user_errors():
        from verify.config import load_settings
        from verify.evaluation.e2e import load_pair_cases, run_pair_cases, score, score_by_kind
        from verify.pipeline.core import Pipeline

        cases = load_pair_cases(data)
        settings = load_settings(nli_model=model, device=device, knowledge=pack_names(knowledge))
        with status("Loading models..."):
            pipeline = Pipeline(settings).load()
        scored = run_pair_cases(pipeline, cases, checks=not nli_only)
        metrics = score(scored) | score_by_kind(scored)
        if as_json:
            rows = [{"id": s.gold.id, "kind": s.gold.note, "gold": s.gold.gold, "predicted": s.predicted, "reason": s.reason}
                    for s in scored]
            out.print(json.dumps({"metrics": metrics, "pairs": rows}, indent=2), markup=False, highlight=False)
            return
        _print_scored(scored, metrics,
                      f"{len(scored)} pair cases, model {settings.nli_model}" + (", NLI only" if nli_only else ""))


def _print_scored(scored: list, metrics: dict, title: str) -> None:
    """The scored pairs as a table (misses in red), then the metrics on one line."""
    table = Table(title=cell(title))
    for col in ("pair", "gold", "predicted", "reason"):
        table.add_column(col, overflow="fold")
    for s in scored:
        predicted = Text(terminal_text(s.predicted), style="" if s.predicted == s.gold.gold else "red")
        table.add_row(cell(s.gold.id), cell(s.gold.gold), predicted, cell(s.reason))
    out.print(table)
    out.print(", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in metrics.items()))


# --------------------------------------------------------------------------------------
# Real news: stance and consistency through the pipeline, and the verdict fit
# --------------------------------------------------------------------------------------
NEWS_OUT = Path("evaluations/results/news-latest")
NEWS_STORE = Path("evaluations/results/tmp/news-store.sqlite")
TitleOpt = Annotated[str, typer.Option(
    help="fallback: an article whose extractor keeps no claim contributes its title as its claim (headlines are "
         "fragments the check-worthiness filter drops); never: the pipeline exactly as it is.")]
StoreOpt = Annotated[Path, typer.Option(help="Store caching claims, vectors and NLI scores of these runs.")]
ThreadsOpt = Annotated[int | None, typer.Option(min=1, help="torch CPU threads (default: torch's choice).")]
NEWS_CACHE = Path("evaluations/results/tmp/news-cache")
CacheOpt = Annotated[Path, typer.Option(help="Folder caching each item's pipeline record (by models and core source).")]
CacheKeyOpt = Annotated[str | None, typer.Option(
    help="Read the item cache under this key (results.json config.cache_key) even though the core source changed.")]


def _news_pipeline(model: str | None, embed_model: str | None, device: str | None, data_dir: Path | None,
                   store: Path, threads: int | None) -> Any:
    from verify.config import load_settings
    from verify.errors import ConfigError
    from verify.pipeline.core import Pipeline

    if threads:
        import torch

        torch.set_num_threads(threads)
    if store.suffix != ".sqlite":
        raise ConfigError(f"--store {store}: name a .sqlite file")
    settings = load_settings(nli_model=model, embed_model=embed_model, device=device, data_dir=data_dir)
    if store == NEWS_STORE:  # the default store is per NLI model content: a model retrained in place keeps its
        from verify.evaluation.news import model_fingerprint  # path and revision, and its old scores must not be reused
        from verify.models.resolve import resolve
        from verify.registry import NLI_JUDGES

        if settings.nli_model not in NLI_JUDGES:
            resolved = resolve(settings.nli_model, "nli", allow_download=settings.allow_download)
            store = store.with_name(f"{store.stem}.{model_fingerprint(type('M', (), {'resolved': resolved})())}.sqlite")
    settings = load_settings(nli_model=model, embed_model=embed_model, device=device, data_dir=data_dir, store=store)
    with status("Loading models..."):
        return Pipeline(settings).load(weights=False)


def _title_mode(value: str) -> str:
    from verify.errors import ConfigError

    if value not in ("fallback", "never"):
        raise ConfigError(f"--title-claims {value!r}: choose fallback or never")
    return value


@app.command("news")
def news(
    benchmark: Annotated[list[str] | None, typer.Option("--benchmark", "-b", help="Only these (repeatable).")] = None,
    suite: Annotated[str, typer.Option(help="quick: each benchmark's quick_limit items; full: all.")] = "full",
    limit: Annotated[int | None, typer.Option(min=4, help="At most N items per benchmark.")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="The shared data folder (default: settings' data_dir).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Write results.json, samples.jsonl, results.md.")] = NEWS_OUT,
    params: Annotated[Path | None, typer.Option(help="A params.json (default: the packaged fit).")] = None,
    title_claims: TitleOpt = "fallback",
    ablation: Annotated[bool, typer.Option("--ablation/--no-ablation", help="Each verdict rule off in turn.")] = True,
    refresh: Annotated[bool, typer.Option("--refresh-verdicts/--keep-verdicts", help=(
        "Run the verdict stage again on a cached item's judgements when its verdicts were made under other fitted "
        "params, or keep them (results.json says which params each item's verdicts used)."))] = True,
    model: ModelOpt = None,
    embed_model: Annotated[str | None, typer.Option(help="Embedding model alias or path.")] = None,
    device: DeviceOpt = None,
    store: StoreOpt = NEWS_STORE,
    cache_dir: CacheOpt = NEWS_CACHE,
    cache_key: CacheKeyOpt = None,
    threads: ThreadsOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Real-news benchmarks (evaluations/benchmarks/news/): stance on FNC-1 and summary consistency, through the
    pipeline, against the NLI max-pool baseline on the same items."""
    setup_logging(verbose)
    quiet_libraries()
    with user_errors():
        from verify.errors import ConfigError, InputError
        from verify.evaluation.news import run_news
        from verify.evaluation.news_data import load_news_benchmarks
        from verify.evaluation.results import RESULT_FILES
        from verify.verdict.params import load_params

        if suite not in ("quick", "full"):
            raise ConfigError(f"--suite {suite!r}: choose quick or full")
        available = load_news_benchmarks()
        unknown = [b for b in benchmark or () if b not in available]
        if unknown:
            raise ConfigError(f"unknown news benchmark {unknown[0]!r}; choose from {', '.join(available)}")
        chosen = [available[b] for b in dict.fromkeys(benchmark or available)]
        pipeline = _news_pipeline(model, embed_model, device, data_dir, store, threads)
        fitted = load_params(params)
        cap = limit if suite == "full" else min(limit or 10**9, min(b.quick_limit for b in chosen))
        with progress_bars() as progress:
            results = run_news(chosen, pipeline, out_dir, data_dir=pipeline.settings.data_dir, limit=cap, params=fitted,
                               title_claims=_title_mode(title_claims), ablation=ablation,  # type: ignore[arg-type]
                               cache_dir=cache_dir, cache_key=cache_key,
                               refresh_verdicts=refresh,
                               on_progress=progress,
                               on_skip=_warn_skipped)
        for name, r in results.benchmarks.items():
            key = "macro_f1" if r.task == "stance" else "balanced_accuracy"
            cells = ", ".join(f"{s} {_pct(v['metrics'][key])} [{_pct(v['ci95'][key][0])}, {_pct(v['ci95'][key][1])}]"
                              for s, v in r.systems.items())
            out.print(f"{name} (n={r.n}) {key}: {cells}", highlight=False)
        for path in (out_dir / n for n in RESULT_FILES):
            err.print(f"Wrote {path}", highlight=False)
        if not results.benchmarks:
            raise InputError(f"no benchmark data under {pipeline.settings.data_dir}; pass --data-dir")


@app.command("fit")
def fit(
    per_class: Annotated[int, typer.Option(min=10, help="FNC-1 items per stance (fit part of the bodies).")] = 400,
    seed: Annotated[int, typer.Option(help="Sample, fold and bootstrap seed.")] = 13,
    folds: Annotated[int, typer.Option(min=2, help="Grouped cross-validation folds (by Body ID).")] = 5,
    resamples: Annotated[int, typer.Option(min=10, help="Bootstrap resamples for the intervals.")] = 1000,
    ship_stance: Annotated[bool, typer.Option("--ship-stance/--no-ship-stance", help=(
        "Let the pipeline use the fitted stance model (params.json 'stance'), or keep it in the provenance only "
        "(the benchmarks still score it as verify_stance)."))] = True,
    data_dir: Annotated[Path | None, typer.Option(help="The shared data folder (default: settings' data_dir).")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", "-o", help="Write params here (default: the packaged "
                                                                      "verify/verdict/params.json).")] = None,
    title_claims: TitleOpt = "fallback",
    model: ModelOpt = None,
    embed_model: Annotated[str | None, typer.Option(help="Embedding model alias or path.")] = None,
    device: DeviceOpt = None,
    store: StoreOpt = NEWS_STORE,
    cache_dir: CacheOpt = NEWS_CACHE,
    cache_key: CacheKeyOpt = None,
    threads: ThreadsOpt = None,
    verbose: VerboseOpt = 0,
) -> None:
    """Fit the stance model and verdict thresholds on FNC-1 train through the pipeline (cached per item and model
    revision); print the cross-validated figures against the NLI max-pool baseline."""
    import shlex
    import sys

    setup_logging(verbose)
    quiet_libraries()
    with user_errors():
        from verify.evaluation.fit import fit_params

        pipeline = _news_pipeline(model, embed_model, device, data_dir, store, threads)
        command = shlex.join(["verify", *sys.argv[1:]]) if sys.argv and "verify" in Path(sys.argv[0]).name else ""
        with progress_bars() as progress:
            params = fit_params(pipeline, pipeline.settings.data_dir, per_class=per_class, seed=seed, folds=folds,
                                out=out_path, command=command or f"verify eval fit --per-class {per_class} --seed {seed}",
                                title_claims=_title_mode(title_claims), cache_dir=cache_dir, cache_key=cache_key,
                                resamples=resamples, ship_stance=ship_stance,
                                on_progress=progress)
        cv = params["provenance"]["cv"]["systems"]
        for system, v in cv.items():
            m, ci = v["metrics"], v["ci95"]
            out.print(f"{system}: macro-F1 {_pct(m['macro_f1'])} [{_pct(ci['macro_f1'][0])}, {_pct(ci['macro_f1'][1])}]"
                      f"  FNC {_pct(m['fnc_score'])} [{_pct(ci['fnc_score'][0])}, {_pct(ci['fnc_score'][1])}]",
                      highlight=False)
        out.print(f"thresholds {params['thresholds']}; baseline {params['provenance']['baseline_thresholds']}",
                  highlight=False)
        from verify.verdict.params import PARAMS_PATH

        err.print(f"Wrote {out_path or PARAMS_PATH}", highlight=False)
