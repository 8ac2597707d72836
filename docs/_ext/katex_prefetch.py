"""Render a page's formulas in the background while Sphinx writes the page.

With ``katex_prerender = True``, sphinxcontrib-katex renders a formula when the HTML translator
reaches it: one request to its Node.js server, then a wait for the answer, for every formula
(1,826 in this book: about 0.7 s of the cold build's write phase, which runs on one core). Here,
as soon as a page's doctree is resolved (``doctree-resolved``, after the other listeners, such
as ``section_ref_math``, have added their math; just before Sphinx translates the page), every
formula on it is sent to the same server from a background thread over a connection of its
own. Node renders them on the other core while Sphinx indexes and translates the page, and the
translator's ``render_latex`` call finds the answer waiting.

The requests are the ones the translator would send (the same LaTeX, the same options: inline,
or ``displayMode`` for a displayed equation), so the pages are byte for byte what they were; a
TeX error is raised where the translator asks for that formula, as before. A formula that
appears again (``$\\gamma$``, ``$m$``) is rendered once per build. Upstream renders on demand
only: https://github.com/hagenw/sphinxcontrib-katex/blob/main/sphinxcontrib/katex.py

Not used with Sphinx's parallel write (``-j``): its forked writers would inherit the pending
answers but not the thread. Nor off POSIX, where upstream's server listens on TCP, not on the
Unix socket this connects to.
"""

from __future__ import annotations

import json
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sphinxcontrib.katex as katex
from docutils import nodes
from katex_server import connect_when_listening
from sphinx.application import Sphinx

DISPLAY = {"displayMode": True}  # what html_visit_displaymath passes
_render_on_demand = katex.render_latex
_server_for_all_threads = katex.KaTeXServer.get.__func__
_LOCAL = threading.local()  # the background thread's own connection
RENDERED: dict[str, Future[str]] = {}  # by request (LaTeX and options), this build
WORKER: list[ThreadPoolExecutor] = []
CONNECTIONS: list[Any] = []  # the background thread's, closed when the build ends


def _key(latex: str, options: dict[str, Any] | None) -> str:
    return json.dumps([latex, options], sort_keys=True)


def _server(cls: type) -> Any:
    """``KaTeXServer.get``, except in the background thread: its own connection, so that its
    requests and the translator's never interleave on one socket."""
    return getattr(_LOCAL, "server", None) or _server_for_all_threads(cls)


def _render_in_background(latex: str, options: dict[str, Any] | None) -> str:
    if getattr(_LOCAL, "server", None) is None:
        shared = _server_for_all_threads(katex.KaTeXServer)  # started by _prefetch
        deadline = time.monotonic() + katex.STARTUP_TIMEOUT
        sock = connect_when_listening(Path(shared.rundir) / "katex.sock", deadline)
        if sock is None:  # the server is gone: fail as upstream would, not wait forever
            raise katex.KaTeXServer.timeout_error(katex.STARTUP_TIMEOUT)
        _LOCAL.server = katex.KaTeXServer(shared.rundir, shared.process, sock)
        CONNECTIONS.append(sock)
    try:
        rendered: str = _render_on_demand(latex, options)
    except BaseException:
        # e.g. a timeout: a late answer on this connection must not become the next one's
        _LOCAL.server.sock.close()
        _LOCAL.server = None
        raise
    return rendered


def render_latex(latex: str, options: dict[str, Any] | None = None) -> str:
    """What the translator calls: the answer rendered in the background, else on demand."""
    future = RENDERED.get(_key(latex, options))
    return future.result() if future is not None else _render_on_demand(latex, options)


def _prefetch(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html" or not app.config.katex_prerender or os.name != "posix":
        return
    if getattr(app.builder, "parallel_ok", False):
        return  # forked writers: see the module's docstring
    if not WORKER:
        _server_for_all_threads(katex.KaTeXServer)  # started here, by one thread only
        WORKER.append(ThreadPoolExecutor(1, thread_name_prefix="katex-prefetch"))
    for node in doctree.findall(lambda n: isinstance(n, nodes.math | nodes.math_block)):
        options = DISPLAY if isinstance(node, nodes.math_block) else None
        latex = katex.get_latex(node)
        key = _key(latex, options)
        if key not in RENDERED:
            RENDERED[key] = WORKER[0].submit(_render_in_background, latex, options)


def _finish(app: Sphinx, exception: BaseException | None) -> None:
    for worker in WORKER:
        worker.shutdown(cancel_futures=True)
    WORKER.clear()
    RENDERED.clear()
    for sock in CONNECTIONS:
        sock.close()
    CONNECTIONS.clear()


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("katex_server")
    katex.render_latex = render_latex  # the name html_visit_math and ..._displaymath look up
    katex.KaTeXServer.get = classmethod(_server)
    app.connect("doctree-resolved", _prefetch, priority=900)  # after the listeners adding math
    app.connect("build-finished", _finish)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
