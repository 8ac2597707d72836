"""The strict book build that the scripts in tools/ run, as ``nox -s docs`` runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
# Nitpicky, and warnings are errors (all reported before failing). No ``-j``: the pages execute
# on every core anyway (docs/_ext/parallel_execution.py), and a serial read lets Sphinx read the
# pages without code while the others execute; -j made a cold build 0.2-2 s slower.
# ``nox -s docs`` uses the same options, so what is timed and checked is what ships.
STRICT = ["-n", "-W", "--keep-going"]


def sphinx_build(html: Path, doctrees: Path, **env: str) -> float:
    """Build the book strictly into ``html``; return the wall time in seconds."""
    sphinx = Path(__file__).with_name("sphinx_build.py")  # sphinx-build, minus Python's shutdown
    cmd = [sys.executable, str(sphinx), "-q", *STRICT, "-b", "html",
           "-d", str(doctrees), str(DOCS), str(html)]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        # Show why (the kernel's per-page "without encryption" warning is only noise).
        lines = (done.stdout + done.stderr).splitlines()
        log = [line for line in lines if "IPKernelApp" not in line]
        sys.stderr.write("\n".join(log[-40:]) + "\n")
        raise subprocess.CalledProcessError(done.returncode, cmd)
    return seconds
