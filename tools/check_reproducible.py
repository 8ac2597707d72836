"""Build the book twice from scratch and check that the two builds are byte-identical.

Both builds run with the same ``SOURCE_DATE_EPOCH`` (the last commit's time) and empty
execution caches, into two temporary folders. Every file of the site (HTML, images, the
search index) and every executed notebook and glue file must match byte for byte; the
script lists the files that differ and exits 1 if any do.

Usage: ``python tools/check_reproducible.py`` (``nox -s reproducible`` installs what it needs).
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from _build import sphinx_build  # tools/_build.py (these scripts run from tools/)

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
    epoch = _epoch()
    with tempfile.TemporaryDirectory(prefix="bnref-repro-") as tmp:
        first, second = Path(tmp, "first"), Path(tmp, "second")
        for into in (first, second):
            build(into, epoch)
        diffs = differing(first, second)
        files = sum(1 for p in first.rglob("*") if p.is_file() and not IGNORED & set(p.parts))
        if diffs:
            print(f"{len(diffs)} file(s) differ between two clean builds:")
            for d in diffs:
                print(f"  {d}")
                if not d.endswith("(only in one build)"):
                    print(_first_difference(first / d, second / d))
            return 1
    print(f"two clean builds are byte-identical ({files} files, SOURCE_DATE_EPOCH={epoch})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
