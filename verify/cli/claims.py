"""`verify claims PATHS...`: the end-to-end pipeline and its reports."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from verify.cli._common import (
    out,
    pack_names,
    progress_bars,
    quiet_libraries,
    setup_logging,
    sigterm_as_interrupt,
    status,
    user_errors,
    warn,
    wrote,
)

EXIT_CONTRADICTIONS = 3


def claims(
    paths: Annotated[list[Path], typer.Argument(help="Article files or folders (.txt, .md, .html, .jsonl).")],
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="Write reports into this folder.")] = None,
    formats: Annotated[str, typer.Option("--format", "-f", help="Comma-separated: json,md,html.")] = "json,md,html",
    nli_model: Annotated[str | None, typer.Option(help="NLI alias, HF id or local folder.")] = None,
    embed_model: Annotated[str | None, typer.Option(help="Embedding alias, HF id or local folder.")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu or cuda.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Batch size for the models.")] = None,
    top_k: Annotated[int | None, typer.Option(help="Nearest claims per claim to pair.")] = None,
    dates: Annotated[list[str] | None, typer.Option("--date", help="Article date YYYY-MM-DD, or NAME=YYYY-MM-DD for one file; repeatable.")] = None,
    within_source: Annotated[bool | None, typer.Option("--within-source/--across-sources", help="Also pair claims of one source.")] = None,
    allow_download: Annotated[bool | None, typer.Option("--allow-download", help="Allow fetching models from the Hugging Face Hub.")] = None,
    backend: Annotated[str | None, typer.Option(help="NLI backend: auto, torch, torch-bf16, onnx or onnx-int8.")] = None,
    store: Annotated[Path | None, typer.Option(help="The incremental store (SQLite); default <cache_dir>/cache.sqlite.")] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Cache nothing: recompute every stage.")] = False,
    engine: Annotated[str | None, typer.Option(help="local, or ray (Ray tasks/actors; see --ray-address).")] = None,
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster to join ('auto', 'ray://head:10001'); default: local.")] = None,
    knowledge: Annotated[str | None, typer.Option(
        help="Knowledge packs, comma-separated (e.g. default,korea; see verify/knowledge/) or pack folders.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report on stdout instead of tables.")] = False,
    fail_on: Annotated[str | None, typer.Option(help="'contradict': exit 3 when contradictions or disputes are found.")] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logging (-vv for debug).")] = 0,
) -> None:
    """Extract claims from articles, pair them across sources and report agreements and contradictions."""
    setup_logging(verbose)
    with user_errors(), sigterm_as_interrupt():
        from verify.config import load_settings
        from verify.errors import ConfigError
        from verify.pipeline.core import Pipeline
        from verify.records import CONFLICTING
        from verify.report import FORMATS, inert_json, render_json, render_terminal, write_reports
        from verify.report.view import verdict_counts

        wanted = [f.strip() for f in formats.split(",") if f.strip()]
        unknown = [f for f in wanted if f not in FORMATS]
        if unknown:
            raise ConfigError(f"unknown format {unknown[0]!r}; choose from {', '.join(FORMATS)}")
        if fail_on not in (None, "contradict"):
            raise ConfigError("--fail-on takes only 'contradict'")
        settings = load_settings(
            nli_model=nli_model, embed_model=embed_model, device=device, batch_size=batch_size, top_k=top_k,
            within_source=within_source, allow_download=allow_download, backend=backend, store=store, engine=engine,
            ray_address=ray_address,
            knowledge=pack_names(knowledge),
        )
        quiet_libraries(settings.allow_download)  # before huggingface_hub is imported: it reads HF_HUB_OFFLINE once
        if settings.engine == "ray":
            from verify.pipeline.engine_ray import check_address

            check_address(settings.ray_address)  # seconds, not minutes of retries, when nothing answers there
        with status("Loading models..."):
            pipeline = Pipeline(settings, store=not no_store).load()
        with progress_bars() as progress:
            report = pipeline.run_paths(paths, progress=progress, on_warning=warn, dates=dates or ())
        if out_dir is not None:
            write_reports(report, out_dir, wanted, on_written=wrote)
        if as_json:
            out.print(inert_json(render_json(report)), end="", markup=False, highlight=False)
        else:
            render_terminal(report, out)
        n_contra = sum(n for verdict, n in verdict_counts(report).items() if verdict in CONFLICTING)
        if fail_on == "contradict" and n_contra:
            raise typer.Exit(EXIT_CONTRADICTIONS)

