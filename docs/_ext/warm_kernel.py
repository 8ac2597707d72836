"""Execute a notebook in a fork of a warm interpreter, through ipykernel's in-process kernel.

A Jupyter kernel per page costs a new process that imports IPython, numpy, matplotlib,
myst-nb and bnref all over again: about one second per page, half of what a short page of
this book takes, on a machine with two cores. Here a multiprocessing fork server imports
them once (the ``preload`` list); each page then runs in its own fork of that server — a new
process, so nothing a page does reaches the next one — inside ipykernel's in-process kernel:
the same IPython shell, display formatter and matplotlib inline backend as a kernel process,
but talking to its client through queues in the same process instead of over ZeroMQ.

nbclient drives only out-of-process kernels (its kernel manager must be asynchronous and
accept ``shutdown_kernel(now=...)``, which ``InProcessKernelManager`` does not), so the
client loop is here: execute each code cell, read the shell reply and the iopub messages up
to the kernel's "idle", and turn them into outputs with ``nbformat.v4.output_from_msg`` as
nbclient does. ``tests/test_ext_warm_kernel.py`` checks that the outputs equal nbclient's
(with its ``coalesce_streams``) for every kind of output the book produces.

Stream outputs of a cell are merged as nbclient's ``coalesce_streams`` merges them: the texts
of one stream are joined exactly, at the place of its first output. How the kernel splits
printed text into messages depends on timing (ipykernel sends what has been written 0.2 s
after a write, so a process paused inside one ``print`` on a busy machine splits its line),
and myst-nb's own merge (``nb_merge_streams``) strips the whitespace at each split and adds a
newline: the same cell would show ``x_hat: [ 1. -1.]`` on one build and ``x_hat:`` above
`` [ 1. -1.]`` on the next.
(Upstream: https://github.com/executablebooks/MyST-NB/pull/604 made the merge strip;
https://github.com/executablebooks/MyST-NB/issues/690 asks for the spacing to be kept.)

A cell that raises, or runs longer than the timeout, ends the page's execution here with
the error's name; the caller then leaves the page to myst-nb, whose own kernel execution
reports the failure with its traceback. So does a page that clears or updates earlier outputs
or opens comms (widgets), which this loop does not reproduce; cells tagged ``skip-execution``
are skipped, as nbclient skips them.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from typing import Any

import nbformat

# Imported by the fork server, once (the Sphinx process itself never needs them). Besides the
# client side, what starting an in-process kernel imports (its debugger support loads debugpy):
# 0.15 s of CPU per page when each fork imported them itself, 0.04 s now.
PRELOAD = [
    "IPython.core.pylabtools",
    "ipykernel.inprocess.manager",
    "matplotlib_inline.backend_inline",
    "nbformat.v4",
    "ipykernel.inprocess.ipkernel",
    "ipykernel.inprocess.socket",
    "ipykernel.comm",
    "ipykernel.debugger",
    "IPython.core.application",
    "IPython.core.completer",
    "IPython.core.completerlib",
    "IPython.core.logger",
    "IPython.core.magics",
    "IPython.core.oinspect",
    "psutil",
    "sqlite3",
    "tornado.platform.asyncio",
    "tornado.queues",
]
INLINE = "module://matplotlib_inline.backend_inline"
SKIPPED = {"status", "execute_input"}  # what nbclient does not turn into outputs either
# Messages whose effect on earlier outputs nbclient applies and this module does not: a page
# that sends one is left to myst-nb's own kernel execution (this book sends none).
UNSUPPORTED = {"clear_output", "update_display_data"}


class CellTimeout(BaseException):
    """A cell ran longer than the execution timeout. A BaseException, so that neither the
    page's own ``except Exception`` nor IPython's output formatters swallow it."""


class Unsupported(Exception):
    """The page sent a message this module does not reproduce as nbclient would."""


def _alarm(signum: int, frame: Any) -> None:
    raise CellTimeout


def _start_kernel() -> tuple[Any, Any]:
    from ipykernel.inprocess.manager import InProcessKernelManager
    from IPython.core.pylabtools import activate_matplotlib
    from matplotlib_inline.backend_inline import configure_inline_support

    manager = InProcessKernelManager()
    manager.start_kernel()
    # What a kernel process does: ipykernel makes the inline backend matplotlib's default,
    # and matplotlib_inline, when pyplot first loads it, hooks it into the shell. pyplot and
    # the backend are loaded already here (in the fork server), so the hook is made directly.
    os.environ.setdefault("MPLBACKEND", INLINE)
    if os.environ["MPLBACKEND"] == INLINE:
        activate_matplotlib(INLINE)
        configure_inline_support(manager.kernel.shell, INLINE)
    client = manager.client()
    client.start_channels()
    return manager, client


def merge_streams(outputs: list[Any]) -> list[Any]:
    """Join each stream's texts, exactly, into its first output (nbclient's ``coalesce_streams``;
    the rest of that step, carriage returns and stdout before stderr, myst-nb's merge repeats)."""
    merged: list[Any] = []
    first: dict[str, Any] = {}
    for output in outputs:
        if output["output_type"] != "stream":
            merged.append(output)
        elif output["name"] in first:
            first[output["name"]]["text"] += output["text"]
        else:
            first[output["name"]] = output
            merged.append(output)
    return merged


