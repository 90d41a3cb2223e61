"""The reports page draws notifications per period and peer as an accessible SVG, beside a table."""

from __future__ import annotations

import re
from collections.abc import Callable

from .a11y import run_axe
from .pages import fill_flight, require_browser, set_language

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page, expect  # noqa: E402

from .harness import ConsolePair  # noqa: E402


def test_the_chart_shows_each_period_and_peer_with_its_table(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    page = open_as("wash-a11y")
    set_language(page, "en")
    page.goto(f"{consoles.washington.url}/notify")
    fill_flight(page, aircraft="Il-76", count="1")
    page.click("#notify-send")
    expect(page.locator("#notify-result")).to_have_attribute(
        "data-id", re.compile(r"^[0-9a-f]{32}$")
    )

    page.goto(f"{consoles.washington.url}/reports?period=day")
    chart = page.locator("[data-testid=report-chart]")
    svg = chart.locator("svg[role=img]")
    expect(svg).to_be_visible()
    # Named and described: its title, and a description naming the busiest period.
    title = svg.get_attribute("aria-labelledby")
    assert title == "report-chart-title report-chart-desc"
    expect(page.locator("#report-chart-title")).to_have_text(
        "Formatted notifications per period and peer"
    )
    expect(page.locator("#report-chart-desc")).to_contain_text("The table beside the chart")
    # The segments and the table beside them give the same figures as the counts table.
    moscow = chart.locator('[data-testid=chart-segment][data-peer="Moscow"]').last
    expect(moscow).to_be_attached()
    counted = sum(
        int(row.get_attribute("data-count") or 0)
        for row in page.locator('[data-testid=report-row][data-peer="Moscow"]').all()
        if row.get_attribute("data-period") == moscow.evaluate("e => e.parentNode.dataset.period")
    )
    assert int(moscow.get_attribute("data-count") or 0) == counted > 0
    table_row = chart.locator(
        f'[data-testid=chart-row][data-peer="Moscow"][data-count="{counted}"]'
    )
    expect(table_row).to_have_count(1)
    result = run_axe(page)
    assert not result.blocking, result.describe()
