"""tools/sphinx_build.py: sphinx-build with rarer garbage collection and no slow teardown; a
successful build exits 0 with its output written, a failed one exits non-zero."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "sphinx_build.py"
# conf.py writes the collector's thresholds where the test can read them.
CONF = "import gc, pathlib\npathlib.Path({out!r}).write_text(repr(gc.get_threshold()))\n"


def _build(src: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), "-q", "-W", "-b", "html", str(src), str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_a_build_runs_with_the_tools_thresholds_and_exits_0(tmp_path: Path) -> None:
    src, seen = tmp_path / "src", tmp_path / "thresholds.txt"
    src.mkdir()
    (src / "conf.py").write_text(CONF.format(out=str(seen)))
    (src / "index.rst").write_text("Title\n=====\n\nText.\n")
    done = _build(src, tmp_path / "html")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "html" / "index.html").is_file()
    sys.path.insert(0, str(TOOL.parent))
    try:
        import sphinx_build
    finally:
        sys.path.remove(str(TOOL.parent))
    assert seen.read_text() == repr(sphinx_build.GC_THRESHOLDS)
    assert sphinx_build.GC_THRESHOLDS[0] > 700  # rarer than Python's default


def test_a_failed_build_exits_non_zero(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text("")
    (src / "index.rst").write_text("Title\n=====\n\n:unknownrole:`x`\n")  # a warning, -W
    done = _build(src, tmp_path / "html")
    assert done.returncode != 0
