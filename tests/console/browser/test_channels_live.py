"""The Channels page is live: membership changes show without a reload, the focus stays put.

An admin keeps Washington's Channels page open. Members are added and removed
through the CLI (``hotline channel``), and Moscow announces a channel of its
own; each change shows on the open page (live.js re-reads the list when the
``channels`` topic fires), the page is never reloaded, and the field the admin
is typing in keeps the focus and what was typed.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.cli.helpers import hotline

from .harness import ConsolePair, User, _add_user
from .pages import mark_page, page_was_kept, require_browser

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page, expect  # noqa: E402

CHANNEL = "ministers-live"
ADMIN = User(name="wash-live-admin", party="Washington", role="admin")


def test_membership_changes_show_live_without_moving_the_focus(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    washington = consoles.console("Washington").directory
    _add_user(washington, ADMIN)
    consoles.users[ADMIN.name] = ADMIN
    hotline("channel", "create", washington, CHANNEL, "--member", "wash-op")

    page = open_as(ADMIN.name)
    page.click("#nav-channels")
    page.wait_for_url("**/channels")
    channel = page.locator(f'[data-testid=channel][data-channel="{CHANNEL}"]')
    expect(channel.locator('[data-testid=member][data-user="wash-op"]')).to_be_visible()
    mark_page(page)
    # The admin is typing the next channel's name while others change this one.
    page.fill("#channel-name", "next-chan")
    page.focus("#channel-name")

    hotline("channel", "add", washington, CHANNEL, "--member", "wash-auditor:principal")
    added = channel.locator('[data-testid=member][data-user="wash-auditor"]')
    expect(added).to_be_visible()
    expect(added).to_contain_text("principal")
    hotline("channel", "remove", washington, CHANNEL, "--member", "wash-op")
    expect(channel.locator('[data-testid=member][data-user="wash-op"]')).to_have_count(0)
    expect(channel).to_contain_text("version 3")

    # A peer's announcement shows too: Moscow restricts a channel of its own.
    moscow = consoles.console("Moscow").directory
    hotline("channel", "create", moscow, "moscow-live", "--member", "mos-op")
    announced = page.locator(
        '[data-testid=channel][data-channel="moscow-live"] [data-testid=peer-members]'
    )
    expect(announced).to_contain_text("mos-op", timeout=20_000)

    expect(page.locator("#channel-name")).to_be_focused()
    expect(page.locator("#channel-name")).to_have_value("next-chan")
    assert page_was_kept(page), "the channels page was reloaded, not updated live"
