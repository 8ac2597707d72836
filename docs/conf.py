"""Sphinx configuration for the bnref book: settings only.

Pages are MyST Markdown notebooks executed at build time by myst-nb; math is pre-rendered by KaTeX
(no math JavaScript, no CDN); the build is strict (``-n -W``); the site makes no request to any
other host. What the build *does* beyond Sphinx and its extensions lives in ``_ext/``, one small
extension per concern, each saying why it exists.
"""

import os
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlparse

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))  # the book's own extensions
PROJECT = tomllib.loads((DOCS.parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]

# -- Project ---------------------------------------------------------------------------------
project = "bnref"
author = "the bnref developers"
copyright = "2026, the bnref developers"
release = version = PROJECT["version"]
repository_url = PROJECT["urls"]["Source"]

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinxcontrib.bibtex",
    "sphinxcontrib.katex",
    "sphinx_copybutton",
    "notfound.extension",
    "solutions",  # exercises' solutions, folded (<details>)
    "parallel_execution",  # pages missing from the cache execute in parallel first
    "paper_quotes",  # quotations of the paper, checked verbatim
    "katex_server",  # KaTeX pre-rendering: the wheel's Node, strict options, no start-up race
    "katex_prefetch",  # each page's formulas rendered in the background while it is written
    "python_lexer",  # code cells highlighted by the Python lexer (same HTML, 40% less time)
    "execution_cache",  # the execution cache keyed on bnref's source too
    "executed_notebooks",  # each page's executed notebook in the download menu
    "page_assets",  # a page loads only the extension assets it uses
    "mystnb_css",  # myst-nb's stylesheet without its ANSI-colour rules
    "search_titles",  # search results show titles' math as text, not TeX
    "citation_listitems",  # bibliography entries are list items (accessibility)
    "viewcode_fresh",  # viewcode's module pages rewritten whenever every page is
    "fignumbers_unchanged",  # no figure renumbering in a build that read no page
    "section_ref_math",  # a {ref} to a section shows the title's math rendered
    "notfound_root",  # the 404 page's scripts find the site's root from any depth
    "explorable",  # explorable figures' script and style, on their pages only
    "icons",  # Font Awesome cut to the icons in use, without its 1.5 MB script
    "slim_images",  # figures as 256-colour PNGs (40% of the bytes)
    "pdf_edition",  # the book's PDF (nox -s pdf) in the download menu
]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
nitpicky = True

# -- MyST, numbering, notation ---------------------------------------------------------------
myst_enable_extensions = ["amsmath", "dollarmath", "colon_fence", "deflist", "attrs_inline"]
myst_heading_anchors = 3
numfig = True
math_numfig = True
math_eqref_format = "({number})"
numfig_format = {"figure": "Figure %s", "table": "Table %s", "code-block": "Listing %s"}
MACROS = {  # the book's notation, defined once
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
katex_prerender = True
katex_server_options = {"throwOnError": True, "strict": "error", "macros": MACROS}
katex_css_path = "katex/katex.min.css"  # KaTeX 0.16.22, the version that renders, served locally

# -- Execution -------------------------------------------------------------------------------
nb_execution_mode = "cache"
# Imported once, in the fork server whose forks execute the pages (docs/_ext/parallel_execution.py)
execution_preload = [
    "numpy",
    "matplotlib.pyplot",
    "mpl_toolkits.mplot3d",
    "myst_nb",
    "bnref.plotting",
    "bnref.explorables",
    "PIL.PngImagePlugin",  # docs/_ext/slim_images.py slims the figures in a fork of it too
]
execution_cache_package = "../bnref"  # pages that import it re-execute when it changes
# BNREF_JUPYTER_CACHE moves the cache, e.g. for a second build tree beside the usual one.
execution_cache_root = os.environ.get("BNREF_JUPYTER_CACHE", "_build/.jupyter_cache")
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_timeout = 60
nb_merge_streams = True

# -- API reference (no intersphinx: inventories cannot be fetched offline) -------------------
autodoc_typehints = "none"  # the numpydoc types say it better ("ndarray of shape (m, d)")
autodoc_use_type_comments = False  # bnref annotates; no need to parse each source for comments
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False}
napoleon_google_docstring = False
napoleon_preprocess_types = True
napoleon_use_rtype = False
nitpick_ignore_regex = [  # numpydoc type phrases are prose, not cross-reference targets
    (r"py:class", r"(array_like|ndarray|callable|scalar|optional|default .*|of shape.*)"),
    # napoleon splits "of shape (m, C, p, q)" at commas into fragments such as "(m" and "q)"
    (r"py:class", r"shape .*|\(.*|.*\)|[A-Za-z]|n_\d"),
    (r"py:obj", r"True|False|None"),
    (r"py:class", r"(int|float|bool|str|complex|tuple|list|dict|\.\.\.|None)"),
    (r"py:class", r"\(?[a-z_, ]*\)?|\{.*\}|\".*\"|'.*'"),
    (r"py:class", r"matplotlib\..*"),
    (r"py:class", r"(numpy\..*|np\..*|numpy\.typing\..*|NDArray.*|ArrayLike|Any)"),
]
bibtex_bibfiles = ["references.bib"]
bibtex_reference_style = "author_year"
bibtex_default_style = "plain"

# -- HTML ------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "bnref: batch normalization, normalized with care"
html_static_path = ["_static"]
html_css_files = ["bnref.css"]
# bnref.js: hover previews of a link's target, fetched from this site (sphinx-tippy was measured
# and not kept: 295 KB of tips per page, random file names); wide equations.
html_js_files = [("bnref.js", {"defer": "defer"})]
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
page_assets = {  # asset -> markers of what it styles or drives; kept on pages that have one
    "clipboard.min.js": ('<div class="highlight">',),  # sphinx-copybutton
    "copybutton.js": ('<div class="highlight">',),
    "copybutton.css": ('<div class="highlight">',),
    "katex.min.css": ('class="katex',),  # KaTeX: its stylesheet, and through it the fonts
    "katex-math.css": ('class="katex',),
    "mystnb.css": ('class="cell', 'class="output'),  # myst-nb: cells and glued outputs
}

# -- 404 page --------------------------------------------------------------------------------
# Served for any missing URL at any depth, so its links are absolute: under the path the book
# is published at. Read the Docs sets READTHEDOCS_CANONICAL_URL (".../en/latest/") in its
# builds (sphinx-notfound-page's own default there); elsewhere the book is on GitHub Pages
# (pyproject's Documentation URL, "/bnref/"). tests/test_ext_notfound_root.py builds both.
published_url = os.environ.get("READTHEDOCS_CANONICAL_URL") or PROJECT["urls"]["Documentation"]
notfound_urls_prefix = urlparse(published_url).path.rstrip("/") + "/"
notfound_context = {
    "title": "Page not found",
    "body": (
        "<h1>Page not found</h1>\n"
        "<p>There is no page at this address. It may have moved, or the link may be "
        f'mistyped. Start again from <a href="{notfound_urls_prefix}index.html">the front '
        "page of the book</a>, or search it with the search button above.</p>"
    ),
}
