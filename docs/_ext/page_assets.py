"""Leave out of each page the extensions' CSS and JavaScript it has no use for.

Sphinx extensions add their stylesheets and scripts to every page (``app.add_css_file`` has no
per-page condition), so a page without a code block still loads sphinx-copybutton, and a page
without math still loads KaTeX's stylesheet and, through it, its fonts. The setting
``page_assets`` maps an asset's file name to the markers of what it styles or drives; the asset
is kept only on pages whose HTML body contains one of its markers. Assets not named there are
always kept. myst-nb's stylesheet has a hashed name (``mystnb.<hash>.css``) and is named
``mystnb.css`` in the setting. Runs late (priority 900), after the extensions and the theme have
added their files.
"""

from __future__ import annotations

import posixpath
from typing import Any

from sphinx.application import Sphinx


def asset_key(filename: str) -> str:
    """The name an asset goes by in ``page_assets`` (its base name; myst-nb's without its hash)."""
    name = posixpath.basename(filename or "")
    return "mystnb.css" if name.startswith("mystnb.") and name.endswith(".css") else name


def is_used(filename: str, body: str, markers: dict[str, tuple[str, ...]]) -> bool:
    wanted = markers.get(asset_key(filename))
    return wanted is None or any(marker in body for marker in wanted)


def _prune(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    body = context.get("body") or ""
    markers = app.config.page_assets
    for key in ("script_files", "css_files"):
        context[key] = [
            asset
            for asset in context.get(key, [])
            if is_used(getattr(asset, "filename", ""), body, markers)
        ]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("page_assets", {}, "html", types=[dict])
    app.connect("html-page-context", _prune, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
