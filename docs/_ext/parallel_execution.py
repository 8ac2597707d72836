"""Execute the pages that need it in parallel, while Sphinx does its other work.

myst-nb's ``cache`` mode executes a page when Sphinx reads it, one page at a time, each in a
new Jupyter kernel that imports everything again; Sphinx's parallel read (``-j``) hands each
process a fixed batch of pages, so on two cores the slow pages queued behind each other (a
cold build spent ~32 s in serial execution). Here:

* on ``env-before-read-docs``, if any page about to be read has a notebook that is not in
  myst-nb's jupyter-cache, a multiprocessing fork server is started that imports the modules
  of ``execution_preload`` once (already on ``builder-inited`` when the cache is empty), and
  every such page is submitted to a pool as wide as the machine, each page in its own fork of
  that server (``warm_kernel``: ipykernel's in-process kernel, so nothing is shared between
  pages), the largest first; the pages that do not execute are moved to the front of the
  reading order, so Sphinx reads them while the others execute, and the others follow in the
  order they were submitted;
* on ``source-read`` of a submitted page, Sphinx waits for that page alone and its executed
  notebook is stored in the cache exactly as myst-nb stores it. myst-nb then finds it there.

A page whose execution fails is not cached: myst-nb executes it again, in a Jupyter kernel,
when it reads it and reports the error as usual, with its traceback, so a failure reads the
same with or without this extension. With ``-j`` (reading happens in other processes, which
cannot wait for these pages) every page is executed before reading starts. Where there is no
fork server (Windows) the pages run in Jupyter kernels, over threads. With
``nb_execution_mode`` other than ``cache`` this does nothing.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

import nbformat
import warm_kernel
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from myst_nb.core.read import create_nb_reader
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)
WARM = "forkserver" in multiprocessing.get_all_start_methods()
# docname -> (path, future) of the pages submitted and not yet read; not on the environment,
# which Sphinx pickles after reading.
PENDING: dict[str, tuple[Path, Future[tuple[str | None, float, str]]]] = {}
POOL: list[Executor] = []  # the pool of those pages, shut down when the last one is read


def _notebooks(env: BuildEnvironment, docnames: list[str]) -> dict[str, tuple[Path, Any]]:
    """The (path, notebook) of every page to be read that is a notebook, by docname."""
    found = {}
    for docname in docnames:
        path = Path(env.doc2path(docname))
        text = path.read_text(encoding="utf-8")
        reader = create_nb_reader(str(path), env.myst_config, env.mystnb_config, text)
        if reader is not None:  # None: a plain Markdown or reST page
            found[docname] = (path, reader.read(text))
    return found


def _cores() -> int:
    """The cores this process may use (``sched_getaffinity`` is Linux-only; macOS has not)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _code_size(notebook: Any) -> int:
    return sum(len(c.source) for c in notebook.cells if c.cell_type == "code")


def _kernel_execute(path: str, notebook_json: str, timeout: float) -> tuple[str | None, float, str]:
    """The same contract as ``warm_kernel.execute``, in a Jupyter kernel (no fork server)."""
    notebook = nbformat.reads(notebook_json, as_version=4)
    result = single_nb_execution(
        notebook, cwd=str(Path(path).parent), timeout=timeout, allow_errors=False,
        meta_override=True,
    )  # fmt: skip
    if result.err is not None:
        return None, result.time, str(result.err)
    return nbformat.writes(notebook), result.time, ""


def _start_fork_server(app: Sphinx) -> None:
    """Start the fork server; its imports overlap with Sphinx reading the code-free pages."""
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # before the server imports
    # Only modules importable from site-packages: Python 3.11's fork server does not take the
    # parent's sys.path for its preload (docs/_ext modules are imported in each fork instead).
    preload = [*warm_kernel.PRELOAD, *app.config.execution_preload]
    multiprocessing.set_forkserver_preload(preload)
    forkserver.ensure_running()


def start_early(app: Sphinx) -> None:
    """With an empty execution cache (a first build, or bnref changed), every page will
    execute: start the fork server now, so that its imports overlap with Sphinx's setup."""
    if WARM and app.config.nb_execution_mode == "cache":
        cache = Path(app.config.nb_execution_cache_path, "global.db")
        if not cache.is_absolute():
            cache = Path(app.confdir, cache)
        if not cache.exists():
            _start_fork_server(app)


