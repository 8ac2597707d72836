"""No function body in the bnref package is longer than 50 lines (its docstring excluded).

A long function is split into named steps that read like the book (issue 11, item 5): the
trainer's step is forward, loss, backward, update, record; a figure is its lines, arrows and
legend. The limit counts source lines from the first statement after the docstring to the last
line of the body, comments and blank lines included, as a reader sees them.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

import bnref

LIMIT = 50
PACKAGE = Path(bnref.__file__).parent


def body_lengths(source: str) -> dict[str, int]:
    """``{qualified name: body lines}`` of every function and method in ``source``."""
    lengths: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                body = child.body
                if ast.get_docstring(child, clean=False) is not None:
                    body = body[1:]
                name = f"{prefix}{child.name}"
                if body:
                    lengths[name] = (body[-1].end_lineno or body[-1].lineno) - body[0].lineno + 1
                visit(child, f"{name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return lengths


MODULES = sorted(PACKAGE.glob("*.py"))


def test_every_module_is_measured() -> None:
    names = {path.stem for path in MODULES}
    assert {"batchnorm", "trainer", "plotting", "statistics"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.name)
def test_function_bodies_are_short(path: Path) -> None:
    lengths = body_lengths(path.read_text(encoding="utf-8"))
    too_long = {name: n for name, n in lengths.items() if n > LIMIT}
    assert not too_long, f"{path.name}: bodies over {LIMIT} lines: {too_long}"


def test_the_measure_counts_the_body_without_its_docstring() -> None:
    statements = "\n".join(f"    x{i} = {i}" for i in range(LIMIT + 1))
    source = (
        textwrap.dedent(
            '''
        def long():
            """A docstring
            of three lines.
            """
        '''
        )
        + statements
        + "\n\n\nclass C:\n    def short(self):\n        '''Doc.'''\n        return 1\n"
    )
    lengths = body_lengths(source)
    assert lengths == {"long": LIMIT + 1, "C.short": 1}
