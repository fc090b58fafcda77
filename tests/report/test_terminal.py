"""The terminal report: rich tables on a console."""

from __future__ import annotations

import io

from rich.console import Console

from verify.records import Report
from verify.report import render_terminal


def test_render_terminal_mentions_contradiction(report: Report) -> None:
    buffer = io.StringIO()
    render_terminal(report, Console(file=buffer, width=120))
    out = buffer.getvalue()
    assert "Contradictions" in out
    assert "The bomb fell on Aug 9." in out and "The bomb fell on Aug 8." in out
    assert "0.87" in out
    assert "Top agreements" in out


def test_render_terminal_limits_rows(report: Report) -> None:
    buffer = io.StringIO()
    render_terminal(report, Console(file=buffer, width=120), max_rows=0)
    assert "and 1 more" in buffer.getvalue()
