"""The HTML report (``report.html``): one self-contained page with an overview, filters, cards for every
verdict kind, an outlet matrix and each article's text with its claims marked.

The page's stylesheet and script are package data (``assets/report.css``, ``assets/report.js``), inlined
and pinned by hash in the page's Content-Security-Policy, so nothing else can run or load. Every string
that comes from an article, a claim or a verdict goes through ``_e()`` (and ``_b()`` where bidi text could
reorder the page's own words); the script reads only data-* attributes and form values. Without
JavaScript every card is visible and the (useless) filter form stays hidden.
"""

from __future__ import annotations

import base64
import bisect
import dataclasses
import hashlib
import html
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from importlib import resources
from urllib.parse import quote

from verify import __version__
from verify.extract.values import MONTH_NAMES
from verify.records import NLI_LABELS, Article, Claim, Conflict, PairVerdict, Report
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
    verdict_counts,
)


def _asset(name: str) -> str:
    """``verify/report/assets/<name>`` (package data) as the page embeds it: after a newline."""
    return "\n" + (resources.files("verify.report") / "assets" / name).read_text(encoding="utf-8")


CSS = _asset("report.css")  # the page's <style>
JS = _asset("report.js")  # the page's <script>: the filters


def _csp_source(code: str) -> str:
    digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


_CSP = (
    f"default-src 'none'; style-src {_csp_source(CSS)}; script-src {_csp_source(JS)}; "
    "base-uri 'none'; form-action 'none'"
)
_VERDICT_MEANING = {
    "contradict": "the outlets assert incompatible facts",
    "disputed": "an attributed claim conflicts with an asserted one",
    "different-time": "the claims conflict, but describe different moments",
    "support": "the claims state the same fact",
    "neutral": "related, neither agreeing nor contradicting",
}
_SCORE_OF_VERDICT = {"support": "entailment", "neutral": "neutral"}  # the rest: contradiction


def _e(text: object) -> str:
    """Escaped for HTML text or an attribute value, without control characters."""
    return html.escape(safe_text(text, bidi=False), quote=True)


def _b(text: object) -> str:
    """Data shown inline: escaped and isolated in <bdi>, so right-to-left text or an unterminated bidi
    override (U+202E) in an outlet name or a title cannot reorder the report's own words around it."""
    return f"<bdi>{_e(text)}</bdi>"


def _isolated(text: object) -> str:
    """Data inside an element that takes no markup (<option>): isolated with FSI ... PDI instead of <bdi>."""
    return f"\u2068{_e(text)}\u2069"


@dataclasses.dataclass(frozen=True, slots=True)
class _Page:
    """What the HTML renderers share: the view, where each claim sits in its article's text, the outlets."""

    view: View
    places: dict[str, tuple[int, int]]  # claim id -> [start, end) in Article.text
    outlets: tuple[str, ...]

    @classmethod
    def of(cls, report: Report) -> _Page:
        view = View.of(report)
        places = {}
        for claim in report.claims:
            article = view.articles.get(claim.article_id)
            place = _text_place(article, claim) if article else None
            if place:
                places[claim.id] = place
        outlets = dict.fromkeys([a.source for a in report.articles] + [c.source for c in report.claims])
        return cls(view, places, tuple(outlets))


def _text_place(article: Article, claim: Claim) -> tuple[int, int] | None:
    """Where ``claim`` sits in ``article.text``: its span mapped back through the offsets, else a text search."""
    text = article.text
    if not text:
        return None
    if len(article.offsets) == len(text) + 1:
        start = bisect.bisect_left(article.offsets, claim.span[0], 0, len(text))
        end = bisect.bisect_left(article.offsets, claim.span[1], start, len(text))
        if end > start and one_line(text[start:end]) == one_line(claim.text):
            return start, end
    found = text.find(claim.text) if claim.text else -1
    return (found, found + len(claim.text)) if found >= 0 else None


