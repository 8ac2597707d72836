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

To compare those times, viewcode asks for each module's file through
``ModuleAnalyzer.get_module_source``, which imports the module: in an unchanged build that
imported ``bnref.plotting`` and with it matplotlib, 0.4 s for nothing. Here the file comes
from the module's import spec instead (``importlib.util.find_spec``: only its parent package,
``bnref``, is imported): the same path for a module loaded from its ``.py`` file, as bnref's
are; a frozen module (some of the standard library's) gives None, so its page is always
rewritten. The ``viewcode-find-source`` event is honoured first, as upstream does, and any
error gives None, as upstream's ``except Exception`` does.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

import sphinx.ext.viewcode
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


def module_filename(app: Sphinx, modname: str) -> Path | None:
    """viewcode's ``get_module_filename`` without importing the module (see above)."""
    if app.events.emit_firstresult("viewcode-find-source", modname):
        return None  # what upstream returns then: the page is always written
    try:
        spec = importlib.util.find_spec(modname)  # imports the parent package, which may fail
    except Exception:
        return None
    if spec is None or not spec.has_location or not spec.origin:
        return None
    return Path(spec.origin)


def setup(app: Sphinx) -> dict[str, Any]:
    sphinx.ext.viewcode.get_module_filename = module_filename  # type: ignore[assignment]
    app.connect("builder-inited", _note_rewrite)
    app.connect("env-before-read-docs", _note_reread)
    # Before viewcode's own html-collect-pages listener (priority 500) writes the pages.
    app.connect("html-collect-pages", _remove_module_pages, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
