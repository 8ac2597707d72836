"""Publish each notebook page's executed notebook, in the theme's download menu (".ipynb").

sphinx-book-theme offers a page's notebook for download only when launch buttons are configured
(this book has none), and the notebook myst-nb writes to ``_build/jupyter_execute/<page>.ipynb``
is not a reliable copy of what the page shows: when the outputs come from the execution cache,
myst-nb 1.4 writes the notebook as it was *before* merging them (no outputs, no execution
counts), and every build into ``_build/`` shares that folder, so a build with another builder or
without execution overwrites it. So:

* right after a notebook page is read (and executed), its outputs are merged from the cache as
  myst-nb merges them for the page, the cells get stable ids (jupytext gives random ones at every
  read; stable ones keep the build reproducible), streams are merged as the page merges them
  (``nb_merge_streams``: the kernel flushes printed text every 0.2 s, so a cell that prints
  between slow computations yields one stream output or several depending on the machine's
  load), and the result is kept in this build's own doctree folder;
* when the page is written, that notebook is copied to ``_sources/<page>.ipynb`` and
  ``ipynb_source`` set, which sphinx-book-theme turns into an ".ipynb" entry of its download
  button (before the theme's own handler, priority 501).
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
from pathlib import Path
from typing import Any

import nbformat
from docutils import nodes
from jupyter_cache import get_cache
from myst_nb.core.utils import coalesce_streams
from sphinx.application import Sphinx


def stable_cells(notebook: nbformat.NotebookNode, merge_streams: bool) -> None:
    """Give the cells ids derived from their position and source; merge stream outputs."""
    for i, cell in enumerate(notebook.cells):
        cell.id = hashlib.sha256(f"{i}\n{cell.source}".encode()).hexdigest()[:8]
        if cell.cell_type == "code" and merge_streams:
            cell.outputs = coalesce_streams(cell.outputs)


def kept_notebook(app: Sphinx, docname: str) -> Path:
    """Where this build keeps the executed notebook of ``docname`` (in its doctree folder)."""
    return Path(app.doctreedir) / "executed" / f"{docname}.ipynb"


def _is_notebook(app: Sphinx, docname: str) -> bool:
    return "kernelspec" in app.env.metadata.get(docname, {})


def _keep(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    if not _is_notebook(app, docname):
        return  # a plain Markdown page
    config = app.env.mystnb_config
    written = Path(config.output_folder) / f"{docname}.ipynb"
    if not written.is_file():
        return
    notebook = nbformat.read(written, as_version=4)
    if config.execution_mode == "cache":
        with contextlib.suppress(KeyError):  # KeyError: not in the cache (not executed)
            _, notebook = get_cache(config.execution_cache_path).merge_match_into_notebook(notebook)
    stable_cells(notebook, config.merge_streams)
    kept = kept_notebook(app, docname)
    kept.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, kept)


def _publish(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    kept = kept_notebook(app, pagename)
    if not _is_notebook(app, pagename) or not kept.is_file():
        return
    published = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    published.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kept, published)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("myst_nb")
    app.connect("doctree-read", _keep)
    app.connect("html-page-context", _publish, priority=500)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
