"""The conference forms' success path in a real browser, with three running terminals.

Vienna's operator convenes a conference of Kyiv and Tbilisi from the
Conferences page, sends into it (with a marking) from its page, removes
Tbilisi and adds it back; each step lands on the conference's page with the
roster's new version, and the message reaches both members as one signed
payload naming them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hotline.terminal import ControlClient

from .harness import CLASSIFICATIONS, Console, User, console_mesh, wait_for
from .pages import login, mark_page, page_was_kept, require_browser

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page, expect  # noqa: E402

PARTIES = (("Vienna", "Europe/Vienna"), ("Kyiv", "Europe/Kyiv"), ("Tbilisi", "Asia/Tbilisi"))
OPERATOR = User(name="vie-forms", party="Vienna", role="operator")
TEXT = "Ceasefire observers: the three of us confirm the 0600Z start."


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[dict[str, Console]]:
    with console_mesh(tmp_path, PARTIES, [OPERATOR]) as running:
        yield running


def joined(convener: Console, *parties: str) -> Callable[[], bool]:
    """True once each of ``parties`` answered the newest roster of "observers" with "joined"."""

    def check() -> bool:
        with ControlClient(convener.directory, timeout=10) as client:
            members = client.conference("observers")["members"]
        answers = {m["party"]: m["answer"] for m in members}
        return all(answers.get(party) == "joined" for party in parties)

    return check


def _answers(page: Page) -> dict[str, str | None]:
    rows = page.locator("[data-testid=conference-member]")
    return {
        str(row.get_attribute("data-party")): row.get_attribute("data-answer") for row in rows.all()
    }


def test_convene_send_remove_and_add_from_the_console(
    trio: dict[str, Console], new_page: Callable[[], Page]
) -> None:
    vienna = trio["Vienna"]
    page = new_page()
    login(page, vienna.url, OPERATOR)
    page.click("#nav-conferences")
    page.fill("#conference-name", "observers")
    page.check('input[name=party][value="Kyiv"]')
    page.check('input[name=party][value="Tbilisi"]')
    page.click("#conference-create")
    page.wait_for_url(re.compile(r".*/conferences/[0-9a-f]+$"))
    url = page.url
    expect(page.locator("#conference-version")).to_have_text("1")
    for party in ("Kyiv", "Tbilisi"):
        member = page.locator(f'[data-testid=conference-member][data-party="{party}"]')
        expect(member).to_have_attribute("data-answer", "joined", timeout=20_000)

    # Send into it, classified: one row in the grid, a cell per member, both delivered.
    page.fill("#conference-text", TEXT)
    page.select_option("#conference-precedence", "immediate")
    page.select_option("#conference-classification", CLASSIFICATIONS[0])
    page.click("#conference-send")
    page.wait_for_url(url)
    expect(page.locator("#conference-error")).to_have_count(0)
    expect(page.locator("[data-testid=conference-message]")).to_have_count(1)
    for party in ("Kyiv", "Tbilisi"):
        cell = page.locator(f'[data-testid=conference-cell][data-party="{party}"]')
        expect(cell).to_have_attribute("data-state", "delivered", timeout=20_000)
    groups = set()
    for party in ("Kyiv", "Tbilisi"):
        [held] = [m for m in trio[party].messages() if m["text"] == TEXT]
        assert held["markings"] == {"classification": CLASSIFICATIONS[0]}
        groups.add(held["group"])
    assert len(groups) == 1  # one payload, signed once, for both
    assert None not in groups

    # Remove Tbilisi: version 2 without it; then add it back, while it is stopped: version 3
    # with it invited, until it runs again and joins, shown live in the open page.
    page.click('[data-testid=remove-party][data-party="Tbilisi"]')
    page.wait_for_url(url)
    expect(page.locator("#conference-version")).to_have_text("2")
    assert "Tbilisi" not in _answers(page)
    trio["Tbilisi"].process.stop()
    page.select_option("#conference-add-party", "Tbilisi")
    page.click("#conference-add")
    page.wait_for_url(url)
    expect(page.locator("#conference-version")).to_have_text("3")
    tbilisi = page.locator('[data-testid=conference-member][data-party="Tbilisi"]')
    expect(tbilisi).to_have_attribute("data-answer", "invited")
    mark_page(page)
    trio["Tbilisi"].process.start()
    expect(tbilisi).to_have_attribute("data-answer", "joined", timeout=30_000)
    assert page_was_kept(page), "the conference page was reloaded, not updated live"

    def tbilisi_holds_version_3() -> bool:
        with ControlClient(trio["Tbilisi"].directory, timeout=10) as client:
            return int(client.conference("observers")["version"]) == 3

    wait_for(tbilisi_holds_version_3, what="Tbilisi to hold the third roster")
