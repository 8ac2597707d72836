"""Every icon of the book is drawn, in light and in dark mode (docs/_ext/icons.py).

The site draws Font Awesome icons with webfonts cut down to the glyphs it uses, instead of the
theme's 1.5 MB icon script. A glyph missing from the cut fonts would leave an empty box. So for
every icon of a page (each ``<i class="fa-…">`` and each icon a stylesheet draws in a
``::before``/``::after``, such as the admonitions'), the test reads the character and font the
browser computed, and requires the webfont the site serves for that font to have the
character, and the browser to have loaded that webfont. The icons a reader sees in the header
are also photographed: each must show pixels of a colour other than the background's.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fontTools.ttLib import TTFont

from tests.browser.harness import SITE, listing

# Pages with every kind of icon: header buttons, theme switch, search, download menu, sidebar
# toggles, previous/next, admonitions, code cells (copy buttons draw their own SVG).
PAGES = ["index.html", "batchnorm.html", "network.html", "search.html", "bibliography.html"]

# Each element whose ::before/::after shows a Font Awesome character: the character and font.
ICONS = """() => {
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    for (const pseudo of ["::before", "::after"]) {
      const style = getComputedStyle(el, pseudo);
      const family = style.fontFamily;
      if (!/Font Awesome/.test(family)) continue;
      const m = /^"(.*)"$/u.exec(style.content);
      if (!m || !m[1]) continue;
      found.push({
        name: el.tagName.toLowerCase() + "." + [...el.classList].join(".") + pseudo,
        code: m[1].codePointAt(0),
        family: family.split(",")[0].replace(/["']/g, "").trim(),
        weight: style.fontWeight,
      });
    }
  }
  return found;
}"""
LOADED = "[...document.fonts].filter((f) => f.status === 'loaded').map((f) => f.family)"
FONT_FACE = re.compile(
    r"@font-face\{[^}]*font-family:([^;]*);[^}]*font-weight:(\d+);src:url\(([^)]*)\)"
)


def _cmaps() -> dict[tuple[str, str], set[int]]:
    """(family, weight) -> the characters of the webfont the site serves for it."""
    css_path = SITE / "_static" / "styles" / "pydata-sphinx-theme.css"
    faces = {}
    for family, weight, url in FONT_FACE.findall(css_path.read_text(encoding="utf-8")):
        if "Font Awesome" not in family:
            continue
        font = TTFont(css_path.parent / url.strip("\"'"))
        faces[(family.replace("\\", "").strip("\"' "), weight)] = set(font.getBestCmap())
    return faces


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES)
def test_every_icon_has_its_glyph(open_in: Any, path: str, scheme: str) -> None:
    visit = open_in(path, color_scheme=scheme)
    icons = visit.page.evaluate(ICONS)
    assert len(icons) >= 8, f"{path}: only {len(icons)} Font Awesome icons found"
    cmaps = _cmaps()
    empty = [
        f"{i['name']} U+{i['code']:04X} ({i['family']} {i['weight']})"
        for i in icons
        if i["code"] not in cmaps.get((i["family"], i["weight"]), set())
    ]
    assert empty == [], listing(f"{path} ({scheme}): icons whose font lacks their glyph", empty)
    loaded = set(visit.page.evaluate(LOADED))
    assert {i["family"] for i in icons} <= loaded, f"{path}: icon fonts not loaded: {loaded}"
    assert visit.problems() == [], listing(path, visit.problems())


# The header's visible icons; each must show something besides the background.
HEADER_ICONS = "header i[class*='fa-'], .article-header-buttons i[class*='fa-']"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_header_icons_are_visible(open_in: Any, scheme: str) -> None:
    from io import BytesIO

    from PIL import Image

    visit = open_in("batchnorm.html", color_scheme=scheme)
    page = visit.page
    assert page.evaluate("document.documentElement.dataset.theme") == scheme
    shown = [el for el in page.query_selector_all(HEADER_ICONS) if el.is_visible()]
    assert len(shown) >= 4, f"only {len(shown)} header icons visible"
    blank = []
    for el in shown:
        image = Image.open(BytesIO(el.screenshot())).convert("RGB")
        colours = image.getcolors(maxcolors=100_000) or []
        if len(colours) < 2:
            blank.append(el.get_attribute("class") or "?")
    assert blank == [], listing(f"header icons that show nothing ({scheme})", blank)
