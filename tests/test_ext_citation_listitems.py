"""docs/_ext/citation_listitems.py: bibliography entries are list items of their list."""

from __future__ import annotations

from pathlib import Path

from tests.ext_site import build, built

PAGE = """Title
=====

See [Ioffe2015]_.

.. [Ioffe2015] S. Ioffe and C. Szegedy. Batch normalization. 2015.
"""


def test_a_citation_is_a_listitem(tmp_path: Path) -> None:
    out = build(tmp_path, "extensions = ['citation_listitems']\n", {"index.rst": PAGE})
    html = (out / "index.html").read_text(encoding="utf-8")
    assert 'role="list"' in html
    assert 'role="listitem"' in html
    assert "doc-biblioentry" not in html


def test_the_books_bibliography() -> None:
    html = built("bibliography.html")
    assert 'role="listitem"' in html
    assert "doc-biblioentry" not in html
