"""Serve myst-nb's stylesheet without its ANSI-colour rules, and fail a page that would need them.

myst-nb's stylesheet is 43 KB, and 34 KB of it colour ANSI escape codes in text outputs
(``.-Color-…`` rules for 256 colours, added by https://github.com/executablebooks/MyST-NB/pull/379
for https://github.com/executablebooks/MyST-NB/issues/378); myst-nb has no setting to leave them
out. No page of this book prints coloured text (a traceback would, but an execution error fails
the build), so the built site's copy is rewritten without those rules, and a page that ever shows
ANSI colours fails the build instead of silently losing them.

myst-nb copies its stylesheet at the end of every build and (rightly) warns rather than overwrite
a file that differs from it, so last build's trimmed copy is removed when the builder starts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

ANSI_RULE = re.compile(r"div\.highlight \.-Color[^{}]*\{[^{}]*\}\s*")


def trim(css: str) -> str:
    """The stylesheet without its ANSI-colour rules."""
    return ANSI_RULE.sub("", css)


def _stylesheets(app: Sphinx) -> list[Path]:
    return sorted(Path(app.outdir, "_static").glob("mystnb.*.css"))


def _remove_trimmed(app: Sphinx) -> None:
    for css in _stylesheets(app):
        css.unlink()


def _no_ansi_output(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    if 'class="-Color' in (context.get("body") or ""):
        raise ExtensionError(
            f"{pagename}: an output uses ANSI colours, which the trimmed myst-nb stylesheet "
            "does not style (see docs/_ext/mystnb_css.py)"
        )


def _trim(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for css in _stylesheets(app):
        css.write_text(trim(css.read_text(encoding="utf-8")), encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("myst_nb")
    app.connect("builder-inited", _remove_trimmed)
    app.connect("html-page-context", _no_ansi_output)
    app.connect("build-finished", _trim, priority=900)  # after myst-nb copies it (500)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
