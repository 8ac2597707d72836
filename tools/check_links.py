"""Check every internal link and anchor of the built site, offline.

Reads every HTML file under ``docs/_build/html``: each ``href`` and ``src`` that points inside
the site must name a file that exists, and each ``#fragment`` an ``id`` (or ``name``) in that
file. External links are not fetched here; ``--list-external`` prints them for the session
that checks them on a machine with internet access (``nox -s linkcheck-external``).

Usage: ``python tools/check_links.py [SITE] [--list-external]``; exit status 1 on a broken link.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "docs" / "_build" / "html"
# Root-absolute links (the 404 page's, which is served at any depth) start with the path the
# book is published under, read from pyproject.toml's Documentation URL.
PUBLISHED_PATH = urlsplit(
    tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"][
        "Documentation"
    ]
).path
LINK_ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name in ("id", "name"):
            if values.get(name):
                self.anchors.add(str(values[name]))
        target = values.get(LINK_ATTRS.get(tag, ""))
        if target:
            self.links.append(target)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def check(site: Path) -> tuple[list[str], set[str], int]:
    """Return (broken internal links, external URLs, number of internal links checked)."""
    # _static/ holds the theme's Jinja macro files (webpack-macros.html), not pages.
    pages = {
        path: _parse(path)
        for path in sorted(site.rglob("*.html"))
        if "_static" not in path.relative_to(site).parts
    }
    broken, external, checked = [], set(), 0
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme in {"http", "https"}:
                external.add(link)
                continue
            if parts.scheme or link.startswith("//"):
                continue  # mailto:, data:, javascript:
            if parts.path.startswith("/"):
                if not parts.path.startswith(PUBLISHED_PATH):
                    broken.append(f"{path.relative_to(site)}: {link} (outside {PUBLISHED_PATH})")
                    continue
                base, rel_path = site, parts.path[len(PUBLISHED_PATH) :]
            else:
                base, rel_path = path.parent, parts.path
            target = path if not parts.path else (base / unquote(rel_path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            checked += 1
            where = f"{path.relative_to(site)}: {link}"
            if not target.exists():
                broken.append(f"{where} (no file {target.relative_to(site.resolve())})")
            elif parts.fragment and target.suffix == ".html":
                anchors = pages[target].anchors if target in pages else _parse(target).anchors
                if unquote(parts.fragment) not in anchors:
                    broken.append(f"{where} (no anchor #{parts.fragment})")
    return broken, external, checked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, default=SITE)
    parser.add_argument("--list-external", action="store_true")
    args = parser.parse_args()
    site = args.site.resolve()
    if not (site / "index.html").exists():
        print(f"no built site at {site}: build it first (nox -s docs)")
        return 1
    broken, external, checked = check(site)
    if args.list_external:
        print("\n".join(sorted(external)))
        return 0
    if broken:
        print(f"{len(broken)} broken internal link(s):")
        print("\n".join(f"  {line}" for line in broken))
        return 1
    print(f"{checked} internal links and anchors OK; {len(external)} external links not checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
