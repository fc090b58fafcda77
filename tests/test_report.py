"""Report rendering: JSON schema, Markdown, HTML, terminal and atomic file writes."""

from __future__ import annotations

import dataclasses
import io
import json
import os
from pathlib import Path

from html.parser import HTMLParser

import pydantic
import pytest
from rich.console import Console

import verify
from verify.errors import ConfigError, InputError
from verify.report import (
    SCHEMA_VERSION,
    ReportJSON,
    json_schema,
    load_json,
    render_html,
    render_json,
    render_markdown,
    render_terminal,
    to_json_model,
    write_reports,
)
from verify.records import Article, Claim, ClaimPair, Cluster, Conflict, PairVerdict, Report, TimeSpan

HOSTILE = '<script>alert(1)</script> " onmouseover="x'
HOSTILE_IMG = "<img src=x onerror=alert(2)>"


def _article(id: str, source: str, text: str, date: str | None, url: str | None = None) -> Article:
    return Article(
        id=id,
        path=f"seeds/{id[2:]}.txt",
        source=source,
        title=f"{source} story",
        date=date,
        url=url,
        text=text,
        original=text,
        offsets=tuple(range(len(text) + 1)),
    )


def _claim(id: str, article: Article, text: str, standalone: str | None = None) -> Claim:
    start = article.text.find(text)
    return Claim(
        id=id,
        article_id=article.id,
        source=article.source,
        text=text,
        standalone=standalone or text,
        span=(start, start + len(text)),
        dates=("1945-08-09",),
    )


def _probs(e: float, n: float, c: float) -> dict[str, float]:
    return {"entailment": e, "neutral": n, "contradiction": c}


@pytest.fixture()
def report() -> Report:
    yon_text = "The bomb fell on Aug 9. It killed 40,000 people."
    yon = _article("a:yon", "Yonhap", yon_text, "1945-08-10", "https://ex.org/a")
    kcna = _article("a:kcna", "KCNA", f"The bomb fell on Aug 8. {HOSTILE}", None)
    c1 = _claim("c:1", yon, "The bomb fell on Aug 9.")
    c2 = _claim("c:2", kcna, "The bomb fell on Aug 8.")
    c3 = _claim("c:3", yon, "It killed 40,000 people.", standalone="The bomb killed 40,000 people.")
    c4 = _claim("c:4", kcna, HOSTILE)
    contradict = PairVerdict(
        pair=ClaimPair(c1, c2, similarity=0.93, shared=("bomb",)),
        verdict="contradict",
        confidence=0.87,
        forward=_probs(0.02, 0.08, 0.90),
        backward=_probs(0.05, 0.11, 0.84),
        reason="dates differ",
        conflicts=("date: Aug 9 vs Aug 8",),
    )
    support = PairVerdict(
        pair=ClaimPair(c3, c4, similarity=0.71),
        verdict="support",
        confidence=0.95,
        forward=_probs(0.95, 0.04, 0.01),
        backward=_probs(0.91, 0.07, 0.02),
        reason=f"both directions entail {HOSTILE}",
    )
    neutral = PairVerdict(
        pair=ClaimPair(c1, c4, similarity=0.40),
        verdict="neutral",
        confidence=0.99,
        forward=_probs(0.1, 0.8, 0.1),
        backward=_probs(0.1, 0.8, 0.1),
        reason="no entailment either way",
    )
    clusters = (
        Cluster(id="k:date", claim_ids=("c:1", "c:2"), sources=("a:yon", "a:kcna"), disagree=(("a:yon", "a:kcna"),)),
        Cluster(id="k:toll", claim_ids=("c:3", "c:4"), sources=("a:yon", "a:kcna"), agree=(("a:yon", "a:kcna"),)),
    )
    meta = {
        "models": {"nli": {"alias": "tiny-nli", "revision": "abc123"}, "embed": "minilm"},
        "thresholds": {"contradict": 0.5},
        "created": "2024-05-01T12:00:00Z",
    }
    # Verdicts deliberately out of order: the report must sort them.
    return Report(
        articles=(yon, kcna),
        claims=(c1, c2, c3, c4),
        verdicts=(neutral, support, contradict),
        clusters=clusters,
        meta=meta,
    )


