"""The Markdown report (``report.md``): sources, counts, contradictions with both quotes, different times,
shared facts, agreements by cluster, neutral pairs.

Every string from the data goes through ``escape``: one line, no control characters, Markdown syntax
backslash-escaped, so an article cannot add a link, an image or raw HTML to the report.
"""

from __future__ import annotations

import re

from verify import __version__
from verify.records import Claim, PairVerdict, Report
from verify.report.view import (
    CONFLICT_VERDICTS,
    NEUTRAL_LIST_LIMIT,
    View,
    counts_line,
    fact_line,
    format_confidence,
    format_date,
    models_line,
    one_line,
    plural,
    reads_differently,
    run_date,
    safe_text,
)


def render_markdown(report: Report) -> str:
    """The whole Markdown report, ending in a newline."""
    view = View.of(report)
    parts = [
        "# verify report",
        f"Run {escape(run_date(report))} with verify {__version__}; models: {escape(models_line(report.meta))}.",
        _md_sources(view),
        f"**{escape(counts_line(report))}**",
        _md_contradictions(view),
        _md_different_time(view),
        _md_facts(report),
        _md_agreements(view),
        _md_neutral(view),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


_MD_SYNTAX = re.compile(r"([\\`*_\[\]<>#|~])")


def escape(text: str) -> str:
    """Inline text from the data: one line, no control or bidi characters, and every character Markdown
    gives a meaning backslash-escaped, so no link, image, raw HTML, emphasis or heading comes from the data."""
    return _MD_SYNTAX.sub(r"\\\1", safe_text(one_line(text)))


def _md_cell(text: str) -> str:
    return escape(text) or " "


def _md_sources(view: View) -> str:
    rows = ["## Sources", "", "| Source | Title | Date | Claims |", "|---|---|---|---:|"]
    for article in view.report.articles:
        cells = [article.source, article.title or "", format_date(article.date), str(view.claim_counts[article.id])]
        rows.append("| " + " | ".join(_md_cell(cell) for cell in cells) + " |")
    return "\n".join(rows)


def _md_quote(view: View, claim: Claim) -> str:
    lines = [f"> {escape(claim.text)}"]
    if reads_differently(claim):
        lines += [">", f"> *read as: {escape(claim.standalone)}*"]
    lines += [">", f"> — **{escape(claim.source)}**, {escape(view.date(claim))}"]
    return "\n".join(lines)


def _md_contradictions(view: View) -> str:
    verdicts = view.by_verdict(*CONFLICT_VERDICTS)
    if not verdicts:
        return "## Contradictions\n\nNo contradictions found."
    legend = ("`contradict`: two outlets assert incompatible facts; `disputed`: a claim attributed to "
              "someone (\"the North claimed ...\") conflicts with an asserted one.")
    blocks = ["## Contradictions", legend]
    for number, verdict in enumerate(verdicts, 1):
        a, b = verdict.pair.a, verdict.pair.b
        forward = format_confidence(verdict.forward.get("contradiction", 0.0))
        backward = format_confidence(verdict.backward.get("contradiction", 0.0))
        details = [
            f"- Verdict: **{verdict.verdict}**, confidence {format_confidence(verdict.confidence)}",
            f"- Contradiction probability: forward {forward}, backward {backward}",
            f"- Reason: {escape(verdict.reason)}",
        ]
        if verdict.conflicts:
            details.append("- Conflicts: " + "; ".join(escape(c) for c in verdict.conflicts))
        blocks += [
            f"### {number}. {escape(a.source)} vs {escape(b.source)}",
            _md_quote(view, a),
            _md_quote(view, b),
            "\n".join(details),
        ]
    return "\n\n".join(blocks)


def _md_different_time(view: View) -> str:
    verdicts = view.by_verdict("different-time")
    if not verdicts:
        return ""
    lines = ["## Different times", "Claims that conflict but describe different moments; not contradictions.", ""]
    for v in verdicts:
        lines.append(f"- **{escape(v.pair.a.source)}** ({escape(view.date(v.pair.a))}): {escape(v.pair.a.text)}  \n"
                     f"  **{escape(v.pair.b.source)}** ({escape(view.date(v.pair.b))}): {escape(v.pair.b.text)}  \n"
                     f"  *{escape(v.reason)}*")
    return "\n".join(lines)


def _md_facts(report: Report) -> str:
    if not report.facts:
        return ""
    return "## Facts outlets agree on\n\n" + "\n".join(f"- {escape(fact_line(f))}" for f in report.facts)


def _md_agreements(view: View) -> str:
    groups = view.cluster_supports()
    loose = view.unclustered_supports()
    if not groups and not loose:
        return "## Agreements\n\nNo agreements found."
    blocks = ["## Agreements"]
    for cluster, inside in groups:
        blocks.append(f"### {escape(view.cluster_fact(cluster))}\n\nAgreeing: {escape(view.agreeing_outlets(cluster))}")
        blocks += [_md_support(view, verdict) for verdict in inside]
    if loose:
        blocks.append("### Other agreements")
        blocks += [_md_support(view, verdict) for verdict in loose]
    return "\n\n".join(blocks)


def _md_support(view: View, verdict: PairVerdict) -> str:
    a, b = verdict.pair.a, verdict.pair.b
    return "\n".join(
        [
            _md_claim_item(view, a),
            _md_claim_item(view, b),
            f"- Confidence {format_confidence(verdict.confidence)}; {escape(verdict.reason)}",
        ]
    )


def _md_claim_item(view: View, claim: Claim) -> str:
    item = f"- **{escape(claim.source)}** ({escape(view.date(claim))}): {escape(claim.text)}"
    if reads_differently(claim):
        item += f" *(read as: {escape(claim.standalone)})*"
    return item


def _md_neutral(view: View) -> str:
    verdicts = view.by_verdict("neutral")
    text = (
        f"## Neutral pairs\n\n{plural(len(verdicts), 'pair')} judged neutral "
        "(related, neither agreeing nor contradicting)."
    )
    if not verdicts or len(verdicts) > NEUTRAL_LIST_LIMIT:
        return text
    items = [
        f"- {escape(v.pair.a.source)}: {escape(v.pair.a.text)} / {escape(v.pair.b.source)}: {escape(v.pair.b.text)}"
        for v in verdicts
    ]
    return text + "\n\n" + "\n".join(items)
