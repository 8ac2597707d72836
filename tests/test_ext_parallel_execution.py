"""docs/_ext/parallel_execution.py: pages are executed before Sphinx reads them, into myst-nb's
cache, so myst-nb executes none of them itself; a failing page still fails as myst-nb reports it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from jupyter_cache import get_cache

EXT = Path(__file__).resolve().parent.parent / "docs" / "_ext"
TOP = "---\nfile_format: mystnb\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n"


def _project(tmp_path: Path, pages: dict[str, str]) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXT)!r})\n"
        'extensions = ["myst_nb", "parallel_execution"]\n'
        'nb_execution_mode = "cache"\n'
        f"nb_execution_cache_path = {str(tmp_path / 'cache')!r}\n"
        "nb_execution_raise_on_error = True\nnb_execution_show_tb = True\n"
    )
    toctree = "\n".join(pages)
    (src / "index.md").write_text(f"# Index\n\n```{{toctree}}\n{toctree}\n```\n")
    for name, code in pages.items():
        (src / f"{name}.md").write_text(f"{TOP}# {name}\n\n```{{code-cell}} python3\n{code}\n```\n")
    return src


def _build(src: Path, out: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", str(src), str(out)]
    return subprocess.run(cmd, capture_output=True, text=True)


def test_pages_execute_ahead_and_myst_nb_only_reads_the_cache(tmp_path: Path) -> None:
    src = _project(tmp_path, {"one": "print(1 + 1)", "two": "print('two')"})
    done = _build(src, tmp_path / "html")
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    assert "executing 2 page(s)" in log
    assert "Executing notebook" not in log  # myst-nb's own execution never ran
    assert len(get_cache(str(tmp_path / "cache")).list_cache_records()) == 2
    assert "<pre><span></span>2\n</pre>" in (tmp_path / "html" / "one.html").read_text()
    # A second build finds both in the cache and executes nothing.
    again = _build(src, tmp_path / "html-again")
    assert again.returncode == 0
    assert "executing" not in (again.stdout + again.stderr).lower()


def test_a_failing_page_is_not_cached_and_fails_the_build_as_myst_nb_reports_it(
    tmp_path: Path,
) -> None:
    src = _project(tmp_path, {"good": "x = 1", "bad": "raise ValueError('a broken page')"})
    done = _build(src, tmp_path / "html")
    log = done.stdout + done.stderr
    assert done.returncode != 0
    assert "Executing notebook failed" in log
    assert "a broken page" in log
    uris = [Path(r.uri).name for r in get_cache(str(tmp_path / "cache")).list_cache_records()]
    assert uris == ["good.md"]


def test_with_parallel_reading_every_page_is_executed_before_reading(tmp_path: Path) -> None:
    # With -j, Sphinx reads in forked processes, which cannot wait for a page: all are done first.
    src = _project(tmp_path, {f"p{i}": f"print({i} * 7)" for i in range(6)})
    cmd = [sys.executable, "-m", "sphinx", "-j", "2", "-b", "html", str(src), str(tmp_path / "h")]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Executing notebook" not in done.stdout + done.stderr
    assert "<pre><span></span>35\n</pre>" in (tmp_path / "h" / "p5.html").read_text()
