"""Rewrite viewcode's highlighted-source pages on every HTML build.

``sphinx.ext.viewcode`` skips a ``_modules/<module>.html`` page that is newer than the module's
source file (``should_generate_module_page`` compares modification times), even when the page's
template or the theme's assets changed. An incremental build then keeps pages that point at
assets the new build no longer has (after the icon change, ``fontawesome.js``), and only a clean
build fixes them. Removing the folder before writing makes viewcode write every module page
again: seven small pages, a fraction of a second.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx


def _remove_module_pages(app: Sphinx) -> None:
    if app.builder.format == "html":
        shutil.rmtree(Path(app.outdir) / "_modules", ignore_errors=True)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _remove_module_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
