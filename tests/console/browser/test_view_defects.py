"""View defects from issue 22, each seen in a real browser.

* A meeting proposal whose replies have scheduled it reads its agreed time on
  its traffic row, not the "to be decided" it was sent with, beside its
  "scheduled" badge.
* On the side that listens, the line view says its routes are its own addresses,
  which the peer dials, and shows the peer's link test that arrived on each,
  rather than "No link test yet" seconds after the peer's test passed.
* An alarm reads what it means in the reader's language (from its kind, peer
  and route), the terminal's English technical detail beside it; so does a
  refusal (from the API's error class).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .harness import ConsolePair, wait_for
from .pages import message_row, require_browser, set_language

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page, expect  # noqa: E402

MEETING: dict[str, Any] = {
    "proposer": "The President of the United States",
    "participants": ["President of the United States", "President of Russia"],
    "time": "tbd",
    "format": "tbd",
}


def test_a_scheduled_meetings_proposal_row_reads_its_time(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    with consoles.washington.control() as client:
        proposal = client.notify(to="Moscow", format_code="meeting", data=MEETING)["id"]
        client.wait_delivered(proposal)
    page = open_as("wash-op")
    set_language(page, "en")
    page.goto(f"{consoles.washington.url}/traffic")
    row = message_row(page, proposal)
    expect(row.locator(".text-body")).to_contain_text("to be decided")  # as proposed

    with consoles.moscow.control() as client:
        reply = {"proposal": proposal, "state": "agreed-in-principle"}
        client.wait_delivered(
            client.notify(to="Washington", format_code="meeting-reply", data=reply)["id"]
        )
    expect(row.locator(".meeting-state")).to_have_attribute("data-state", "agreed-in-principle")
    with consoles.washington.control() as client:
        scheduled = {
            "proposal": proposal,
            "state": "scheduled",
            "time": "2026-12-01T10:00:00Z",
            "format": "in-person",
            "place": "Geneva",
        }
        client.wait_delivered(
            client.notify(to="Moscow", format_code="meeting-reply", data=scheduled)["id"]
        )
    expect(row.locator(".meeting-state")).to_have_attribute("data-state", "scheduled")
    text = row.locator(".text-body")
    expect(text).not_to_contain_text("to be decided")
    expect(text).to_contain_text("10:00")


def _alarms(consoles: ConsolePair) -> list[dict[str, Any]]:
    return list(consoles.washington.status()["alarms"])


def test_an_alarm_reads_in_the_readers_language(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    page = open_as("wash-a11y")
    set_language(page, "ru")
    try:
        consoles.cut(0)
        consoles.cut(1)
        wait_for(
            lambda: any(a["kind"] == "line-down" for a in _alarms(consoles)),
            what="a line-down alarm at Washington",
            timeout=30,
        )
        page.goto(f"{consoles.washington.url}/")
        alarm = page.locator("[data-testid=alarm]").filter(
            has_text="Ни один маршрут к Moscow не работает"
        )
        expect(alarm.first).to_be_visible()
        technical = alarm.first.locator(".alarm-technical")
        expect(technical).to_be_visible()
        expect(technical).to_have_attribute("lang", "en")
        expect(technical).to_contain_text("down")
    finally:
        set_language(page, "en")
        consoles.heal(0)
        consoles.heal(1)
        wait_for(consoles.line_up, what="the line up again", timeout=30)


def test_the_listening_side_names_its_own_addresses_and_the_peers_test(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    dialer = consoles.console(consoles.dialer)
    listener_party = "Moscow" if consoles.dialer == "Washington" else "Washington"
    listener = consoles.console(listener_party)
    results = dialer.run_tests()
    assert results
    assert all(result["ok"] for result in results), results
    user = "mos-op" if listener_party == "Moscow" else "wash-op"
    page = open_as(user)
    set_language(page, "en")
    page.goto(f"{listener.url}/")
    card = page.locator(f"[data-testid=peer-{consoles.dialer}]")
    routes = card.locator("[data-testid=route]")
    expect(routes).to_have_count(2)
    for index in range(2):
        route = routes.nth(index)
        expect(route.locator(".route-role")).to_contain_text(
            f"our address; {consoles.dialer} dials it"
        )
        expect(route.locator("[data-testid=route-peer-test]")).to_contain_text(
            f"{consoles.dialer}'s test arrived at"
        )
    # The dialing side names no address as its own.
    page = open_as("wash-op" if consoles.dialer == "Washington" else "mos-op")
    page.goto(f"{dialer.url}/")
    role = page.locator(f"[data-testid=peer-{listener_party}] .route-role").first
    expect(role).to_have_text(re.compile(r"^(carrying|standby)$"))


def test_a_refusal_reads_in_the_readers_language(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    """The terminal refuses a text with a right-to-left override: said in Russian, detail kept."""
    page = open_as("wash-a11y")
    set_language(page, "ru")
    try:
        page.goto(f"{consoles.washington.url}/traffic")
        page.select_option("#compose-to", "Moscow")
        page.fill("#compose-text", "evil \u202e txet")
        page.click("#compose-send")
        result = page.locator("#compose-result")
        expect(result).to_contain_text("Терминал отклонил введённые данные.")
        expect(result).to_contain_text("U+202E")  # the terminal's own words, for whoever digs
    finally:
        set_language(page, "en")
