"""The HTML report in a real browser (Debian's Chromium through Playwright): filters, links, safety, accessibility.

Screenshots of the whole page before and after filtering are kept in tests/artifacts/.
The fast check that hostile text is escaped lives in tests/report/test_html.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.report.samples import hostile_report
from verify.report import render_html

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"  # tests/artifacts/ (git-ignored)

from playwright import sync_api  # noqa: E402  (the test extra installs it)

pytestmark = pytest.mark.slow


@dataclass
class Opened:
    """A page showing the report, and everything it did that a report page must not do."""

    page: sync_api.Page
    url: str
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def visible_cards(self) -> list[dict[str, str]]:
        return self.page.eval_on_selector_all(
            ".card[data-verdict]",
            "cards => cards.filter(c => !c.hidden && c.offsetParent !== null).map(c => ({...c.dataset}))",
        )

    def all_cards(self) -> list[dict[str, str]]:
        return self.page.eval_on_selector_all(".card[data-verdict]", "cards => cards.map(c => ({...c.dataset}))")


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    if not CHROMIUM.exists():  # never a silent skip: `make test` installs it
        pytest.fail(f"{CHROMIUM} not found: run `make test` (it installs Debian's chromium) or apt-get install chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(hostile_report()), encoding="utf-8")
    return path


def _open(browser: sync_api.Browser, path: Path, *, javascript: bool = True) -> Iterator[Opened]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=javascript)
    page = context.new_page()
    opened = Opened(page, path.as_uri())
    page.on("console", lambda msg: opened.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: opened.errors.append(str(exc)))
    page.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: opened.requests.append(request.url))
    page.goto(opened.url)
    page.wait_for_load_state("load")
    try:
        yield opened
    finally:
        context.close()


@pytest.fixture()
def opened(browser: sync_api.Browser, report_file: Path) -> Iterator[Opened]:
    yield from _open(browser, report_file)


def _screenshot(opened: Opened, name: str) -> None:
    """The whole page, scrolled to the top first so the sticky filter bar sits in its place."""
    ARTIFACTS.mkdir(exist_ok=True)
    opened.page.evaluate("window.scrollTo(0, 0)")
    opened.page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _assert_quiet(opened: Opened) -> None:
    """No script ran but ours, nothing was logged as an error, nothing but the file itself was fetched."""
    assert opened.errors == []
    assert opened.dialogs == []
    assert [url for url in opened.requests if url.split("#")[0] != opened.url] == []


def test_page_loads_without_errors_dialogs_or_network(opened: Opened) -> None:
    opened.page.mouse.move(400, 400)
    for quote in opened.page.locator("blockquote").all()[:6]:
        quote.hover()  # an injected onmouseover would fire here
    _assert_quiet(opened)
    assert opened.page.locator("#filters").is_visible()
    assert opened.page.locator("#filter-status").inner_text() == f"Showing {len(opened.all_cards())} of 6 pairs."
    _screenshot(opened, "report-full.png")


def test_verdict_filter_hides_support_cards(opened: Opened) -> None:
    assert any(card["verdict"] == "support" for card in opened.visible_cards())
    opened.page.get_by_role("checkbox", name="support").uncheck()
    visible = opened.visible_cards()
    assert visible and all(card["verdict"] != "support" for card in visible)
    assert {card["verdict"] for card in visible} == {"contradict", "disputed", "different-time", "neutral"}
    assert opened.page.locator("#agreements .group").first.is_hidden()  # a cluster with no card left to show
    opened.page.get_by_role("checkbox", name="support").check()
    assert len(opened.visible_cards()) == len(opened.all_cards())
    _assert_quiet(opened)


def test_outlet_filter_hides_other_outlets_cards(opened: Opened) -> None:
    opened.page.get_by_label("Outlet", exact=True).select_option("The Times")
    visible = opened.visible_cards()
    expected = [c for c in opened.all_cards() if "The Times" in (c["outletA"], c["outletB"])]
    assert visible == expected and 0 < len(visible) < len(opened.all_cards())
    _screenshot(opened, "report-filtered-outlet.png")
    hostile_outlet = [o for o in opened.page.eval_on_selector_all("#filter-outlet option", "os => os.map(o => o.value)")
                      if o.startswith("KCNA")]
    opened.page.get_by_label("Outlet", exact=True).select_option(hostile_outlet[0])
    assert {c["outletA"] for c in opened.visible_cards()} | {c["outletB"] for c in opened.visible_cards()} >= {
        hostile_outlet[0]
    }
    _assert_quiet(opened)


def test_confidence_slider_hides_low_confidence_cards(opened: Opened) -> None:
    slider = opened.page.get_by_label("Minimum confidence")
    slider.fill("0.7")
    visible = opened.visible_cards()
    assert visible and all(float(card["confidence"]) >= 0.7 for card in visible)
    assert len(visible) == len([c for c in opened.all_cards() if float(c["confidence"]) >= 0.7]) < len(
        opened.all_cards()
    )
    assert opened.page.locator("#filter-confidence-value").inner_text() == "0.70"
    _screenshot(opened, "report-filtered-confidence.png")
    opened.page.get_by_role("button", name="Show all").click()
    sync_api.expect(opened.page.locator(".card[hidden]")).to_have_count(0)  # (the page's CSP forbids wait_for_function)
    _assert_quiet(opened)


def test_quote_link_goes_to_the_claim_in_its_article(opened: Opened) -> None:
    link = opened.page.locator("#contradictions blockquote a[href^='#claim-']").first
    href = link.get_attribute("href")
    assert href == "#claim-c:1"
    link.click()
    sync_api.expect(opened.page).to_have_url(opened.url + "#claim-c:1")
    target = opened.page.locator(":target")
    assert target.evaluate("el => el.tagName") == "MARK"
    assert target.evaluate("el => el.closest('section').id") == "articles"
    assert target.inner_text() == "The bomb fell on Aug 9, 1945."
    assert target.is_visible()
    assert opened.page.evaluate("document.querySelector(':target').getBoundingClientRect().top") < 900
    _assert_quiet(opened)


def test_landmarks_labels_and_heading_order(opened: Opened) -> None:
    page = opened.page
    for role in ("banner", "navigation", "main"):
        assert page.get_by_role(role).count() == 1, role
    unlabelled = page.evaluate(
        "Array.from(document.querySelectorAll('input, select, textarea'))"
        ".filter(el => !el.labels || el.labels.length === 0).map(el => el.outerHTML)"
    )
    assert unlabelled == []
    assert page.locator("input, select").count() >= 7  # five verdicts, the outlet, the confidence
    levels = page.eval_on_selector_all("h1, h2, h3, h4, h5, h6", "hs => hs.map(h => Number(h.tagName[1]))")
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels
    labels = page.locator(".card .label").all_inner_texts()  # the verdict is written out, not only a colour
    assert {label.lower() for label in labels} == {"contradict", "disputed", "different-time", "support", "neutral"}


def test_hostile_text_is_shown_as_text(opened: Opened) -> None:
    page = opened.page
    assert page.locator("img, iframe, object, embed").count() == 0
    assert page.locator("script").count() == 1
    assert page.evaluate(
        "Array.from(document.querySelectorAll('*')).flatMap(el => Array.from(el.attributes))"
        ".filter(a => a.name.startsWith('on')).length"
    ) == 0
    assert "<script>alert(1)</script>" in page.locator("#articles").inner_text()
    assert "<img src=x onerror=alert(2)>" in page.locator("#contradictions").inner_text()
    _assert_quiet(opened)


def test_page_works_without_javascript(browser: sync_api.Browser, report_file: Path) -> None:
    for opened in _open(browser, report_file, javascript=False):
        assert opened.page.locator("#filters").is_hidden()  # no controls that would do nothing
        assert len(opened.visible_cards()) == len(opened.all_cards()) == 6
        assert opened.page.locator("#articles mark[id^='claim-']").count() == 9
        _assert_quiet(opened)
