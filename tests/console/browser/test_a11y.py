"""axe-core (WCAG 2.1 AA and best practices) over every page, logged in and out, in EN/RU/ID.

The suite fails on any serious or critical violation; the figures per page
(violating nodes by impact) are printed, and docs/console.md records them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from hotline.console import STATIC_DIR

from .a11y import LANGUAGES, AxeResult, run_axe
from .harness import ConsolePair
from .pages import login, require_browser, set_language

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page  # noqa: E402


@dataclass(frozen=True, slots=True)
class Traffic:
    """One message each way between Washington and Moscow, both delivered."""

    outgoing: str
    incoming: str


@pytest.fixture(scope="module")
def traffic(consoles: ConsolePair) -> Traffic:
    tag = uuid.uuid4().hex[:6]
    with consoles.washington.control() as client:
        out = client.send(to="Moscow", text=f"a11y {tag}: outgoing", precedence="flash")
    with consoles.moscow.control() as client:
        back = client.send(to="Washington", text=f"a11y {tag}: incoming")
    for console, message in ((consoles.washington, out), (consoles.moscow, back)):
        with console.control() as client:
            assert client.wait_delivered(message["id"])["state"] == "delivered"
    return Traffic(outgoing=out["id"], incoming=back["id"])


def _settle(page: Page) -> None:
    """Wait for the page's script to have drawn its live parts (rows, peers, clocks)."""
    page.wait_for_load_state("load")
    page.wait_for_function("document.readyState === 'complete'")
    page.wait_for_timeout(300)


def _pages(traffic: Traffic) -> dict[str, str]:
    """Every logged-in page, by name: path."""
    return {
        "line": "/",
        "traffic": "/traffic",
        "message-out": f"/messages/{traffic.outgoing}",
        "message-in": f"/messages/{traffic.incoming}",
        "notify": "/notify",
        "reports": "/reports",
        "calls": "/calls",
        "record": "/record",
        "shift": "/shift",
        # The list and its draft form; a statement's own page (revise and sign forms)
        # needs three parties: test_statements.py checks it with axe on its trio.
        "statements": "/statements",
        "not-found": "/messages/" + "0" * 32,
    }


def _check(results: dict[str, AxeResult]) -> None:
    for name, result in results.items():
        print(f"  {name:12} {result.figures()}")
    failures = [result.describe() for result in results.values() if result.blocking]
    assert not failures, "serious or critical axe violations:\n" + "\n".join(failures)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_serious_violation_logged_out(
    consoles: ConsolePair, new_page: Callable[[], Page], language: str
) -> None:
    page = new_page()
    results = {}
    page.goto(f"{consoles.washington.url}/login?lang={language}")
    _settle(page)
    results["login"] = run_axe(page)
    page.fill("#login-name", "nobody")
    page.fill("#login-password", "not-the-password")
    page.click("#login-submit")
    page.locator("#login-error").wait_for()
    results["login-refused"] = run_axe(page)
    print(f"\naxe, logged out, {language}:")
    _check(results)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_serious_violation_logged_in(
    consoles: ConsolePair, new_page: Callable[[], Page], traffic: Traffic, language: str
) -> None:
    page = new_page()
    login(page, consoles.washington.url, consoles.users["wash-a11y"])
    set_language(page, language)
    results = {}
    for name, path in _pages(traffic).items():
        page.goto(consoles.washington.url + path)
        _settle(page)
        results[name] = run_axe(page)
    print(f"\naxe, logged in as an operator, {language}:")
    _check(results)


#: Every class that colours a badge or a state, as console.css defines them.
_COLOURED = re.compile(
    r"^\.((?:state|precedence|meeting-is|outcome|call-state)-[a-z-]+"
    r"|overdue|exercise-label|format-badge|conflict-kind|user-role"
    r"|test-ok|test-stale|test-missed|check-verified|check-failed|check-none|field-error|form-error)\b",
    re.MULTILINE,
)


def coloured_classes() -> list[str]:
    css = (STATIC_DIR / "console.css").read_text(encoding="utf-8")
    return sorted(set(_COLOURED.findall(css)))


def test_every_badge_and_state_colour_has_aa_contrast(
    consoles: ConsolePair, new_page: Callable[[], Page]
) -> None:
    """Each colour class of console.css, as a badge on a panel and as plain text: at least 4.5:1."""
    classes = coloured_classes()
    assert {"precedence-flash", "state-down", "overdue", "test-missed"} <= set(classes)
    page = new_page()
    login(page, consoles.washington.url, consoles.users["wash-a11y"])
    page.goto(f"{consoles.washington.url}/shift")
    page.evaluate(
        """(classes) => {
            const panel = document.createElement('section');
            panel.className = 'panel';
            panel.id = 'swatches';
            for (const name of classes) {
                const badge = document.createElement('span');
                badge.className = 'badge ' + name;
                badge.textContent = 'badge ' + name;
                const text = document.createElement('p');
                text.className = name;
                text.textContent = 'text ' + name;
                panel.append(badge, text);
            }
            document.querySelector('main').append(panel);
        }""",
        classes,
    )
    page.emulate_media(reduced_motion="reduce")  # the OVERDUE badge's flash held still
    result = run_axe(page)
    contrast = [v for v in result.violations if v["id"] == "color-contrast"]
    assert not contrast, result.describe() + "\n" + repr(contrast)
