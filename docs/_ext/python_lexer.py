"""Highlight the pages' code cells with Pygments' Python lexer instead of IPython's.

myst-nb highlights a code cell with the lexer its notebook's kernel names
(``language_info.pygments_lexer``: ``ipython3``). IPython's lexer is Pygments' Python lexer
plus rules for magics (``%timeit``) and shell escapes (``!ls``), and checking those rules on
every line costs: on this book's 240 code cells (3,431 lines) it took 0.71 s against 0.43 s
for the Python lexer, inside the single-core write phase, for HTML that is byte-identical
(``tests/test_ext_python_lexer.py`` checks every cell of the book). The book uses no magic;
a cell that used one would be highlighted differently (``%timeit`` as an operator and a name),
and that test would fail: then this extension has to go.
"""

from __future__ import annotations

from typing import Any

from pygments.lexers.python import PythonLexer
from sphinx.application import Sphinx

ALIASES = ("ipython3", "ipython")  # what IPython's kernels name


def setup(app: Sphinx) -> dict[str, Any]:
    for alias in ALIASES:
        app.add_lexer(alias, PythonLexer)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
