"""Report rendering: JSON schema, Markdown, HTML, terminal and atomic file writes."""

from __future__ import annotations

import dataclasses
import io
import json
import os
from pathlib import Path

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
from verify.types import Article, Claim, ClaimPair, Cluster, PairVerdict, Report

HOSTILE = '<script>alert(1)</script> " onmouseover="x'


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
    assert "<link" not in page
    assert "<script" not in page
    assert "@import" not in page
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
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.json", "report.md"]
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
