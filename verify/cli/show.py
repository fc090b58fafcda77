"""`verify show report.json`: re-render a saved JSON report for people."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from verify.cli._common import out, user_errors, warn, wrote


def show(
    report_path: Annotated[Path, typer.Argument(help="A report.json written by `verify claims`.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="terminal, md, html or json.")] = "terminal",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")] = None,
) -> None:
    """Re-render a saved JSON report to the terminal, Markdown or HTML."""
    with user_errors():
        from verify.errors import ConfigError
        from verify.report import (
            from_json,
            inert_json,
            load_json,
            manifest_problem,
            render_html,
            render_json,
            render_markdown,
            render_terminal,
            write_atomic,
        )

        renderers = {"md": render_markdown, "html": render_html, "json": lambda r: inert_json(render_json(r))}
        if fmt != "terminal" and fmt not in renderers:
            raise ConfigError(f"unknown format {fmt!r}; choose from terminal, md, html, json")
        report = from_json(load_json(report_path))
        if problem := manifest_problem(report_path):
            warn(problem)
        if fmt == "terminal":
            render_terminal(report, out)
            return
        text = renderers[fmt](report)
        if output is None:
            out.print(text, end="", markup=False, highlight=False, soft_wrap=True)
        else:
            write_atomic(output, text)
            wrote(output)
