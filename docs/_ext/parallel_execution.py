"""Execute the pages that need it in parallel, before Sphinx reads them.

myst-nb's ``cache`` mode executes a page when Sphinx reads it, one page at a time per reading
process; Sphinx's parallel read (``-j``) hands each process a fixed batch of about half the
pages, so on two cores the slow pages queue behind each other (a cold build spent ~32 s in
serial execution). Here, on ``env-before-read-docs`` (in the main process, before any page is
read), every page about to be read whose notebook is not in myst-nb's jupyter-cache is
executed, all at once over a pool as wide as the machine, the slowest-looking pages first, and
its executed notebook is stored in that cache exactly as myst-nb stores it (same reader, same
``single_nb_execution``, same cache). myst-nb then finds every page in the cache.

A page whose execution fails is not cached: myst-nb executes it again when it reads it and
reports the error as usual, with its traceback, so a failure reads the same with or without
this extension. With ``nb_execution_mode`` other than ``cache`` this does nothing.
"""

from __future__ import annotations

import copy
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution
from myst_nb.core.read import create_nb_reader
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _unexecuted(env: BuildEnvironment, docnames: list[str]) -> list[tuple[Path, Any]]:
    """The (path, notebook) of every page to be read that is a notebook not in the cache."""
    cache = get_cache(env.mystnb_config.execution_cache_path)
    todo = []
    for docname in docnames:
        path = Path(env.doc2path(docname))
        text = path.read_text(encoding="utf-8")
        reader = create_nb_reader(str(path), env.myst_config, env.mystnb_config, text)
        if reader is None:
            continue  # a plain Markdown or reST page: nothing to execute
        notebook = reader.read(text)
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            todo.append((path, notebook))
    return todo


def _cores() -> int:
    """The cores this process may use (``sched_getaffinity`` is Linux-only; macOS has not)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _code_size(item: tuple[Path, Any]) -> int:
    return sum(len(c.source) for c in item[1].cells if c.cell_type == "code")


def execute_ahead(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    config = env.mystnb_config
    if config.execution_mode != "cache" or not docnames:
        return
    todo = sorted(_unexecuted(env, docnames), key=_code_size, reverse=True)
    if not todo:
        return
    workers = min(len(todo), _cores())
    logger.info(f"executing {len(todo)} page(s) over {workers} worker(s)")

    def execute(item: tuple[Path, Any]) -> tuple[Path, Any, Any]:
        path, notebook = item
        executed = copy.deepcopy(notebook)
        result = single_nb_execution(
            executed,
            cwd=str(path.parent),
            timeout=config.execution_timeout,
            allow_errors=config.execution_allow_errors,
            meta_override=True,
        )
        return path, executed, result

    # Threads are enough: each page runs in its own kernel process; the threads only wait.
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(execute, todo))
    cache = get_cache(config.execution_cache_path)  # written from this thread only
    for path, executed, result in results:
        if result.err is not None:
            continue  # myst-nb runs it again on reading and reports the error
        bundle = CacheBundleIn(executed, str(path), data={"execution_seconds": result.time})
        cache.cache_notebook_bundle(bundle, check_validity=False, overwrite=True)
        logger.info(f"executed {path.name} in {result.time:.2f} s")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("env-before-read-docs", execute_ahead)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
