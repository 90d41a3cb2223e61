"""The watch floor (``/floor``), the acknowledgement countdowns, and the line's "in use".

The floor is a wall screen: each peer's line, the open alarms, every message
waiting for a person's acknowledgement with a live countdown to its deadline.
It keeps itself live (a message sent and acknowledged elsewhere comes and goes
without a reload, the focus left where it was). axe-core and the phone widths
over it: test_a11y_added.py.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from .harness import ConsolePair
from .pages import mark_page, message_row, page_was_kept, require_browser, set_language

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page, expect  # noqa: E402

LEFT = re.compile(r"^(\d+:)?\d\d:\d\d left to acknowledge$")


def _send(consoles: ConsolePair, *, precedence: str = "immediate") -> str:
    """A message from Washington that Moscow receives and nobody acknowledges yet."""
    with consoles.washington.control() as client:
        sent = client.send(to="Moscow", text=f"floor {uuid.uuid4().hex[:6]}", precedence=precedence)
        client.wait_delivered(sent["id"])
    return str(sent["id"])


def _acknowledge_at_moscow(consoles: ConsolePair, message_id: str) -> None:
    user = consoles.users["mos-op"]
    with consoles.moscow.control() as client:
        client.acknowledge(message_id, user=user.name, password=user.password)


def test_the_floor_shows_waiting_messages_live_and_keeps_the_focus(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    page = open_as("wash-op")
    set_language(page, "en")
    page.click("#nav-floor")
    page.wait_for_url(re.compile(r"/floor$"))
    expect(page.locator("h1")).to_have_text("Watch floor")
    peer = page.locator('[data-testid=floor-peer][data-party="Moscow"]')
    expect(peer).to_have_attribute("data-state", "up")
    mark_page(page)
    page.locator("#nav-traffic").focus()

    message_id = _send(consoles)
    row = page.locator(f'[data-testid=floor-message][data-id="{message_id}"]')
    expect(row).to_be_visible()  # came in live
    countdown = row.locator("[data-testid=floor-countdown]")
    expect(countdown).to_have_text(LEFT)
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first, timeout=3_000)  # it ticks
    assert page_was_kept(page)
    assert page.evaluate("document.activeElement.id") == "nav-traffic"
    expect(peer).to_contain_text("in use")

    _acknowledge_at_moscow(consoles, message_id)
    expect(row).to_have_count(0)  # gone once acknowledged, live
    assert page_was_kept(page)
    assert page.evaluate("document.activeElement.id") == "nav-traffic"


def test_w_opens_the_floor(consoles: ConsolePair, open_as: Callable[[str], Page]) -> None:
    page = open_as("wash-op")
    page.goto(f"{consoles.washington.url}/shift")
    page.locator("main").click()
    page.keyboard.press("w")
    page.wait_for_url(re.compile(r"/floor$"))
    page.keyboard.press("?")
    expect(page.locator("#shortcuts")).to_contain_text("Open the watch floor")


def test_traffic_and_message_count_down_to_the_deadline(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    message_id = _send(consoles)
    page = open_as("wash-op")
    set_language(page, "en")
    page.goto(f"{consoles.washington.url}/traffic")
    countdown = message_row(page, message_id).locator(".ack-countdown")
    expect(countdown).to_have_text(LEFT)
    page.goto(f"{consoles.washington.url}/messages/{message_id}")
    detail = page.locator("[data-testid=ack-countdown]")
    expect(detail).to_have_text(LEFT)
    _acknowledge_at_moscow(consoles, message_id)
    expect(detail).to_be_hidden()  # acknowledged: nothing to count down to


def test_the_line_view_says_whether_the_line_is_in_use(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    _send(consoles)
    page = open_as("wash-op")
    set_language(page, "en")
    page.goto(f"{consoles.washington.url}/")
    used = page.locator("[data-testid=peer-Moscow] [data-testid=peer-used]")
    expect(used).to_have_text(re.compile(r"^(in use|last used .+)$"))


def test_the_floor_counts_down_an_overdue_message(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    """A deadline passed: the countdown says by how long, in the reader's language."""
    page = open_as("mos-op-ru")
    message_id = _send(consoles)
    page.goto(f"{consoles.moscow.url}/floor")
    row = page.locator(f'[data-testid=floor-message][data-id="{message_id}"]')
    countdown = row.locator("[data-testid=floor-countdown]")
    expect(countdown).to_contain_text("на подтверждение осталось")
    # A deadline an hour and a minute past (the board redraws its own rows live, so a
    # countdown of our own, ticked by the same script): it says by how long.
    page.evaluate(
        """() => {
            const past = new Date(window.hotlineConsole.serverNow() - 3_660_000).toISOString();
            const element = document.createElement('span');
            element.className = 'ack-countdown';
            element.id = 'past-deadline';
            element.dataset.deadline = past;
            document.querySelector('main').append(element);
        }"""
    )
    past = page.locator("#past-deadline")
    expect(past).to_have_text(re.compile(r"^просрочено на 1:01:0\d$"))
    expect(past).to_have_attribute("data-overdue", "true")
    _acknowledge_at_moscow(consoles, message_id)
