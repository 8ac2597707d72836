"""Measure how long the book takes to build, in the four situations a writer meets.

1. cold: no build output and no execution cache (every page executes);
2. unchanged: nothing changed since the last build;
3. prose edit: one sentence of one page changed (nothing executes);
4. package edit: a comment added to ``bnref/`` (every page that imports bnref executes).

Each is timed ``--repeat`` times (median reported) into a scratch build folder, so the
writer's own ``docs/_build`` is left alone. Edits are undone afterwards, whatever happens.
The build command is the one ``nox -s docs`` runs; ``--nox`` also times nox's own overhead
(``nox -s docs`` when nothing changed, minus the bare unchanged build).

Usage: ``python tools/bench_docs.py [--repeat 3] [--nox]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from _build import sphinx_build  # tools/_build.py (these scripts run from tools/)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PROSE_PAGE = DOCS / "example.md"
PACKAGE_FILE = ROOT / "bnref" / "centering.py"


@contextmanager
def _appended(path: Path, text: str) -> Iterator[None]:
    original = path.read_bytes()
    try:
        path.write_bytes(original + text.encode())
        yield
    finally:
        path.write_bytes(original)


def _build(into: Path) -> float:
    return sphinx_build(into / "html", into / "doctrees", BNREF_JUPYTER_CACHE=str(into / "cache"))


def _median(label: str, runs: list[float]) -> float:
    value = statistics.median(runs)
    print(f"{label:<28} median {value:6.2f} s   runs: " + ", ".join(f"{r:.2f}" for r in runs))
    return value


def bench(repeat: int, with_nox: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="bnref-bench-") as tmp:
        into = Path(tmp)

        def cold() -> float:
            shutil.rmtree(into, ignore_errors=True)
            return _build(into)

        def edited(path: Path, text: str) -> Callable[[], float]:
            def run() -> float:
                with _appended(path, text):
                    seconds = _build(into)
                _build(into)  # back to the unedited state, untimed
                return seconds

            return run

        print(f"building {DOCS} ({repeat} runs each, {os.cpu_count()} cores)")
        _median("cold (empty cache)", [cold() for _ in range(repeat)])
        _median("unchanged", [_build(into) for _ in range(repeat)])
        prose = edited(PROSE_PAGE, "\nOne more sentence for the benchmark.\n")
        _median(f"prose edit ({PROSE_PAGE.name})", [prose() for _ in range(repeat)])
        package = edited(PACKAGE_FILE, "\n# an edit for the benchmark\n")
        _median(f"bnref edit ({PACKAGE_FILE.name})", [package() for _ in range(repeat)])
    if with_nox:
        bare = _median("unchanged, bare", [_build_default() for _ in range(repeat)])
        total = _median("unchanged, nox -s docs", [_nox_docs() for _ in range(repeat)])
        print(f"{'nox overhead':<28} {total - bare:6.2f} s")


def _build_default() -> float:
    return sphinx_build(DOCS / "_build" / "html", DOCS / "_build" / "doctrees")


def _nox_docs() -> float:
    start = time.perf_counter()
    subprocess.run(
        ["nox", "-s", "docs"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nox", action="store_true", help="also time nox's own overhead")
    args = parser.parse_args()
    bench(args.repeat, args.nox)
    return 0


if __name__ == "__main__":
    sys.exit(main())
