"""Shared by the tests of the book's extensions (docs/_ext): import them, read the built site,
and build a tiny Sphinx project in a temporary folder."""

from __future__ import annotations

import importlib
import io
import sys
import warnings
from pathlib import Path
from types import ModuleType

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
HTML = DOCS / "_build" / "html"
if str(DOCS / "_ext") not in sys.path:
    sys.path.insert(0, str(DOCS / "_ext"))  # the extensions live beside the book, not in a package


def extension(name: str) -> ModuleType:
    """One of the book's extensions, imported from docs/_ext."""
    return importlib.import_module(name)


def built(name: str) -> str:
    """A file of the built site; the test skips when the book has not been built."""
    path = HTML / name
    if not path.is_file():
        pytest.skip(f"the book has not been built (no {path})")
    return path.read_text(encoding="utf-8")


def build(tmp_path: Path, conf: str, pages: dict[str, str], builder: str = "html") -> Path:
    """Build a tiny project (``conf.py`` text and pages) quietly; return its output folder.
    Raises on a warning (strict, like the book's build)."""
    from sphinx.testing.util import SphinxTestApp  # it undoes docutils' global registrations

    src = tmp_path / "src"
    src.mkdir(parents=True)
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(DOCS / '_ext')!r})\n" + conf, encoding="utf-8"
    )
    for name, text in pages.items():
        (src / name).write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        # the themes' own use of APIs Sphinx deprecates is theirs to fix, not this book's
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        app = SphinxTestApp(
            builder, srcdir=src, builddir=tmp_path / "build", freshenv=True,
            status=io.StringIO(), warning=io.StringIO(), exception_on_warning=True,
        )  # fmt: skip
        try:
            app.build()
        finally:
            app.cleanup()
    return Path(app.outdir)
