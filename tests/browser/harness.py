"""Serve the built book on 127.0.0.1 and drive Debian's Chromium through Playwright.

Shared by the browser tests (``tests/browser/test_*.py``) and the page-weight report
(``python -m tests.browser.page_weight``). Nothing here downloads a browser: Playwright is
pointed at the Chromium that ``tools/browser.py`` finds (``BNREF_CHROMIUM``, else ``chromium``
on ``PATH``, else Playwright's own download); ``nox -s tests`` runs that tool first, and it
installs one when the machine has none.

The site is served under the path it is published at (``/bnref/``, from the ``Documentation``
URL in ``pyproject.toml``), as a static host serves it: a missing file gets the book's
``404.html`` with status 404, at any depth.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import os
import threading
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from tools.browser import HELP, existing, find

ROOT = Path(__file__).resolve().parents[2]
# BNREF_SITE tests another copy of the built site (an artifact, say) instead of docs/_build/html.
SITE = Path(os.environ.get("BNREF_SITE", ROOT / "docs" / "_build" / "html")).resolve()
SCREENSHOTS = ROOT / "docs" / "_build" / "screenshots"
_URLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
PREFIX = urlparse(_URLS["Documentation"]).path.rstrip("/") + "/"  # "/bnref/"

# How Chromium must be started on these machines: without the background-networking flags it
# tries to reach Google's hosts at every start, which a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".svg": "image/svg+xml",
    ".ipynb": "application/x-ipynb+json",
    ".map": "application/json",
    ".inv": "application/octet-stream",
    ".md": "text/markdown; charset=utf-8",
}


def site_pages(site: Path = SITE) -> list[str]:
    """Every HTML page of the built site, as a path relative to the site root (posix)."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


class _Handler(http.server.SimpleHTTPRequestHandler):
    site: Path = SITE
    prefix: str = PREFIX

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the tests report what matters

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return _TYPES.get(Path(path).suffix) or super().guess_type(path)

    def send_head(self):  # type: ignore[no-untyped-def]
        path = unquote(urlparse(self.path).path)
        if path == self.prefix.rstrip("/"):
            self.send_response(301)
            self.send_header("Location", self.prefix)
            self.end_headers()
            return None
        target = None
        if path.startswith(self.prefix):
            rel = path[len(self.prefix) :]
            candidate = (self.site / rel).resolve()
            if candidate.is_dir():
                candidate = candidate / "index.html"
            if candidate.is_file() and candidate.is_relative_to(self.site.resolve()):
                target = candidate
        if target is None:
            return self._not_found()
        f = target.open("rb")
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(target)))
        self.send_header("Content-Length", str(target.stat().st_size))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        return f

    def _not_found(self):  # type: ignore[no-untyped-def]
        page = self.site / "404.html"
        body = page.read_bytes() if page.is_file() else b"not found"
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@contextlib.contextmanager
def serve(site: Path = SITE, prefix: str = PREFIX) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 at a free port; yield the book's base URL (ending in /)."""
    handler = type("Handler", (_Handler,), {"site": site, "prefix": prefix})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def launch(playwright):  # type: ignore[no-untyped-def]
    """Launch headless Chromium: BNREF_CHROMIUM (``nox -s tests`` sets it to what
    tools/browser.py found or installed), else one on PATH, else Playwright's own download.
    Raise (never skip) when there is none: the book is built, so these tests must run."""
    path = find(downloaded=lambda: existing(playwright.chromium.executable_path))
    if path is None:
        raise RuntimeError(f"the book is built, so the browser tests must run. {HELP}")
    return playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)


def listing(title: str, lines: list[str]) -> str:
    """An assertion message that shows every line, not pytest's shortened diff."""
    return "\n".join([f"{title}:", *(f"  - {line}" for line in lines)])


def is_local(url: str) -> bool:
    """A request the book may make: to the test server itself, or data:/blob: URLs."""
    parsed = urlparse(url)
    if parsed.scheme in {"data", "blob", "about"}:
        return True
    return parsed.hostname in {"127.0.0.1", "localhost"}


@dataclass
class Visit:
    """One page opened in its own browser context, with everything that went wrong."""

    path: str
    page: Any  # playwright.sync_api.Page
    status: int | None = None
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    # Off while axe runs: its stylesheet preloading resolves the theme's `@import "../basic.css"`
    # against the page instead of the stylesheet, and requests /basic.css. Requests to other
    # hosts are recorded (and aborted) whatever this says.
    recording: bool = True
    # Every response until the page, its fonts and its requests had settled: what a first
    # visit with an empty cache loads (tests/browser/page_weight.py weighs it).
    first_load: list[Any] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Everything that went wrong while loading and using the page (requests to other
        hosts are listed apart, in ``external_requests``)."""
        return [
            *(f"console error: {e}" for e in self.console_errors),
            *(f"uncaught exception: {e}" for e in self.page_errors),
            *(f"failed request: {e}" for e in self.failed_requests),
            *(f"HTTP error: {e}" for e in self.http_errors),
        ]


def open_page(
    browser: Any,
    base_url: str,
    path: str,
    *,
    viewport: dict[str, int] = DESKTOP,
    color_scheme: str = "light",
    phone: bool = False,
    **context_args: Any,
) -> Visit:
    """Open ``path`` in a fresh context and wait until it and its fonts have loaded."""
    context = browser.new_context(
        viewport=viewport,
        color_scheme=color_scheme,
        reduced_motion="reduce",
        is_mobile=phone,
        has_touch=phone,
        **{"device_scale_factor": 2 if phone else 1, **context_args},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    visit = Visit(path=path, page=page)

    def route(r: Any) -> None:
        if is_local(r.request.url):
            r.continue_()
        else:
            visit.external_requests.append(r.request.url)
            r.abort()

    loading = True

    def on_response(resp: Any) -> None:
        if loading:
            visit.first_load.append(resp)
        if visit.recording and resp.status >= 400 and resp.url != base_url + path:
            visit.http_errors.append(f"{resp.status} {resp.url}")

    def on_failed(req: Any) -> None:
        if visit.recording and is_local(req.url):  # aborted external ones are listed apart
            visit.failed_requests.append(f"{req.url}: {req.failure}")

    def on_console(msg: Any) -> None:
        if visit.recording and msg.type == "error":
            visit.console_errors.append(f"{msg.text} ({msg.location.get('url', '')})")

    context.route("**/*", route)
    page.on("console", on_console)
    page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    response = page.goto(base_url + path, wait_until="load")
    visit.status = response.status if response else None
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_load_state("networkidle")
    loading = False
    return visit


def serious_violations(visit: Visit, context: str | None = None) -> list[str]:
    """axe-core's serious and critical violations on the page (or on the ``context`` selector),
    one line each; the audit's own requests are not recorded as the page's."""
    from axe_playwright_python.sync_playwright import Axe

    visit.recording = False
    try:
        axe = Axe()
        run = axe.run(visit.page, context=context) if context else axe.run(visit.page)
        results: dict[str, Any] = run.response
    finally:
        visit.recording = True
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in results["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
