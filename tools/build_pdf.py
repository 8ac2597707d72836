"""Print the book to ``docs/_build/pdf/bnref.pdf`` with the Chromium the browser tests use.

``nox -s pdf`` runs it after ``nox -s docs``. No TeX: Sphinx's ``singlehtml`` builder writes the
whole book as one page from the same doctrees as the HTML build (``docs/_build/doctrees``), so
every page's outputs come from the build that executed them, and Chromium prints that page
(Playwright's ``page.pdf``), math and all, since KaTeX rendered it at build time. The build
fails if it executed any notebook (myst-nb logs "Executed notebook" when it starts a kernel):
the PDF is printed from the pages the site shows, not from a new run.

The printed book has a title page, a table of contents with the page of each chapter (a first
printing finds the pages, a second prints them), each chapter on a new page, the site's
numbered equations and their references as the site numbers them, the figures, page numbers
in the footer, and PDF bookmarks. JavaScript is off while printing: what a reader without
JavaScript sees is what is printed (an explorable figure at its default position).
"""

from __future__ import annotations

import argparse
import html
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.harness import launch, serve  # noqa: E402
from tools._build import DOCS, STRICT  # noqa: E402

BUILD = DOCS / "_build"
SINGLE = BUILD / "singlehtml"
HTML = BUILD / "html"
PDF = BUILD / "pdf" / "bnref.pdf"
PRINT_CSS = Path(__file__).with_name("pdf.css")

# What the theme puts around the text, for a screen: left out of the printed book.
FOOTER = (
    '<div style="width:100%;font-size:8px;color:#555;text-align:center;'
    'font-family:sans-serif;"><span class="pageNumber"></span> / '
    '<span class="totalPages"></span></div>'
)


def build_singlehtml() -> tuple[float, int]:
    """The whole book as one HTML page; return the seconds it took and the pages it read."""
    cmd = [sys.executable, "-m", "sphinx", *STRICT, "-b", "singlehtml",
           "-d", str(BUILD / "doctrees"), str(DOCS), str(SINGLE)]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log = done.stdout + done.stderr
    if done.returncode != 0:
        sys.stderr.write(log[-6000:])
        raise SystemExit(f"the singlehtml build failed ({done.returncode})")
    executed = re.findall(r"Executed notebook in", log)
    if executed:
        raise SystemExit(
            f"the PDF build executed {len(executed)} notebook(s): the PDF is printed from the "
            "pages the site was built from. Run `nox -s docs` first, then `nox -s pdf`."
        )
    read = len(re.findall(r"^reading sources\.\.\. ", log, re.M))
    return seconds, read


# page.add_style_tag waits for a load event that never comes with JavaScript off.
ADD_STYLE = """(css) => {
  const style = document.createElement("style");
  style.textContent = css;
  document.head.append(style);
}"""

# Run in the page before printing: a title page and a table of contents before the book.
PREPARE = """([title, version, pages]) => {
  const chapters = [...document.querySelectorAll('span[id^="document-"] + section')];
  const front = document.createElement("section");
  front.className = "pdf-front";
  const rows = chapters.map((s) => {
    const h = s.querySelector("h1, h2, h3");
    const text = h ? h.textContent.replace(/#$/, "").trim() : s.id;
    const page = pages[text] ? String(pages[text]) : "";
    return `<li><a href="#${s.id}"><span class="pdf-toc-title">${text}</span>` +
           `<span class="pdf-toc-page">${page}</span></a></li>`;
  });
  front.innerHTML = `<div class="pdf-title"><h1>${title}</h1><p>Version ${version}</p></div>` +
    `<nav class="pdf-toc"><h2>Contents</h2><ol>${rows.join("")}</ol></nav>`;
  // singlehtml links to another chapter's section as "#document-<page>#<id>": keep "#<id>".
  for (const a of document.querySelectorAll('a[href^="#document-"]')) {
    const parts = a.getAttribute("href").split("#");
    if (parts.length === 3 && parts[2]) a.setAttribute("href", "#" + parts[2]);
  }
  const main = document.querySelector("main") || document.body;
  const article = main.querySelector("article") || main;
  article.prepend(front);
  return chapters.map((s) => {
    const h = s.querySelector("h1, h2, h3");
    return h ? h.textContent.replace(/#$/, "").trim() : s.id;
  });
}"""


def _print(browser, base: str, title: str, version: str, pages: dict[str, int]):  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False, color_scheme="light")
    page = context.new_page()
    page.goto(base + "index.html", wait_until="load")
    page.evaluate(ADD_STYLE, PRINT_CSS.read_text(encoding="utf-8"))
    page.evaluate("document.fonts.ready.then(() => true)")
    # JavaScript is off for the page's own scripts; Playwright's evaluate still runs.
    chapters = page.evaluate(PREPARE, [title, version, pages])
    page.evaluate("document.fonts.ready.then(() => true)")
    pdf = page.pdf(
        format="A4",
        print_background=True,
        display_header_footer=True,
        header_template="<span></span>",
        footer_template=FOOTER,
        margin={"top": "16mm", "bottom": "18mm", "left": "16mm", "right": "16mm"},
        outline=True,
        tagged=True,
    )
    context.close()
    return pdf, chapters


def chapter_pages(pdf: bytes, chapters: list[str]) -> dict[str, int]:
    """The page (1-based) that each chapter starts (each starts a page, with its title)."""
    import io

    from pypdf import PdfReader

    texts = [" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages]
    found: dict[str, int] = {}
    after = 2  # the title page and the contents come first
    for numbered in chapters:
        title = re.sub(r"^\d+\. ", "", numbered)  # the number may come apart from the title
        starts = [n for n, text in enumerate(texts, 1) if n > after and text.startswith(title)]
        has = [n for n, text in enumerate(texts, 1) if n > after and title in text]
        if starts or has:
            found[numbered] = after = (starts or has)[0]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=PDF)
    args = parser.parse_args(argv)
    import tomllib

    from playwright.sync_api import sync_playwright

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    start = time.perf_counter()
    seconds, read = build_singlehtml()
    print(f"singlehtml: {seconds:.1f} s, {read} page(s) re-read, no notebook executed")
    title = html.escape("bnref: batch normalization, normalized with care")
    with serve(SINGLE) as base, sync_playwright() as pw:
        browser = launch(pw)
        try:
            first, chapters = _print(browser, base, title, project["version"], {})
            pages = chapter_pages(first, chapters)
            pdf, _ = _print(browser, base, title, project["version"], pages)
        finally:
            browser.close()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(pdf)
    # The site links to it from every page's download menu (docs/_ext/pdf_edition.py).
    if (HTML / "index.html").is_file():
        (HTML / "bnref.pdf").write_bytes(pdf)
    from pypdf import PdfReader

    n = len(PdfReader(args.output).pages)
    total = time.perf_counter() - start
    print(
        f"{args.output}: {n} pages, {len(pdf) / 1024:,.0f} KB, {len(chapters)} chapters, "
        f"built in {total:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
