"""`verify store`: what the incremental store holds, and its recent runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from verify.cli._common import cell, out, user_errors

app = typer.Typer(help="Inspect the incremental store (articles, claims, embeddings, NLI scores, verdicts, runs).",
                  no_args_is_help=True)


@app.command("info")
def info(
    store: Annotated[Path | None, typer.Option(help="The store; default <cache_dir>/cache.sqlite.")] = None,
    runs: Annotated[int, typer.Option(min=0, help="Show this many recent runs.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Row counts per table, applied migrations and the latest runs."""
    with user_errors():
        from verify.config import load_settings
        from verify.errors import ConfigError
        from verify.pipeline.store import Store

        path = load_settings(store=store).store_path
        if not path.exists():
            raise ConfigError(f"{path}: no store yet; `verify claims ... --store {path}` creates it")
        db = Store(path)
        data = {"path": str(path), "migrations": db.migrations(), "counts": db.counts(), "runs": db.runs(runs)}
        if as_json:
            out.print(json.dumps(data, indent=2), markup=False, highlight=False)
            return
        table = Table(title=cell(f"{path} ({len(data['migrations'])} migrations)"))
        table.add_column("table")
        table.add_column("rows", justify="right")
        for name, n in data["counts"].items():
            table.add_row(name, f"{n:,}")
        out.print(table)
        if data["runs"]:
            recent = Table(title="recent runs")
            for col in ("id", "started", "status", "claims", "pairs", "nli cached", "seconds"):
                recent.add_column(col)
            for r in data["runs"]:
                c, t = r["counts"] or {}, r["timings"] or {}
                recent.add_row(str(r["id"]), r["started"], r["status"], str(c.get("claims", "")),
                               str(c.get("pairs", "")), str(c.get("nli_cached", "")), f"{sum(t.values()):.1f}" if t else "")
            out.print(recent)
