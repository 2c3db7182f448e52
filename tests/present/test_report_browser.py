"""The report page in headless Chromium with the network off.

Every non-file:// request is aborted and recorded. Checks: no such request,
every image loaded, the widget views rendered, moving the slider and choosing
from the dropdown switch the figure shown, no console errors. A full-page
screenshot is saved under the test's tmp_path. Needs Debian's chromium
(installed by tools/fetch_widget_manager.sh, which `make setup` runs).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .test_report import REAL_NOTEBOOKS, needs_widget_manager, real_report, render_tiny

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.slow, needs_widget_manager]

VISIBLE_IMAGES = """() => [...document.querySelectorAll('.jupyter-widgets img')]
    .filter(i => i.getClientRects().length > 0 && getComputedStyle(i).visibility !== 'hidden')
    .map(i => i.src)"""
# What the widget views show: visible images and visible HTML views (tables).
VISIBLE_CONTENT = """() => [...document.querySelectorAll(
        '.jupyter-widgets img, .jupyter-widgets .widget-html-content')]
    .filter(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
    .map(e => e.tagName === 'IMG' ? e.src : e.innerHTML)"""
BROKEN_IMAGES = """() => [...document.images]
    .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80))"""
# One widget-view <script> per displayed widget; the manager replaces each with a view.
VIEW_SCRIPTS = "script[type='application/vnd.jupyter.widget-view+json']"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"chromium not found at {CHROMIUM}: run tools/fetch_widget_manager.sh "
                    "(apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class OfflinePage:
    """A page that may load file:// only, recording what else it asked for and said."""

    def __init__(self, browser, index: Path):
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.page.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.goto(index.as_uri(), wait_until="load")

    def _route(self, route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _console(self, msg) -> None:
        if msg.type == "error":
            self.errors.append(f"console: {msg.text}")

    def wait_for_widgets(self) -> int:
        """Wait until every widget-view script has a rendered view; the view count."""
        n = self.page.locator(VIEW_SCRIPTS).count()
        assert n > 0, "the page has no widget views"
        self.page.wait_for_function(
            """n => document.querySelectorAll('.jupyter-widgets.lm-Widget').length >= n
                   && [...document.querySelectorAll('.jupyter-widgets img')]
                      .every(i => i.complete)""", arg=n, timeout=30_000)
        return n

    def visible_images(self) -> list[str]:
        return self.page.evaluate(VISIBLE_IMAGES)

    def visible_content(self) -> list[str]:
        return self.page.evaluate(VISIBLE_CONTENT)


@pytest.fixture(scope="module")
def tiny_page(tmp_path_factory):
    return render_tiny(tmp_path_factory.mktemp("browser")) / "index.html"


def test_page_works_offline_and_widgets_switch_views(browser, tiny_page, tmp_path):
    """Images load, widgets render, slider and dropdown change the figure, no errors."""
    page = OfflinePage(browser, tiny_page)
    p = page.page
    page.wait_for_widgets()
    assert p.evaluate(BROKEN_IMAGES) == []
    assert p.locator(".widget-slider").count() == 1 and p.locator(".widget-dropdown select")\
        .count() == 1
    first = page.visible_images()
    assert len(first) == 1

    handle = p.locator(".widget-slider .noUi-handle").first
    handle.focus()
    p.keyboard.press("ArrowRight")
    p.wait_for_function(f"() => ({VISIBLE_IMAGES})()[0] !== {first[0]!r}", timeout=10_000)
    second = page.visible_images()
    assert len(second) == 1 and second != first
    assert p.locator(".widget-dropdown select").input_value() == "50 tasks"  # jslink: both ways

    p.locator(".widget-dropdown select").select_option(index=2)
    p.wait_for_function(f"() => ![{first[0]!r}, {second[0]!r}]"
                        f".includes(({VISIBLE_IMAGES})()[0])", timeout=10_000)
    third = page.visible_images()
    assert len(third) == 1 and third[0] not in (first[0], second[0])
    assert p.locator(".widget-slider .widget-readout").inner_text().strip() == "2"

    p.screenshot(path=str(tmp_path / "index.png"), full_page=True)
    assert (tmp_path / "index.png").stat().st_size > 10_000
    assert page.blocked == []
    assert page.errors == []
    p.close()


@pytest.mark.skipif(not REAL_NOTEBOOKS, reason="notebooks/ has no 0*.ipynb yet")
def test_real_report_page_works_offline(browser, tmp_path_factory, tmp_path):
    """The project's notebooks rendered for desktop: every image loads, every widget view
    renders, each slider or dropdown that drives figures changes the one shown."""
    index = real_report(tmp_path_factory) / "index.html"
    page = OfflinePage(browser, index)
    p = page.page
    page.wait_for_widgets()
    assert p.evaluate(BROKEN_IMAGES) == []
    changed = 0
    for i in range(p.locator(".widget-dropdown select").count()):
        select = p.locator(".widget-dropdown select").nth(i)
        before = page.visible_content()
        options = select.locator("option").count()
        if options < 2:
            continue
        current = select.evaluate("s => s.selectedIndex")
        select.select_option(index=(current + 1) % options)
        p.wait_for_timeout(300)
        changed += page.visible_content() != before
    for i in range(p.locator(".widget-slider .noUi-handle").count()):
        before = page.visible_content()
        p.locator(".widget-slider .noUi-handle").nth(i).focus()
        p.keyboard.press("End")
        p.wait_for_timeout(300)
        changed += page.visible_content() != before
    assert changed > 0, "no slider or dropdown changed a figure"
    p.screenshot(path=str(tmp_path / "index.png"), full_page=True)
    assert page.blocked == []
    assert page.errors == []
    p.close()