def _claim_anchor(claim_id: str) -> str:
    return "claim-" + claim_id


def _claim_href(claim_id: str) -> str:
    return "#" + quote(_claim_anchor(claim_id), safe=":-_.~")


def render_html(report: Report) -> str:
    """The whole HTML page."""
    page = _Page.of(report)
    counts = verdict_counts(report)
    conflicts = counts["contradict"] + counts["disputed"]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">',
            f"<title>verify report: {_e(plural(conflicts, 'contradiction'))}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            '<a class="skip" href="#overview">Skip to the report</a>',
            _html_header(report),
            _html_nav(page),
            "<main>",
            _html_overview(page),
            _html_filters(page),
            _html_contradictions(page),
            _html_different_time(page),
            _html_agreements(page),
            _html_matrix(page),
            _html_neutral(page),
            _html_articles(page),
            "</main>",
            f"<script>{JS}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _html_header(report: Report) -> str:
    return (
        "<header>\n<h1>verify report</h1>\n"
        f'<p class="muted">Run {_e(run_date(report))} with verify {_e(__version__)}; '
        f"models: {_b(models_line(report.meta))}.</p>\n</header>"
    )


def _html_nav(page: _Page) -> str:
    links = [("overview", "Overview"), ("contradictions", "Contradictions"), ("different-time", "Different times"),
             ("agreements", "Agreements"), ("matrix", "Outlet matrix"), ("neutral", "Neutral pairs")]
    if _articles_with_text(page):
        links.append(("articles", "Full articles"))
    items = "".join(f'<li><a href="#{anchor}">{label}</a></li>' for anchor, label in links)
    return f'<nav aria-label="Sections"><ul>{items}</ul></nav>'


def _html_section(anchor: str, title: str, body: list[str]) -> str:
    return (
        f'<section id="{anchor}" aria-labelledby="{anchor}-h">\n<h2 id="{anchor}-h">{_e(title)}</h2>\n'
        + "\n".join(body)
        + "\n</section>"
    )


def _html_label(verdict: str) -> str:
    return f'<span class="label {_e(verdict)}">{_e(verdict)}</span>'


def _html_link(url: str | None) -> str:
    """Only http(s) URLs become links; anything else (javascript:, data:) is shown as text."""
    if not url:
        return ""
    if url.lower().startswith(("http://", "https://")):
        return f'<a href="{_e(url)}" rel="noopener noreferrer">link</a>'
    return _b(url)


# ----- overview and outlet matrix (the matrix is rendered after the agreements)


def _html_overview(page: _Page) -> str:
    view = page.view
    rows = "\n".join(
        f'<tr><th scope="row" dir="auto">{_e(a.source)}</th><td dir="auto">{_e(a.title or "")}</td>'
        f'<td class="date">{_e(format_date(a.date))}</td><td dir="auto">{_e(_date_source(a))}</td>'
        f"<td>{view.claim_counts[a.id]}</td><td>{_html_link(a.url)}</td></tr>"
        for a in view.report.articles
    )
    counts = verdict_counts(view.report)
    count_items = "".join(f"<li>{_html_label(verdict)} <strong>{n}</strong></li>" for verdict, n in counts.items())
    return _html_section("overview", "Overview", [
        ('<div class="table-wrap"><table>\n<caption>Sources</caption>\n'
         '<thead><tr><th scope="col">Source</th><th scope="col">Title</th><th scope="col">Date</th>'
         '<th scope="col">Date from</th><th scope="col">Claims</th><th scope="col">URL</th></tr></thead>\n'
         f"<tbody>\n{rows}\n</tbody>\n</table></div>"),
        f"<p>{_e(counts_line(view.report))}</p>",
        f'<ul class="counts" aria-label="Pairs per verdict">{count_items}</ul>',
    ])


def _date_source(article: Article) -> str:
    if article.date_source:
        return article.date_source
    return "not recorded" if article.date else "—"


