"""Highlight the pages' code cells with Pygments' Python lexer instead of IPython's.

myst-nb highlights a code cell with the lexer its notebook's kernel names
(``language_info.pygments_lexer``: ``ipython3``). IPython's lexer is Pygments' Python lexer
plus rules for magics (``%timeit``, ``%%bash``), help (``x?``) and shell escapes (``!ls``), and
checking those rules on every line costs: the 120 code cells the book shows (1,507 lines) took
0.26-0.37 s with it and 0.19-0.23 s with the Python lexer (three runs, outside Sphinx), inside
the single-core write phase, for HTML that is byte-identical
(``tests/test_ext_python_lexer.py`` checks every shown cell). The two differ where the
IPython rules match: a magic or a help request, which the book does not use, but also Python
such as ``x%2`` without spaces, which IPython's lexer reads as a magic and the Python lexer
reads right. A cell where they differ fails that test; then look at which is right.
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
