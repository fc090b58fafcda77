"""Issue 14 in a real browser (Debian's Chromium through Playwright): a 20,000-character word does not
widen the HTML report, and an unterminated right-to-left override in an outlet name does not reverse
the report's own words. The fast checks of the markup live in tests/test_hostile_inputs.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.test_html_browser import CHROMIUM, CHROMIUM_ARGS, sync_api
from verify.ingest import load_articles
from verify.records import Report
from verify.report import render_html

pytestmark = pytest.mark.slow

LONG_WORD = "W" * 20_000
VIEWPORT = 1280


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("articles")
    (folder / "a.md").write_text("---\nsource: \"\u202eEvil outlet\"\ntitle: " + LONG_WORD + "\n---\n"
                                 "Kim met Putin in Vladivostok on April 25, 2019, officials said. " + LONG_WORD + "\n")
    (folder / "b.md").write_text("---\nsource: Beta\n---\nKim met Putin in Vladivostok on April 25, 2019.\n")
    articles = load_articles([folder], on_warning=lambda message: None)
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(Report(tuple(articles), (), (), ())), encoding="utf-8")
    return path


def test_long_words_wrap(page_file: Path) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": VIEWPORT, "height": 900})
        page.goto(page_file.as_uri())
        width = page.evaluate("document.documentElement.scrollWidth")
        browser.close()
    assert width <= VIEWPORT + 2, width  # without overflow-wrap the page is about 316,000 px wide


def test_an_unterminated_override_does_not_reverse_the_report_text(fake_env, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from verify.cli import app

    news = "Kim Jong-un met Vladimir Putin in Vladivostok on April 25, 2019, {who} reported on Thursday.\n"
    (tmp_path / "a.md").write_text("---\nsource: \"\u202eEvil outlet\"\n---\n" + news.format(who="KCNA"))
    (tmp_path / "b.md").write_text("---\nsource: Beta\n---\n" + news.format(who="Yonhap"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["claims", str(tmp_path), "--out", str(out), "--format", "html", "--no-store"])
    assert result.exit_code == 0, result.output
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": VIEWPORT, "height": 900})
        page.goto((out / "report.html").as_uri())
        # in a card heading "Agreement 1: <evil> and Beta", the tool's words stay in reading order
        order = page.evaluate("""() => {
            const h = [...document.querySelectorAll('.card h3, .card h4')].find(e => e.textContent.includes('Evil'));
            const range = document.createRange();
            const rect = node => { range.selectNodeContents(node); return range.getBoundingClientRect().left; };
            const texts = [...h.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
            const bdis = [...h.children].filter(e => e.textContent.includes('Evil') || e.textContent === 'Beta');
            return [...texts.map(n => [n.textContent.trim(), rect(n)]), ...bdis.map(b => [b.textContent, rect(b)])];
        }""")
        browser.close()
    positions = dict(order)
    joiner = next(name for name in positions if name in ("and", "vs"))
    evil = next(name for name in positions if "Evil" in name)
    assert positions[joiner] > positions[evil] and positions["Beta"] > positions[joiner], order