def _pool(width: int) -> Executor:
    if WARM:  # one fresh fork per page: no state passes from one page to the next
        context = multiprocessing.get_context("forkserver")
        return ProcessPoolExecutor(width, mp_context=context, max_tasks_per_child=1)
    return ThreadPoolExecutor(width)  # each page runs in its own kernel; the threads only wait


def submit(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    config = env.mystnb_config
    if config.execution_mode != "cache" or not docnames:
        return
    cache = get_cache(config.execution_cache_path)
    notebooks = _notebooks(env, docnames)
    todo = {}
    for docname, (path, notebook) in notebooks.items():
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            todo[docname] = (path, notebook)
    if not todo:
        return
    width = min(len(todo), _cores())
    logger.info(f"executing {len(todo)} page(s) over {width} worker(s)")
    run = warm_kernel.execute if WARM else _kernel_execute
    try:
        if WARM:  # only when a page is to execute: an unchanged build starts no process
            _start_fork_server(app)
        pool = _pool(width)
        POOL.append(pool)
        for docname in sorted(todo, key=lambda name: -_code_size(todo[name][1])):
            path, notebook = todo[docname]
            text = nbformat.writes(notebook)  # a copy: the worker gets only this text
            job = (str(path), text, config.execution_timeout)
            PENDING[docname] = (path, pool.submit(run, *job))
    except (OSError, EOFError, BrokenProcessPool) as failure:
        # E.g. a preloaded module that no longer imports killed the fork server: myst-nb then
        # executes each page itself and reports that error where it occurs, as usual.
        logger.info(f"parallel execution unavailable ({failure!r}); myst-nb executes the pages")
        PENDING.clear()
        shut_down()
        return
    # Not shutdown(wait=False) now: Python 3.11's pool then stops replacing the workers that
    # max_tasks_per_child retires, and the remaining pages never run.
    # Reading order: the pages that do not execute first, which Sphinx reads while the others
    # execute; then these in the order they were submitted, about the order they finish in
    # (largest first, over the workers).
    submitted = {name: rank for rank, name in enumerate(PENDING)}
    docnames.sort(key=lambda name: (name in submitted, submitted.get(name, 0), name))
    if app.parallel > 1:  # reading happens in forked processes: wait here for every page
        for docname in list(PENDING):
            _store(app, docname)


def _store(app: Sphinx, docname: str) -> None:
    """Wait for one submitted page and put its executed notebook in myst-nb's cache."""
    if docname not in PENDING:
        return
    path, future = PENDING.pop(docname)
    if not PENDING:
        shut_down()
    try:
        executed, seconds, error = future.result()
    except Exception as failure:  # the worker itself died: leave the page to myst-nb
        executed, seconds, error = None, 0.0, repr(failure)
    if executed is None:
        logger.info(f"{path.name} failed ({error}); myst-nb executes it again and reports it")
        # myst-nb's report ends the build: cache the other pages first, not to lose them.
        for other in list(PENDING):
            _store(app, other)
        return
    notebook = nbformat.reads(executed, as_version=4)
    bundle = CacheBundleIn(notebook, str(path), data={"execution_seconds": seconds})
    cache = get_cache(app.env.mystnb_config.execution_cache_path)
    cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
    logger.info(f"executed {path.name} in {seconds:.2f} s")


def shut_down(app: Sphinx | None = None, exception: BaseException | None = None) -> None:
    """Shut the pool down once its pages are all done (its workers exit); after a failed
    build, without running the pages not started."""
    while POOL:
        POOL.pop().shutdown(wait=True, cancel_futures=exception is not None)


def wait_for_page(app: Sphinx, docname: str, source: list[str]) -> None:
    _store(app, docname)


def setup(app: Sphinx) -> dict[str, Any]:
    # Modules every page imports, loaded once in the fork server (a list of module names).
    app.add_config_value("execution_preload", [], "", list)  # speed only: no page to re-read
    app.connect("builder-inited", start_early)
    app.connect("env-before-read-docs", submit)
    app.connect("source-read", wait_for_page)
    app.connect("build-finished", shut_down)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
