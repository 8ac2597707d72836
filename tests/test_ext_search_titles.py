"""docs/_ext/search_titles.py: search results show section titles as a reader sees them."""

from __future__ import annotations

import pytest
from sphinx.errors import ExtensionError
from sphinx.search import js_index

from tests.ext_site import HTML, built, extension

search_titles = extension("search_titles")


@pytest.mark.parametrize(
    ("title", "plain"),
    [
        (r"A learned \beta absorbs the drift", "A learned β absorbs the drift"),
        (r"\partial\xhat_i/\partial b = 0, three ways", "∂x̂ᵢ/∂b = 0, three ways"),
        (r"\Norm(x, \Xset) and its two Jacobians", "Norm(x, 𝒳) and its two Jacobians"),
        (r"The \epsilon subtlety", "The ε subtlety"),
        (r"\partial\loss/\partial\gamma", "∂ℓ/∂γ"),
        (r"\E x", "Ex"),  # TeX drops the space after a control word before a variable
        ("make_inputs", "make_inputs"),  # no math: underscores kept
    ],
)
def test_plain_title(title: str, plain: str) -> None:
    assert search_titles.plain_title(title) == plain


def test_unknown_tex_fails_the_build() -> None:
    with pytest.raises(ExtensionError, match="no plain text"):
        search_titles.plain_title(r"The \alpha of it")


def test_plain_index_merges_titles_that_become_equal() -> None:
    index = {"titles": [r"\beta"], "alltitles": {r"\beta": [[0, "a"]], "β": [[1, "b"]]}}
    assert search_titles.plain_index(index) == {
        "titles": ["β"],
        "alltitles": {"β": [[0, "a"], [1, "b"]]},
    }


def test_the_built_index_has_no_tex() -> None:
    built("searchindex.js")
    index = js_index.loads((HTML / "searchindex.js").read_text(encoding="utf-8"))
    titles = list(index["titles"]) + list(index["alltitles"])
    assert titles
    assert [t for t in titles if "\\" in t] == []
