"""docs/_ext/icons.py: the webfonts are cut to the glyphs in use, and a cut is kept between
builds under a key of the font, the glyphs and fontTools' version."""

from __future__ import annotations

import io
from pathlib import Path

from fontTools.ttLib import TTFont

from tests.ext_site import extension

icons = extension("icons")
SOLID = icons._theme_static() / icons.WEBFONTS / "fa-solid-900.woff2"
BARS, XMARK = "\uf0c9", "\uf00d"  # fa-bars, fa-xmark


def _glyph_count(data: bytes) -> int:
    return len(TTFont(io.BytesIO(data)).getGlyphOrder())


def test_a_cut_font_has_only_the_glyphs_in_use_and_is_kept(tmp_path: Path) -> None:
    cut = icons._subset_font(SOLID, {BARS}, tmp_path)
    assert _glyph_count(cut) < 5 < _glyph_count(SOLID.read_bytes())
    (kept,) = tmp_path.glob("fa-solid-900-*.woff2")
    assert kept.read_bytes() == cut
    kept.write_bytes(b"from the cache")  # a second cut with the same key reads the cache
    assert icons._subset_font(SOLID, {BARS}, tmp_path) == b"from the cache"


def test_other_glyphs_make_another_key(tmp_path: Path) -> None:
    one = icons._subset_font(SOLID, {BARS}, tmp_path)
    two = icons._subset_font(SOLID, {BARS, XMARK}, tmp_path)
    assert len(list(tmp_path.glob("*.woff2"))) == 2
    assert _glyph_count(two) == _glyph_count(one) + 1
    assert icons._subset_font(SOLID, {BARS}, None) == one  # without a cache: the same cut
