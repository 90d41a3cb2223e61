"""What an operator does in the console, as Playwright steps on the console's stable hooks.

The console keeps these selectors fixed for tests (ids such as
``#login-name`` and ``#compose-send``, ``data-testid`` attributes on rows and
routes); every step here goes through them, never through visible text, so
the same steps work in every language.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .harness import User

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page, ViewportSize

__all__ = [
    "CHROMIUM",
    "VIEWPORT",
    "acknowledge",
    "call_id",
    "call_state",
    "call_stat",
    "compose",
    "fill_flight",
    "login",
    "mark_page",
    "message_row",
    "notify_field",
    "open_message",
    "page_was_kept",
    "place_call",
    "require_browser",
    "sent_id",
    "set_language",
]

CHROMIUM = "/usr/lib/chromium/chromium"
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
_MESSAGE_ID = re.compile(r"[0-9a-f]{32}")


def require_browser() -> None:
    """Skip (fail when ``CI=true``) unless Playwright and Debian's chromium are installed.

    Callable at a module's top, before it imports Playwright: a CI image that lost
    its browser must not pass by skipping every browser test.
    """
    if importlib.util.find_spec("playwright") is None:
        reason = "playwright is not installed"
    elif not Path(CHROMIUM).exists():
        reason = f"no chromium at {CHROMIUM} (apt-get install chromium)"
    else:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def login(page: Page, base_url: str, user: User) -> None:
    """Log in through the login form and wait until the console has left the login page."""
    page.goto(f"{base_url}/login")
    page.fill("#login-name", user.name)
    page.fill("#login-password", user.password)
    page.click("#login-submit")
    page.wait_for_url(lambda url: "/login" not in url)


def set_language(page: Page, language: str) -> None:
    """Switch the interface language with ``select#language`` (kept for the user)."""
    if page.locator("html").get_attribute("lang") == language:
        return
    with page.expect_navigation():
        page.select_option("select#language", language)
    page.wait_for_selector(f"html[lang={language}]")


def compose(
    page: Page,
    *,
    to: str,
    text: str,
    precedence: str = "routine",
    channel: str | None = None,
    exercise: bool = False,
    send: bool = True,
) -> str:
    """Fill the compose form on ``/traffic`` and send; returns the new message's id."""
    page.select_option("#compose-to", to)
    if channel is not None:
        page.fill("#compose-channel", channel)
    page.select_option("#compose-precedence", precedence)
    page.fill("#compose-text", text)
    page.set_checked("#compose-exercise", exercise)
    if not send:
        return ""
    page.click("#compose-send")
    return sent_id(page)


def notify_field(path: str) -> str:
    """The selector of the generated input of the field at ``path`` ("window.start", "corridor[1].lat")."""
    return f'[data-field="{path}"] > .field-control > [data-testid=field-input]'


def fill_flight(page: Page, *, aircraft: str, count: str, to: str = "Moscow") -> None:
    """Fill the generated ``flight`` form on ``/notify``: aircraft along a two-point corridor."""
    page.select_option("#notify-format", "flight")
    page.fill(notify_field("aircraft_type"), aircraft)
    page.fill(notify_field("count"), count)
    page.check('[data-group="area|corridor"] input[value="corridor"]')
    for index, (lat, lon) in enumerate((("69.5", "33.1"), ("70,25", "40"))):  # a decimal comma too
        page.fill(notify_field(f"corridor[{index}].lat"), lat)
        page.fill(notify_field(f"corridor[{index}].lon"), lon)
    page.fill(notify_field("closest_approach_km"), "20")
    page.fill(notify_field("window.start"), "2026-11-23T14:00Z")
    page.fill(notify_field("window.end"), "2026-11-23 18:30")
    page.select_option("#notify-to", to)
    page.select_option("#notify-precedence", "priority")


def sent_id(page: Page) -> str:
    """The id of the message just sent, once ``#compose-result`` shows it."""
    result = page.locator("#compose-result")
    result.filter(has_text=_MESSAGE_ID).wait_for()
    found = _MESSAGE_ID.search(result.inner_text())
    assert found is not None, result.inner_text()
    assert result.get_attribute("data-id") == found.group(0)
    return found.group(0)


def message_row(page: Page, message_id: str) -> Locator:
    return page.locator(f'[data-testid=message][data-id="{message_id}"]')


def open_message(page: Page, message_id: str) -> None:
    """Follow the message's link from the traffic view to its detail page."""
    message_row(page, message_id).locator("a[data-testid=message-link]").click()
    page.wait_for_url(re.compile(rf"/messages/{message_id}$"))


def acknowledge(page: Page, user: str) -> None:
    """Press Acknowledge on a message's detail page; wait until it names ``user``."""
    page.click("#ack")
    page.locator("#ack-status", has_text=user).wait_for()


def mark_page(page: Page) -> None:
    """Put a marker in the page's window: a reload or navigation loses it."""
    page.evaluate("window.__hotlineMarker = 'kept'")


def page_was_kept(page: Page) -> bool:
    """True if the page has not been reloaded since :func:`mark_page`."""
    return bool(page.evaluate("window.__hotlineMarker === 'kept'"))


# -- calls --------------------------------------------------------------------------


def place_call(page: Page, peer: str, *, kind: str = "video", channel: str | None = None) -> None:
    """On ``/calls``, press "Video call" (or "Audio call") on ``peer``'s card."""
    if channel is not None:
        page.fill(f"[data-testid=call-channel-{peer}]", channel)
    page.click(f"[data-testid=call-{kind}-{peer}]")


def call_state(page: Page) -> Locator:
    """The call panel's state (``data-state``: calling, ringing, connected, reconnecting, ended)."""
    return page.locator("[data-testid=call-view] [data-testid=call-state]")


def call_id(page: Page) -> str:
    """The id of the call the page's panel shows, once the terminal has given it one."""
    panel = page.locator("[data-testid=call-view][data-call-id]")
    panel.wait_for()
    found = panel.get_attribute("data-call-id")
    assert found
    return found


def call_stat(page: Page, name: str) -> int | None:
    """A figure of the panel's media line (``data-<name>``), or None before it is known."""
    value = page.locator("[data-testid=call-stats]").get_attribute(f"data-{name}")
    return None if value is None else round(float(value))
