"""docs/_ext/executed_notebooks.py: each notebook page offers its executed notebook (with its
outputs and stable cell ids) in the download menu."""

from __future__ import annotations

import json
import re

import nbformat

from tests.ext_site import HTML, built, extension

executed_notebooks = extension("executed_notebooks")


def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(1)")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="a\n"),
        nbformat.v4.new_output("stream", name="stdout", text="b\n"),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# T"), cell]
    return nb


def test_cell_ids_are_stable_and_streams_merged() -> None:
    first, second = _notebook(), _notebook()
    executed_notebooks.stable_cells(first, merge_streams=True)
    executed_notebooks.stable_cells(second, merge_streams=True)
    assert [c.id for c in first.cells] == [c.id for c in second.cells]
    assert first.cells[0].id != first.cells[1].id
    assert [o.text for o in first.cells[1].outputs] == ["a\nb\n"]


def test_a_notebook_page_offers_its_executed_notebook() -> None:
    page = built("example.html")
    assert re.search(r'href="_sources/example\.ipynb"', page)
    notebook = json.loads((HTML / "_sources" / "example.ipynb").read_text(encoding="utf-8"))
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    assert code
    assert all(c["execution_count"] is not None for c in code)  # executed, not the bare source
    assert any(c["outputs"] for c in code)


def test_a_plain_page_offers_none() -> None:
    assert ".ipynb" not in built("api.html")
