"""docs/_ext/python_lexer.py: every code cell of the book highlights to the same HTML with the
Python lexer as with IPython's, and the built pages use it."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name

from tests.docs_source import code_cells, pages
from tests.ext_site import build, extension

python_lexer = extension("python_lexer")


def _cells() -> list[str]:
    """The source of every code cell the book shows: its option lines dropped, and the cells
    tagged remove-cell or remove-input (never highlighted) left out."""
    shown = []
    for page in pages():
        for body in code_cells(page.read_text()):
            lines = body.splitlines(keepends=True)
            options = [line for line in lines if line.startswith(":")]
            if any("remove-cell" in line or "remove-input" in line for line in options):
                continue
            shown.append("".join(line for line in lines if not line.startswith(":")).lstrip())
    return shown


def test_the_book_has_code_cells() -> None:
    assert len(_cells()) > 50


@pytest.mark.parametrize("alias", python_lexer.ALIASES)
def test_every_cell_highlights_the_same_as_with_ipythons_lexer(alias: str) -> None:
    formatter = HtmlFormatter()
    ipython = get_lexer_by_name(alias)
    python = python_lexer.PythonLexer()
    assert type(ipython).__name__.startswith("IPython")  # the lexer being replaced
    for cell in _cells():
        assert highlight(cell, python, formatter) == highlight(cell, ipython, formatter), cell


def test_a_magic_would_be_caught() -> None:
    """The extension's limit, and why the test above guards it: a magic (which the book does
    not use) highlights differently with the Python lexer."""
    magic = "%timeit f(x)\n"
    formatter = HtmlFormatter()
    ipython = highlight(magic, get_lexer_by_name("ipython3"), formatter)
    assert highlight(magic, python_lexer.PythonLexer(), formatter) != ipython


def test_sphinx_highlights_ipython3_with_it(tmp_path: Path) -> None:
    """``x%2`` is where the lexers differ: IPython's reads a magic, the Python lexer an operator."""
    conf = "extensions = ['python_lexer']\n"
    page = "Title\n=====\n\n.. code-block:: ipython3\n\n   y = x%2\n"
    html = (build(tmp_path, conf, {"index.rst": page}) / "index.html").read_text("utf-8")
    assert '<span class="n">x</span><span class="o">%</span><span class="mi">2</span>' in html
