"""docs/_ext/viewcode_fresh.py: viewcode's module pages are written again exactly when the HTML
builder rewrites every page (its build information changed, or a template is newer)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
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


def _events(found: object) -> SimpleNamespace:
    return SimpleNamespace(events=SimpleNamespace(emit_firstresult=lambda *args: found))


def test_module_filename_finds_the_file_without_importing_the_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """viewcode compares the module page's date with this file's; finding it must not run the
    module (bnref.plotting would import matplotlib in every unchanged build)."""
    package = tmp_path / "vcpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    ran = tmp_path / "module-ran"
    (package / "heavy.py").write_text(f"open({str(ran)!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = viewcode_fresh.module_filename(_events(None), "vcpkg.heavy")
    assert found == package / "heavy.py"
    assert not ran.exists()
    assert "vcpkg.heavy" not in sys.modules
    assert viewcode_fresh.module_filename(_events(None), "vcpkg.missing") is None
    # an extension that supplies the source itself: upstream then always writes the page
    assert viewcode_fresh.module_filename(_events(("code", {})), "vcpkg.heavy") is None


def test_setup_gives_viewcode_the_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    import sphinx.ext.viewcode

    monkeypatch.setattr(sphinx.ext.viewcode, "get_module_filename", None)
    viewcode_fresh.setup(SimpleNamespace(connect=lambda *args, **kwargs: None))
    assert sphinx.ext.viewcode.get_module_filename is viewcode_fresh.module_filename
