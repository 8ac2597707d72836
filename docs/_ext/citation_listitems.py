"""Bibliography entries as list items of their list, for screen readers and axe-core.

docutils writes a citation list as ``<div role="list" class="citation-list">`` and each entry
with ``role="doc-biblioentry"``, a role that DPUB-ARIA 1.1 deprecated because it is not a valid
child of a list (https://github.com/w3c/dpub-aria/pull/22). Browsers and axe-core then see a
list whose children are not list items (axe's critical ``aria-required-children``). This
translator gives each entry ``role="listitem"``. pydata-sphinx-theme wraps the HTML translator
with its own mixin, which keeps this subclass.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.writers.html5 import HTML5Translator


class CitationListItems(HTML5Translator):
    def visit_citation(self, node: nodes.Element) -> None:
        super().visit_citation(node)
        self.body[-1] = self.body[-1].replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app: Sphinx) -> dict[str, Any]:
    app.set_translator("html", CitationListItems)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
