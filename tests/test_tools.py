"""The project's guards can fail: the link checker and the number snapshot."""

from __future__ import annotations

from pathlib import Path

from tools.check_links import check
from tools.glue_numbers import compare


def _write(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")


def test_link_checker_finds_missing_files_and_anchors(tmp_path: Path) -> None:
    _write(
        tmp_path / "index.html",
        '<a href="a.html#here">ok</a><a href="a.html#gone">x</a>'
        '<a href="missing.html">x</a><a href="#top">ok</a><h1 id="top"></h1>'
        '<a href="https://example.org/">external</a><img src="img/p.png">',
    )
    _write(tmp_path / "a.html", '<section id="here"></section><a href="sub/">ok</a>')
    _write(tmp_path / "sub" / "index.html", '<a href="../index.html#top">ok</a>')
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "p.png").write_bytes(b"png")
    broken, external, checked = check(tmp_path)
    assert sorted(b.split(": ", 1)[1].split(" (")[0] for b in broken) == [
        "a.html#gone",
        "missing.html",
    ]
    assert external == {"https://example.org/"}
    assert checked == 7


def test_number_snapshot_reports_page_key_and_both_values() -> None:
    old = {"example.md": {"loss0:.4f": "2.6500", "m:": "5"}}
    new = {"example.md": {"loss0:.4f": "2.6501", "m:": "5", "b:.1f": "0.5"}}
    assert compare(old, new) == [
        "example.md: b:.1f changed from (absent) to 0.5",
        "example.md: loss0:.4f changed from 2.6500 to 2.6501",
    ]
    assert compare(old, old) == []
