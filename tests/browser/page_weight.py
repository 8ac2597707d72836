"""Report the bytes each page of the built book loads on a first visit, and what dominates.

Run it with ``nox -s page-weight`` (or ``python -m tests.browser.page_weight`` in an
environment that has Playwright) after building the book. Every page is opened in a fresh
browser context (an empty cache) at a desktop size; every response is counted at its decoded
size (the server here does not compress, so this is also what a browser would hold in memory
after decompressing a compressed transfer). Requests to any other host are aborted and listed.

Each resource falls into one group:

* **theme floor**: what sphinx-book-theme, pydata-sphinx-theme and Sphinx itself load on every
  page (their scripts, styles, icons, Sphinx's search tools and the search index, which the
  theme loads on every page for its search dialog);
* **content**: the page's own HTML and its images;
* **additions**: everything the book's configuration adds on top of the theme (KaTeX styles and
  fonts, hover previews, copy buttons, myst-nb's styles, the book's own CSS/JS).

The budget (issue 12): the lightest page loads at most 700 KB (``MAX_FLOOR``), and so does the
theme floor of every page; no page loads more than 1,400 KB (``MAX_PAGE``). ``--check`` exits
with 1 when a page exceeds it. ``--json PATH`` also writes the full measurement. (The book once
budgeted its additions at 10% of the theme floor; since the theme floor lost its 1.5 MB icon
script, docs/_ext/icons.py, absolute budgets say more.)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

from tests.browser.harness import PREFIX, SITE, launch, open_page, serve, site_pages

# Resource path (relative to the site root) -> group of additions, by prefix.
ADDITIONS = {
    "_static/katex/": "math (KaTeX CSS and fonts)",
    "_static/katex-math.css": "math (KaTeX CSS and fonts)",
    "_static/clipboard.min.js": "copy buttons",
    "_static/copybutton": "copy buttons",
    "_static/mystnb.": "myst-nb styles",
    "_static/bnref.": "book CSS/JS (hover previews, wide equations)",
}


KB = 1024
# What a first visit of any page may load at most, and of the lightest page (issue 12).
MAX_PAGE = 1400 * KB
MAX_FLOOR = 700 * KB


def over_budget(summaries: list[dict[str, Any]], *, site: bool = True) -> list[str]:
    """Every way the measured pages break the budget (an empty list: within it). ``site``:
    the pages are the whole site, so its lightest page is bounded too."""
    over = [
        f"{s['page']} loads {_kb(s['total'])} (at most {_kb(MAX_PAGE)})"
        for s in summaries
        if s["total"] > MAX_PAGE
    ]
    over += [
        f"{s['page']}: its theme floor is {_kb(s['theme floor'])} (at most {_kb(MAX_FLOOR)})"
        for s in summaries
        if s["theme floor"] > MAX_FLOOR
    ]
    lightest = min(summaries, key=lambda s: s["total"], default=None)
    if site and lightest is not None and lightest["total"] > MAX_FLOOR:
        over.append(
            f"the lightest page, {lightest['page']}, loads {_kb(lightest['total'])} "
            f"(at most {_kb(MAX_FLOOR)})"
        )
    return over


def classify(rel: str, page: str) -> tuple[str, str]:
    """(group, detail) of a resource path relative to the site root."""
    if rel == page:
        return "content", "page HTML"
    if rel.startswith("_images/"):
        return "content", "images"
    for prefix, feature in ADDITIONS.items():
        if rel.startswith(prefix):
            return "additions", feature
    if rel == "searchindex.js":
        return "theme floor", "search index"
    return "theme floor", "theme and Sphinx assets"


def weigh(responses: list[Any], page_path: str) -> list[dict[str, Any]]:
    """Each local resource among Playwright ``responses`` with its decoded size and group."""
    resources = []
    for resp in responses:
        parsed = urlparse(resp.url)
        if parsed.scheme not in {"http", "https"}:
            continue
        rel = parsed.path.removeprefix(PREFIX)
        try:
            size = len(resp.body())
        except Exception:  # a redirect or an aborted response has no body
            continue
        group, detail = classify(rel, page_path)
        resources.append({"path": rel, "bytes": size, "group": group, "detail": detail})
    return resources


def measure(base: str, pages: list[str]) -> list[dict[str, object]]:
    """Open each page as the browser tests do (a fresh context, other hosts aborted) and weigh
    what its first load fetched."""
    results: list[dict[str, object]] = []
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            for page_path in pages:
                visit = open_page(browser, base, page_path)
                resources = weigh(visit.first_load, page_path)
                visit.page.context.close()
                results.append(
                    {"page": page_path, "resources": resources, "blocked": visit.external_requests}
                )
        finally:
            browser.close()
    return results


def summarise(result: dict[str, object]) -> dict[str, object]:
    groups: dict[str, int] = defaultdict(int)
    details: dict[str, int] = defaultdict(int)
    for res in result["resources"]:  # type: ignore[attr-defined]
        groups[res["group"]] += res["bytes"]
        details[f"{res['group']}: {res['detail']}"] += res["bytes"]
    floor = groups["theme floor"]
    additions = groups["additions"]
    biggest = sorted(result["resources"], key=lambda r: -r["bytes"])[:3]  # type: ignore[attr-defined]
    return {
        "page": result["page"],
        "requests": len(result["resources"]),  # type: ignore[arg-type]
        "total": sum(groups.values()),
        "theme floor": floor,
        "content": groups["content"],
        "additions": additions,
        "additions/floor": additions / floor if floor else 0.0,
        "details": dict(sorted(details.items(), key=lambda kv: -kv[1])),
        "biggest": [(r["path"], r["bytes"]) for r in biggest],
        "blocked": result["blocked"],
    }


def _kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=SITE)
    parser.add_argument("--json", type=Path, help="write the full measurement here")
    parser.add_argument("--check", action="store_true", help="fail when over the budget")
    parser.add_argument("pages", nargs="*", help="pages to measure (default: every page)")
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        print(f"No built site at {args.site}: run `nox -s docs` first.", file=sys.stderr)
        return 2
    pages = args.pages or [p for p in site_pages(args.site) if not p.startswith("_static/")]
    with serve(args.site) as base:
        summaries = [summarise(r) for r in measure(base, pages)]

    print(
        "| page | requests | total | headroom | theme floor | content (HTML+images) | additions | "
        "additions/floor | largest resources |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for s in summaries:
        biggest = ", ".join(f"{p} {_kb(b)}" for p, b in s["biggest"])  # type: ignore[attr-defined]
        print(
            f"| {s['page']} | {s['requests']} | {_kb(s['total'])} | "  # type: ignore[arg-type]
            f"{_kb(MAX_PAGE - s['total'])} | {_kb(s['theme floor'])} | "  # type: ignore[operator, arg-type]
            f"{_kb(s['content'])} | {_kb(s['additions'])} | {s['additions/floor']:.1%} | "  # type: ignore[arg-type]
            f"{biggest} |"
        )
    print()
    print("What the additions are, on the heaviest page:")
    heaviest = max(summaries, key=lambda s: s["additions"])  # type: ignore[arg-type, return-value]
    for name, size in heaviest["details"].items():  # type: ignore[attr-defined]
        print(f"  {heaviest['page']:<24} {name:<48} {_kb(size):>10}")
    blocked = sorted({u for s in summaries for u in s["blocked"]})  # type: ignore[attr-defined]
    print(f"\nRequests to other hosts (aborted): {len(blocked)}")
    for url in blocked:
        print(f"  {url}")
    if args.json:
        args.json.write_text(json.dumps(summaries, indent=1), encoding="utf-8")
    over = over_budget(summaries)
    lightest = min(summaries, key=lambda s: s["total"])  # type: ignore[arg-type, return-value]
    heaviest = max(summaries, key=lambda s: s["total"])  # type: ignore[arg-type, return-value]
    print(
        f"\nLightest page: {lightest['page']} {_kb(lightest['total'])} (budget {_kb(MAX_FLOOR)}); "  # type: ignore[arg-type]
        f"heaviest: {heaviest['page']} {_kb(heaviest['total'])} (budget {_kb(MAX_PAGE)})"  # type: ignore[arg-type]
    )
    if args.check and (over or blocked):
        for line in over:
            print(f"OVER BUDGET: {line}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
