"""docs/_ext/warm_kernel.py: a page executed in a fork of a warm interpreter gets exactly the
outputs a Jupyter kernel (nbclient, as myst-nb runs it, streams merged as nbclient merges them)
gives it; failures are reported."""

from __future__ import annotations

import copy
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
from jupyter_cache.executors.utils import single_nb_execution

from tests.ext_site import extension

warm_kernel = extension("warm_kernel")

# Every kind of output the book's pages make: streams (both, interleaved with displays), a
# last-expression result with HTML, glue (display with metadata), a figure through the inline
# backend (shown at the end of its cell), numpy 2's print options (a context variable) set in
# one cell and used in the next, and a cell with no output.
CELLS = [
    "import sys\nimport numpy as np\nfrom myst_nb import glue\nimport matplotlib.pyplot as plt",
    "np.set_printoptions(precision=3)\nprint('out', 1)\nprint('err', file=sys.stderr)",
    "print(np.array([1 / 3, 2 / 3]))",
    "from IPython.display import HTML, display\ndisplay(HTML('<b>x</b>'))\nprint('after')",
    "glue('one-third', 1 / 3, display=False)\nglue('shown', 'text')",
    "fig, ax = plt.subplots(figsize=(2, 1))\nax.plot([0, 1], [1, 0])\n"
    "glue('fig', fig, display=False)",
    "fig2, ax2 = plt.subplots(figsize=(2, 1))\nlines = ax2.plot([0, 1])",
    "x = 1",
    # one line printed in two messages, as a busy machine's flush timer can split it
    "print('x_hat:', end='')\nsys.stdout.flush()\nprint(' [ 1. -1.]')",
    "class Table:\n    def _repr_html_(self):\n        return '<table></table>'\n"
    "    def __repr__(self):\n        return 'Table'\nTable()",
]


def _notebook(cells: list[str]) -> Any:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return notebook


def _in_fork(path: Path, notebook: Any, timeout: float = 30) -> tuple[Any, float, str]:
    """Run warm_kernel.execute as the book does: in a fresh fork-server child."""
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(1, mp_context=context, max_tasks_per_child=1) as pool:
        future = pool.submit(warm_kernel.execute, str(path), nbformat.writes(notebook), timeout)
        executed, seconds, error = future.result(timeout=120)
    return (nbformat.reads(executed, as_version=4) if executed else None), seconds, error


def _comparable(notebook: Any) -> list[Any]:
    return [
        json.dumps({k: v for k, v in c.items() if k != "id"}, sort_keys=True)
        for c in notebook.cells
    ]


