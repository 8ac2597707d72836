"""docs/_ext/page_assets.py: a page loads an extension's asset only when it uses it."""

from __future__ import annotations

import pytest

from tests.ext_site import built, extension

page_assets = extension("page_assets")
MARKERS = {"katex.min.css": ('class="katex',), "mystnb.css": ('class="cell',)}


@pytest.mark.parametrize(
    ("filename", "key"),
    [
        ("_static/katex/katex.min.css", "katex.min.css"),
        ("_static/mystnb.8ecb98da25f57f5357bf6f572d296f466b2cfe2517ffebfabe82451661e28f02.css",
         "mystnb.css"),
        ("_static/mystnb.js", "mystnb.js"),
        ("", ""),
    ],
)  # fmt: skip
def test_asset_key(filename: str, key: str) -> None:
    assert page_assets.asset_key(filename) == key


def test_is_used() -> None:
    assert page_assets.is_used("_static/katex/katex.min.css", '<span class="katex">', MARKERS)
    assert not page_assets.is_used("_static/katex/katex.min.css", "<p>no math</p>", MARKERS)
    assert page_assets.is_used("_static/other.css", "<p>no math</p>", MARKERS)  # not listed


def test_pages_load_only_what_they_use() -> None:
    with_math = built("care.html")
    without = built("bibliography.html")
    assert "katex.min.css" in with_math
    assert "katex.min.css" not in without
    assert "copybutton.js" in with_math
    assert "copybutton.js" not in without
    assert "mystnb." in with_math
    assert "mystnb." not in without
