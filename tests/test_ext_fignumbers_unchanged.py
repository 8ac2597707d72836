"""docs/_ext/fignumbers_unchanged.py: a build that reads no page loads no doctree to renumber
figures, and the numbers stay right across unchanged and edited builds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXT = Path(__file__).resolve().parent.parent / "docs" / "_ext"
# Record how many doctrees the build loaded (Sphinx keeps each one it reads in this cache).
CONF = f"""import sys
sys.path.insert(0, {str(EXT)!r})
extensions = ["fignumbers_unchanged"]
numfig = True
math_numfig = True
def _loaded(app, exception):
    (app.outdir / "loaded.txt").write_text(str(len(app.env._pickled_doctree_cache)))
def setup(app):
    app.connect("build-finished", _loaded)
"""
FIGURE = ".. _fig-{0}:\n\n.. figure:: data:image/png;base64,iVBORw0KGgo=\n\n   Caption {0}.\n\n"


def _project(tmp_path: Path, first_figures: list[str]) -> Path:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "conf.py").write_text(CONF)
    (src / "index.rst").write_text(
        "Index\n=====\n\n.. toctree::\n   :numbered:\n\n   one\n   two\n"
    )
    (src / "one.rst").write_text("One\n===\n\n" + "".join(FIGURE.format(f) for f in first_figures))
    (src / "two.rst").write_text("Two\n===\n\n" + FIGURE.format("b") + "See :numref:`fig-b`.\n")
    return src


def _build(src: Path, out: Path) -> tuple[str, int]:
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-d", str(out / ".doctrees"), str(src)]
    done = subprocess.run([*cmd, str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    number = re.search(r"Fig\. ([\d.]+)", (out / "two.html").read_text())
    assert number is not None
    return number.group(1), int((out / "loaded.txt").read_text())


def test_unchanged_builds_load_no_doctree_and_numbers_follow_edits(tmp_path: Path) -> None:
    src = _project(tmp_path, ["a"])
    out = tmp_path / "html"
    assert _build(src, out)[0] == "2.1"
    number, loaded = _build(src, out)  # nothing changed
    assert number == "2.1"
    assert loaded == 1  # the root page only, for section numbers: not the three pages
    _project(tmp_path, ["a", "c"])  # page one gains a figure; page two's stays 2.1
    two = src / "two.rst"
    two.write_text(two.read_text() + "\n" + FIGURE.format("d") + "And :numref:`fig-d`.\n")
    number, loaded = _build(src, out)
    assert number == "2.1"
    assert loaded > 0  # a page was read: figures renumbered, as Sphinx does
    assert "Fig. 2.2" in (out / "two.html").read_text()


def test_without_it_an_unchanged_build_loads_every_doctree(tmp_path: Path) -> None:
    src = _project(tmp_path, ["a"])
    conf = src / "conf.py"
    conf.write_text(conf.read_text().replace('["fignumbers_unchanged"]', "[]"))
    _build(src, tmp_path / "html")
    assert _build(src, tmp_path / "html")[1] == 3  # the measurement above can see a change
