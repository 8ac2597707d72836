"""docs/_ext/viewcode_fresh.py: viewcode's module pages are written again exactly when the HTML
builder rewrites every page (its build information changed, or a template is newer)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

from sphinx.builders.html._build_info import BuildInfo

from tests.ext_site import extension

viewcode_fresh = extension("viewcode_fresh")


def _info(config_hash: str) -> BuildInfo:
    info = BuildInfo()
    info.config_hash = config_hash
    return info


def _app(
    outdir: Path, fmt: str = "html", built: str = "a", template_mtime: float = 0.0
) -> SimpleNamespace:
    templates = SimpleNamespace(newest_template_mtime=lambda: template_mtime)
    builder = SimpleNamespace(
        format=fmt, outdir=str(outdir), build_info=_info(built), templates=templates
    )
    return SimpleNamespace(outdir=str(outdir), builder=builder)


def _build(app: SimpleNamespace) -> None:
    """What the extension does in a build: decide at its start, remove before viewcode."""
    viewcode_fresh._note_rewrite(app)
    viewcode_fresh._remove_module_pages(app)


def _stale_page(outdir: Path) -> Path:
    page = outdir / "_modules" / "bnref" / "centering.html"
    page.parent.mkdir(parents=True)
    page.write_text("<script src='_static/scripts/fontawesome.js'></script>")
    return page


def test_module_pages_are_removed_when_the_build_information_changed(tmp_path: Path) -> None:
    page = _stale_page(tmp_path)
    _info("a").dump(tmp_path / ".buildinfo")
    _build(_app(tmp_path, built="b"))
    assert not page.exists()


def test_module_pages_are_removed_on_a_first_build_and_after_a_template_change(
    tmp_path: Path,
) -> None:
    page = _stale_page(tmp_path)
    _build(_app(tmp_path))  # no .buildinfo yet
    assert not page.exists()
    page = _stale_page(tmp_path)
    _info("a").dump(tmp_path / ".buildinfo")
    os.utime(tmp_path / ".buildinfo", (1000.0, 1000.0))
    _build(_app(tmp_path, template_mtime=2000.0))
    assert not page.exists()


def test_an_unchanged_build_keeps_them(tmp_path: Path) -> None:
    page = _stale_page(tmp_path)
    _info("a").dump(tmp_path / ".buildinfo")
    os.utime(tmp_path / ".buildinfo", (2000.0, 2000.0))
    _build(_app(tmp_path, template_mtime=1000.0))
    assert page.exists()


def test_other_builders_leave_the_folder_alone(tmp_path: Path) -> None:
    page = _stale_page(tmp_path)
    _build(_app(tmp_path, fmt="latex"))
    assert page.exists()


def test_module_pages_are_removed_when_every_page_is_read_again(tmp_path: Path) -> None:
    page = _stale_page(tmp_path)
    _info("a").dump(tmp_path / ".buildinfo")
    os.utime(tmp_path / ".buildinfo", (2000.0, 2000.0))
    app = _app(tmp_path, template_mtime=1000.0)
    viewcode_fresh._note_rewrite(app)
    env = SimpleNamespace(found_docs={"index", "api"})
    viewcode_fresh._note_reread(app, env, ["index"])  # one page edited: kept
    viewcode_fresh._remove_module_pages(app)
    assert page.exists()
    viewcode_fresh._note_reread(app, env, ["api", "index"])  # every page: removed
    viewcode_fresh._remove_module_pages(app)
    assert not page.exists()
