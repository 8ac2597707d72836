"""The project's tools do what they say: the link checker and the number snapshot can fail; the
browser finder installs in the right order and stops with one message when nothing works."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tools import browser
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


# -- tools/browser.py: the tests session finds, installs or asks for a Chromium ---------------


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_browser_is_found_on_path_and_bnref_chromium_wins(tmp_path: Path) -> None:
    on_path = _executable(tmp_path / "bin" / "chromium")
    chosen = _executable(tmp_path / "elsewhere" / "my-chrome")
    assert browser.find({"PATH": str(on_path.parent)}) == str(on_path)
    env = {"PATH": str(on_path.parent), "BNREF_CHROMIUM": str(chosen)}
    assert browser.find(env) == str(chosen)
    with pytest.raises(SystemExit, match=r"BNREF_CHROMIUM=.*not an executable"):
        browser.find({"PATH": "", "BNREF_CHROMIUM": str(tmp_path / "missing")})


class _Machine:
    """A machine without Chromium whose installers succeed or fail as told; it records what ran
    and has a browser after the first installer that succeeds."""

    def __init__(self, apt_prefix: list[str] | None, works: set[str]) -> None:
        self.prefix, self.works, self.ran = apt_prefix, works, []
        self.installed: str | None = None

    def run(self, cmd: list[str]) -> bool:
        self.ran.append(" ".join(cmd))
        kind = "apt" if "apt-get" in cmd else "playwright"
        ok = kind in self.works
        if ok and ("install" in cmd and "update" not in cmd):
            self.installed = f"/{kind}/chromium"
        return ok

    def obtain(self) -> str:
        return browser.obtain(
            {}, run=self.run, apt_prefix=lambda: self.prefix, lookup=lambda env: self.installed
        )


def test_browser_root_installs_with_apt_and_stops_there() -> None:
    machine = _Machine([], works={"apt", "playwright"})
    assert machine.obtain() == "/apt/chromium"
    assert machine.ran == ["apt-get update -q", " ".join(browser.APT)]


def test_browser_with_sudo_uses_it_and_without_apt_falls_back_to_playwright() -> None:
    machine = _Machine(["sudo", "-n"], works={"apt"})
    assert machine.obtain() == "/apt/chromium"
    assert all(cmd.startswith("sudo -n apt-get") for cmd in machine.ran)
    machine = _Machine(None, works={"playwright"})
    assert machine.obtain() == "/playwright/chromium"
    assert machine.ran == [f"{sys.executable} -m playwright install chromium"]


def test_browser_failing_apt_falls_back_to_playwright() -> None:
    machine = _Machine([], works={"playwright"})
    assert machine.obtain() == "/playwright/chromium"
    assert machine.ran[-1].endswith("playwright install chromium")


def test_browser_nothing_works_stops_with_one_message_saying_what_to_run() -> None:
    machine = _Machine(None, works=set())
    with pytest.raises(SystemExit) as stop:
        machine.obtain()
    assert stop.value.code == browser.HELP
    assert "apt-get install chromium" in browser.HELP
    assert "playwright install chromium" in browser.HELP


def test_browser_present_installs_nothing() -> None:
    machine = _Machine([], works={"apt", "playwright"})
    machine.installed = "/usr/bin/chromium"
    assert machine.obtain() == "/usr/bin/chromium"
    assert machine.ran == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], True),
        (["-x", "-q"], True),
        (["-k", "reader"], True),
        (["tests/browser/test_pages.py::test_x"], True),
        (["tests"], True),
        (["tests/test_tools.py"], False),
        (["docs/care.md", "-x"], False),
    ],
)
def test_browser_is_needed_only_when_pytest_collects_the_browser_tests(
    args: list[str], expected: bool
) -> None:
    assert browser.needs_browser(args) is expected


# -- tools/check_reproducible.py and tools/bench_docs.py ------------------------------------


def test_reproducibility_check_finds_changed_and_missing_files_but_not_caches(
    tmp_path: Path,
) -> None:
    from tools.check_reproducible import differing

    a, b = tmp_path / "a", tmp_path / "b"
    for root, noise in ((a, "-2.22e-16"), (b, "0.0")):
        _write(root / "html" / "care.html", f"<p>{noise}</p>")
        _write(root / "html" / "same.html", "<p>same</p>")
        _write(root / "doctrees" / "env.html", noise)  # Sphinx's pickles: not published
    _write(a / "html" / "only-a.html", "")
    assert differing(a, b) == ["html/care.html", "html/only-a.html (only in one build)"]


def test_build_benchmark_reads_each_pages_execution_time_from_the_cache(tmp_path: Path) -> None:
    import sqlite3

    from tools.bench_docs import execution_times

    db = tmp_path / ".jupyter_cache" / "e1694f3d" / "global.db"
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as connection:
        connection.execute("CREATE TABLE nbcache (uri TEXT, data TEXT)")
        connection.executemany(
            "INSERT INTO nbcache VALUES (?, ?)",
            [("/x/docs/network.md", '{"execution_seconds": 2.5}'), ("/x/docs/care.md", "{}")],
        )
    assert execution_times(tmp_path) == {"network.md": 2.5, "care.md": 0.0}


def test_browser_inside_playwright_uses_the_callers_download_lookup(tmp_path: Path) -> None:
    # The browser tests call find() inside their own Playwright session, where opening a second
    # one fails; they pass their own lookup of Playwright's download instead.
    assert browser.find({"PATH": str(tmp_path)}, downloaded=lambda: "/pw/chrome") == "/pw/chrome"
    assert browser.find({"PATH": str(tmp_path)}, downloaded=lambda: None) is None
