"""docs/_ext/mystnb_css.py: myst-nb's stylesheet is served without its ANSI-colour rules, and a
page that would need them fails the build."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sphinx.errors import ExtensionError

from tests.ext_site import HTML, built, extension

mystnb_css = extension("mystnb_css")

CSS = """div.cell_output { margin: 0; }
div.highlight .-Color-Red { color: #e75c58; }
div.highlight .-Color[class*=-C196] {
  color: #FF0000
}
.output.text_html { overflow: auto; }
"""


def test_trim_drops_only_the_ansi_rules() -> None:
    trimmed = mystnb_css.trim(CSS)
    assert "-Color" not in trimmed
    assert "div.cell_output { margin: 0; }" in trimmed
    assert ".output.text_html { overflow: auto; }" in trimmed


def test_a_page_with_ansi_output_fails() -> None:
    body = '<pre><span class="-Color -Color-Red">E</span></pre>'
    with pytest.raises(ExtensionError, match="ANSI colours"):
        mystnb_css._no_ansi_output(SimpleNamespace(), "page", "page.html", {"body": body}, None)
    mystnb_css._no_ansi_output(SimpleNamespace(), "page", "page.html", {"body": "<p/>"}, None)


def test_the_built_stylesheet_is_trimmed() -> None:
    built("index.html")
    sheets = list((HTML / "_static").glob("mystnb.*.css"))
    assert len(sheets) == 1
    css = sheets[0].read_text(encoding="utf-8")
    assert "div.highlight .-Color" not in css
    assert "div.cell_output" in css
    assert len(css.encode()) < 15_000  # 43 KB untrimmed
