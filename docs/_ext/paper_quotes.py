"""``{paper}`` and ``{paper-quote}``: quotations of the paper, checked word for word.

The book quotes Ioffe & Szegedy (2015) often, and a misquotation is the error a careful reader
forgives least. Every quotation is therefore written with the ``{paper}`` role (inline) or the
``{paper-quote}`` directive (a block), and the build fails (a warning under ``-W``) unless its
words occur verbatim in ``docs/paper-quotes.txt``, the passages copied from the project's paper
notes. White space is folded and ``*`` (the notes' italics) ignored; nothing else is forgiven.
An omission inside a quotation is written ``[…]``: each part must then occur, in order, in one
passage.

Usage in a MyST page::

    The paper calls it {paper}`the normalization parameters are computed outside the gradient
    descent step`.

    ```{paper-quote}
    :source: Section 2

    Then u + (b + Δb) − E[u + (b + Δb)] = u + b − E[u + b].
    ```

The words are shown as written (Unicode, not TeX), in quotation marks (inline) or as a block
quote with its source.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole

logger = logging.getLogger(__name__)
OMISSION = "[…]"


def normalize(text: str) -> str:
    """Fold white space and drop ``*`` (italics in the notes), nothing else."""
    return re.sub(r"\s+", " ", text.replace("*", "")).strip()


def read_passages(path: Path) -> list[str]:
    """The passages of the verbatim file: paragraphs, without the ``#`` lines that locate them."""
    lines = [
        line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    return [normalize(p) for p in "\n".join(lines).split("\n\n") if p.strip()]


def is_verbatim(quote: str, passages: list[str]) -> bool:
    """True when every part of ``quote`` (split at ``[…]``) occurs, in order, in one passage."""
    parts = [normalize(part) for part in quote.split(OMISSION)]
    if not any(parts):
        return False
    for passage in passages:
        start = 0
        for part in parts:
            found = passage.find(part, start)
            if found < 0:
                break
            start = found + len(part)
        else:
            return True
    return False


@functools.cache
def _passages(path: Path) -> list[str]:
    return read_passages(path)


def _check(env, quote: str, location) -> None:  # type: ignore[no-untyped-def]
    path = Path(env.app.confdir) / env.app.config.paper_quotes_file
    env.note_dependency(str(path))  # an edit of the verbatim file re-reads the quoting pages
    if not is_verbatim(quote, _passages(path)):
        logger.warning(
            "quotation not found verbatim in %s: %r",
            env.app.config.paper_quotes_file,
            normalize(quote),
            location=location,
            type="paper",
            subtype="quote",
        )


class PaperRole(SphinxRole):
    """Inline quotation: the words in quotation marks."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        _check(self.env, self.text, self.get_location())
        node = nodes.inline("", f"“{normalize(self.text)}”", classes=["paper-quote"])
        return [node], []


class PaperQuoteDirective(SphinxDirective):
    """Block quotation with its source (``:source:``, e.g. ``Section 2``)."""

    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {"source": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        text = "\n".join(self.content)
        _check(self.env, text, self.get_location())
        quote = nodes.block_quote(classes=["paper-quote"])
        for paragraph in re.split(r"\n\s*\n", text):
            quote += nodes.paragraph("", normalize(paragraph))
        source = self.options.get("source")
        where = f"Ioffe & Szegedy (2015), {source}" if source else "Ioffe & Szegedy (2015)"
        quote += nodes.attribution("", where)
        return [quote]


def setup(app: Sphinx) -> dict[str, object]:
    app.add_config_value("paper_quotes_file", "paper-quotes.txt", "env")
    app.add_role("paper", PaperRole())
    app.add_directive("paper-quote", PaperQuoteDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
