"""Find a Chromium for the browser tests, or get one; stop with one clear message if neither works.

``nox -s tests`` and ``nox -s browser`` run this before pytest, so that the README's test
command works on a fresh machine. In order:

1. a Chromium the machine already has: ``BNREF_CHROMIUM`` (a path), else ``chromium`` or
   ``chromium-browser`` on ``PATH``, else the one ``playwright install chromium`` downloaded;
2. Debian's ``chromium`` with ``apt-get``, when running as root or with password-less sudo
   (CI runs as root in a Debian container);
3. Playwright's own build with ``playwright install chromium`` (a normal machine with internet);
4. otherwise exit 1 with one message that says what to run, before any test starts.

It prints the browser's path on the last line of its output: the sessions pass it to the tests
as ``BNREF_CHROMIUM`` (apt-get puts it in /usr/bin, which need not be on ``PATH``).
Usage: ``python tools/browser.py`` (inside the tests' environment, which has Playwright).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

NAMES = ("chromium", "chromium-browser")
APT = ["apt-get", "install", "-y", "-q", "chromium", "fonts-liberation"]

HELP = (
    "The browser tests need Chromium, and none was found or could be installed here.\n"
    "Install one, then run the tests again:\n"
    "  Debian/Ubuntu:  sudo apt-get install chromium\n"
    "  elsewhere:      python3 -m pip install playwright && playwright install chromium\n"
    "or point BNREF_CHROMIUM at a Chromium binary."
)

Runner = Callable[[Sequence[str]], bool]


def _run(cmd: Sequence[str]) -> bool:
    """Run a command, its output shown (installs are slow and should say so); True if it worked."""
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    try:
        done = subprocess.run(
            cmd, stdout=sys.stderr, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        )
    except OSError as error:
        print(error, file=sys.stderr)
        return False
    return done.returncode == 0


def playwright_chromium() -> str | None:
    """The Chromium that ``playwright install chromium`` put in Playwright's cache, if any."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with sync_playwright() as pw:
        return existing(pw.chromium.executable_path)


def existing(path: str) -> str | None:
    return path if Path(path).is_file() else None


def find(
    env: Mapping[str, str] = os.environ,
    downloaded: Callable[[], str | None] = playwright_chromium,
) -> str | None:
    """A Chromium already on this machine, or None. ``BNREF_CHROMIUM`` wins if it is set;
    ``downloaded`` finds Playwright's own (a caller already inside Playwright passes its own)."""
    if env.get("BNREF_CHROMIUM"):
        explicit = env["BNREF_CHROMIUM"]
        path = shutil.which(explicit, path=env.get("PATH"))
        if path is None:
            raise SystemExit(f"BNREF_CHROMIUM={explicit} is not an executable file.\n\n{HELP}")
        return path
    for name in NAMES:
        path = shutil.which(name, path=env.get("PATH"))
        if path:
            return path
    return downloaded()


def can_apt(run: Runner = _run) -> list[str] | None:
    """The apt-get prefix to use (``[]`` as root, ``["sudo", "-n"]``), or None if apt is out."""
    if shutil.which("apt-get") is None:
        return None
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and run(["sudo", "-n", "true"]):
        return ["sudo", "-n"]
    return None


def obtain(
    env: Mapping[str, str] = os.environ,
    run: Runner = _run,
    apt_prefix: Callable[[], list[str] | None] = can_apt,
    lookup: Callable[[Mapping[str, str]], str | None] = find,
) -> str:
    """Find a Chromium, else install one (apt-get, then Playwright); SystemExit with HELP if not."""
    found = lookup(env)
    if found:
        return found
    prefix = apt_prefix()
    if prefix is not None and run([*prefix, "apt-get", "update", "-q"]) and run([*prefix, *APT]):
        # apt puts it in /usr/bin, which may not be on this PATH; look there too.
        found = lookup(env) or lookup({**env, "PATH": "/usr/bin"})
        if found:
            return found
    if run([sys.executable, "-m", "playwright", "install", "chromium"]):
        found = lookup(env)
        if found:
            return found
    raise SystemExit(HELP)


def needs_browser(pytest_args: Sequence[str]) -> bool:
    """Whether pytest run with these arguments collects the browser tests: no paths (the whole
    suite), or a path that is tests/browser, inside it, or a folder that holds it."""
    # Only arguments naming files that exist: an option's value (`-k name`) is not a path.
    paths = [Path(a.split("::")[0]) for a in pytest_args if not a.startswith("-")]
    paths = [path for path in paths if path.exists()]
    if not paths:
        return True
    browser = Path("tests", "browser").resolve()
    for path in paths:
        full = path.resolve()
        if full == browser or browser in full.parents or full in browser.parents:
            return True
    return False


def main() -> int:
    print(obtain())
    return 0


if __name__ == "__main__":
    sys.exit(main())
