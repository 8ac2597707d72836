"""docs/_ext/viewcode_fresh.py: viewcode's module pages are written again on every HTML build."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from tests.ext_site import extension

viewcode_fresh = extension("viewcode_fresh")


def _app(outdir: Path, fmt: str) -> SimpleNamespace:
    return SimpleNamespace(outdir=str(outdir), builder=SimpleNamespace(format=fmt))


def test_a_stale_module_page_is_removed_before_an_html_build(tmp_path: Path) -> None:
    stale = tmp_path / "_modules" / "bnref" / "centering.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("<script src='_static/scripts/fontawesome.js'></script>")
    viewcode_fresh._remove_module_pages(_app(tmp_path, "html"))
    assert not stale.exists()


def test_other_builders_leave_the_folder_alone(tmp_path: Path) -> None:
    page = tmp_path / "_modules" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text("x")
    viewcode_fresh._remove_module_pages(_app(tmp_path, "latex"))
    assert page.exists()
