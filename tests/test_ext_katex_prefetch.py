"""docs/_ext/katex_prefetch.py: every formula is rendered once, in the background thread, and
the pages are the same as when the translator renders each formula itself."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.ext_site import build, extension

katex_prefetch = extension("katex_prefetch")

CONF = """
extensions = [{names}]
katex_prerender = True
katex_server_options = {{
    'throwOnError': True, 'strict': 'error', 'macros': {{r'\\xhat': r'\\hat{{x}}'}},
}}
"""
PAGES = {
    "index.rst": "Title :math:`\\gamma`\n======================\n\n.. toctree::\n\n   other\n\n"
    "Inline :math:`\\xhat_i` and :math:`\\gamma` again.\n\n"
    ".. math::\n   :label: eq-one\n\n   y_i = \\gamma \\xhat_i + \\beta\n\n"
    "See :eq:`eq-one`. Display without a number:\n\n.. math::\n\n   \\gamma\n",
    "other.rst": "Other\n=====\n\n:math:`\\gamma` and :math:`\\sum_i x_i`\n",
}


def _pages(out: Path) -> dict[str, str]:
    return {name: (out / name).read_text("utf-8") for name in ("index.html", "other.html")}


def test_pages_are_unchanged_and_each_formula_renders_once_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = _pages(build(tmp_path / "plain", CONF.format(names="'katex_server'"), PAGES))
    calls: list[tuple[str, str, bool]] = []
    on_demand = katex_prefetch._render_on_demand

    def recording(latex: str, options: dict[str, bool] | None = None) -> str:
        calls.append((threading.current_thread().name, latex, bool(options)))
        return on_demand(latex, options)

    monkeypatch.setattr(katex_prefetch, "_render_on_demand", recording)
    conf = CONF.format(names="'katex_server', 'katex_prefetch'")
    fetched = _pages(build(tmp_path / "prefetch", conf, PAGES))
    assert fetched == plain
    assert calls, "no formula was rendered through the extension"
    assert all(name.startswith("katex-prefetch") for name, _, _ in calls)
    requests = [(latex, display) for _, latex, display in calls]
    assert len(requests) == len(set(requests))  # \gamma inline: once, though on both pages
    assert ("\\gamma", False) in requests
    assert ("\\gamma", True) in requests
    assert katex_prefetch.RENDERED == {}  # the build ended: nothing kept
    assert katex_prefetch.CONNECTIONS == []


def test_a_tex_error_still_fails_the_build(tmp_path: Path) -> None:
    conf = CONF.format(names="'katex_server', 'katex_prefetch'")
    with pytest.raises(Exception, match=r"Undefined control sequence: \\nosuchmacro"):
        build(tmp_path, conf, {"index.rst": "Title\n=====\n\n:math:`\\nosuchmacro`\n"})


@pytest.mark.parametrize(
    ("fmt", "prerender", "parallel"),
    [("latex", True, False), ("html", False, False), ("html", True, True)],
)
def test_no_prefetch_without_prerendered_html_or_with_forked_writers(
    fmt: str, prerender: bool, parallel: bool
) -> None:
    """Only a serial HTML build with pre-rendering prefetches: forked writers (-j) would inherit
    the pending answers without the thread that gives them."""
    from types import SimpleNamespace

    from docutils import nodes
    from docutils.utils import new_document

    doctree = new_document("test")
    doctree += nodes.math(text="x")
    app = SimpleNamespace(
        builder=SimpleNamespace(format=fmt, parallel_ok=parallel),
        config=SimpleNamespace(katex_prerender=prerender),
    )
    katex_prefetch._prefetch(app, doctree, "index")
    assert katex_prefetch.WORKER == []
    assert katex_prefetch.RENDERED == {}
