"""The PDF edition of the book in the header's download menu, on every page.

``nox -s pdf`` (tools/build_pdf.py) prints the whole book to ``docs/_build/pdf/bnref.pdf`` and
puts a copy at the root of the built site, ``bnref.pdf``, which CI publishes with the site.
sphinx-book-theme builds its download menu (``.ipynb``, ``.md``, "Print to PDF" of one page)
as a list in the page's context; this adds one entry, "the book (.pdf)", after the theme has
made the menu (its handler runs at priority 501). No template is overridden.
"""

from __future__ import annotations

PDF = "bnref.pdf"


def _add_book_pdf(app, pagename, templatename, context, doctree):  # type: ignore[no-untyped-def]
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].append(
                {
                    "type": "link",
                    "url": context["pathto"](PDF, 1),
                    "text": "book .pdf",
                    "tooltip": "Download the whole book as a PDF",
                    "icon": "fas fa-book",
                    "label": "download-book-pdf-button",
                }
            )


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("html-page-context", _add_book_pdf, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
