"""The console in a real browser: two terminals, two operators, live traffic, a route cut.

Washington's and Moscow's terminals run as ``hotline run`` processes
(conftest.py, harness.py); each operator has a browser context of their own in
one headless chromium. Every wait is on the console's stable hooks, and every
"live" assertion also checks that the page was never reloaded.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from hotline.console.i18n import load_catalogues

from .harness import ConsolePair, User, lone_console
from .pages import (
    VIEWPORT,
    acknowledge,
    compose,
    mark_page,
    message_row,
    open_message,
    page_was_kept,
    require_browser,
    set_language,
)

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Browser, Page, expect  # noqa: E402

#: The issue asks for "within a second"; the bound leaves room for a loaded CI machine.
LIVE_WITHIN = 3.0
_CATALOGUES = load_catalogues()


def translated(language: str, msgid: str) -> str:
    """The console's own translation of ``msgid``, which must not still be the English."""
    text = _CATALOGUES.gettext(language, msgid)
    assert text != msgid, f"{msgid!r} is not translated into {language}"
    return text


def _send_and_see_live(
    consoles: ConsolePair, washington: Page, moscow: Page, text: str
) -> tuple[str, float]:
    """Washington sends a FLASH from /traffic; returns its id and the seconds until Moscow showed it."""
    moscow.goto(f"{consoles.moscow.url}/traffic")
    washington.goto(f"{consoles.washington.url}/traffic")
    mark_page(moscow)
    compose(washington, to="Moscow", text=text, precedence="flash", send=False)
    started = time.monotonic()
    washington.click("#compose-send")
    incoming = moscow.locator(
        '[data-testid=message][data-direction=in][data-precedence="flash"]', has_text=text
    )
    incoming.wait_for()
    elapsed = time.monotonic() - started
    message_id = incoming.get_attribute("data-id")
    assert message_id is not None
    assert page_was_kept(moscow), "Moscow's traffic view was reloaded, not updated live"
    return message_id, elapsed


