"""Tests for verify.ingest.html: main text (trafilatura mapped back to offsets, the built-in fallback), metadata."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from tests.ingest.helpers import BOILERPLATE_PAGE, load


def test_html_main_text_metadata_and_offsets(tmp_path: Path) -> None:
    raw = """<!doctype html><html><head><title>Kim visits Russia &amp; China</title>
<meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2019-04-23T08:00:00+08:00">
<style>p { color: red }</style><script>var tracking = "Your support";</script></head>
<body><header>Home | World</header><nav><a href="/">Menu</a></nav>
<article><h1>Kim heads to Russia</h1>
<p>Kim Jong-un will meet
  Vladimir Putin on Thursday.</p><p>Talks cover <b>sanctions</b> &amp; aid.</p>
</article><aside>Most read</aside><footer>Copyright</footer>
<form>Subscribe</form></body></html>"""
    path = tmp_path / "page.html"
    path.write_text(raw, encoding="utf-8")
    (article,), _ = load(path)
    assert article.text == (
        "Kim heads to Russia\nKim Jong-un will meet Vladimir Putin on Thursday.\nTalks cover sanctions & aid."
    )
    assert (article.source, article.title, article.date) == ("Example News", "Kim visits Russia & China", "2019-04-23")
    for banned in ("tracking", "color", "Menu", "Most read", "Subscribe", "Home"):
        assert banned not in article.text
    start = article.text.index("Kim Jong-un")
    end = article.text.index("Thursday.") + len("Thursday.")
    s, e = article.span(start, end)
    assert raw[s:e] == "Kim Jong-un will meet\n  Vladimir Putin on Thursday."
    amp = article.text.index("&")
    assert raw[article.offsets[amp] : article.offsets[amp] + 5] == "&amp;"  # entities map to their start


def test_html_without_article_element_uses_the_body(tmp_path: Path) -> None:
    raw = "<html><body><div>First paragraph here.</div><div>Second one.<br>Third.</div></body></html>"
    (tmp_path / "p.htm").write_text(raw, encoding="utf-8")
    (article,), _ = load(tmp_path / "p.htm")
    assert article.text == "First paragraph here.\nSecond one.\nThird."
    assert article.source == "p"


def test_html_main_text_comes_from_trafilatura_with_offsets_into_the_file(tmp_path: Path) -> None:
    from verify.extract.claims import ClaimExtractor

    path = tmp_path / "page.html"
    path.write_bytes(BOILERPLATE_PAGE.read_bytes())
    (article,), _ = load(path)
    for junk in ("cookies", "Related stories", "wheat", "missiles", "Reader1", "1950", "Example Media Group", "Home"):
        assert junk not in article.text, junk  # navigation, related links, comments, footer: gone
    assert article.text.startswith("Kim visits Liberation Tower on anniversary\nNorth Korean leader")
    # every kept character maps back to the same character of the file (entities map to their "&")
    for i, ch in enumerate(article.text):
        source = article.original[article.offsets[i]]
        assert source == ch or ch in "'\n " or source == "&", (i, ch, source)
    claims = ClaimExtractor().extract([article])
    assert claims and any("1947" in c.text for c in claims)
    for claim in claims:
        assert not any(word in claim.text for word in ("wheat", "missiles", "1950", "cookies"))
        start, end = claim.span
        quoted = html.unescape(article.original[start:end]).replace("\u2019", "'")
        assert " ".join(quoted.split()) == " ".join(claim.text.split())


def test_html_falls_back_to_the_builtin_extractor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    path = tmp_path / "page.html"
    path.write_bytes(BOILERPLATE_PAGE.read_bytes())
    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: None)
    (article,), _ = load(path)
    assert "Reader1" in article.text  # the built-in extractor keeps every block outside nav/header/footer
    monkeypatch.setattr(trafilatura, "extract", lambda *a, **k: "Text that is nowhere in the page at all, really.")
    (again,), _ = load(path)
    assert again.text == article.text  # trafilatura's text not found in the page: the built-in result
