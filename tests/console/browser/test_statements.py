"""The Statements page in a real browser: texts side by side, a revision's difference, signing.

A statement circulates in a conference of at least three parties, so three
terminals of their own (Washington convenes London and Paris) run as ``hotline
run`` processes with their consoles, built as test_conferences.py builds its
trio; the shared pair is left alone. The draft and the revision go through the
control API (as ``hotline statement draft|revise`` would); Washington's
principal signs on the page with their password; London and Paris sign through
their own terminals, and the page turns to in force without a reload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from .harness import Console, User, console_mesh, wait_for
from .pages import login, mark_page, page_was_kept, require_browser

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page, expect  # noqa: E402

PARTIES = (
    ("Washington", "America/New_York"),
    ("London", "Europe/London"),
    ("Paris", "Europe/Paris"),
)
PRINCIPALS = {
    party: User(name=f"{party[:3].lower()}-principal", party=party, role="principal")
    for party, _ in PARTIES
}
TEXTS = {
    "en": "The three governments call for restraint and an immediate return to talks.",
    "fr": "Les trois gouvernements appellent à la retenue.",
}


@pytest.fixture
def trio(tmp_path: Path) -> Iterator[dict[str, Console]]:
    with console_mesh(tmp_path, PARTIES, list(PRINCIPALS.values())) as consoles:
        yield consoles


def _drafts(console: Console, statement: str) -> int:
    with console.control() as client:
        try:
            return len(client.statement(statement)["drafts"])
        except Exception:  # not arrived yet
            return 0


def _state(console: Console, statement: str) -> str:
    with console.control() as client:
        return str(client.statement(statement)["state"])


def _state_is(console: Console, statement: str, state: str) -> bool:
    return _state(console, statement) == state


def test_sign_on_the_page_and_see_it_come_into_force(
    trio: dict[str, Console], new_page: Callable[[], Page]
) -> None:
    washington = trio["Washington"]
    with washington.control() as client:
        conference = client.create_conference("quint", ["London", "Paris"])

        def joined() -> bool:
            members = client.conference("quint")["members"]
            return {m["answer"] for m in members} == {"convener", "joined"}

        wait_for(joined, what="London and Paris to join")
        statement = client.draft_statement(
            conference=conference["id"], title="Joint statement", texts=TEXTS, authoritative="en"
        )["id"]
    wait_for(lambda: _drafts(trio["London"], statement) == 1, what="the draft at London")
    with trio["London"].control() as client:
        client.revise_statement(
            statement, {"en": "The three governments call for calm and a return to talks."}
        )
    wait_for(lambda: _drafts(washington, statement) == 2, what="the revision at Washington")

    page = new_page()
    login(page, washington.url, PRINCIPALS["Washington"])
    page.click("#nav-statements")
    page.wait_for_url("**/statements")
    row = page.locator(f'[data-testid=statement-row][data-statement="{statement}"]')
    expect(row).to_have_attribute("data-state", "circulating")
    row.locator("a").click()
    page.wait_for_url(f"**/statements/{statement}")

    # Both languages side by side, English marked authoritative; the revision's difference.
    texts = page.locator("[data-testid=statement-text]")
    expect(texts).to_have_count(2)
    expect(texts.nth(0)).to_have_attribute("data-language", "en")
    expect(texts.nth(0).locator("[data-testid=authoritative]")).to_be_visible()
    expect(texts.nth(1)).to_contain_text("appellent à la retenue")
    first, second = texts.nth(0).bounding_box(), texts.nth(1).bounding_box()
    assert first is not None
    assert second is not None
    assert first["y"] == second["y"], "not side by side"
    assert first["x"] < second["x"], "the authoritative language is not first"
    diff = page.locator('[data-testid=statement-diff][data-language="en"]')
    expect(diff.locator("del")).to_contain_text(["restraint"])
    expect(diff.locator("ins").first).to_contain_text("calm")
    expect(page.locator('[data-testid=statement-party][data-party="London"]')).to_have_attribute(
        "data-signed", "false"
    )

    # A wrong password signs nothing and says so; the right one signs for Washington.
    page.fill("#statement-password", "not my password")
    page.click("#statement-sign")
    expect(page.locator("#statement-error")).to_be_visible()
    assert _state(washington, statement) == "circulating"
    page.fill("#statement-password", PRINCIPALS["Washington"].password)
    page.click("#statement-sign")
    expect(page.locator("#statement-signed-by-me")).to_be_visible()
    washington_row = page.locator('[data-testid=statement-party][data-party="Washington"]')
    expect(washington_row).to_have_attribute("data-signed", "true")
    expect(washington_row).to_contain_text("was-principal")
    assert _state(washington, statement) == "signed"
    mark_page(page)

    # London and Paris sign on their own terminals: the banner turns to in force, live.
    for party in ("London", "Paris"):
        wait_for(partial(_state_is, trio[party], statement, "signed"), what=f"{party} sees it")
        with trio[party].control() as client:
            client.sign_statement(
                statement, user=PRINCIPALS[party].name, password=PRINCIPALS[party].password
            )
    expect(page.locator("#statement-banner")).to_have_attribute(
        "data-state", "in-force", timeout=20_000
    )
    expect(page.locator(".statement-banner.in-force")).to_be_visible()
    expect(page.locator('[data-testid=statement-party][data-signed="true"]')).to_have_count(3)
    assert page_was_kept(page), "the statement page was reloaded, not updated live"
    for console in trio.values():
        wait_for(partial(_state_is, console, statement, "in-force"), what="in force everywhere")
