"""axe-core and the phone widths over the pages added after the first accessibility pass.

Conferences, a conference, Channels, Statements, a statement and the watch
floor, in EN/RU/ID: no serious or critical violation (the figures per page are
printed; docs/console.md records them), and none scrolls sideways at 360, 390
or 414 px.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from .a11y import LANGUAGES, PHONE_WIDTHS, AxeResult, run_axe
from .harness import User, console_mesh, wait_for
from .pages import login, require_browser, set_language

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page  # noqa: E402

#: Three terminals of their own (a conference needs two other parties); the shared
#: pair is left alone, so no other browser test meets a third peer.
PARTIES = (("Oslo", "Europe/Oslo"), ("Riga", "Europe/Riga"), ("Sofia", "Europe/Sofia"))
#: An administrator (Channels is theirs) who also reads every other page.
ADMIN = User(name="oslo-admin", party="Oslo", role="admin")


@dataclass(frozen=True, slots=True)
class Added:
    url: str
    conference: str
    statement: str


@pytest.fixture(scope="module")
def added(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Added]:
    """Three terminals; a conference of all three, and a statement drafted in it."""
    root = tmp_path_factory.mktemp("a11y-added")
    with console_mesh(root, PARTIES, [ADMIN]) as running:
        oslo = running["Oslo"]
        with oslo.control() as client:
            conference = client.create_conference("a11y", ["Riga", "Sofia"])

            def joined() -> bool:
                members = client.conference("a11y")["members"]
                return {m["answer"] for m in members} == {"convener", "joined"}

            wait_for(joined, what="Riga and Sofia to join")
            statement = client.draft_statement(
                conference=conference["id"],
                title="Joint statement on the line",
                texts={"en": "The three governments keep the line open."},
                authoritative="en",
            )["id"]
            sent = client.send(to="Riga", text="a11y: waiting", precedence="flash")
            client.wait_delivered(sent["id"])
        yield Added(url=oslo.url, conference=str(conference["id"]), statement=str(statement))


def _pages(added: Added) -> dict[str, str]:
    return {
        "conferences": "/conferences",
        "conference": f"/conferences/{added.conference}",
        "channels": "/channels",
        "statements": "/statements",
        "statement": f"/statements/{added.statement}",
        "floor": "/floor",
    }


def _settle(page: Page) -> None:
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_added_pages_pass_axe_and_fit_a_phone(
    new_page: Callable[[], Page], added: Added, language: str
) -> None:
    page = new_page()
    login(page, added.url, ADMIN)
    set_language(page, language)
    results: dict[str, AxeResult] = {}
    problems = []
    for name, path in _pages(added).items():
        page.set_viewport_size({"width": 1280, "height": 800})
        page.goto(added.url + path)
        _settle(page)
        results[name] = run_axe(page)
        for width in PHONE_WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                problems.append(f"{path} at {width}px: {overflow}px too wide")
    print(f"\naxe, the added pages, as an administrator, {language}:")
    for name, result in results.items():
        print(f"  {name:12} {result.figures()}")
    failures = [result.describe() for result in results.values() if result.blocking]
    assert not failures, "serious or critical axe violations:\n" + "\n".join(failures)
    assert not problems, f"{language}:\n" + "\n".join(problems)