def _outlet_tallies(view: View) -> Counter[tuple[str, str, bool]]:
    """(outlet, outlet, disagrees) -> number of pairs, counted in both directions."""
    tallies: Counter[tuple[str, str, bool]] = Counter()
    for verdict in view.report.verdicts:
        if verdict.verdict != "support" and verdict.verdict not in CONFLICT_VERDICTS:
            continue
        a, b = verdict.pair.a.source, verdict.pair.b.source
        for key in dict.fromkeys([(a, b), (b, a)]):
            tallies[(*key, verdict.verdict != "support")] += 1
    return tallies


def _html_matrix(page: _Page) -> str:
    tallies = _outlet_tallies(page.view)
    head = "".join(f'<th scope="col" dir="auto">{_e(outlet)}</th>' for outlet in page.outlets)
    rows = "\n".join(
        f'<tr><th scope="row" dir="auto">{_e(row)}</th>'
        + "".join(_html_matrix_cell(tallies, row, col) for col in page.outlets)
        + "</tr>"
        for row in page.outlets
    )
    return _html_section("matrix", "Outlet matrix", [
        ('<div class="table-wrap"><table class="matrix">\n'
         "<caption>Pairs of claims where two outlets agree (support) or disagree (contradict or disputed)</caption>\n"
         f'<thead><tr><td></td>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table></div>'),
    ])


def _html_matrix_cell(tallies: Counter[tuple[str, str, bool]], row: str, col: str) -> str:
    agree, disagree = tallies[(row, col, False)], tallies[(row, col, True)]
    if row == col and not (agree or disagree):
        return '<td class="muted">same outlet</td>'
    css = ' class="disagree"' if disagree else ""
    return f"<td{css}>{agree} agree / {disagree} disagree</td>"


# ----- filters


def _html_filters(page: _Page) -> str:
    counts = verdict_counts(page.view.report)
    present = [verdict for verdict, n in counts.items() if n]
    if not present:
        return ""
    boxes = "".join(
        f'<label><input type="checkbox" name="verdict" value="{_e(verdict)}" checked> '
        f"{_html_label(verdict)} ({counts[verdict]})</label>"
        for verdict in present
    )
    options = '<option value="">All outlets</option>' + "".join(
        f'<option value="{_e(outlet)}">{_isolated(outlet)}</option>' for outlet in page.outlets
    )
    return (
        '<form id="filters" class="filters" aria-label="Filter pairs" hidden>\n'
        f"<fieldset><legend>Verdicts</legend>{boxes}</fieldset>\n"
        '<span class="control"><label for="filter-outlet">Outlet</label>'
        f'<select id="filter-outlet" name="outlet">{options}</select></span>\n'
        '<span class="control"><label for="filter-confidence">Minimum confidence</label>'
        '<input type="range" id="filter-confidence" name="confidence" min="0" max="1" step="0.05" value="0">'
        '<output id="filter-confidence-value" for="filter-confidence">0.00</output></span>\n'
        '<button type="reset">Show all</button>\n'
        '<p id="filter-status" role="status" aria-live="polite"></p>\n'
        "</form>"
    )


# ----- cards


def _html_card(page: _Page, verdict: PairVerdict, title: str, level: int = 3) -> str:
    a, b = verdict.pair.a, verdict.pair.b
    joiner = "vs" if verdict.verdict in CONFLICT_VERDICTS else "and"
    heading = _e("h-" + verdict.pair.id)
    data = (
        f'data-verdict="{_e(verdict.verdict)}" data-outlet-a="{_e(a.source)}" data-outlet-b="{_e(b.source)}" '
        f'data-confidence="{verdict.confidence:.4f}"'
    )
    return (
        f'<article class="card {_e(verdict.verdict)}" id="{_e("pair-" + verdict.pair.id)}" {data} '
        f'aria-labelledby="{heading}">\n'
        f'<h{level} id="{heading}">{_html_label(verdict.verdict)} {_e(title)}: '
        f"{_b(a.source)} {joiner} {_b(b.source)}</h{level}>\n"
        f'<div class="quotes">{_html_quote(page, verdict, a, b)}{_html_quote(page, verdict, b, a)}</div>\n'
        f"{_html_facts(verdict)}\n{_html_scores(verdict)}\n</article>"
    )


