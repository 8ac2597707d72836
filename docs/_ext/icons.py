"""Icons without the 1.5 MB icon script: Font Awesome cut down to the glyphs the site uses.

pydata-sphinx-theme (0.20, under sphinx-book-theme) loads ``fontawesome.js`` on every page:
1,525 KB of script holding all ~2,000 Font Awesome icons, for the dozen this book shows, and it
also loads the 112 KB solid webfont for the icons its stylesheet draws (admonitions, the
breadcrumb divider). The theme's stylesheet already draws every ``<i class="fa-solid fa-…">``
icon with those webfonts: the script only swaps each ``<i>`` for an SVG of the same glyph.
Upstream: https://github.com/pydata/pydata-sphinx-theme/issues/2379 (fontawesome.js is 1.5 MB);
https://github.com/pydata/pydata-sphinx-theme/pull/2494 (open) takes the same way, CSS+WOFF.

So this extension

* leaves the script out of every page (``icons_templates/static/webpack-macros.html`` wraps the
  theme's own macros and drops only that ``<script>`` line);
* finds the icons the built site uses: the ``fa-…`` classes of every HTML page and of the
  theme's and the book's scripts (which add a few, such as the search dialog's ``fa-xmark``),
  and every glyph the stylesheets name directly (``--pst-icon-…`` variables);
* rewrites the site's copies of the three Font Awesome webfonts with only those glyphs
  (fontTools, WOFF2), and drops from the theme's stylesheet the ``.fa-name{--fa:"…"}`` rules of
  the ~2,000 icons no page uses.

The theme's own files are read from the installed theme, never from the output folder, so an
incremental build subsets them afresh. A page that used an icon whose glyph is missing would
show an empty box: ``tests/browser/test_icons.py`` checks every icon on every page, in light
and dark mode, for a drawn glyph.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from pathlib import Path

logging.getLogger("fontTools").setLevel(logging.WARNING)  # its INFO lines would fill the log
TEMPLATES = Path(__file__).resolve().parent / "icons_templates"
FONTS = ("fa-solid-900", "fa-regular-400", "fa-brands-400")
WEBFONTS = Path("vendor", "fontawesome", "webfonts")
THEME_CSS = Path("styles", "pydata-sphinx-theme.css")

# One rule of Font Awesome's icon map, e.g. `.fa-bars,.fa-navicon{--fa:"\f0c9"}` (the glyph
# itself is written as the private-use character).
_MAP_RULE = re.compile(r'(?:\.fa-[a-z0-9-]+,)*\.fa-[a-z0-9-]+\{--fa:"([^"]*)"\}')
_CLASS_NAME = re.compile(r"fa-[a-z0-9-]+")
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


def _theme_static() -> Path:
    import pydata_sphinx_theme

    return Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"


def _used_classes(outdir: Path) -> set[str]:
    """Every ``fa-…`` token in the built pages and in the scripts they load."""
    used: set[str] = set()
    for page in outdir.rglob("*.html"):
        for classes in re.findall(r'class="([^"]*\bfa-[^"]*)"', page.read_text(encoding="utf-8")):
            used.update(_CLASS_NAME.findall(classes))
    for script in (outdir / "_static").rglob("*.js"):
        if script.name != "fontawesome.js":
            used.update(_CLASS_NAME.findall(script.read_text(encoding="utf-8", errors="ignore")))
    return used


def _glyph(text: str) -> str:
    """The character of a CSS string: ``\\f0c9`` or the character itself."""
    return chr(int(text[1:], 16)) if text.startswith("\\") else text


def subset_icons(
    outdir: Path, theme_static: Path, cache: Path | None = None
) -> tuple[set[str], int]:
    """Trim the theme's stylesheet and webfonts in ``outdir/_static`` to the icons in use;
    return the glyphs kept and the bytes of stylesheet dropped. ``cache``: a folder where the
    subset fonts are kept between builds."""
    static = outdir / "_static"
    used = _used_classes(outdir)
    css = (theme_static / THEME_CSS).read_text(encoding="utf-8")
    glyphs: set[str] = set()

    def keep_if_used(rule: re.Match[str]) -> str:
        if used.intersection(_CLASS_NAME.findall(rule.group(0))):
            glyphs.add(_glyph(rule.group(1)))
            return rule.group(0)
        return ""

    trimmed = _MAP_RULE.sub(keep_if_used, css)
    # Glyphs the stylesheets name themselves: admonition icons, breadcrumb dividers, ...
    for sheet in [trimmed, *(p.read_text(encoding="utf-8") for p in static.glob("**/*.css"))]:
        if sheet is not css:
            glyphs.update(_PRIVATE_USE.findall(_MAP_RULE.sub("", sheet)))
    (static / THEME_CSS).write_text(trimmed, encoding="utf-8")
    for name in FONTS:
        source = theme_static / WEBFONTS / f"{name}.woff2"
        (static / WEBFONTS / f"{name}.woff2").write_bytes(_subset_font(source, glyphs, cache))
    return glyphs, len(css) - len(trimmed)


def _subset_font(source: Path, glyphs: set[str], cache: Path | None) -> bytes:
    """The WOFF2 font ``source`` with only ``glyphs``; kept in ``cache`` (if given) under a
    hash of the font, the glyphs and fontTools' version, since subsetting and compressing the
    three fonts took a quarter of a second of every build, an unchanged one included."""
    from fontTools import subset, version
    from fontTools.ttLib import TTFont

    key = hashlib.sha256(source.read_bytes() + "".join(sorted(glyphs)).encode() + version.encode())
    kept = cache / f"{source.stem}-{key.hexdigest()[:16]}.woff2" if cache else None
    if kept is not None and kept.is_file():
        return kept.read_bytes()
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    font = TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(g) for g in glyphs])
    subsetter.subset(font)
    font.flavor = "woff2"
    buffer = io.BytesIO()
    font.save(buffer)
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(buffer.getvalue())
    return buffer.getvalue()


def _add_templates(app, config):  # type: ignore[no-untyped-def]
    config.templates_path = [*config.templates_path, str(TEMPLATES)]


def _subset_after_build(app, exception):  # type: ignore[no-untyped-def]
    if exception is not None or app.builder.format != "html":
        return
    if not (Path(app.outdir) / "_static" / THEME_CSS).is_file():
        return  # not the pydata-based theme
    subset_icons(Path(app.outdir), _theme_static(), Path(app.doctreedir) / "icon-fonts")
    script = Path(app.outdir, "_static", "scripts", "fontawesome.js")
    for unused in (script, script.with_suffix(".js.map")):  # its LICENSE.txt stays
        unused.unlink(missing_ok=True)


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("config-inited", _add_templates)
    app.connect("build-finished", _subset_after_build, priority=950)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
