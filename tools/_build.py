"""The strict book build that the scripts in tools/ run, as ``nox -s docs`` runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
# Nitpicky, warnings are errors (all reported before failing), and pages read, so executed, on
# every core. ``nox -s docs`` uses the same options, so what is timed and checked is what ships.
STRICT = ["-n", "-W", "--keep-going", "-j", "auto"]


def sphinx_build(html: Path, doctrees: Path, **env: str) -> float:
    """Build the book strictly into ``html``; return the wall time in seconds."""
    cmd = [sys.executable, "-m", "sphinx", "-q", *STRICT, "-b", "html",
           "-d", str(doctrees), str(DOCS), str(html)]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(
        cmd, env={**os.environ, **env}, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start
