"""What a reader does with the book, in a real browser: search it, switch between light and
dark, hover a reference to see its target, hit a missing page, download a page as the executed
notebook, copy a code block, find the repository; and screenshots of the key pages for review."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import DESKTOP, PHONE, ROOT, SCREENSHOTS, SITE, listing, site_pages

DOCS = ROOT / "docs"
REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "urls"
]["Source"]


def _notebook_pages() -> list[str]:
    """Pages whose source is a MyST notebook (they are executed, and offered as .ipynb)."""
    if not SITE.is_dir():
        return ["index.html"]  # a placeholder id; the tests are skipped
    found = []
    for src in sorted(DOCS.glob("*.md")):
        head = src.read_text(encoding="utf-8").split("\n---", 1)[0]
        is_notebook = head.startswith("---") and "kernelspec:" in head
        if is_notebook and (SITE / f"{src.stem}.html").is_file():
            found.append(f"{src.stem}.html")
    return found


def _pages_linking_equations() -> list[str]:
    if not SITE.is_dir():
        return ["index.html"]
    return [
        p
        for p in site_pages()
        if not p.startswith("_") and "#equation-" in (SITE / p).read_text(encoding="utf-8")
    ]


# ---- search -----------------------------------------------------------------------------------

SEARCHES = {
    # query: pages that must be among the results (each states the word in its prose)
    "bias": {"index.html", "example.html", "care.html", "notation.html"},
    "Jacobian": {"care.html"},
}


def _search_results(visit: Any) -> list[str]:
    page = visit.page
    page.wait_for_selector("#search-results .search-summary", timeout=15_000)
    page.wait_for_function(
        "!document.querySelector('#search-results .search-summary')"
        ".textContent.startsWith('Preparing')"
    )
    page.wait_for_function(
        "document.querySelector('#search-results .search-summary').textContent"
        ".includes('Search finished')",
        timeout=15_000,
    )
    return page.eval_on_selector_all(
        "#search-results ul.search li > a", "els => els.map(a => a.getAttribute('href'))"
    )


@pytest.mark.parametrize("query", sorted(SEARCHES))
def test_search_finds_the_pages(open_in: Any, query: str) -> None:
    visit = open_in(f"search.html?q={query}")
    hrefs = _search_results(visit)
    pages = {h.split("#")[0] for h in hrefs}
    assert SEARCHES[query] <= pages, f"search for {query!r} returned {hrefs}"
    excerpts = visit.page.eval_on_selector_all(
        "#search-results p.context", "els => els.map(p => p.textContent)"
    )
    tex = [e for e in excerpts if re.search(r"\\[A-Za-z]+", e)]
    assert tex == [], f"raw TeX in search excerpts: {tex}"
    assert visit.problems() == [], listing(visit.path, visit.problems())


def test_search_shows_section_titles_with_math_as_text(open_in: Any) -> None:
    """A section titled with math is listed in plain text, not in TeX."""
    visit = open_in("search.html?q=stops%20the%20naive%20drift")
    _search_results(visit)
    titles = visit.page.eval_on_selector_all(
        "#search-results ul.search li > a", "els => els.map(a => a.textContent)"
    )
    assert any("A learned β stops the naive drift" in t for t in titles), titles
    tex = [t for t in titles if "\\" in t]
    assert tex == [], f"raw TeX in search result titles: {tex}"


def test_search_from_the_theme_search_box(open_in: Any) -> None:
    visit = open_in("care.html")
    page = visit.page
    page.locator("button.search-button__button:visible").first.click()
    page.wait_for_selector("#pst-search-dialog[open] input[name=q]")
    page.fill("#pst-search-dialog input[name=q]", "Jacobian")
    page.press("#pst-search-dialog input[name=q]", "Enter")
    page.wait_for_url("**/search.html?q=Jacobian*")
    assert "care.html" in {h.split("#")[0] for h in _search_results(visit)}


# ---- light, dark, auto --------------------------------------------------------------------------


def _choose_mode(page: Any, mode: str) -> None:
    page.click("button.theme-switch-button")
    page.click(f".theme-switch-container .theme-change-button[data-mode={mode}]")
    page.wait_for_function(f"document.documentElement.dataset.mode === '{mode}'")


def _figures(page: Any) -> list[dict[str, Any]]:
    return page.eval_on_selector_all(
        "article img",
        """els => els.map(img => {
             const r = img.getBoundingClientRect();
             const s = getComputedStyle(img);
             return {src: img.getAttribute('src'), w: r.width, h: r.height,
                     natural: img.naturalWidth, visible: s.visibility === 'visible'
                       && s.display !== 'none' && Number(s.opacity) > 0.9,
                     background: s.backgroundColor};
           })""",
    )


def _mean_luminance(png: bytes) -> float:
    from io import BytesIO

    from PIL import Image, ImageStat

    return float(ImageStat.Stat(Image.open(BytesIO(png)).convert("L")).mean[0]) / 255.0


def _pages_with_figures() -> list[str]:
    if not SITE.is_dir():
        return ["index.html"]
    return [p for p in _notebook_pages() if "<img" in (SITE / p).read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", _pages_with_figures())
def test_theme_switch_keeps_figures_legible(open_in: Any, path: str) -> None:
    visit = open_in(path)
    page = visit.page
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    for mode in ["dark", "light"]:
        _choose_mode(page, mode)
        assert page.evaluate("document.documentElement.dataset.theme") == mode
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
        assert (sum(channels) / 3 < 80) == (mode == "dark"), f"{mode}: body is {background}"
        figures = _figures(page)
        assert figures, f"{path} has no figure to check"
        for fig in figures:
            assert fig["natural"] > 0, fig
            assert fig["w"] > 100, fig
            assert fig["h"] > 50, fig
            assert fig["visible"], f"{path} {mode}: figure hidden {fig}"
        if mode == "dark":
            # Legible: each figure sits on a light card whatever the page's background, so its
            # dark strokes and labels keep their contrast in dark mode.
            for i, img in enumerate(page.query_selector_all("article img")):
                img.scroll_into_view_if_needed()
                lum = _mean_luminance(img.screenshot())
                assert lum > 0.6, f"{path}: figure {i} renders dark (luminance {lum:.2f})"
    assert page.evaluate("localStorage.getItem('mode')") == "light"
    assert visit.problems() == [], listing(visit.path, visit.problems())


def test_auto_mode_follows_the_system(open_in: Any) -> None:
    for scheme in ["dark", "light"]:
        visit = open_in("index.html", color_scheme=scheme)
        assert visit.page.evaluate("document.documentElement.dataset.mode") == "auto"
        assert visit.page.evaluate("document.documentElement.dataset.theme") == scheme


# ---- hover previews -----------------------------------------------------------------------------

PREVIEW = "#bnref-preview"


def _hover_preview(page: Any, link: Any) -> Any:
    page.mouse.move(0, 0)
    page.wait_for_function(f"!document.querySelector('{PREVIEW}:not([hidden])')")
    link.scroll_into_view_if_needed()
    link.hover()
    page.wait_for_selector(f"{PREVIEW}:not([hidden])", timeout=10_000)
    return page.query_selector(PREVIEW)


@pytest.mark.parametrize("path", _pages_linking_equations())
def test_equation_references_are_links_with_previews(open_in: Any, path: str) -> None:
    visit = open_in(path)
    page = visit.page
    refs = page.eval_on_selector_all(
        "article a[href*='#equation-']:not(.headerlink)",
        "els => els.map(a => ({href: a.getAttribute('href'), text: a.textContent.trim()}))",
    )
    assert refs, f"{path}: no equation reference"
    # Every reference is a link to an equation that exists, and names it by its number.
    targets: dict[str, str] = {}
    for ref in refs:
        page_part, _, anchor = ref["href"].partition("#")
        key = f"{page_part or path}#{anchor}"
        if key not in targets:
            html = (SITE / Path(path).parent / (page_part or Path(path).name)).read_text("utf-8")
            match = re.search(
                rf'<div class="math" id="{re.escape(anchor)}">\s*<span class="eqno">([^<]*)<', html
            )
            assert match, f"{path}: {ref['href']} points to no equation"
            targets[key] = match.group(1).strip()
        assert targets[key] in ref["text"], f"{path}: {ref} does not show {targets[key]}"
    # Hovering shows the rendered equation, its number included (one link per target).
    seen: set[str] = set()
    links = page.query_selector_all("article a[href*='#equation-']:not(.headerlink)")
    for link in links:
        href = link.get_attribute("href")
        if href in seen or len(seen) >= 8:
            continue
        seen.add(href)
        tip = _hover_preview(page, link)
        assert tip.query_selector(".katex"), f"{path}: preview of {href} shows no formula"
        page_part, _, anchor = href.partition("#")
        number = targets[f"{page_part or path}#{anchor}"]
        assert number in tip.inner_text(), f"{path}: preview of {href} lacks {number}"
        box = tip.bounding_box()
        assert box, href
        assert box["width"] > 20, box
        assert box["height"] > 10, box
    page.keyboard.press("Escape")
    assert page.is_hidden(PREVIEW)
    assert visit.problems() == [], listing(visit.path, visit.problems())
    assert visit.external_requests == []


def test_figure_section_and_page_previews(open_in: Any) -> None:
    visit = open_in("care.html")
    page = visit.page
    fig = page.query_selector("article a[href^='#fig-']")
    assert fig, "care.html references no figure"
    tip = _hover_preview(page, fig)
    img = tip.query_selector("img")
    assert img, "the figure preview has no image"
    assert img.evaluate("i => i.complete && i.naturalWidth > 0")
    assert tip.query_selector("figcaption")

    section = page.query_selector("article a[href^='notation.html#sec-']")
    assert section, "care.html references no section of notation.html"
    tip = _hover_preview(page, section)
    assert tip.query_selector("h1, h2, h3, h4"), "a section preview starts with its heading"

    chapter = page.query_selector("article a[href='example.html']")
    if chapter:
        tip = _hover_preview(page, chapter)
        assert "example" in tip.inner_text().lower()
    # Focus shows it too (keyboard), and the preview is the link's description.
    page.mouse.move(0, 0)
    page.keyboard.press("Escape")
    fig.focus()
    page.wait_for_selector(f"{PREVIEW}:not([hidden])")
    assert fig.get_attribute("aria-describedby") == "bnref-preview"
    assert visit.problems() == [], listing(visit.path, visit.problems())


# ---- 404 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["no-such-page.html", "a/deeply/nested/missing/page.html"])
def test_missing_page_gets_the_404_page(open_in: Any, base_url: str, missing: str) -> None:
    visit = open_in(missing)
    page = visit.page
    assert visit.status == 404
    assert page.inner_text("article h1") == "Page not found"
    # Styled by the theme (its stylesheets loaded from the site root, not relative to the URL).
    styled = page.evaluate(
        "[...document.styleSheets].filter(s => s.cssRules.length).map(s => s.href.split('?')[0])"
    )
    for sheet in ("pydata-sphinx-theme.css", "sphinx-book-theme.css", "bnref.css"):
        assert any(
            href.endswith(f"/_static/{sheet}") or href.endswith(f"/styles/{sheet}")
            for href in styled
        ), (sheet, styled)
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    expected = "the server responded with a status of 404"
    # The only complaint allowed: the browser's note that the page itself came with a 404.
    assert len(visit.console_errors) <= 1, visit.console_errors
    visit.console_errors = [e for e in visit.console_errors if expected not in e]
    assert visit.problems() == [], listing(visit.path, visit.problems())
    # Every link on it leads to a page that exists.
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
    here = base_url + missing
    local = sorted({h.split("#")[0] for h in hrefs if h.startswith(base_url)} - {here})
    assert f"{base_url}index.html" in local
    for url in local:
        assert page.request.get(url).status == 200, f"404 page links to missing {url}"


# ---- downloads, copy buttons, repository ------------------------------------------------------


@pytest.mark.parametrize("path", _notebook_pages())
def test_page_downloads_as_the_executed_notebook(open_in: Any, base_url: str, path: str) -> None:
    visit = open_in(path)
    page = visit.page
    page.click("button[aria-label='Download this page']")
    link = page.wait_for_selector(".dropdown-download-buttons a[href$='.ipynb']", state="visible")
    url = link.evaluate("a => a.href")
    assert url == f"{base_url}_sources/{Path(path).stem}.ipynb"
    response = page.request.get(url)
    assert response.status == 200
    notebook = json.loads(response.body())
    assert notebook["nbformat"] == 4
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code, f"{path}: the notebook has no code cell"
    assert all(c["execution_count"] for c in code), f"{path}: a code cell was not executed"
    assert any(c["outputs"] for c in code), f"{path}: no output in the downloaded notebook"


def test_copy_button_strips_prompts_and_outputs(open_in: Any) -> None:
    visit = open_in("api.html", permissions=["clipboard-read", "clipboard-write"])
    page = visit.page
    block = page.query_selector("div.highlight:has(span.gp)")
    assert block, "api.html has no code block with >>> prompts"
    expected = block.evaluate(
        """el => [...el.querySelectorAll('pre')].map(pre => pre.innerText).join('')
                 .split('\\n').filter(l => l.startsWith('>>> ') || l.startsWith('... '))
                 .map(l => l.slice(4)).join('\\n')"""
    )
    block.hover()
    block.query_selector("button.copybtn").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert ">>>" not in copied, copied
    assert copied.strip() == expected.strip(), copied


def test_repository_link(open_in: Any) -> None:
    visit = open_in("index.html")
    hrefs = visit.page.eval_on_selector_all(
        ".article-header-buttons a[href]", "els => els.map(a => a.href)"
    )
    assert any(h.rstrip("/") == REPOSITORY.rstrip("/") for h in hrefs), hrefs


# ---- exercises ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["example.html", "care.html"])
def test_solutions_are_folded_until_opened(open_in: Any, path: str) -> None:
    """An exercise's solution is hidden at first; a click, or Enter on the keyboard, opens it."""
    page = open_in(path).page
    solutions = page.locator("details.solution")
    assert solutions.count() >= 1, f"{path} has no folded solution"
    first = solutions.first
    body = first.locator(".solution-body")
    assert not first.evaluate("d => d.open"), f"{path}: the first solution starts open"
    assert not body.is_visible(), f"{path}: the folded solution is visible"
    first.locator("summary").click()
    assert body.is_visible(), f"{path}: a click on the summary did not open the solution"
    assert body.inner_text().strip(), f"{path}: the solution is empty"
    first.locator("summary").focus()
    page.keyboard.press("Enter")
    assert not body.is_visible(), f"{path}: Enter on the summary did not fold the solution"


# ---- screenshots ------------------------------------------------------------------------------


def _key_pages() -> list[str]:
    """The front page and every chapter (the notebook pages)."""
    return ["index.html", *[p for p in _notebook_pages() if p != "index.html"]]


@pytest.mark.parametrize("path", _key_pages())
def test_screenshots_of_key_pages(open_in: Any, path: str) -> None:
    """Full-page screenshots (desktop and phone, light and dark) for reviewers, saved under
    docs/_build/screenshots/ (CI keeps them as an artifact)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for device, viewport in [("desktop", DESKTOP), ("phone", PHONE)]:
        # Phones at 1x: the pictures are for reading the layout, and stay a few MB each.
        visit = open_in(path, viewport=viewport, phone=device == "phone", device_scale_factor=1)
        page = visit.page
        for scheme in ["light", "dark"]:
            page.emulate_media(color_scheme=scheme)  # the book follows the system ("auto")
            page.wait_for_function(f"document.documentElement.dataset.theme === '{scheme}'")
            out = SCREENSHOTS / f"{Path(path).stem}-{device}-{scheme}.png"
            page.screenshot(path=str(out), full_page=True)
            assert out.stat().st_size > 10_000
        assert visit.problems() == [], listing(visit.path, visit.problems())