def _html_quote(page: _Page, verdict: PairVerdict, claim: Claim, other: Claim) -> str:
    conflict, shared = _mark_patterns(verdict, claim, other)
    read_as = ""
    if reads_differently(claim):
        read_as = f'<p class="muted">read as: {_b(claim.standalone)}</p>'
    about = [f"<cite>{_b(claim.source)}</cite>", _e(page.view.date(claim))]
    if claim.attribution:
        about.append(f"attributed to {_b(claim.attribution)}")
    if claim.time:
        about.append(f"about {_b(_time_words(claim))}")
    if claim.id in page.places:
        about.append(f'<a href="{_e(_claim_href(claim.id))}">in the full article</a>')
    return (
        f'<blockquote><p dir="auto">{_highlighted(claim.text, conflict, shared)}</p>{read_as}'
        f"<footer>— {' · '.join(about)}</footer></blockquote>"
    )


def _time_words(claim: Claim) -> str:
    time = claim.time
    if time is None:
        return ""
    when = time.start if time.start == time.end else f"{time.start} to {time.end}"
    return f"“{time.text}” ({when})"


def _html_facts(verdict: PairVerdict) -> str:
    conflicts = ""
    if verdict.conflicts:
        items = "".join(f'<li dir="auto">{_e(c)}</li>' for c in verdict.conflicts)
        conflicts = f"<dt>Conflicts</dt><dd><ul>{items}</ul></dd>"
    meaning = _VERDICT_MEANING.get(verdict.verdict, "")
    return (
        f'<dl class="facts"><dt>Verdict</dt><dd>{_e(verdict.verdict)}: {_e(meaning)}</dd>'
        f"<dt>Confidence</dt><dd>{format_confidence(verdict.confidence)}</dd>"
        f"<dt>Similarity</dt><dd>{format_confidence(verdict.pair.similarity)}</dd>"
        f'<dt>Reason</dt><dd dir="auto">{_e(verdict.reason)}</dd>{conflicts}</dl>'
    )


def _html_scores(verdict: PairVerdict) -> str:
    head = "".join(f'<th scope="col">{_e(label)}</th>' for label in NLI_LABELS)
    rows = "".join(
        f'<tr><th scope="row">{name}</th>'
        + "".join(f"<td>{format_confidence(probs.get(label, 0.0))}</td>" for label in NLI_LABELS)
        + "</tr>"
        for name, probs in (("forward (A→B)", verdict.forward), ("backward (B→A)", verdict.backward))
    )
    label = _SCORE_OF_VERDICT.get(verdict.verdict, "contradiction")
    forward = format_confidence(verdict.forward.get(label, 0.0))
    backward = format_confidence(verdict.backward.get(label, 0.0))
    return (
        f'<details class="scores"><summary>NLI scores: {label} A→B {forward}, B→A {backward}</summary>'
        f"<table><caption>NLI probabilities</caption><thead><tr><td></td>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table></details>"
    )


# ----- highlighting


def _mark_patterns(verdict: PairVerdict, claim: Claim, other: Claim) -> tuple[list[str], list[str]]:
    """Regexes for what to highlight in ``claim``: values named in the verdict's conflict evidence, values both
    claims share. A side of a ``Conflict`` holds one value or several joined by ", " (verify.verdict.rules)."""
    conflict_values = [value for e in verdict.evidence if isinstance(e, Conflict) and e.kind != "commemorates"
                       for side in (e.a, e.b) for value in side.split(", ") if value.strip()]
    in_conflict = {value.lower() for value in conflict_values}
    own = [*claim.entities, *claim.numbers, *claim.dates]
    theirs = {t.lower() for t in (*other.entities, *other.numbers, *other.dates, *verdict.pair.shared)}
    conflict = [t for t in own if t.lower() in in_conflict] + conflict_values
    shared = [t for t in own if t.lower() in theirs] + list(verdict.pair.shared)
    return _patterns(conflict), _patterns(shared)


