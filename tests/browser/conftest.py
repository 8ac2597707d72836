"""Fixtures of the browser tests: the built site served on 127.0.0.1, and Debian's Chromium.

``nox -s tests`` builds the book first when it is not built, and finds or installs Chromium
(tools/browser.py), so through nox these tests always run. Run by bare pytest on a machine
without a built book they skip, saying so; under CI (``CI`` set) that is an error instead,
because a CI run that skipped them would prove nothing. A missing Chromium is a failure.

Every page is opened in a fresh browser context whose requests to any host other than the test
server are aborted and recorded (so a page that needs the network fails here just as it would
for a reader who is offline). Console errors, uncaught exceptions, failed requests and HTTP
errors are recorded too; the tests assert that all these lists are empty.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.harness import PHONE, SITE, Visit, launch, open_page, serve, site_pages


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    in_browser = [item for item in items if "browser" in item.path.parts]
    if not in_browser or (SITE / "index.html").is_file():
        return
    why = f"the book is not built ({SITE} does not exist): run `nox -s docs` first"
    if os.environ.get("CI"):
        raise pytest.UsageError(f"{why} (CI must run the browser tests, not skip them)")
    skip = pytest.mark.skip(reason=f"{why}; the browser tests run whenever it is built")
    for item in in_browser:
        item.add_marker(skip)


def pages() -> list[str]:
    """The pages under test: every HTML page of the site but the theme's macro files."""
    if not (SITE / "index.html").is_file():
        return ["index.html"]  # a placeholder id; the tests are skipped
    return [p for p in site_pages() if not p.startswith("_static/")]


@pytest.fixture(scope="session")
def base_url() -> Iterator[str]:
    with serve() as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch(pw)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module", params=pages())
def desktop(request: pytest.FixtureRequest, browser: Any, base_url: str) -> Iterator[Visit]:
    """Each page at 1280x900 in light mode."""
    visit = open_page(browser, base_url, request.param)
    yield visit
    visit.page.context.close()


@pytest.fixture(scope="module", params=pages())
def phone_dark(request: pytest.FixtureRequest, browser: Any, base_url: str) -> Iterator[Visit]:
    """Each page on a 390-px-wide phone, the system in dark mode (the book follows it)."""
    visit = open_page(
        browser, base_url, request.param, viewport=PHONE, color_scheme="dark", phone=True
    )
    yield visit
    visit.page.context.close()


@pytest.fixture
def open_in(browser: Any, base_url: str) -> Iterator[Any]:
    """Open pages in fresh contexts; every context opened is closed after the test."""
    visits: list[Visit] = []

    def _open(path: str, **kwargs: Any) -> Visit:
        visit = open_page(browser, base_url, path, **kwargs)
        visits.append(visit)
        return visit

    yield _open
    for visit in visits:
        visit.page.context.close()
