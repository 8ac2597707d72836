"""The 404 page's scripts find the site's root from any depth.

sphinx-notfound-page makes the 404 page's links and assets absolute (``notfound_urls_prefix``),
because the page is served for any missing URL at any depth. Since Sphinx 7.2 the page's
scripts (the search, the theme's) find the site's root through ``content_root``
(``data-content_root`` and ``DOCUMENTATION_OPTIONS.URL_ROOT``), which sphinx-notfound-page
leaves relative ("./"), so the search box of a 404 page served at ``/bnref/a/b/c`` looked for
``/bnref/a/b/searchindex.js``. This sets ``content_root`` of the 404 page to the same absolute
prefix. (sphinx-notfound-page 1.1.0 rewrites ``pathto`` and the toctree, not ``content_root``;
no upstream issue was found.)
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _absolute_root(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    if pagename == app.config.notfound_pagename:
        context["content_root"] = app.config.notfound_urls_prefix


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("notfound.extension")
    app.connect("html-page-context", _absolute_root, priority=500)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