def _patterns(terms: Iterable[str]) -> list[str]:
    patterns = (_date_pattern(term) or _term_pattern(term) for term in dict.fromkeys(terms) if term.strip())
    return [pattern for pattern in patterns if pattern]


def _term_pattern(term: str) -> str:
    return rf"(?<!\w){re.escape(term.strip())}(?!\w)"


def _date_pattern(value: str) -> str | None:
    """A regex for the ways an ISO date ("1945-08-09", "1945-08", "--08-09", "1945/1950") is written in prose."""
    if "/" in value:
        parts = [p for p in (_date_pattern(part) for part in value.split("/")) if p]
        return "|".join(parts) or None
    match = re.fullmatch(r"(\d{4})?(?:-?-(\d{2}))?(?:-(\d{2}))?", value)
    if not match or not any(match.groups()):
        return None
    year, month, day = match.groups()
    if not month or not 1 <= int(month) <= 12:
        return rf"(?<!\d){year}(?!\d)" if year else None
    name = MONTH_NAMES[int(month) - 1]
    mon = rf"(?:{name}|{name[:3]}\.?)(?!\w)"
    yr = rf"(?:,?\s+{year}(?!\d))?" if year else ""
    if not day:
        return rf"(?<!\w){mon}\s+{year}(?!\d)" if year else rf"(?<!\w){mon}"
    d = rf"0?{int(day)}(?:st|nd|rd|th)?(?!\w)"
    return rf"(?<!\w){mon}\s+{d}{yr}|(?<!\d){d}\s+(?:of\s+)?{mon}{yr}|(?<!\d){re.escape(value)}(?!\d)"


def _highlighted(text: str, conflict: Sequence[str], shared: Sequence[str]) -> str:
    """``text`` escaped, with each match of a conflict or shared pattern wrapped in <mark> (longest, conflict first)."""
    hits = []
    for rank, (kind, patterns) in enumerate((("conflict", conflict), ("shared", shared))):
        for pattern in patterns:
            hits += [(m.start(), -m.end(), rank, kind) for m in re.finditer(pattern, text, re.IGNORECASE) if m.group()]
    out, pos = [], 0
    for start, neg_end, _, kind in sorted(hits):
        if start < pos:
            continue
        out.append(_e(text[pos:start]))
        out.append(f'<mark class="{kind}">{_e(text[start:-neg_end])}</mark>')
        pos = -neg_end
    out.append(_e(text[pos:]))
    return "".join(out)


# ----- sections


_LEGEND = (
    '<p class="legend">In the quotes, <mark class="conflict">bold, underlined</mark> marks the values that conflict, '
    'and <mark class="shared">plain highlight</mark> marks details both claims share.</p>'
)


def _html_contradictions(page: _Page) -> str:
    numbers: Counter[str] = Counter()
    body = []
    for verdict in page.view.by_verdict(*CONFLICT_VERDICTS):
        numbers[verdict.verdict] += 1
        title = "Dispute" if verdict.verdict == "disputed" else "Contradiction"
        body.append(_html_card(page, verdict, f"{title} {numbers[verdict.verdict]}"))
    return _html_section("contradictions", "Contradictions and disputes",
                         [_LEGEND, *body] if body else ["<p>No contradictions found.</p>"])


def _html_different_time(page: _Page) -> str:
    verdicts = page.view.by_verdict("different-time")
    body = [_html_card(page, v, "Different times") for v in verdicts]
    return _html_section("different-time", "Different times (not contradictions)",
                         body or ["<p>No conflicting claims from different times.</p>"])


