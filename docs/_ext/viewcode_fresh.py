"""Rewrite viewcode's highlighted-source pages whenever Sphinx rewrites every page.

``sphinx.ext.viewcode`` skips a ``_modules/<module>.html`` page that is newer than the module's
source file (``should_generate_module_page`` compares modification times), even when the page's
template or the theme's assets changed. An incremental build then keeps pages that point at
assets the new build no longer has (after the icon change, ``fontawesome.js``), and only a clean
build fixes them.

The HTML builder rewrites every page when its build information (the hash of the HTML options
and of the theme) differs from the last build's ``.buildinfo``, or a template is newer than
that file. In exactly those builds the module pages are removed before writing, so viewcode
writes them again; other builds (an unchanged book, a page edited) leave them alone: writing
them costs about a second, most of an unchanged build's budget.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.builders.html._build_info import BuildInfo  # what the HTML builder compares


def every_page_rewritten(builder: Any) -> bool:
    """Whether the HTML builder will rewrite every page (its own test, made before it runs)."""
    path = Path(builder.outdir) / ".buildinfo"
    try:
        if BuildInfo.load(path) != builder.build_info:
            return True
    except (OSError, ValueError):  # no build yet, or unreadable: everything is written
        return True
    templates = getattr(builder, "templates", None)
    return bool(templates) and templates.newest_template_mtime() > path.stat().st_mtime


def _remove_module_pages(app: Sphinx) -> None:
    if app.builder.format == "html" and every_page_rewritten(app.builder):
        shutil.rmtree(Path(app.outdir) / "_modules", ignore_errors=True)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _remove_module_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
