"""The PDF edition (``nox -s pdf``, tools/build_pdf.py), read back with pypdf.

Every chapter's title and every equation number of the site are in it, no TeX shows as raw
text, every page has text besides its page number, the contents list a page for every chapter,
the figures are in it, and it has bookmarks. Skipped when no PDF has been printed; ``nox -s
pdf`` prints it and then runs these tests.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from tests.browser.test_pages import RAW_TEX

ROOT = Path(__file__).resolve().parent.parent
PDF = ROOT / "docs" / "_build" / "pdf" / "bnref.pdf"
HTML = ROOT / "docs" / "_build" / "html"
# The site's pages that are not chapters of the book.
NOT_CHAPTERS = {"genindex.html", "search.html", "py-modindex.html", "404.html"}

pytestmark = pytest.mark.skipif(
    not PDF.is_file(), reason=f"no PDF edition at {PDF}: run `nox -s pdf` (after `nox -s docs`)"
)


@cache
def pages() -> list[str]:
    """The text of every page of the PDF, its white space collapsed."""
    from pypdf import PdfReader

    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(PDF).pages]


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", "", html).replace("#", "").split())


def chapters() -> dict[str, str]:
    """Each chapter page of the built site -> its title as the site shows it."""
    titles = {}
    for page in sorted(HTML.glob("*.html")):
        if page.name in NOT_CHAPTERS:
            continue
        match = re.search(r"<h1>(.*?)</h1>", page.read_text(encoding="utf-8"), re.S)
        if match:
            titles[page.name] = _text(match.group(1))
    return titles


def test_every_chapter_title_is_in_the_pdf() -> None:
    titles = chapters()
    assert len(titles) >= 10, f"only {len(titles)} chapters found in {HTML}"
    text = " ".join(pages()[2:])  # after the title page and the contents
    missing = [f"{page}: {title}" for page, title in titles.items() if title not in text]
    assert missing == [], f"chapter titles not in the PDF: {missing}"


def test_the_contents_give_a_page_for_every_chapter() -> None:
    contents = next((p for p in pages()[:4] if p.startswith("Contents")), "")
    assert contents, "no page of contents near the start"
    for page, title in chapters().items():
        if page == "index.html":
            continue  # the front page opens the book; the contents list what follows it
        assert re.search(re.escape(title) + r" \d+", contents), f"no page for {title!r}"


def test_every_equation_number_is_in_the_pdf() -> None:
    numbers = set()
    for page in HTML.glob("*.html"):
        numbers.update(re.findall(r'class="eqno">(\(\d+\.\d+\))', page.read_text("utf-8")))
    assert len(numbers) >= 20, f"only {len(numbers)} numbered equations on the site"
    text = " ".join(pages())
    missing = sorted(n for n in numbers if n not in text)
    assert missing == [], f"equation numbers not in the PDF: {missing}"


def test_no_raw_tex() -> None:
    raw = [
        f"page {n}: …{text[max(0, m.start() - 40) : m.end() + 20]}…"
        for n, text in enumerate(pages(), 1)
        for m in RAW_TEX.finditer(text)
    ]
    assert raw == [], "TeX shown as text:\n" + "\n".join(raw)


def test_every_page_has_text_and_a_page_number() -> None:
    total = len(pages())
    for n, text in enumerate(pages(), 1):
        assert text.endswith(f"{n} / {total}"), f"page {n}: no page number: …{text[-40:]}"
        assert text.removesuffix(f"{n} / {total}").strip(), f"page {n} has no text"


def test_figures_and_bookmarks() -> None:
    from pypdf import PdfReader

    reader = PdfReader(PDF)
    figures = sum(len(page.images) for page in reader.pages)
    # the figures the pages show (an incremental build leaves stale files in _images/)
    shown = {
        m
        for page in HTML.glob("*.html")
        for m in re.findall(r"_images/[^\"]+\.png", page.read_text())
    }
    on_site = len(shown)
    assert figures >= on_site, f"{figures} images in the PDF, {on_site} figures on the site"

    def flat(outline: list) -> list:  # type: ignore[type-arg]
        return [e for item in outline for e in (flat(item) if isinstance(item, list) else [item])]

    # Chromium joins a title's wrapped lines without a space ("normalized withcare").
    marks = {"".join(str(m.title).split()) for m in flat(reader.outline)}
    missing = [t for t in chapters().values() if not any("".join(t.split()) in m for m in marks)]
    assert missing == [], f"chapters without a bookmark: {missing}"
