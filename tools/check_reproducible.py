"""Build the book from scratch several times and check that every build is byte-identical.

Every build runs with the same ``SOURCE_DATE_EPOCH`` (the last commit's time) and an empty
execution cache, into its own temporary folder. Every file of the site (HTML, images, the
search index) and every executed notebook and glue file must match the first build's byte for
byte; the script lists the files that differ (and where each first differs), one line per
build, and exits 1 if any build differs. Rounding noise that changes between builds shows up
here only sometimes, hence ``--runs``.

Usage: ``python tools/check_reproducible.py [--runs 2]`` (``nox -s reproducible -- --runs 5``
installs what it needs).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script too
from tools._build import sphinx_build

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Sphinx's environment pickles and build info may differ and are not published.
IGNORED = {".doctrees", "doctrees", ".buildinfo", ".jupyter_cache", "cache"}


def _epoch() -> str:
    if "SOURCE_DATE_EPOCH" in os.environ:
        return os.environ["SOURCE_DATE_EPOCH"]
    out = subprocess.run(
        ["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True
    )
    return out.stdout.strip() or "1767225600"


def build(into: Path, epoch: str) -> None:
    sphinx_build(
        into / "html",
        into / "doctrees",
        SOURCE_DATE_EPOCH=epoch,
        BNREF_JUPYTER_CACHE=str(into / "cache"),
    )


def _intermediate(path: Path) -> bool:
    """myst-nb's own copies of the executed notebooks (jupytext gives their cells random ids);
    the published notebooks are the ones in html/_sources/, and those are compared."""
    return path.parts[:1] == ("jupyter_execute",) and path.suffix == ".ipynb"


def differing(a: Path, b: Path) -> list[str]:
    """Files present in only one tree, or present in both with different bytes."""
    out = []
    cmp = filecmp.dircmp(a, b, ignore=sorted(IGNORED))
    stack = [(cmp, Path())]
    while stack:
        node, rel = stack.pop()
        out += [
            str(rel / name) + " (only in one build)" for name in node.left_only + node.right_only
        ]
        for name in node.common_files:
            if _intermediate(rel / name):
                continue
            if (a / rel / name).read_bytes() != (b / rel / name).read_bytes():
                out.append(str(rel / name))
        stack += [(sub, rel / name) for name, sub in node.subdirs.items()]
    return sorted(out)


def _first_difference(a: Path, b: Path, context: int = 160) -> str:
    """Where two versions of a file part, with a little text on either side (for the log)."""
    x, y = a.read_bytes(), b.read_bytes()
    pairs = enumerate(zip(x, y, strict=False))
    i = next((k for k, (p, q) in pairs if p != q), min(len(x), len(y)))
    lo = max(0, i - context)

    def show(data: bytes) -> str:
        return data[lo : i + context].decode("utf-8", "replace")

    return f"    at byte {i}:\n    first:  {show(x)!r}\n    second: {show(y)!r}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="clean builds to compare (>= 2)")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error(f"--runs must be at least 2 (two builds to compare), got {args.runs}")
    epoch = _epoch()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="bnref-repro-") as tmp:
        first = Path(tmp, "build-1")
        build(first, epoch)
        files = sum(1 for p in first.rglob("*") if p.is_file() and not IGNORED & set(p.parts))
        for run in range(2, args.runs + 1):
            other = Path(tmp, f"build-{run}")
            build(other, epoch)
            diffs = differing(first, other)
            if not diffs:
                print(f"build {run} of {args.runs}: identical to build 1 ({files} files)")
            else:
                failed += 1
                print(f"build {run} of {args.runs}: {len(diffs)} file(s) differ from build 1:")
                for d in diffs:
                    print(f"  {d}")
                    if not d.endswith("(only in one build)"):
                        print(_first_difference(first / d, other / d))
            shutil.rmtree(other)  # one build at a time on disk
    if failed:
        print(f"{failed} of {args.runs - 1} builds differ from the first")
        return 1
    print(f"{args.runs} clean builds are byte-identical ({files} files, SOURCE_DATE_EPOCH={epoch})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
