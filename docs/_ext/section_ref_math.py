"""Render the math of a section title in a ``{ref}`` to that section.

Sphinx writes a reference to a section as the title's plain text, so a reference to
"## $\\Norm(x, \\Xset)$ and its two Jacobians" showed the raw TeX in the running text. This puts
a copy of the title's nodes, math included, in place of that text, once references are resolved.
References with their own text (``{ref}`text <label>```) are left alone: only a reference whose
text equals the title's text is replaced. Upstream: https://github.com/sphinx-doc/sphinx/issues/8139
(open; Sphinx converts every title to text for references).
"""

from __future__ import annotations

import posixpath
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.nodes import clean_astext


def target_of(ref: nodes.reference, docname: str) -> tuple[str, str] | None:
    """The (document, anchor) an internal reference points to, or None."""
    if "refid" in ref:
        return docname, ref["refid"]
    path, _, anchor = ref.get("refuri", "").partition("#")
    if not path and anchor.startswith("document-"):
        # singlehtml (the PDF edition) writes "#document-<page>#<anchor>"
        page, _, anchor = anchor.removeprefix("document-").partition("#")
        return page, anchor
    if not path.endswith(".html") or not anchor:
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(docname), path[:-5])), anchor


def math_titles(doctree: nodes.document) -> dict[str, nodes.title]:
    """The titles with math of a page's sections, by each of the section's ids."""
    titles = {}
    for section in doctree.findall(nodes.section):
        title = section[0] if isinstance(section[0], nodes.title) else None
        if title is not None and next(title.findall(nodes.math), None) is not None:
            titles.update(dict.fromkeys(section["ids"], title))
    return titles


def math_title(doctree: nodes.document, anchor: str) -> nodes.title | None:
    """The title of the section with id ``anchor``, if it has math."""
    return math_titles(doctree).get(anchor)


# Other pages' math titles, each page's collected once per build: loading a page's doctree
# (unpickling it) for every reference to it took 0.4 s of a build.
OTHER_PAGES: dict[str, dict[str, nodes.title]] = {}


def _forget(app: Sphinx, env: Any) -> None:
    OTHER_PAGES.clear()  # the pages were read again: their titles may have changed


def _render(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    own = math_titles(doctree)
    for ref in list(doctree.findall(nodes.reference)):
        inline = ref.children[0] if len(ref.children) == 1 else None
        if not ref.get("internal") or not isinstance(inline, nodes.inline):
            continue
        if "std-ref" not in inline["classes"]:
            continue
        target = target_of(ref, docname)
        if target is None or target[0] not in app.env.all_docs:
            continue
        if target[0] == docname:
            titles = own
        else:
            if target[0] not in OTHER_PAGES:
                OTHER_PAGES[target[0]] = math_titles(app.env.get_doctree(target[0]))
            titles = OTHER_PAGES[target[0]]
        title = titles.get(target[1])
        if title is not None and clean_astext(title) == inline.astext():
            del inline[:]
            inline.extend(child.deepcopy() for child in title.children)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("env-updated", _forget)
    app.connect("doctree-resolved", _render)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
