"""docs/_ext/katex_server.py: KaTeX pre-rendering connects only once its server listens, renders
the book's macros, and a TeX error fails the build."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from tests.ext_site import build, extension

katex_server = extension("katex_server")


def test_connect_waits_until_the_server_listens(tmp_path: Path) -> None:
    """The race: the socket file exists before the server listens. A connection attempted then
    is refused (what broke the build under load); the extension's retries until it listens."""
    path = tmp_path / "katex.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))  # the file exists, nobody listens yet
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with pytest.raises(ConnectionRefusedError):
        probe.connect(str(path))  # what upstream's single attempt meets
    probe.close()
    threading.Timer(0.2, server.listen).start()
    sock = katex_server.connect_when_listening(path, time.monotonic() + 5)
    assert sock is not None
    sock.close()
    server.close()


def test_connect_gives_up_at_the_deadline(tmp_path: Path) -> None:
    start = time.monotonic()
    assert katex_server.connect_when_listening(tmp_path / "none.sock", start + 0.1) is None
    assert time.monotonic() - start < 2


def test_node_is_the_wheels() -> None:
    binary = katex_server.node_binary()
    assert binary is not None
    assert Path(binary).is_file()


CONF = """
extensions = ['katex_server']
katex_prerender = True
katex_server_options = {'throwOnError': True, 'strict': 'error', 'macros': {r'\\xhat': r'\\hat{x}'}}
"""


def test_the_macros_render_and_a_tex_error_fails(tmp_path: Path) -> None:
    page = "Title\n=====\n\n:math:`\\xhat_i`\n"
    html = (build(tmp_path / "ok", CONF, {"index.rst": page}) / "index.html").read_text("utf-8")
    assert 'class="katex"' in html  # rendered at build time, \xhat from the book's macros
    with pytest.raises(Exception, match=r"Undefined control sequence: \\nosuchmacro"):
        build(tmp_path / "bad", CONF, {"index.rst": "Title\n=====\n\n:math:`\\nosuchmacro`\n"})
