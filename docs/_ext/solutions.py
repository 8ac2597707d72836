"""``{solution}``: an exercise's solution, folded away until the reader opens it.

It renders as the browser's own ``<details>``/``<summary>`` element, which needs no JavaScript,
is keyboard- and screen-reader-accessible as it is, and is styled by ``_static/bnref.css``.
It replaces sphinx-design's ``{dropdown}``, the only sphinx-design feature the book used, whose
54 KB stylesheet was a fifth of what the book added to the heaviest pages.

Usage in a MyST page::

    :::{solution}
    The answer, in Markdown (math, references and glued numbers work as anywhere else).
    :::

An optional argument replaces the summary's text ("Solution").
"""

from __future__ import annotations

from html import escape

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


class solution(nodes.General, nodes.Element):  # docutils names its node classes in lower case
    """A folded solution; its ``summary`` attribute is the text shown while it is folded."""


def _visit_html(self, node: solution) -> None:  # type: ignore[no-untyped-def]
    self.body.append(
        f'<details class="solution">\n<summary>{escape(node["summary"])}</summary>\n'
        '<div class="solution-body">\n'
    )


def _depart_html(self, node: solution) -> None:  # type: ignore[no-untyped-def]
    self.body.append("</div>\n</details>\n")


def _visit_other(self, node: solution) -> None:  # type: ignore[no-untyped-def]
    """Other builders (text, LaTeX, ...) show the solution unfolded."""


class Solution(SphinxDirective):
    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        node = solution(summary=self.arguments[0] if self.arguments else "Solution")
        self.set_source_info(node)
        node += self.parse_content_to_nodes()
        return [node]


def setup(app: Sphinx) -> dict[str, object]:
    passthrough = (_visit_other, _visit_other)
    app.add_node(
        solution,
        html=(_visit_html, _depart_html),
        latex=passthrough,
        text=passthrough,
        man=passthrough,
        texinfo=passthrough,
    )
    app.add_directive("solution", Solution)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
