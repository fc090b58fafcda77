"""The Markdown report: section order, quotes, escaping."""

from __future__ import annotations

import dataclasses

from verify.records import Report
from verify.report import render_markdown


def test_markdown_puts_contradictions_first(report: Report) -> None:
    md = render_markdown(report)
    assert md.index("## Contradictions") < md.index("## Agreements") < md.index("## Neutral pairs")
    contradictions = md[md.index("## Contradictions") : md.index("## Agreements")]
    assert "> The bomb fell on Aug 9." in contradictions
    assert "> The bomb fell on Aug 8." in contradictions
    assert "date unknown" in contradictions  # KCNA has no date
    assert "0.87" in contradictions and "forward 0.90, backward 0.84" in contradictions
    assert "date: Aug 9 vs Aug 8" in contradictions
    assert "read as: The bomb killed 40,000 people." in md
    assert "tiny-nli@abc123" in md


def test_markdown_escapes_pipes_in_tables(report: Report) -> None:
    art = report.articles[0]
    piped = Report(
        articles=(dataclasses.replace(art, source="A|B"),),
        claims=(),
        verdicts=(),
        clusters=(),
    )
    assert "| A\\|B |" in render_markdown(piped)
