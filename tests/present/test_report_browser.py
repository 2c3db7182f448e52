"""The report page in headless Chromium with the network off.

Every non-file:// request is aborted and recorded. Checks: no such request,
every image loaded, the widget views rendered, moving the slider and choosing
from the dropdown switch the figure shown, no console errors. A full-page
screenshot is saved under the test's tmp_path. Needs Debian's chromium
(installed by tools/fetch_widget_manager.sh, which `make setup` runs).
"""

from __future__ import annotations

import re
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
    enabled = ".widget-dropdown select:enabled"      # live explorers' are disabled
    for i in range(p.locator(enabled).count()):
        select = p.locator(enabled).nth(i)
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


# --- the default report as a reader sees it ------------------------------------------

# Text a reader sees (not scripts or styles), and the HTML of every static explorer's
# views from the saved widget state (a Stack shows one view at a time).
PAGE_TEXTS = """() => {
    const out = [];
    const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        const tag = n.parentElement ? n.parentElement.tagName : '';
        if (tag !== 'SCRIPT' && tag !== 'STYLE' && n.textContent.trim()) out.push(n.textContent);
    }
    for (const s of document.querySelectorAll(
            "script[type='application/vnd.jupyter.widget-state+json']")) {
        const state = JSON.parse(s.textContent).state;
        for (const m of Object.values(state)) {
            const v = m.state && m.state.value;
            if (m.model_name === 'HTMLModel' && typeof v === 'string')
                out.push(new DOMParser().parseFromString(v, 'text/html').body.textContent);
        }
    }
    return out;
}"""
# The boxes of matplotlib's text groups (<g id="text_N">, glyphs drawn as paths).
SVG_TEXT_BOXES = """() => [...document.querySelectorAll('g[id^="text_"]')]
    .map(g => { const r = g.getBoundingClientRect();
                return [g.id, r.left, r.top, r.right, r.bottom]; })
    .filter(b => b[3] > b[1] && b[4] > b[2])"""
SECTIONS = """() => [...document.querySelectorAll('h1[id], h2[id]')]
    .filter(h => !h.closest('header, nav'))
    .map(h => [h.id, h.textContent.replace('¶', '').trim(),
               h.getBoundingClientRect().top + window.scrollY])"""
FORBIDDEN = ("PosixPath(", "e+0", "/tmp/")
RAW_TEX = re.compile(r"\$[^$\s][^$]*\$")


def report_out_dir(tmp_path_factory) -> Path:
    """Where the default report goes: ``reports/`` of the checkout (as ``make report``),
    so the screenshots stay next to it for anyone to look at; a temporary folder for an
    installed package."""
    from ukspace_lab import resources

    if resources.in_checkout():
        return resources.ROOT / "reports"
    return tmp_path_factory.mktemp("reports")


@pytest.fixture(scope="module")
def default_report(tmp_path_factory) -> Path:
    from ukspace_lab.present.report import render_report

    return render_report("default", out_dir=report_out_dir(tmp_path_factory))


def overlapping(boxes, tol: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of (id, left, top, right, bottom) boxes that overlap by more than ``tol`` px."""
    return [(a[0], b[0]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
            if min(a[3], b[3]) - max(a[1], b[1]) > tol and min(a[4], b[4]) - max(a[2], b[2]) > tol]


def test_overlap_check_can_fail():
    assert overlapping([("a", 0, 0, 10, 10), ("b", 5, 5, 15, 15)]) == [("a", "b")]
    assert overlapping([("a", 0, 0, 10, 10), ("b", 10, 0, 20, 10)]) == []


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50]


def test_default_report_reads_like_a_finished_one(browser, default_report):
    """The default report in the browser: a screenshot of every section saved in
    reports/default/screenshots/; no text a reader sees (page or explorer views) holds
    PosixPath(, e+0 or /tmp/; the live explorers say they need a kernel and their controls
    are disabled; no two texts of the address-space figure overlap."""
    page = OfflinePage(browser, default_report / "index.html")
    p = page.page
    page.wait_for_widgets()
    texts = p.evaluate(PAGE_TEXTS)
    assert len(texts) > 100
    bad = [(f, t.strip()[:120]) for t in texts for f in FORBIDDEN if f in t]
    assert bad == []
    raw_tex = [t.strip()[:120] for t in texts if RAW_TEX.search(t)]
    assert raw_tex == []                      # the page loads no MathJax: no $...$ left
    notes = p.locator(".ukspace-needs-kernel").count()
    assert notes == 4, notes                                   # notebooks 01-04
    assert p.locator(".jupyter-widgets select:disabled").count() >= notes

    shots = default_report / "screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir()
    sections = p.evaluate(SECTIONS)
    assert len(sections) >= 12, sections
    height = p.evaluate("() => document.documentElement.scrollHeight")
    for i, (anchor, text, top) in enumerate(sections):
        bottom = sections[i + 1][2] if i + 1 < len(sections) else height
        path = shots / f"{i + 1:02d}-{slug(text) or anchor}.png"
        p.screenshot(path=str(path), full_page=True,
                     clip={"x": 0, "y": top, "width": 1280, "height": max(50, bottom - top)})
        assert path.stat().st_size > 2_000, path
    assert len(list(shots.glob("*.png"))) == len(sections)
    assert page.blocked == [] and page.errors == []
    p.close()

    svg = browser.new_page(viewport={"width": 1400, "height": 900})
    svg.goto((default_report / "figures" / "01-address-space.svg").as_uri())
    boxes = svg.evaluate(SVG_TEXT_BOXES)
    assert len(boxes) > 30, len(boxes)          # ticks, titles, legend and the bar labels
    assert overlapping(boxes) == []
    svg.screenshot(path=str(shots / "figure-01-address-space.png"))
    svg.close()