def test_flash_appears_live_in_moscow_and_comes_back_acknowledged(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    washington = open_as("wash-op")
    moscow = open_as("mos-op")
    set_language(washington, "en")
    text = f"FLASH {uuid.uuid4().hex[:8]}: request a call between chiefs of staff at 1400Z."

    message_id, elapsed = _send_and_see_live(consoles, washington, moscow, text)
    print(f"\nFLASH appeared live in Moscow's traffic view {elapsed:.3f} s after the click")
    assert elapsed < LIVE_WITHIN
    expect(washington.locator("#compose-result")).to_contain_text(message_id)
    sent = message_row(washington, message_id)
    expect(sent).to_have_attribute("data-direction", "out")
    expect(sent).to_have_attribute("data-precedence", "flash")
    mark_page(washington)

    # Moscow's operator opens it and acknowledges.
    open_message(moscow, message_id)
    expect(moscow.locator("pre.message-text")).to_have_text(text)
    expect(moscow.locator("#signature-status")).to_have_attribute("data-status", "verified")
    acknowledge(moscow, "mos-op")
    expect(moscow.locator("#ack-status")).to_contain_text("acknowledged by mos-op")

    # Washington's traffic row turns acknowledged with no reload; the detail names who.
    expect(sent).to_have_attribute("data-state", "acknowledged")
    assert page_was_kept(washington), "Washington's traffic view was reloaded"
    open_message(washington, message_id)
    expect(washington.locator("#ack-status")).to_contain_text("acknowledged by mos-op")
    expect(washington.locator("#ack-status")).to_contain_text(re.compile(r"\d\d:\d\d"))
    expect(washington.locator("#receipt-status")).to_have_attribute("data-status", "verified")
    expect(washington.locator("pre.message-text")).to_have_text(text)


def test_the_same_flow_in_indonesian(consoles: ConsolePair, open_as: Callable[[str], Page]) -> None:
    washington = open_as("wash-op")
    moscow = open_as("mos-op-id")  # an account whose language is Indonesian
    nav_traffic = translated("id", "Traffic")  # "Lalu lintas"
    # "dikonfirmasi oleh %(name)s pada %(time)s": the words before the (literal) name.
    acknowledged_by = translated("id", "acknowledged by %(name)s at %(time)s")
    acknowledged_by = acknowledged_by.split("%(name)s")[0].strip()
    try:
        set_language(washington, "id")
        for page in (washington, moscow):
            expect(page.locator("html")).to_have_attribute("lang", "id")
            expect(page.locator("#nav-traffic")).to_have_text(nav_traffic)
        # Non-ASCII, punctuation and a second script: the text must come through untouched.
        text = f"KILAT {uuid.uuid4().hex[:8]}: mohon panggilan pukul 14.00Z — «срочно», 23/11."
        message_id, elapsed = _send_and_see_live(consoles, washington, moscow, text)
        print(
            f"\nFLASH (id) appeared live in Moscow's traffic view {elapsed:.3f} s after the click"
        )
        assert elapsed < LIVE_WITHIN
        mark_page(washington)
        open_message(moscow, message_id)
        expect(moscow.locator("pre.message-text")).to_have_text(text)
        acknowledge(moscow, "mos-op-id")
        expect(moscow.locator("#ack-status")).to_contain_text(f"{acknowledged_by} mos-op-id")

        expect(message_row(washington, message_id)).to_have_attribute("data-state", "acknowledged")
        assert page_was_kept(washington), "Washington's traffic view was reloaded"
        open_message(washington, message_id)
        status = washington.locator("#ack-status")
        expect(status).to_contain_text(f"{acknowledged_by} mos-op-id")
        expect(status).not_to_contain_text("acknowledged by")
        expect(washington.locator("pre.message-text")).to_have_text(text)
    finally:
        set_language(washington, "en")


def test_a_route_cut_changes_the_line_view(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    page = open_as("wash-op")
    page.goto(f"{consoles.washington.url}/")
    peer = page.locator("[data-testid=peer-Moscow]")
    routes = peer.locator("[data-testid=route]")
    expect(peer).to_have_attribute("data-state", "up")
    expect(routes).to_have_count(2)
    expect(peer.locator("[data-testid=route][data-state=up]")).to_have_count(2)
    expect(peer.locator('[data-testid=route][data-active="true"]')).to_have_count(1)
    mark_page(page)
    try:
        started = time.monotonic()
        consoles.cut(0)
        expect(peer).to_have_attribute("data-state", "degraded")
        print(f"\nline view showed the cut route after {time.monotonic() - started:.2f} s")
        lost = peer.locator(
            "[data-testid=route][data-state=down], [data-testid=route][data-state=silent]"
        )
        expect(lost).to_have_count(1)
        # The traffic has moved to the route that is left.
        expect(
            peer.locator('[data-testid=route][data-state=up][data-active="true"]')
        ).to_have_count(1)
    finally:
        started = time.monotonic()
        consoles.heal(0)
    # A dial hanging on the cut route may first run out its 10 s TLS handshake timeout.
    expect(peer).to_have_attribute("data-state", "up", timeout=20_000)
    print(f"line view showed the line up again {time.monotonic() - started:.2f} s after the heal")
    expect(peer.locator("[data-testid=route][data-state=up]")).to_have_count(2)
    assert page_was_kept(page), "the line view was reloaded, not updated live"


def test_an_auditor_has_no_compose_form_and_cannot_post(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    page = open_as("wash-auditor")
    page.goto(f"{consoles.washington.url}/traffic")
    expect(page.locator("#nav-traffic")).to_have_class(re.compile(r"\bcurrent\b"))
    expect(page.locator("#messages")).to_be_attached()
    for hook in ("#compose-to", "#compose-text", "#compose-send"):
        expect(page.locator(hook)).to_have_count(0)
    before = len(consoles.washington.messages(direction="out"))
    # What the compose form would send, with the session's own valid CSRF token: only the
    # role can be what refuses it.
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token
    response = page.request.post(
        f"{consoles.washington.url}/api/messages",
        data={
            "to": "Moscow",
            "channel": "leaders",
            "precedence": "flash",
            "text": "An auditor must not be able to send this.",
            "exercise": False,
        },
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
    )
    assert response.status == 403, response.text()
    assert len(consoles.washington.messages(direction="out")) == before


def test_six_wrong_passwords_show_the_rate_limit_message(browser: Browser, tmp_path: Path) -> None:
    user = User(name="wash-op", party="Washington", role="operator")
    with lone_console(tmp_path, [user]) as console:
        context = browser.new_context(viewport=VIEWPORT, ignore_https_errors=True)
        try:
            page = context.new_page()
            page.set_default_timeout(10_000)
            page.goto(f"{console.url}/login")
            statuses = []
            for attempt in range(6):
                page.fill("#login-name", user.name)
                page.fill("#login-password", f"wrong-password-{attempt}")
                with page.expect_response(
                    lambda r: r.request.method == "POST" and "/login" in r.url
                ) as answer:
                    page.click("#login-submit")
                statuses.append(answer.value.status)
                expect(page.locator("#login-error")).to_be_visible()
            assert statuses[-1] == 429, statuses
            assert 429 not in statuses[:-1], statuses
            expect(page.locator("#login-error")).to_contain_text("Too many failed logins")
            # While limited, even the right password is refused.
            page.fill("#login-name", user.name)
            page.fill("#login-password", user.password)
            with page.expect_response(
                lambda r: r.request.method == "POST" and "/login" in r.url
            ) as answer:
                page.click("#login-submit")
            assert answer.value.status == 429
            assert "/login" in page.url
        finally:
            context.close()