def _html_agreements(page: _Page) -> str:
    view = page.view
    body: list[str] = []
    for cluster, inside in view.cluster_supports():
        outlets = view.agreeing_outlets(cluster)
        cards = "".join(f"\n{_html_card(page, v, 'Agreement', level=4)}" for v in inside)
        body.append(
            f'<div class="group">\n<h3 dir="auto">{_e(view.cluster_fact(cluster))}</h3>\n'
            f"<p>Agreeing: {_b(outlets)}</p>{cards}\n"
            "</div>"
        )
    loose = view.unclustered_supports()
    if loose:
        cards = "".join(f"\n{_html_card(page, v, 'Agreement', level=4)}" for v in loose)
        body.append(f'<div class="group">\n<h3>Other agreements</h3>{cards}\n</div>')
    facts = page.view.report.facts
    if facts:
        items = "".join(f'<li dir="auto">{_e(fact_line(f))}</li>' for f in facts)
        body.append(f'<div class="group">\n<h3>Facts outlets agree on</h3>\n<ul>{items}</ul>\n</div>')
    return _html_section("agreements", "Agreements", body or ["<p>No agreements found.</p>"])


def _html_neutral(page: _Page) -> str:
    verdicts = page.view.by_verdict("neutral")
    shown = verdicts[:NEUTRAL_LIST_LIMIT]
    note = f" The {len(shown)} most confident are shown." if len(shown) < len(verdicts) else ""
    body = [(f"<p>{plural(len(verdicts), 'pair')} judged {_html_label('neutral')} "
             f"(related, neither agreeing nor contradicting).{note}</p>")]
    body += [_html_card(page, v, "Neutral") for v in shown]
    return _html_section("neutral", "Neutral pairs", body)


def _articles_with_text(page: _Page) -> list[Article]:
    return [article for article in page.view.report.articles if article.text]


def _html_articles(page: _Page) -> str:
    articles = _articles_with_text(page)
    if not articles:
        return ""  # rebuilt from report.json: the texts are not stored there
    claims_of: dict[str, list[tuple[tuple[int, int], str]]] = {}
    for claim in page.view.report.claims:
        if claim.id in page.places:
            claims_of.setdefault(claim.article_id, []).append((page.places[claim.id], claim.id))
    body = [
        "<p>Each article's cleaned text, with every extracted claim highlighted.</p>",
        *(_html_article(article, n, sorted(claims_of.get(article.id, []))) for n, article in enumerate(articles, 1)),
    ]
    return _html_section("articles", "Full articles", body)


def _html_article(article: Article, n: int, places: list[tuple[tuple[int, int], str]]) -> str:
    title = f"{article.source}: {article.title}" if article.title else article.source
    about = [_e(format_date(article.date)), _b(article.path), _html_link(article.url)]
    return (
        f'<article class="source-text" aria-labelledby="article-{n}-h">\n'
        f'<h3 id="article-{n}-h" dir="auto">{_e(title)}</h3>\n'
        f'<p class="muted">{" · ".join(part for part in about if part)}; {plural(len(places), "claim")}</p>\n'
        f'<div class="article-text" dir="auto">{_marked_text(article.text, places)}</div>\n</article>'
    )


def _marked_text(text: str, places: list[tuple[tuple[int, int], str]]) -> str:
    """``text`` escaped, each claim in <mark id="claim-<id>">; a claim overlapping the one before gets an anchor."""
    out, pos = [], 0
    for (start, end), claim_id in places:
        anchor = _e(_claim_anchor(claim_id))
        if start < pos:
            out.append(f'<span id="{anchor}"></span>')
            continue
        out.append(_e(text[pos:start]))
        out.append(f'<mark class="claim" id="{anchor}">{_e(text[start:end])}</mark>')
        pos = end
    out.append(_e(text[pos:]))
    return "".join(out)
