"""Fixtures: one chromium for the session, two running terminals, logged-in pages.

Chromium is Debian's (``/usr/lib/chromium/chromium``), driven by Playwright's
sync API, with a fake camera and microphone; a downloaded browser is never used. Without chromium or Playwright
the browser tests are skipped on a workstation but fail in CI (``CI=true``),
so a CI image that lost its browser cannot pass silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from .harness import ConsolePair, console_pair
from .pages import CHROMIUM, VIEWPORT, login, require_browser

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

#: A fake camera and microphone (a test pattern and a tone), granted without asking,
#: for the call tests; and sound that may start without a gesture (the ring tone).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


# Package scope, not session: Playwright's sync API keeps an asyncio loop running in
# this thread while it is open, and every later test that calls asyncio.run() would
# fail. It is closed when the browser tests are done.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    # The same patience for assertions as for actions (page.set_default_timeout below).
    expect.set_options(timeout=10_000)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def consoles(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsolePair]:
    """Washington and Moscow running for the whole session (starting them takes seconds)."""
    with console_pair(tmp_path_factory.mktemp("consoles")) as running:
        yield running


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Pages in fresh browser contexts (separate cookies: separate people), closed afterwards."""
    contexts = []

    def make() -> Page:
        # The console's certificate is self-signed (init made it): accepted here as an
        # operator accepts it after comparing the fingerprint init printed.
        context = browser.new_context(viewport=VIEWPORT, locale="en-US", ignore_https_errors=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def open_as(consoles: ConsolePair, new_page: Callable[[], Page]) -> Callable[[str], Page]:
    """A page logged in to the console of the user's terminal, in a context of its own."""

    def open_(user: str) -> Page:
        page = new_page()
        login(page, consoles.url(user), consoles.users[user])
        return page

    return open_
