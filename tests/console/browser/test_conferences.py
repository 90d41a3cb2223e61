"""The Conferences page in a real browser: the grid of messages by parties, kept live.

Three terminals of their own (Vienna convenes Kyiv and Tbilisi) run as
``hotline run`` processes with their consoles, built through the CLI as the
harness builds its pair; the shared pair is left alone, so no other browser
test meets a third peer. The page is drawn by the server; conference.js
re-reads the grid when the ``conferences`` or ``messages`` topic fires.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hotline.terminal import ControlClient

from .harness import Console, User, console_mesh, wait_for
from .pages import login, mark_page, page_was_kept, require_browser

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page, expect  # noqa: E402

PARTIES = (("Vienna", "Europe/Vienna"), ("Kyiv", "Europe/Kyiv"), ("Tbilisi", "Asia/Tbilisi"))
OPERATOR = User(name="vie-op", party="Vienna", role="operator")


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[dict[str, Console]]:
    with console_mesh(tmp_path, PARTIES, [OPERATOR]) as running:
        yield running


def _cell(page: Page, party: str, row: int = 0) -> str | None:
    cells = page.locator(f"[data-testid=conference-message] >> nth={row}").locator(
        f'[data-testid=conference-cell][data-party="{party}"]'
    )
    return cells.get_attribute("data-state")


def test_the_grid_shows_each_recipient_and_updates_live(
    trio: dict[str, Console], new_page: Callable[[], Page]
) -> None:
    vienna = trio["Vienna"]
    with ControlClient(vienna.directory, timeout=10) as client:
        created = client.create_conference("ops", ["Kyiv", "Tbilisi"])

        def joined() -> bool:
            members = client.conference("ops")["members"]
            return {m["party"]: m["answer"] for m in members} == {
                "Vienna": "convener",
                "Kyiv": "joined",
                "Tbilisi": "joined",
            }

        wait_for(joined, what="both members to join")

    page = new_page()
    login(page, vienna.url, OPERATOR)
    page.click("#nav-conferences")
    page.wait_for_url("**/conferences")
    page.click(f'[data-conference="{created["id"]}"] a')
    page.wait_for_url(f"**/conferences/{created['id']}")
    expect(page.locator('[data-testid=conference-member][data-party="Kyiv"]')).to_have_attribute(
        "data-answer", "joined"
    )
    expect(page.locator("#no-conference-messages")).to_be_visible()
    mark_page(page)

    # A message to the conference appears as a row, each member's cell turning delivered.
    with ControlClient(vienna.directory, timeout=10) as client:
        client.send_conference("ops", text="first report")
    grid = page.locator("[data-testid=conference-grid]")
    expect(grid).to_be_visible(timeout=20_000)
    for party in ("Kyiv", "Tbilisi"):
        expect(
            page.locator(f'[data-testid=conference-cell][data-party="{party}"]').first
        ).to_have_attribute("data-state", "delivered", timeout=20_000)
    expect(page.locator("#conference-slowest")).to_have_count(0)

    # Tbilisi goes away: its cell of the next message stays undelivered, and it is named slowest.
    trio["Tbilisi"].process.stop()
    with ControlClient(vienna.directory, timeout=10) as client:
        client.send_conference("ops", text="second report")
    expect(page.locator("[data-testid=conference-message]")).to_have_count(2, timeout=20_000)
    newest = page.locator("[data-testid=conference-message]").first
    expect(newest.locator('[data-testid=conference-cell][data-party="Kyiv"]')).to_have_attribute(
        "data-state", "delivered", timeout=20_000
    )
    assert _cell(page, "Tbilisi") in ("queued", "sent")
    expect(page.locator("#conference-slowest")).to_have_attribute("data-party", "Tbilisi")
    expect(page.locator('th.slowest-column[data-party="Tbilisi"]')).to_be_visible()
    assert page_was_kept(page), "the conference page was reloaded, not updated live"
