"""The Statements page in a real browser: texts side by side, a revision's difference, signing.

A statement circulates in a conference of at least three parties, so three
terminals of their own (Washington convenes London and Paris) run as ``hotline
run`` processes with their consoles, built as test_conferences.py builds its
trio; the shared pair is left alone. The draft and the revision go through the
control API (as ``hotline statement draft|revise`` would); Washington's
principal signs on the page with their password; London and Paris sign through
their own terminals, and the page turns to in force without a reload. The
second test does it all through the forms, one console a party in its own
language (EN, ID, RU): Washington drafts in two languages side by side, London
revises in the pre-filled form, all three sign on their pages; axe-core checks
each new page state for serious or critical violations.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from .a11y import AxeResult, run_axe
from .harness import Console, User, console_mesh, wait_for
from .pages import login, mark_page, page_was_kept, require_browser, set_language

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


#: Each party's console in its own language.
LANGUAGE = {"Washington": "en", "London": "id", "Paris": "ru"}
REVISED_EN = "The three governments call for calm and an immediate return to talks."


def _joined(console: Console) -> bool:
    with console.control() as client:
        return {m["answer"] for m in client.conference("quint")["members"]} == {
            "convener",
            "joined",
        }


def _no_serious_violation(results: dict[str, AxeResult]) -> None:
    for name, result in results.items():
        print(f"  {name:24} {result.figures()}")
    failures = [result.describe() for result in results.values() if result.blocking]
    assert not failures, "serious or critical axe violations:\n" + "\n".join(failures)


def test_draft_revise_and_sign_through_the_forms_on_three_consoles(
    trio: dict[str, Console], new_page: Callable[[], Page]
) -> None:
    with trio["Washington"].control() as client:
        client.create_conference("quint", ["London", "Paris"])
    wait_for(partial(_joined, trio["Washington"]), what="London and Paris to join")
    pages: dict[str, Page] = {}
    for party, _zone in PARTIES:
        pages[party] = new_page()
        login(pages[party], trio[party].url, PRINCIPALS[party])
        set_language(pages[party], LANGUAGE[party])
    results: dict[str, AxeResult] = {}

    # Washington drafts: one textarea per language, side by side.
    w = pages["Washington"]
    w.goto(f"{trio['Washington'].url}/statements")
    columns = w.locator("[data-testid=draft-column]")
    expect(columns).to_have_count(3)
    first, second = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
    assert first is not None
    assert second is not None
    assert (first["y"], first["x"] < second["x"]) == (second["y"], True), "not side by side"
    results["statements-draft-en"] = run_axe(w)
    w.fill("#statement-title", "Joint statement on the strait")
    w.fill("#draft-text-1", TEXTS["en"])
    w.fill("#draft-text-2", TEXTS["fr"])  # its language forgotten: refused, the texts kept
    w.click("#statement-draft")
    expect(w.locator("#statement-draft-error")).to_contain_text("column 2")
    expect(w.locator("#draft-text-2")).to_have_value(TEXTS["fr"])
    results["statements-draft-refused-en"] = run_axe(w)
    w.fill("#draft-language-2", "fr")
    w.fill("#statement-authoritative", "en")
    w.click("#statement-draft")
    w.wait_for_url(re.compile(r"/statements/[0-9a-f]{64}$"))
    statement = w.url.rsplit("/", 1)[1]
    expect(w.locator("[data-testid=statement-text]")).to_have_count(2)
    expect(w.locator("[data-testid=authoritative]")).to_be_visible()

    # London revises the English text in the form pre-filled with the current draft.
    wait_for(lambda: _drafts(trio["London"], statement) == 1, what="the draft at London")
    lon = pages["London"]
    lon.goto(f"{trio['London'].url}/statements/{statement}")
    expect(lon.locator("[data-testid=revise-column]")).to_have_count(3)
    expect(lon.locator("#revise-text-1")).to_have_value(TEXTS["en"])
    expect(lon.locator("#revise-text-2")).to_have_value(TEXTS["fr"])
    expect(lon.locator("#revise-text-1")).to_have_attribute("lang", "en")
    results["statement-revise-id"] = run_axe(lon)
    lon.click("#statement-revise")  # nothing changed: refused, said in Indonesian's page
    expect(lon.locator("#statement-revise-error")).to_contain_text("changes no text")
    results["statement-revise-refused-id"] = run_axe(lon)
    lon.fill("#revise-text-1", REVISED_EN)
    lon.click("#statement-revise")
    lon.wait_for_url(f"**/statements/{statement}")
    expect(lon.locator("[data-testid=statement-revision]")).to_have_count(2)
    diff = lon.locator('[data-testid=statement-diff][data-language="en"]')
    expect(diff.locator("del")).to_contain_text(["restraint"])
    expect(diff.locator("ins").first).to_contain_text("calm")
    for party in ("Washington", "Paris"):
        wait_for(
            partial(lambda c: _drafts(c, statement) == 2, trio[party]),
            what=f"the revision at {party}",
        )

    # Each signs the revision on its own console with the person's password.
    for party, _zone in PARTIES:
        page = pages[party]
        page.goto(f"{trio[party].url}/statements/{statement}")
        expect(page.locator("#statement-current")).to_have_text(
            page.locator("[data-testid=statement-revision]").first.get_attribute("data-draft") or ""
        )
        if party == "Paris":
            results["statement-sign-ru"] = run_axe(page)
        page.fill("#statement-password", PRINCIPALS[party].password)
        page.click("#statement-sign")
        expect(page.locator("#statement-signed-by-me")).to_be_visible()
        mark_page(page)
    for party, _zone in PARTIES:
        page = pages[party]
        expect(page.locator("#statement-banner")).to_have_attribute(
            "data-state", "in-force", timeout=20_000
        )
        expect(page.locator('[data-testid=statement-party][data-signed="true"]')).to_have_count(3)
        assert page_was_kept(page), f"{party}'s page was reloaded, not updated live"
        wait_for(
            partial(_state_is, trio[party], statement, "in-force"), what=f"in force at {party}"
        )
    # In force: neither form is offered any more.
    expect(pages["Paris"].locator("#statement-revise-form")).to_have_count(0)
    results["statement-in-force-ru"] = run_axe(pages["Paris"])
    print("\naxe, the statement forms:")
    _no_serious_violation(results)
