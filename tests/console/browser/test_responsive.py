"""Phones to desktops: no page scrolls sideways at 360, 390 or 414 px, in any language.

Each page is loaded at 414 px and measured at each phone width in turn
(``document.documentElement.scrollWidth <= innerWidth``); the header's Log out
must stay on screen, and tables become stacked cards. At 1,280 px the Russian
traffic view, the widest page in the widest language, fits too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from .a11y import LANGUAGES, PHONE_WIDTHS
from .harness import ConsolePair
from .pages import login, require_browser, set_language

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page, expect  # noqa: E402

_PAGES = ("/", "/traffic", "/notify", "/reports", "/calls", "/record", "/shift")


@pytest.fixture(scope="module")
def message_id(consoles: ConsolePair) -> str:
    """A delivered FLASH, so that the traffic view and a message page have a row to lay out."""
    text = f"narrow {uuid.uuid4().hex[:6]}: " + "a long line of text without breaks " * 4
    with consoles.washington.control() as client:
        sent = client.send(to="Moscow", text=text, precedence="flash")
        client.wait_delivered(sent["id"])
    return str(sent["id"])


def _overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than its window (0: no sideways scroll)."""
    width = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return max(0, int(width))


def _widest(page: Page) -> str:
    """The elements that stick out past the right edge: what a failure names."""
    found = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                         && e.offsetParent !== null)
            .slice(0, 6)
            .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                      + (e.className && typeof e.className === 'string'
                         ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
                      + ' ' + Math.round(e.getBoundingClientRect().right))"""
    )
    return ", ".join(found)


def _phone(page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 800})


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_sideways_scroll_on_a_phone(
    consoles: ConsolePair, new_page: Callable[[], Page], message_id: str, language: str
) -> None:
    page = new_page()
    _phone(page, max(PHONE_WIDTHS))
    page.goto(f"{consoles.washington.url}/login?lang={language}")
    problems = []
    for width in PHONE_WIDTHS:
        _phone(page, width)
        if _overflow(page):
            problems.append(f"/login at {width}px: {_overflow(page)}px too wide ({_widest(page)})")
    login(page, consoles.washington.url, consoles.users["wash-a11y"])
    set_language(page, language)
    for path in (*_PAGES, f"/messages/{message_id}"):
        _phone(page, max(PHONE_WIDTHS))
        page.goto(consoles.washington.url + path)
        page.wait_for_timeout(300)  # the script has drawn its rows
        for width in PHONE_WIDTHS:
            _phone(page, width)
            if _overflow(page):
                problems.append(
                    f"{path} at {width}px: {_overflow(page)}px too wide ({_widest(page)})"
                )
            logout = page.locator("#logout").bounding_box()
            assert logout is not None
            if logout["x"] < 0 or logout["x"] + logout["width"] > width:
                problems.append(f"{path} at {width}px: Log out is off screen ({logout})")
    assert not problems, f"{language}:\n" + "\n".join(problems)


def test_traffic_rows_are_cards_on_a_phone(
    consoles: ConsolePair, new_page: Callable[[], Page], message_id: str
) -> None:
    """On a phone a traffic row is a card: its cells stacked, each with its column's name."""
    page = new_page()
    _phone(page, 390)
    login(page, consoles.washington.url, consoles.users["wash-a11y"])
    set_language(page, "en")
    page.goto(f"{consoles.washington.url}/traffic")
    row = page.locator(f'[data-testid=message][data-id="{message_id}"]')
    row.wait_for()
    # Retried until it holds: a live update may redraw the row between finding and reading it.
    expect(row).to_have_css("display", "block")
    assert (
        page.locator("table.traffic thead").evaluate("e => getComputedStyle(e).display")
        in {
            "none",
            "block",
        }
        or page.locator("table.traffic thead").is_hidden()
    )
    state_cell = row.locator("td.state-cell")
    assert state_cell.get_attribute("data-label") == "State"
    label = state_cell.evaluate("c => getComputedStyle(c, '::before').content")
    assert "State" in label


def test_the_russian_traffic_view_fits_a_desktop(
    consoles: ConsolePair, new_page: Callable[[], Page], message_id: str
) -> None:
    page = new_page()  # 1,280 px
    login(page, consoles.washington.url, consoles.users["wash-a11y"])
    set_language(page, "ru")
    try:
        page.goto(f"{consoles.washington.url}/traffic")
        page.locator(f'[data-testid=message][data-id="{message_id}"]').wait_for()
        assert _overflow(page) == 0, _widest(page)
    finally:
        set_language(page, "en")
