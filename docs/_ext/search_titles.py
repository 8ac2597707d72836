"""Section titles in the search index as a reader sees them, not as TeX.

Sphinx's search index keeps a section title as its text, and the text of inline math is its
TeX source (since Sphinx 8.2 a title is indexed as its ``astext()``:
https://github.com/sphinx-doc/sphinx/pull/13356), so the search results listed "A learned \\beta
absorbs the drift" and a search for "β" found nothing; there is no setting. After the build, the
titles in ``searchindex.js`` are rewritten with the control words the book's titles use mapped
to the characters a reader sees (``TITLE_TEX``). A title with any other TeX fails the build, so
a new one cannot slip into the search results unread: add its control word here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.search import js_index

TITLE_TEX = {
    "sqrt{n}": "√n",
    "partial": "∂",
    "loss": "ℓ",
    "xhat": "x̂",
    "beta": "β",
    "gamma": "γ",
    "epsilon": "ε",
    "Norm": "Norm",
    "Xset": "𝒳",
    "E": "E",
}
CONTROL = re.compile(
    r"\\(" + "|".join(re.escape(k) for k in sorted(TITLE_TEX, key=len, reverse=True)) + r")"
    # and the space that TeX drops after a control word, when a one-letter variable follows
    r"(?![A-Za-z])( (?=[A-Za-z](?![A-Za-z])))?"
)


def plain_title(title: str) -> str:
    """A section title's text with its TeX written as the reader sees it."""
    if "\\" not in title:
        return title  # no math: an API name such as "make_inputs" keeps its underscores
    plain = CONTROL.sub(lambda m: TITLE_TEX[m.group(1)], title).replace("_i", "ᵢ")
    if "\\" in plain:
        raise ExtensionError(f"search index: no plain text for the TeX in the title {title!r}")
    return plain


def plain_index(index: dict[str, Any]) -> dict[str, Any]:
    """The search index with its ``titles`` and ``alltitles`` in plain text."""
    index["titles"] = [plain_title(t) for t in index["titles"]]
    alltitles: dict[str, list[Any]] = {}
    for title, where in index["alltitles"].items():
        alltitles.setdefault(plain_title(title), []).extend(where)
    index["alltitles"] = alltitles
    return index


def _rewrite(app: Sphinx, exception: Exception | None) -> None:
    path = Path(app.outdir, "searchindex.js")
    if exception is not None or app.builder.format != "html" or not path.is_file():
        return
    index = plain_index(js_index.loads(path.read_text(encoding="utf-8")))
    path.write_text(js_index.dumps(index), encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("build-finished", _rewrite, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
