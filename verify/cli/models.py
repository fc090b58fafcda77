"""`verify models ...`: the model registry."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from verify.cli._common import out, user_errors

app = typer.Typer(help="List the models verify knows and where each resolves.", no_args_is_help=True)


@app.command("list")
def list_models(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Aliases, where each resolves on this machine, size, licence and figures."""
    with user_errors():
        from verify.models.resolve import load_registry, local_path

        rows = []
        for alias, entry in load_registry().items():
            where = local_path(entry)
            rows.append({
                "alias": alias, "kind": entry.kind, "resolves_to": str(where) if where else f"hf:{entry.hf_id} (download)",
                "available_offline": where is not None, "hf_id": entry.hf_id, "revision": entry.revision,
                "size_mb": entry.size_mb, "params": entry.params, "licence": entry.licence, "figures": entry.description,
            })
        if as_json:
            out.print(json.dumps(rows, indent=2), markup=False, highlight=False)
            return
        table = Table(title="verify models")
        for col in ("alias", "kind", "resolves to", "size MB", "licence", "figures"):
            table.add_column(col, overflow="fold")
        for r in rows:
            mark = "" if r["available_offline"] else "[dim]"
            table.add_row(r["alias"], r["kind"], mark + r["resolves_to"], str(r["size_mb"] or ""), r["licence"], r["figures"])
        out.print(table)
