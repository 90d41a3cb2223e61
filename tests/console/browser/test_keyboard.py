"""The console from the keyboard alone: live rows keep the focus, outcomes are announced.

The definition of done of issue 22, as a watch officer would do it: on a 390 px
screen in Russian, log in, compose, send, open and acknowledge with keys only,
with no sideways scroll.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from .harness import ConsolePair
from .pages import message_row, require_browser, set_language

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page, expect  # noqa: E402


def _focused(page: Page) -> str:
    """The focused element as ``tag#id[data-testid]`` (``body`` when nothing has it)."""
    return str(
        page.evaluate(
            """() => { const e = document.activeElement;
                return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                     + (e.dataset && e.dataset.testid ? '[' + e.dataset.testid + ']' : ''); }"""
        )
    )


def _tab_to(page: Page, selector: str, limit: int = 40) -> None:
    """Press Tab until ``selector`` has the focus (as a person would)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus; last: {_focused(page)}")


def test_a_skip_link_is_the_first_stop(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    page = open_as("wash-a11y")
    page.goto(f"{consoles.washington.url}/traffic")
    page.keyboard.press("Tab")
    assert _focused(page) == "a#skip-link"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # Past the header: the first stop after the skip is inside the page's own content.
    assert page.evaluate("document.getElementById('content').contains(document.activeElement)")


def test_live_updates_do_not_move_the_focus(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    moscow = open_as("mos-op")
    set_language(moscow, "en")
    moscow.goto(f"{consoles.moscow.url}/traffic")
    with consoles.washington.control() as client:
        first = client.send(to="Moscow", text=f"focus {uuid.uuid4().hex[:6]}")
    link = message_row(moscow, first["id"]).locator("a[data-testid=message-link]")
    link.focus()
    handle = link.element_handle()
    # New traffic arrives and is drawn live while the operator's focus is on a row.
    with consoles.washington.control() as client:
        second = client.send(to="Moscow", text=f"focus {uuid.uuid4().hex[:6]}")
    message_row(moscow, second["id"]).wait_for()
    moscow.wait_for_timeout(5500)  # past the 5 s re-read as well
    assert moscow.evaluate("(e) => document.activeElement === e", handle), _focused(moscow)


def test_message_links_have_distinct_names(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    page = open_as("wash-a11y")
    page.goto(f"{consoles.washington.url}/traffic")
    links = page.locator("#messages a[data-testid=message-link]")
    links.first.wait_for()
    names = [links.nth(i).get_attribute("aria-label") for i in range(links.count())]
    assert all(names), names
    assert len(set(names)) == len(names), names


def test_shortcut_help_opens_with_a_question_mark(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    page = open_as("wash-a11y")
    page.goto(f"{consoles.washington.url}/")
    page.keyboard.press("?")
    expect(page.locator("dialog#shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("dialog#shortcuts")).to_be_hidden()
    page.keyboard.press("c")
    page.wait_for_url(re.compile(r"/traffic"))
    assert _focused(page) == "textarea#compose-text"


def test_the_definition_of_done_in_russian_on_a_phone(
    consoles: ConsolePair, new_page: Callable[[], Page]
) -> None:
    """Log in, compose, send, open and acknowledge with the keyboard only, 390 px, Russian."""
    moscow = new_page()
    moscow.set_viewport_size({"width": 390, "height": 800})
    user = consoles.users["mos-op-ru"]
    moscow.goto(f"{consoles.moscow.url}/login")
    moscow.keyboard.type(user.name)  # the name field has the focus on arrival
    moscow.keyboard.press("Tab")
    moscow.keyboard.type(user.password)
    moscow.keyboard.press("Enter")
    moscow.wait_for_url(lambda url: "/login" not in url)
    expect(moscow.locator("html")).to_have_attribute("lang", "ru")

    # Compose and send to Washington from the keyboard: "c", type, Tab to Send, Enter.
    moscow.keyboard.press("c")
    moscow.wait_for_url(re.compile(r"/traffic"))
    text = f"Срочно {uuid.uuid4().hex[:6]}: прошу связи в 14.00Z."
    moscow.keyboard.type(text)
    _tab_to(moscow, "#compose-send")
    moscow.keyboard.press("Enter")
    result = moscow.locator("#compose-result")
    expect(result).to_have_attribute("data-id", re.compile(r"[0-9a-f]{32}"))
    assert _focused(moscow) == "textarea#compose-text"  # ready for the next, not lost to <body>
    expect(moscow.locator("#announcer")).to_contain_text(str(result.get_attribute("data-id")))

    # Washington answers; Moscow selects the reply with "j" and opens it with Enter.
    with consoles.washington.control() as client:
        reply = client.send(to="Moscow", text=f"reply {uuid.uuid4().hex[:6]}", precedence="flash")
    message_row(moscow, reply["id"]).wait_for()
    moscow.locator("#compose-text").blur()
    moscow.keyboard.press("j")  # FLASH first: the reply is the first row
    assert moscow.evaluate(
        "(id) => document.activeElement.closest('tr').dataset.id === id", reply["id"]
    )
    moscow.keyboard.press("Enter")
    moscow.wait_for_url(re.compile(rf"/messages/{reply['id']}$"))
    _tab_to(moscow, "#ack")
    moscow.keyboard.press("Enter")
    status = moscow.locator("#ack-status")
    expect(status).to_contain_text("mos-op-ru")
    moscow.wait_for_function("document.activeElement.id === 'ack-status'")
    expect(moscow.locator("#announcer")).to_contain_text("mos-op-ru")
    overflow = moscow.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