def hostile_report() -> Report:
    """Three outlets and every verdict kind, with markup-like text in every field a page shows.

    Shared with tests/test_html_browser.py, which opens the page in Chromium.
    """
    yon_text = "The bomb fell on Aug 9, 1945.\nIt killed 40,000 people. The tower opened in 1990."
    kcna_text = (
        f"The bomb fell on Aug 8, 1945. About 40,000 people died {HOSTILE_IMG} in the city.\n"
        f"KCNA claimed that 10 ships sank {HOSTILE}."
    )
    times_text = "Two ships sank, officials said. The tower opened on Thursday. Some 40,000 people died."
    yon = _article("a:yon", "Yonhap", yon_text, "1945-08-10", "https://ex.org/a")
    yon = dataclasses.replace(yon, date_source="metadata")
    kcna = dataclasses.replace(
        _article("a:kcna", f"KCNA {HOSTILE_IMG}", kcna_text, None, "javascript:alert(3)"), title=f"Title {HOSTILE}"
    )
    times = dataclasses.replace(_article("a:times", "The Times", times_text, "2024-05-03"), date_source="dateline")

    def claim(id: str, article: Article, text: str, **fields) -> Claim:
        return dataclasses.replace(_claim(id, article, text), dates=fields.pop("dates", ()), **fields)

    bomb_yon = claim("c:1", yon, "The bomb fell on Aug 9, 1945.", dates=("1945-08-09",), entities=("bomb",))
    bomb_kcna = claim("c:2", kcna, "The bomb fell on Aug 8, 1945.", dates=("1945-08-08",), entities=("bomb",))
    toll_yon = claim("c:3", yon, "It killed 40,000 people.", standalone="The bomb killed 40,000 people.",
                     numbers=("40,000",))
    toll_kcna = claim("c:4", kcna, f"About 40,000 people died {HOSTILE_IMG} in the city.", numbers=("40,000",))
    toll_times = claim("c:5", times, "Some 40,000 people died.", numbers=("40,000",))
    ships_kcna = claim("c:6", kcna, f"KCNA claimed that 10 ships sank {HOSTILE}.", attribution=f"KCNA {HOSTILE}")
    ships_times = claim("c:7", times, "Two ships sank, officials said.")
    tower_yon = claim("c:8", yon, "The tower opened in 1990.", dates=("1990",),
                      time=TimeSpan("1990-01-01", "1990-12-31", "in 1990", "year"))
    tower_times = claim("c:9", times, "The tower opened on Thursday.",
                        time=TimeSpan("2024-05-02", "2024-05-02", f"on Thursday {HOSTILE}", "day"))

    def verdict(a: Claim, b: Claim, kind: str, confidence: float, reason: str, *conflicts: str,
                shared: tuple[str, ...] = ()) -> PairVerdict:
        probs = {"support": _probs(0.9, 0.08, 0.02), "neutral": _probs(0.1, 0.8, 0.1)}.get(
            kind, _probs(0.05, 0.1, 0.85)
        )
        evidence = tuple(Conflict(unit, *values.split(" vs ")) for unit, values in (c.split(": ", 1) for c in conflicts))
        return PairVerdict(ClaimPair(a, b, similarity=0.8, shared=shared), kind, confidence, probs, probs, reason,
                           conflicts, "value-conflict" if conflicts else "", evidence)

    verdicts = (
        verdict(bomb_yon, bomb_kcna, "contradict", 0.87, "dates differ", "date: 1945-08-09 vs 1945-08-08",
                shared=("bomb",)),
        verdict(ships_kcna, ships_times, "disputed", 0.72, f"the attributed claim is disputed {HOSTILE}",
                f"ship: 10 vs 2 {HOSTILE_IMG}"),
        verdict(tower_yon, tower_times, "different-time", 0.66, "they describe different times"),
        verdict(toll_yon, toll_kcna, "support", 0.95, f"both directions entail {HOSTILE}", shared=("40,000",)),
        verdict(toll_yon, toll_times, "support", 0.55, "one direction entails", shared=("40,000",)),
        verdict(bomb_yon, toll_times, "neutral", 0.40, "no entailment either way"),
    )
    clusters = (
        Cluster("k:toll", ("c:3", "c:4", "c:5"), ("a:yon", "a:kcna", "a:times"),
                agree=(("a:yon", "a:kcna"), ("a:yon", "a:times"))),
    )
    claims = (bomb_yon, bomb_kcna, toll_yon, toll_kcna, toll_times, ships_kcna, ships_times, tower_yon, tower_times)
    meta = {"models": {"nli": {"alias": f"nli {HOSTILE}", "revision": "abc123"}}, "created": "2024-05-01T12:00:00Z"}
    return Report(articles=(yon, kcna, times), claims=claims, verdicts=verdicts, clusters=clusters, meta=meta)


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every start tag of ``page`` with its attributes, as a browser's tokenizer sees them."""

    class Collector(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.tags: list[tuple[str, dict[str, str | None]]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.append((tag, dict(attrs)))

    collector = Collector()
    collector.feed(page)
    collector.close()
    return collector.tags


# --------------------------------------------------------------------------- JSON


def test_json_round_trips(report: Report) -> None:
    text = render_json(report)
    model = ReportJSON.model_validate_json(text)
    assert model == to_json_model(report)
    data = json.loads(text)
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["verify_version"] == verify.__version__
    assert data["created"] == "2024-05-01T12:00:00Z"
    assert data["meta"]["models"]["nli"]["revision"] == "abc123"
    assert data["claims"][0]["source"] == "a:yon"
    assert data["claims"][0]["source_name"] == "Yonhap"


def test_pairs_are_ordered_contradictions_first(report: Report) -> None:
    pairs = json.loads(render_json(report))["pairs"]
    assert [p["verdict"] for p in pairs] == ["contradict", "support", "neutral"]
    assert pairs[0]["scores"]["forward"]["contradiction"] == pytest.approx(0.90)
    assert pairs[0]["conflicts"] == ["date: Aug 9 vs Aug 8"]


def test_spans_are_lists_of_two_ints(report: Report) -> None:
    for claim in json.loads(render_json(report))["claims"]:
        span = claim["span"]
        assert isinstance(span, list) and len(span) == 2
        assert all(isinstance(x, int) for x in span)


def test_extra_keys_are_rejected(report: Report) -> None:
    data = json.loads(render_json(report))
    data["surprise"] = 1
    with pytest.raises(pydantic.ValidationError):
        ReportJSON.model_validate(data)
    data = json.loads(render_json(report))
    data["pairs"][0]["surprise"] = 1
    with pytest.raises(pydantic.ValidationError):
        ReportJSON.model_validate(data)


def test_json_schema_lists_top_level_fields() -> None:
    schema = json_schema()
    assert set(schema["required"]) >= {"schema_version", "verify_version", "created", "pairs", "clusters"}
    assert schema["additionalProperties"] is False


def test_load_json(report: Report, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(render_json(report), encoding="utf-8")
    assert load_json(path) == to_json_model(report)


@pytest.mark.parametrize("content", [None, "{not json", '{"schema_version": "1.0"}'])
def test_load_json_bad_file_is_one_line_input_error(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "report.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_json(path)
    assert str(path) in str(info.value)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- Markdown


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


# --------------------------------------------------------------------------- HTML


def test_html_escapes_article_text(report: Report) -> None:
    page = render_html(report)
    assert "<script>alert(1)</script>" not in page
    assert '" onmouseover="x' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot; onmouseover=&quot;x" in page


def test_html_never_emits_hostile_markup() -> None:
    page = render_html(hostile_report())
    for raw in ("<script>alert", "<img", '" onmouseover="x', "javascript:alert(3)\"", 'href="javascript:'):
        assert raw not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    tags = _tags(page)
    assert not [t for t, _ in tags if t == "img"]
    assert [attrs for t, attrs in tags if t == "script"] == [{}]
    handlers = [(t, name) for t, attrs in tags for name in attrs if name.startswith("on")]
    assert handlers == []
    hrefs = {attrs["href"] for t, attrs in tags if t == "a"}
    assert all(h.startswith(("#", "https://")) for h in hrefs), hrefs


def test_html_marks_claims_in_full_articles() -> None:
    page = render_html(hostile_report())
    tags = _tags(page)
    marked = {attrs["id"] for t, attrs in tags if t == "mark" and attrs.get("id")}
    assert marked == {f"claim-c:{n}" for n in range(1, 10)}
    links = {attrs["href"] for t, attrs in tags if t == "a" and attrs["href"].startswith("#claim-")}
    assert links and {h[1:] for h in links} <= marked
    assert page.index('id="contradictions"') < page.index('id="different-time"') < page.index('id="agreements"')
    assert '<mark class="conflict">Aug 9, 1945</mark>' in page and '<mark class="shared">40,000</mark>' in page
    assert "1 agree / 1 disagree" in page  # Yonhap and KCNA in the outlet matrix


def test_html_without_article_texts_skips_full_articles(report: Report) -> None:
    bare = dataclasses.replace(report, articles=tuple(dataclasses.replace(a, text="") for a in report.articles))
    page = render_html(bare)
    assert 'id="articles"' not in page and 'href="#claim-' not in page


def test_html_has_lang_and_landmarks(report: Report) -> None:
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page
    for tag in ("<header>", "<main>", "<nav"):
        assert tag in page
    assert page.index("Contradiction 1") < page.index('id="agreements"')
    assert ">contradict<" in page  # the verdict is a text label, not only a colour


def test_html_is_self_contained(report: Report) -> None:
    page = render_html(report)
    tags = _tags(page)
    assert not [t for t, _ in tags if t in ("link", "img", "iframe", "object", "embed")]
    assert [attrs for t, attrs in tags if t == "script"] == [{}]  # one inline script, no src
    assert "@import" not in page and "url(" not in page
    csp = [a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and csp[0].startswith("default-src 'none';")  # the CSP blocks any load the page did not plan
    user_urls = {a.url for a in report.articles if a.url}
    outside = page
    for url in user_urls:
        outside = outside.replace(url, "")
    assert "http://" not in outside and "https://" not in outside


def test_html_does_not_link_non_http_urls(report: Report) -> None:
    art = report.articles[0]
    evil = Report(
        articles=(dataclasses.replace(art, url="javascript:alert(1)"),),
        claims=(),
        verdicts=(),
        clusters=(),
    )
    assert 'href="javascript:' not in render_html(evil)


# --------------------------------------------------------------------------- terminal


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


# --------------------------------------------------------------------------- files


def test_write_reports_writes_all_formats_atomically(report: Report, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "out"
    out.mkdir(parents=True)
    (out / "report.json").write_text('{"old": "' + "x" * 10_000 + '"}', encoding="utf-8")

    paths = write_reports(report, out, ["json", "md", "html"])

    assert [p.name for p in paths] == ["report.json", "report.md", "report.html"]
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.manifest.json", "report.md"]
    assert load_json(out / "report.json").schema_version == SCHEMA_VERSION  # old file wholly replaced
    assert "## Contradictions" in (out / "report.md").read_text(encoding="utf-8")
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_write_reports_creates_out_dir(report: Report, tmp_path: Path) -> None:
    out = tmp_path / "new"
    assert write_reports(report, out, ["md"]) == [out / "report.md"]


def test_write_reports_keeps_old_report_when_rendering_fails(
    report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "report.json").write_text("previous", encoding="utf-8")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt  # e.g. Ctrl-C after the temp file is written, before the rename

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_reports(report, tmp_path, ["json"])
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == "previous"


def test_write_reports_unknown_format(report: Report, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="json, md, html"):
        write_reports(report, tmp_path, ["json", "pdf"])
    assert list(tmp_path.iterdir()) == []  # nothing written before the check
