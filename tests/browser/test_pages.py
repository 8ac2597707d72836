"""Every page of the built book, in a real browser: it loads cleanly, entirely from this site,
its formulas and images are rendered, it fits a phone, and axe-core finds no serious or
critical accessibility violation (in light mode on a desktop, in dark mode on a phone)."""

from __future__ import annotations

import re

from tests.browser.harness import Visit, listing, serious_violations
from tests.browser.page_weight import MAX_FLOOR, MAX_PAGE, over_budget, summarise, weigh

# TeX that would be visible if a formula had not been rendered (code and rendered math removed).
RAW_TEX = re.compile(
    r"\$\$|\\begin\{|\\end\{|\\\(|\\\[|"
    r"\\(frac|hat|mathrm|mathcal|mathbf|partial|sum|sigma|mu|gamma|beta|left|right|cdot|"
    r"xhat|muB|sigmaB|BN|Norm|ones|loss|pd|naive|exact)(?![A-Za-z])|"
    r"(?<![\w$])\$[^$\s][^$\n]{0,80}\$(?![\w$])"
)

VISIBLE_PROSE = """() => {
  const main = document.querySelector("main") || document.body;
  const copy = main.cloneNode(true);
  copy.querySelectorAll(".katex, pre, code, script, style, .highlight, .cell_output")
      .forEach((el) => el.remove());
  return copy.textContent;
}"""


def test_page_loads_without_errors(desktop: Visit) -> None:
    assert desktop.status == 200, desktop.path
    assert desktop.problems() == [], listing(desktop.path, desktop.problems())


def test_every_request_is_local(desktop: Visit) -> None:
    assert desktop.external_requests == [], listing(desktop.path, desktop.external_requests)


def test_page_weight_within_budget(desktop: Visit) -> None:
    """A first visit of the page loads at most MAX_PAGE, of which the theme's floor (what every
    page loads) at most MAX_FLOOR (issue 12; nox -s page-weight -- --check, with the same
    budget, also bounds the lightest page)."""
    weight = summarise(
        {"page": desktop.path, "resources": weigh(desktop.first_load, desktop.path), "blocked": []}
    )
    assert weight["theme floor"] > 0, f"{desktop.path}: the theme's own assets were not loaded"
    details = [f"{name}: {size:,} bytes" for name, size in weight["details"].items()]  # type: ignore[attr-defined]
    over = over_budget([weight], site=False)
    assert over == [], listing(
        f"{desktop.path} is over its budget ({MAX_PAGE // 1024:,} KB a page, "
        f"{MAX_FLOOR // 1024:,} KB of theme floor): {over}",
        details,
    )


def test_every_formula_is_rendered(desktop: Visit) -> None:
    page = desktop.page
    math = page.evaluate(
        """() => ({
          wrappers: document.querySelectorAll("div.math, span.math").length,
          bare: [...document.querySelectorAll("div.math, span.math")]
                  .filter((m) => !m.querySelector(".katex")).map((m) => m.outerHTML.slice(0, 120)),
          katex: document.querySelectorAll(".katex").length,
          errors: [...document.querySelectorAll(".katex-error")].map((e) => e.textContent),
        })"""
    )
    assert math["bare"] == [], f"{desktop.path}: math left unrendered: {math['bare']}"
    assert math["errors"] == [], f"{desktop.path}: KaTeX errors: {math['errors']}"
    raw = sorted({m.group(0) for m in RAW_TEX.finditer(page.evaluate(VISIBLE_PROSE))})
    assert raw == [], f"{desktop.path}: raw TeX visible in the page: {raw}"
    if math["katex"]:
        # The formulas are drawn in KaTeX's own fonts, served by this site.
        fonts = page.evaluate(
            """() => [...document.fonts].filter((f) => f.family.replace(/"/g, "") === "KaTeX_Main"
                                                   && f.status === "loaded").length"""
        )
        assert fonts > 0, f"{desktop.path}: KaTeX_Main never loaded"


def test_every_image_is_loaded_and_described(desktop: Visit) -> None:
    page = desktop.page
    images = page.evaluate(
        """async () => {
          const imgs = [...document.images];
          for (const img of imgs) {
            img.loading = "eager";
            try { await img.decode(); } catch (e) {}
          }
          return imgs.map((img) => ({src: img.currentSrc || img.src, width: img.naturalWidth,
                                     alt: (img.getAttribute("alt") || "").trim()}));
        }"""
    )
    unloaded = [i["src"] for i in images if i["width"] == 0]
    undescribed = [i["src"] for i in images if not i["alt"]]
    assert unloaded == [], f"{desktop.path}: images that did not load: {unloaded}"
    assert undescribed == [], f"{desktop.path}: images without alt text: {undescribed}"


def test_phone_has_no_horizontal_scroll(phone_dark: Visit) -> None:
    page = phone_dark.page
    assert page.evaluate("window.innerWidth") == 390
    layout = page.evaluate(
        """() => {
          const vw = window.innerWidth;
          const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
          const insideScroller = (el) => {
            for (let p = el.parentElement; p; p = p.parentElement) {
              if (p === document.body) return false;
              if (scrolls(p)) return true;
            }
            return false;
          };
          const main = document.querySelector("main") || document.body;
          const wide = [...main.querySelectorAll("p, li, h1, h2, h3, h4, dt, dd, figure, img")]
            .filter((el) => el.getBoundingClientRect().right > vw + 1 && !insideScroller(el))
            .map((el) => el.tagName + ": " + el.textContent.trim().slice(0, 60));
          const boxes = [...main.querySelectorAll("div.math, pre, table")]
            .filter((el) => el.scrollWidth > el.clientWidth + 1 && !scrolls(el)
                            && !insideScroller(el))
            .map((el) => el.tagName + "." + el.className);
          return {
            docWidth: document.documentElement.scrollWidth,
            bodyWidth: document.body.scrollWidth,
            vw, wide, boxes,
          };
        }"""
    )
    assert layout["docWidth"] <= layout["vw"], f"{phone_dark.path}: page scrolls sideways {layout}"
    assert layout["bodyWidth"] <= layout["vw"], f"{phone_dark.path}: body scrolls sideways {layout}"
    assert layout["wide"] == [], f"{phone_dark.path}: text wider than the screen: {layout['wide']}"
    assert layout["boxes"] == [], f"{phone_dark.path}: wide boxes that cannot scroll: {layout}"
    assert phone_dark.problems() == [], listing(phone_dark.path, phone_dark.problems())


def _audit(visit: Visit) -> list[str]:
    return serious_violations(visit)


def test_accessibility_light_desktop(desktop: Visit) -> None:
    assert desktop.page.evaluate("document.documentElement.dataset.theme") == "light"
    violations = _audit(desktop)
    assert violations == [], listing(desktop.path, violations)
    assert desktop.external_requests == [], "axe-core made a request to another host"


def test_accessibility_dark_phone(phone_dark: Visit) -> None:
    assert phone_dark.page.evaluate("document.documentElement.dataset.theme") == "dark"
    violations = _audit(phone_dark)
    assert violations == [], listing(phone_dark.path, violations)
    assert phone_dark.external_requests == [], "axe-core made a request to another host"