def test_outputs_equal_those_of_a_jupyter_kernel(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    by_kernel = _notebook(CELLS)
    result = single_nb_execution(
        by_kernel, cwd=str(tmp_path), timeout=60, allow_errors=False, coalesce_streams=True
    )
    assert result.err is None
    by_fork, seconds, error = _in_fork(page, _notebook(CELLS))
    assert error == ""
    assert seconds > 0
    assert _comparable(by_fork) == _comparable(by_kernel)
    assert by_fork.metadata["language_info"] == by_kernel.metadata["language_info"]
    # The comparison is not vacuous: the kinds of output above are all there.
    kinds = {o["output_type"] for c in by_fork.cells for o in c.outputs}
    assert kinds == {"stream", "display_data", "execute_result"}
    assert "[0.333 0.667]" in by_fork.cells[2].outputs[0]["text"]  # print options persisted
    assert any("image/png" in o.get("data", {}) for o in by_fork.cells[6].outputs)


def test_a_line_printed_in_two_messages_is_shown_as_one_line(tmp_path: Path) -> None:
    """The build's reproducibility: the page shows the same text however the kernel split it."""
    from myst_nb.core.utils import coalesce_streams

    split = "print('x_hat:', end='')\nsys.stdout.flush()\nprint(' [ 1. -1.]')"
    by_fork, _, error = _in_fork(tmp_path / "p.md", _notebook(["import sys", split]))
    assert error == ""
    assert [o["text"] for o in by_fork.cells[1].outputs] == ["x_hat: [ 1. -1.]\n"]
    shown = coalesce_streams(copy.deepcopy(by_fork.cells[1].outputs))  # nb_merge_streams
    assert [o["text"] for o in shown] == ["x_hat: [ 1. -1.]\n"]

    # What the page showed before: myst-nb's merge of the two messages breaks the line.
    split_text = ("x_hat:", " [ 1. -1.]\n")

    def two() -> list[Any]:  # both merges change the outputs they are given
        return [nbformat.v4.new_output("stream", name="stdout", text=t) for t in split_text]

    assert [o["text"] for o in coalesce_streams(two())] == ["x_hat:\n [ 1. -1.]\n"]
    assert [o["text"] for o in warm_kernel.merge_streams(two())] == ["x_hat: [ 1. -1.]\n"]


def test_streams_are_merged_per_name_in_place_of_the_first() -> None:
    out = [
        nbformat.v4.new_output("stream", name="stdout", text="a\n"),
        nbformat.v4.new_output("stream", name="stderr", text="w\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "d"}),
        nbformat.v4.new_output("stream", name="stdout", text="b  \n\n"),
    ]
    merged = warm_kernel.merge_streams(out)
    assert [(o["output_type"], o.get("name"), o.get("text")) for o in merged] == [
        ("stream", "stdout", "a\nb  \n\n"),
        ("stream", "stderr", "w\n"),
        ("display_data", None, None),
    ]


def test_a_failing_cell_ends_the_page_with_the_error_and_no_notebook(tmp_path: Path) -> None:
    executed, _, error = _in_fork(tmp_path / "p.md", _notebook(["x = 1", "raise KeyError('k')"]))
    assert executed is None
    assert error == "KeyError: 'k'"
    executed, _, error = _in_fork(tmp_path / "p.md", _notebook(["def f(:"]))
    assert executed is None
    assert error.startswith("SyntaxError")


def test_a_cell_longer_than_the_timeout_is_stopped(tmp_path: Path) -> None:
    executed, seconds, error = _in_fork(tmp_path / "p.md", _notebook(["while True: pass"]), 1)
    assert executed is None
    assert error.startswith("CellTimeout")
    assert seconds < 10


def test_pages_run_in_the_folder_of_their_file_and_share_nothing(tmp_path: Path) -> None:
    # Both pages through the build's own pool, one worker: the second page gets a fresh fork.
    parallel_execution = extension("parallel_execution")
    (tmp_path / "data.txt").write_text("here")
    one = _notebook(["import os\nSHARED = 1\nprint(open('data.txt').read())"])
    two = _notebook(["print('SHARED' in globals())"])
    pool = parallel_execution._pool(1)
    try:
        jobs = [
            pool.submit(warm_kernel.execute, str(tmp_path / name), nbformat.writes(page), 30)
            for name, page in (("one.md", one), ("two.md", two))
        ]
        first, second = (nbformat.reads(job.result(timeout=120)[0], 4) for job in jobs)
    finally:
        pool.shutdown()
    assert first.cells[0].outputs[0]["text"] == "here\n"
    assert second.cells[0].outputs[0]["text"] == "False\n"


def test_a_cell_that_swallows_the_timeout_is_still_stopped(tmp_path: Path) -> None:
    swallow = "while True:\n    try:\n        sum(range(1000))\n    except Exception:\n        pass"
    executed, _, error = _in_fork(tmp_path / "p.md", _notebook([swallow]), 1)
    assert executed is None
    assert error.startswith("CellTimeout")


def test_no_timeout_runs_and_skip_execution_is_skipped(tmp_path: Path) -> None:
    notebook = _notebook(["print('ran')", "raise RuntimeError('not run')"])
    notebook.cells[1].metadata["tags"] = ["skip-execution"]
    executed, _, error = _in_fork(tmp_path / "p.md", notebook, timeout=-1)
    assert error == ""
    assert executed.cells[0].outputs[0]["text"] == "ran\n"
    assert executed.cells[1].outputs == []


def test_a_page_that_clears_outputs_is_left_to_a_kernel(tmp_path: Path) -> None:
    cells = ["from IPython.display import clear_output\nprint(1)\nclear_output()"]
    executed, _, error = _in_fork(tmp_path / "p.md", _notebook(cells))
    assert executed is None
    assert error == "Unsupported: clear_output"


def _modules_a_kernel_start_adds() -> list[str]:
    """In a fork of a process that imported PRELOAD: the modules that starting the in-process
    kernel and running a cell import, which every page would pay for again."""
    import importlib
    import sys

    for name in warm_kernel.PRELOAD:
        importlib.import_module(name)  # fails the test if the list names a missing module
    before = set(sys.modules)
    manager, client = warm_kernel._start_kernel()
    try:
        warm_kernel._run_cell(manager.kernel, client, "1 + 1", 0)
    finally:
        client.stop_channels()
        manager.shutdown_kernel()
    return sorted(set(sys.modules) - before)


def test_preload_covers_what_starting_a_kernel_imports() -> None:
    context = multiprocessing.get_context("fork")  # a fresh child: this process stays as it was
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        added = pool.submit(_modules_a_kernel_start_adds).result(timeout=120)
    heavy = ("IPython", "ipykernel", "debugpy", "pydevd", "jupyter_client", "zmq", "tornado.")
    assert [name for name in added if name.startswith(heavy)] == []
    assert set(added) & set(warm_kernel.PRELOAD) == set()  # nothing listed is imported late
