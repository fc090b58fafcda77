"""The report as rich tables on a console (``verify claims`` without ``--json``, ``verify show``): sources,
counts, contradictions and disputes, different times, the top agreements and shared facts.

``render_terminal`` prints only to the console it is given. Text from the data is never rich markup and
carries no control or bidi characters.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from verify.records import Claim, PairVerdict, Report
from verify.report.view import (
    CONFLICT_VERDICTS,
    View,
    counts_line,
    fact_line,
    format_confidence,
    format_date,
    models_line,
    one_line,
    reads_differently,
    run_date,
    safe_text,
)


def render_terminal(report: Report, console: Console, *, max_rows: int = 20) -> None:
    """Print sources, counts, contradictions and the top agreements as rich tables."""
    view = View.of(report, limit=max_rows)
    console.print(_tt(f"verify report, run {run_date(report)}; models: {models_line(report.meta)}"))
    console.print(_terminal_sources(view))
    console.print(_tt(counts_line(report)))
    _print_pairs(console, view, CONFLICT_VERDICTS, "Contradictions and disputes", max_rows)
    _print_pairs(console, view, ("different-time",), "Different times (not contradictions)", max_rows)
    _print_pairs(console, view, ("support",), "Top agreements", max_rows)
    for fact in report.facts[:max_rows]:
        console.print(_tt("Facts outlets agree on: " + fact_line(fact)))


def _terminal_sources(view: View, max_articles: int = 30) -> Table:
    if len(view.report.articles) > max_articles:  # a big corpus: one row per outlet
        table = Table(title=f"Sources ({len(view.report.articles):,} articles)")
        for column in ("Source", "Articles", "Claims"):
            table.add_column(column, justify="left" if column == "Source" else "right")
        per_source: dict[str, list[int]] = {}
        for article in view.report.articles:
            row = per_source.setdefault(article.source, [0, 0])
            row[0] += 1
            row[1] += view.claim_counts[article.id]
        for source, (articles, claims) in sorted(per_source.items()):
            table.add_row(_tt(source), f"{articles:,}", f"{claims:,}")
        return table
    table = Table(title="Sources")
    for column in ("Source", "Title", "Date", "Claims"):
        table.add_column(column, justify="right" if column == "Claims" else "left")
    for article in view.report.articles:
        table.add_row(
            _tt(article.source),
            _tt(article.title or ""),
            _tt(format_date(article.date)),
            str(view.claim_counts[article.id]),
        )
    return table


def _print_pairs(console: Console, view: View, verdict: Sequence[str], title: str, max_rows: int) -> None:
    verdicts, total = view.by_verdict(*verdict), view.count(*verdict)
    if not total:
        console.print(Text(f"{title}: none found."))
        return
    console.print(_terminal_pairs(view, verdicts[:max_rows], title, _TERMINAL_STYLES.get(verdict[0], "")))
    if total > max_rows:
        console.print(Text(f"... and {total - max_rows} more (see report.json)", style="dim"))


_TERMINAL_STYLES = {"contradict": "bold red", "disputed": "bold red", "different-time": "yellow", "support": "bold green"}


def _terminal_pairs(view: View, verdicts: Sequence[PairVerdict], title: str, style: str) -> Table:
    table = Table(title=title, title_style=style or None, show_lines=True)
    table.add_column("Outlet A quote", ratio=3)
    table.add_column("Outlet B quote", ratio=3)
    table.add_column("Confidence", justify="right")
    table.add_column("Reason", ratio=2)
    for item in verdicts:
        reason = one_line(item.reason)
        if item.conflicts:
            reason += "\n" + "; ".join(item.conflicts)
        table.add_row(
            _terminal_quote(view, item.pair.a),
            _terminal_quote(view, item.pair.b),
            Text(format_confidence(item.confidence)),
            _tt(reason),
        )
    return table


def _tt(text: str) -> Text:
    """Terminal text from the data: never markup, no control characters (an ESC in an outlet name
    would otherwise reach the terminal raw), no bidi controls."""
    return Text(safe_text(text))


def _terminal_quote(view: View, claim: Claim) -> Text:
    text = Text()
    text.append(safe_text(one_line(claim.source)), style="bold")
    text.append(safe_text(f" ({view.date(claim)})\n"), style="dim")
    text.append(safe_text(one_line(claim.text)))
    if reads_differently(claim):
        text.append(safe_text(f"\nread as: {one_line(claim.standalone)}"), style="italic")
    return text
