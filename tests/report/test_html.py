"""The HTML report, read as markup (the browser checks are in test_html_browser.py): escaping, links, landmarks."""

from __future__ import annotations

import dataclasses

from tests.report.samples import hostile_report, start_tags
from verify.records import Report
from verify.report import render_html


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
    tags = start_tags(page)
    assert not [t for t, _ in tags if t == "img"]
    assert [attrs for t, attrs in tags if t == "script"] == [{}]
    handlers = [(t, name) for t, attrs in tags for name in attrs if name.startswith("on")]
    assert handlers == []
    hrefs = {attrs["href"] for t, attrs in tags if t == "a"}
    assert all(h.startswith(("#", "https://")) for h in hrefs), hrefs


def test_html_marks_claims_in_full_articles() -> None:
    page = render_html(hostile_report())
    tags = start_tags(page)
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
    tags = start_tags(page)
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
