"""Handling markings in a real browser, from the compose form to the other console.

Washington's operator writes an EYES ONLY message for one Moscow user, with an
embargo and a classification, on the traffic page's compose form; a time the
console cannot read is refused in the page with what was typed kept. In
Moscow's console the named reader sees the banner, the text and the embargo
counting down; another user sees the banner and that the text is withheld,
and the text is neither in the page nor in the API's answer to their browser.
Washington releases the message from its page; Moscow's traffic view, left
open, shows it released and readable without a reload.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from .harness import CLASSIFICATIONS, ConsolePair, User, _add_user, wait_for
from .pages import mark_page, page_was_kept, require_browser

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page, expect  # noqa: E402

SECRET = "Eyes only: the minister lands at Vnukovo at 1900Z"
READER = User(name="mos-eyes", party="Moscow", role="principal")


def test_eyes_only_embargo_and_classification_from_compose_to_release(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    _add_user(consoles.console("Moscow").directory, READER)
    consoles.users[READER.name] = READER
    classification = CLASSIFICATIONS[1]

    sender = open_as("wash-op")
    sender.goto(f"{consoles.url('wash-op')}/traffic")
    sender.select_option("#compose-to", "Moscow")
    sender.fill("#compose-text", SECRET)
    sender.fill("#compose-eyes-only", READER.name)
    sender.select_option("#compose-classification", classification)
    sender.fill("#compose-embargo", "tomorrow noon")
    sender.click("#compose-send")
    # Refused in the page, naming the marking; nothing typed is lost.
    expect(sender.locator("#compose-result")).to_contain_text("embargoed until 'tomorrow noon'")
    expect(sender.locator("#compose-text")).to_have_value(SECRET)
    expect(sender.locator("#compose-eyes-only")).to_have_value(READER.name)
    expect(sender.locator("#compose-classification")).to_have_value(classification)

    embargo = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%MZ")
    sender.fill("#compose-embargo", embargo)
    sender.click("#compose-send")
    result = sender.locator("#compose-result[data-id]")
    expect(result).to_have_count(1)
    sent_id = result.get_attribute("data-id")
    assert sent_id
    # Each message is marked afresh: the fields are empty again.
    expect(sender.locator("#compose-eyes-only")).to_have_value("")
    expect(sender.locator("#compose-embargo")).to_have_value("")
    own_row = sender.locator(f'[data-id="{sent_id}"] [data-testid=marking-banner]')
    expect(own_row).to_contain_text(f"EYES ONLY {READER.name}")

    moscow = consoles.console("Moscow")
    wait_for(lambda: any(m["id"] == sent_id for m in moscow.messages()), what="Moscow holds it")

    # The named reader: banner, text, and the embargo counting down live.
    reader = open_as(READER.name)
    reader.goto(f"{consoles.url(READER.name)}/messages/{sent_id}")
    banner = reader.locator("#marking-banner")
    expect(banner).to_contain_text(classification)
    expect(banner).to_contain_text(f"EYES ONLY {READER.name}")
    expect(banner).to_contain_text("EMBARGOED UNTIL")
    expect(reader.locator(".message-text")).to_have_text(SECRET)
    countdown = reader.locator("#embargo-countdown")
    expect(countdown).to_contain_text("Embargoed: public in 01:5")
    first = countdown.text_content()
    expect(countdown).not_to_have_text(first or "", timeout=5_000)

    # Another Moscow user: the banner and that the text is withheld; the text reaches
    # neither their page nor their browser's API answer.
    other = open_as("mos-op")
    other.goto(f"{consoles.url('mos-op')}/messages/{sent_id}")
    expect(other.locator("#marking-banner")).to_contain_text(f"EYES ONLY {READER.name}")
    expect(other.locator("#text-withheld")).to_be_visible()
    assert SECRET not in other.content()
    other.goto(f"{consoles.url('mos-op')}/traffic")
    row = other.locator(f'[data-id="{sent_id}"]')
    expect(row.locator("[data-testid=marking-banner]")).to_contain_text("Text withheld")
    expect(row.locator("[data-testid=embargo-countdown]")).to_be_visible()
    assert SECRET not in other.content()
    answer = other.request.get(f"{consoles.url('mos-op')}/api/messages")
    assert answer.ok
    assert SECRET not in answer.text()
    [shown] = [m for m in json.loads(answer.text()) if m["id"] == sent_id]
    assert shown["marking"]["readable"] is False
    mark_page(other)

    # The sender releases it: Moscow's open traffic view shows it public, without a reload.
    sender.goto(f"{consoles.url('wash-op')}/messages/{sent_id}")
    sender.fill("#release-text", "The minister will visit Moscow.")
    sender.click("#release")
    expect(sender.locator("#marking-banner")).to_contain_text("RELEASED")
    expect(row.locator("[data-testid=marking-banner]")).to_contain_text("RELEASED", timeout=20_000)
    expect(row.locator(".text-body")).to_have_text(SECRET)
    assert page_was_kept(other), "the traffic page was reloaded, not updated live"