def _run_cell(kernel: Any, client: Any, source: str, timeout: float) -> tuple[Any, list[Any]]:
    """Execute one cell: IPython's result and the cell's outputs, in order.

    The cell runs through the kernel's shell directly, in this thread's context, not through
    the kernel's message dispatch: that dispatch runs each request in a new asyncio task, whose
    copy of the context would lose context variables a cell sets (numpy 2's print options are
    one) before the next cell. The kernel's own publishers still send every output."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = kernel.stdout, kernel.stderr
    start = time.monotonic()
    if timeout and timeout > 0:  # nbclient's "no timeout" is None or -1
        signal.setitimer(signal.ITIMER_REAL, timeout, 1.0)  # again each second if swallowed
    try:
        result = kernel.shell.run_cell(source, store_history=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.stdout, sys.stderr = saved
    if timeout and timeout > 0 and time.monotonic() - start >= timeout:
        raise CellTimeout
    # A flush waits until ipykernel's iopub thread has run its queue up to the flush, but the
    # thread queues the stream's own send behind that point; so two rounds: after the second,
    # every message of this cell has reached the client (tests/test_ext_warm_kernel.py).
    for _ in range(2):
        kernel.stdout.flush()
        kernel.stderr.flush()
    from nbformat.v4 import output_from_msg

    messages = client.iopub_channel.get_msgs()
    kinds = {m["msg_type"] for m in messages}
    if kinds & UNSUPPORTED or any(kind.startswith("comm_") for kind in kinds):
        raise Unsupported(", ".join(sorted(kinds & UNSUPPORTED) or ["comm messages"]))
    outputs = [output_from_msg(m) for m in messages if m["msg_type"] not in SKIPPED]
    return result, merge_streams(outputs)


def execute(path: str, notebook_json: str, timeout: float) -> tuple[str | None, float, str]:
    """Execute the notebook (JSON text) in the folder of ``path``.

    Returns ``(executed notebook JSON, seconds, "")``, or ``(None, seconds, error)`` when a
    cell fails or times out. Meant to run in a fresh process: it changes the working folder.
    """
    start = time.perf_counter()
    # pydevd (which ipykernel loads) warns about frozen modules on every start: noise here.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    notebook = nbformat.reads(notebook_json, as_version=4)
    os.chdir(os.path.dirname(path))
    signal.signal(signal.SIGALRM, _alarm)
    manager, client = _start_kernel()
    try:
        notebook.metadata["language_info"] = manager.kernel.kernel_info["language_info"]
        for cell in notebook.cells:
            if cell.cell_type != "code" or "skip-execution" in cell.metadata.get("tags", []):
                continue  # as nbclient does
            result, cell.outputs = _run_cell(manager.kernel, client, cell.source, timeout)
            cell.execution_count = result.execution_count
            if not result.success:
                error = result.error_in_exec or result.error_before_exec
                return None, time.perf_counter() - start, f"{type(error).__name__}: {error}"
    except CellTimeout:
        return None, time.perf_counter() - start, f"CellTimeout: a cell ran longer than {timeout} s"
    except Unsupported as message:
        return None, time.perf_counter() - start, f"Unsupported: {message}"
    finally:
        client.stop_channels()
        manager.shutdown_kernel()
    return nbformat.writes(notebook), time.perf_counter() - start, ""
