"""The 404 page works on both hosts: every link and asset of it starts with the path the book is
published under, on GitHub Pages ("/bnref/") and on Read the Docs ("/en/latest/", from the
READTHEDOCS_CANONICAL_URL its builds set), and its scripts find the site's root there too."""

from __future__ import annotations

import re
import runpy
from pathlib import Path
from typing import Any

import pytest

from tests.ext_site import DOCS, build, built

HOSTS = {
    "github-pages": ({}, "/bnref/"),
    "read-the-docs": (
        {
            "READTHEDOCS": "True",
            "READTHEDOCS_CANONICAL_URL": "https://bnref.readthedocs.io/en/latest/",
            "READTHEDOCS_LANGUAGE": "en",
            "READTHEDOCS_VERSION": "latest",
        },
        "/en/latest/",
    ),
}
URL = re.compile(r"""(?:href|src|action|data-content_root)="([^"]*)\"""")


def _book_settings(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> dict[str, Any]:
    """The settings of docs/conf.py (which only configures), run with the host's environment."""
    for name in ("READTHEDOCS", "READTHEDOCS_CANONICAL_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DOCS / "conf.py"))


def local_urls(html: str) -> list[str]:
    """The page's own URLs: not other sites, fragments, data or mail."""
    return [u for u in URL.findall(html) if not re.match(r"(https?:|mailto:|data:|#|$)", u)]


def test_local_urls_skips_other_hosts() -> None:
    html = '<a href="https://x.org/">x</a><a href="#top">t</a><img src="_static/a.png">'
    assert local_urls(html) == ["_static/a.png"]


@pytest.mark.parametrize("host", HOSTS)
def test_the_book_derives_the_prefix_per_host(monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    env, prefix = HOSTS[host]
    config = _book_settings(monkeypatch, env)
    assert config["notfound_urls_prefix"] == prefix
    assert f'href="{prefix}index.html"' in config["notfound_context"]["body"]


@pytest.mark.parametrize("host", HOSTS)
def test_every_url_of_the_404_page_starts_with_the_prefix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, host: str
) -> None:
    """A tiny project with the book's theme, 404 settings (read from docs/conf.py for this host)
    and notfound_root: the 404 page it builds has no relative URL left."""
    env, prefix = HOSTS[host]
    config = _book_settings(monkeypatch, env)
    conf = (
        "extensions = ['notfound.extension', 'notfound_root']\n"
        "html_theme = 'sphinx_book_theme'\n"
        f"notfound_urls_prefix = {config['notfound_urls_prefix']!r}\n"
        f"notfound_context = {config['notfound_context']!r}\n"
    )
    pages = {"index.rst": "Home\n====\n\n.. toctree::\n\n   other\n", "other.rst": "Other\n=====\n"}
    html = (build(tmp_path, conf, pages) / "404.html").read_text(encoding="utf-8")
    urls = local_urls(html)
    assert len(urls) > 10, urls  # stylesheets, scripts, the toctree, the front-page link
    assert [u for u in urls if not u.startswith(prefix)] == []
    assert f'data-content_root="{prefix}"' in html  # the search finds searchindex.js


def test_the_built_404_page_is_absolute() -> None:
    """The book's own 404 page (built without Read the Docs' variables: GitHub Pages)."""
    html = built("404.html")
    urls = local_urls(html)
    assert urls
    assert [u for u in urls if not u.startswith("/bnref/")] == []
