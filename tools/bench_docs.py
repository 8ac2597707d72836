"""Time ``nox -s docs`` in the four situations a writer meets, and say what bounds each figure.

1. cold: no build output and no execution cache (every page executes);
2. unchanged: nothing changed since the last build;
3. prose edit: one sentence of one page changed (nothing executes);
4. bnref edit: a comment added to ``bnref/`` (every page that imports bnref executes).

Each is the wall time of the ``nox -s docs`` command itself, as a writer runs it (nox's start,
its install check, Sphinx), ``--repeat`` times, median reported. The writer's own
``docs/_build`` is moved aside for the benchmark and put back afterwards, and the edits are
undone, whatever happens. The environment must exist already (``nox -s bench`` makes it).

Usage: ``python tools/bench_docs.py [--repeat 3]``; ``BNREF_NOX`` names the nox command,
``BNREF_BENCH_REPEAT`` the default repeat count (``BNREF_BENCH_REPEAT=1 nox -s bench``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "docs" / "_build"
PROSE_PAGE = ROOT / "docs" / "example.md"
PACKAGE_FILE = ROOT / "bnref" / "centering.py"
NOX = os.environ.get("BNREF_NOX", "nox")


@contextmanager
def _appended(path: Path, text: str) -> Iterator[None]:
    original = path.read_bytes()
    try:
        path.write_bytes(original + text.encode())
        yield
    finally:
        path.write_bytes(original)


@contextmanager
def _own_build_folder() -> Iterator[None]:
    """Move the writer's docs/_build aside; put it back afterwards (the benchmark's is dropped)."""
    saved = ROOT / ".nox" / "docs-build.bench-saved"  # outside docs/: Sphinx would read it
    if saved.exists():
        raise SystemExit(f"{saved} exists (an interrupted benchmark?): restore or remove it")
    if BUILD.exists():
        saved.parent.mkdir(exist_ok=True)
        BUILD.rename(saved)
    try:
        yield
    finally:
        shutil.rmtree(BUILD, ignore_errors=True)
        if saved.exists():
            saved.rename(BUILD)


def nox_docs() -> float:
    """Wall time of one ``nox -s docs``; its log is shown only if it fails.

    The log goes to a file, not a pipe: the KaTeX server that the build starts can outlive it
    holding the pipe open, and reading a pipe to its end would then wait forever."""
    with tempfile.TemporaryFile("w+") as log:
        start = time.perf_counter()
        done = subprocess.run([NOX, "-s", "docs"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            log.seek(0)
            sys.stderr.write(log.read()[-8000:])
            raise subprocess.CalledProcessError(done.returncode, [NOX, "-s", "docs"])
    return seconds


def execution_times(build: Path = BUILD) -> dict[str, float]:
    """Seconds each page's execution took, from the jupyter-cache of the last build."""
    times: dict[str, float] = {}
    for db in sorted(build.glob(".jupyter_cache/*/global.db")):
        with sqlite3.connect(db) as connection:
            for uri, data in connection.execute("SELECT uri, data FROM nbcache"):
                times[Path(uri).name] = json.loads(data).get("execution_seconds", 0.0)
    return times


def _median(label: str, runs: list[float]) -> float:
    value = statistics.median(runs)
    print(f"{label:<28} median {value:6.2f} s   runs: " + ", ".join(f"{r:.2f}" for r in runs))
    return value


def bench(repeat: int) -> None:
    linux = hasattr(os, "sched_getaffinity")
    cores = len(os.sched_getaffinity(0)) if linux else os.cpu_count() or 1
    print(f"timing `{NOX} -s docs` ({repeat} runs each, {cores} cores); load: {os.getloadavg()}")

    def cold() -> float:
        shutil.rmtree(BUILD, ignore_errors=True)
        return nox_docs()

    def edited(path: Path, text: str) -> Callable[[], float]:
        def run() -> float:
            with _appended(path, text):
                seconds = nox_docs()
            nox_docs()  # back to the unedited state, untimed
            return seconds

        return run

    with _own_build_folder():
        _median("cold (empty cache)", [cold() for _ in range(repeat)])
        times = execution_times()
        slowest = max(times, key=times.__getitem__)
        total = sum(times.values())
        _median("unchanged", [nox_docs() for _ in range(repeat)])
        prose = edited(PROSE_PAGE, "\nOne more sentence for the benchmark.\n")
        _median(f"prose edit ({PROSE_PAGE.name})", [prose() for _ in range(repeat)])
        bnref = edited(PACKAGE_FILE, "\n# an edit for the benchmark\n")
        _median(f"bnref edit ({PACKAGE_FILE.name})", [bnref() for _ in range(repeat)])
    print(
        "\nWhat bounds each figure:\n"
        f"- cold and bnref edit: the {cores} cores, shared by executing {len(times)} pages "
        f"{cores} at a time in forks of one warm interpreter (their wall times, as they ran, "
        f"add up to {total:.1f} s: about {total / cores:.1f} s on {cores} workers; the slowest "
        f"page, {slowest}, took {times[slowest]:.1f} s) and Sphinx reading the pages on one of "
        "them as they finish (the API page, 2 s, first); then Sphinx writes every page on one "
        "core (about 3.5 s: highlighting, the search index, the theme's navigation, the "
        "module pages) while KaTeX's Node server renders the formulas and the figures are "
        "slimmed on the other.\n"
        "- unchanged: nox's start and its install check (skipped: the lock is unchanged), "
        "then Sphinx's start (imports, loading the pickled environment) and its finishing "
        "steps (indices, search index, viewcode's check of each module).\n"
        "- prose edit: the unchanged cost, plus re-reading the one page (its notebook from the "
        "cache) and rewriting the pages whose navigation it changes."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # `nox -s bench` passes its arguments to the kernel benchmark, so this one's repeat count
    # (each repeat is a cold build and two bnref-edit builds) can come from BNREF_BENCH_REPEAT.
    repeat = int(os.environ.get("BNREF_BENCH_REPEAT", "3"))
    parser.add_argument("--repeat", type=int, default=repeat)
    args = parser.parse_args()
    bench(args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
