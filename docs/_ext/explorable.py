"""Explorable figures: load their script and stylesheet on the pages that have one, only.

The figures themselves are made by ``bnref/explorables.py`` in a page's code cell (see that
module's docstring for why a cell and not a directive); their HTML is a cell output. This
extension adds ``_static/explorable.js`` and ``_static/explorable.css`` to a page when its body
contains a ``<figure class="explorable">``, so the other pages load neither.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

MARK = '<figure class="explorable"'


def _add_assets(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    if MARK in context.get("body", ""):
        # Called in html-page-context, these add the files to this page only.
        app.add_js_file("explorable.js", defer="defer")
        app.add_css_file("explorable.css")


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("html-page-context", _add_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
