# ruff: noqa: RUF001
# Russian words and the multiplication sign are what these renderings must say.
"""A formatted notification in a real browser: the generated form, inline errors, arrival in Russian.

Washington's operator fills the ``flight`` form that notify.js generates from
the format's schema (no hand-written form exists): first with one bad field,
which the terminal refuses and the form shows beside that field, with nothing
sent; then corrected, and sent. Moscow's operator, reading Russian, sees the
notice arrive live in the traffic view under its Russian title, opens it and
reads every field rendered in Russian from the data.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable

from hotline.formats import LABELS, TITLES

from .harness import ConsolePair
from .pages import (
    fill_flight,
    mark_page,
    message_row,
    notify_field,
    open_message,
    page_was_kept,
    require_browser,
    set_language,
)

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page, expect  # noqa: E402


def test_a_flight_notice_from_the_generated_form_reaches_moscow_in_russian(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    washington = open_as("wash-op")
    moscow = open_as("mos-op")
    set_language(washington, "en")
    set_language(moscow, "ru")
    aircraft = f"Tu-95MS {uuid.uuid4().hex[:6]}"
    try:
        moscow.goto(f"{consoles.moscow.url}/traffic")
        mark_page(moscow)
        washington.goto(f"{consoles.washington.url}/traffic")
        washington.click("#nav-notify")
        expect(washington.locator("#notify-fields [data-field]").first).to_be_attached()
        sent_before = len(consoles.washington.messages(direction="out"))

        # One bad field: refused by the terminal, shown beside it, nothing sent.
        fill_flight(washington, aircraft=aircraft, count="0")
        with washington.expect_response(lambda r: r.url.endswith("/api/notifications")) as answer:
            washington.click("#notify-send")
        assert answer.value.status == 422
        error = washington.locator('[data-field="count"] > .field-error')
        expect(error).to_be_visible()
        expect(error).to_have_text("must be at least 1")
        expect(washington.locator("#notify-errors")).to_be_visible()
        expect(washington.locator('#notify-errors li[data-field="count"]')).to_have_count(1)
        expect(washington.locator(".field-error:visible")).to_have_count(1)  # only that one
        assert len(consoles.washington.messages(direction="out")) == sent_before

        # Corrected and sent.
        washington.fill(notify_field("count"), "2")
        washington.click("#notify-send")
        result = washington.locator("#notify-result")
        expect(result).to_have_attribute("data-id", re.compile(r"^[0-9a-f]{32}$"))
        message_id = result.get_attribute("data-id")
        assert message_id is not None
        expect(washington.locator("#notify-errors")).to_be_hidden()
        [sent] = [m for m in consoles.washington.messages(direction="out") if m["id"] == message_id]
        assert sent["format"] == "flight"
        assert sent["data"]["count"] == 2
        assert sent["data"]["corridor"][1] == {"lat": 70.25, "lon": 40}

        # Live in Moscow's traffic view, under the Russian title, with no reload.
        row = message_row(moscow, message_id)
        expect(row.locator("[data-testid=format-badge]")).to_have_text(TITLES["flight"]["ru"])
        expect(row).to_have_attribute("data-format", "flight")
        expect(row).to_contain_text(aircraft)
        assert page_was_kept(moscow), "Moscow's traffic view was reloaded, not updated live"

        # The detail renders every field in Russian; the data is there, as it was signed.
        open_message(moscow, message_id)
        rendered = moscow.locator("#notification-rendered")
        expect(rendered).to_contain_text(f"{LABELS['aircraft_type']['ru']}: {aircraft}")
        expect(rendered).to_contain_text(f"{LABELS['aircraft_count']['ru']}: 2")
        expect(rendered).to_contain_text(f"{LABELS['closest_approach_km']['ru']}: 20 км")
        expect(rendered).to_contain_text("70,25° с. ш. 40° в. д.")
        expect(rendered).to_contain_text("23 ноября 2026 г., 14:00 UTC")
        data = moscow.locator("#notification-data [data-testid=notification-json]")
        expect(data).to_be_hidden()  # collapsed until asked for
        moscow.click("#notification-data summary")
        expect(data).to_be_visible()
        assert json.loads(data.inner_text())["aircraft_type"] == aircraft
    finally:
        set_language(moscow, "en")
