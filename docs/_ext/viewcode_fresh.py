"""Rewrite viewcode's highlighted-source pages whenever Sphinx rewrites every page.

``sphinx.ext.viewcode`` skips a ``_modules/<module>.html`` page that is newer than the module's
source file (``should_generate_module_page`` compares modification times), even when the page's
template or the theme's assets changed. An incremental build then keeps pages that point at
assets the new build no longer has (after the icon change, ``fontawesome.js``), and only a clean
build fixes them.

Every page is written again when the HTML builder's build information (the hash of the HTML
options and of the theme) differs from the last build's ``.buildinfo``, when a template is
newer than that file, or when every page is read again (a changed extension or environment
setting, ``-E``). In those builds the module pages are removed just before viewcode collects
its pages (so a build that fails earlier leaves them in place), and viewcode writes them
again; other builds (an unchanged book, a page edited) leave them alone: writing them costs
about a second, most of an unchanged build's budget.
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


STALE = {"module pages": False}  # set when this build rewrites every page


def _note_rewrite(app: Sphinx) -> None:
    """Before the builder replaces ``.buildinfo``: compare it, as the builder will."""
    STALE["module pages"] = app.builder.format == "html" and every_page_rewritten(app.builder)


def _note_reread(app: Sphinx, env: Any, docnames: list[str]) -> None:
    if app.builder.format == "html" and env.found_docs and set(docnames) >= env.found_docs:
        STALE["module pages"] = True


def _remove_module_pages(app: Sphinx) -> list[Any]:
    if STALE["module pages"]:
        shutil.rmtree(Path(app.outdir) / "_modules", ignore_errors=True)
    return []


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _note_rewrite)
    app.connect("env-before-read-docs", _note_reread)
    # Before viewcode's own html-collect-pages listener (priority 500) writes the pages.
    app.connect("html-collect-pages", _remove_module_pages, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
