"""Channels with their own people in a real browser: a member reads, a non-member does not.

An admin creates the channel on the Channels page; a message on it comes in
through the control socket. The member reads its text; the auditor, who is no
member, sees "restricted to channel …", and the text is in neither the page's
HTML nor the API's answer to their browser.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from hotline.terminal import ControlClient
from tests.cli.helpers import hotline

from .harness import ConsolePair, User, wait_for
from .pages import require_browser

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Page, expect  # noqa: E402

SECRET = "Chiefs only: the exercise is cancelled at 0400Z"
CHANNEL = "chiefs-browser"


def _add(consoles: ConsolePair, user: User) -> None:
    directory = consoles.console(user.party).directory
    password_file = directory.parent / f"{user.name}.password"
    password_file.write_text(user.password + "\n", encoding="utf-8")
    password_file.chmod(0o600)
    hotline(
        "user", "add", directory, user.name, "--role", user.role, "--password-file", password_file
    )
    consoles.users[user.name] = user


def test_a_member_reads_and_a_non_member_sees_only_that_traffic_exists(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    _add(consoles, User(name="wash-chan-admin", party="Washington", role="admin"))
    _add(consoles, User(name="wash-chan-member", party="Washington", role="principal"))

    admin = open_as("wash-chan-admin")
    admin.click("#nav-channels")
    admin.wait_for_url("**/channels")
    admin.fill("#channel-name", CHANNEL)
    admin.fill("#channel-members", "wash-chan-member:principal")
    admin.click("#channel-create")
    channel = admin.locator(f'[data-testid=channel][data-channel="{CHANNEL}"]')
    expect(channel.locator('[data-testid=member][data-user="wash-chan-member"]')).to_be_visible()

    # Moscow sends on the channel; Washington's console restricts it.
    moscow = consoles.console("Moscow")
    with ControlClient(moscow.directory, timeout=10) as client:
        sent = client.send(to="Washington", text=SECRET, channel=CHANNEL)
    washington = consoles.console("Washington")

    def arrived() -> bool:
        return any(m["id"] == sent["id"] for m in washington.messages())

    wait_for(arrived, what="Washington holds the message")

    member = open_as("wash-chan-member")
    member.goto(f"{consoles.url('wash-chan-member')}/messages/{sent['id']}")
    expect(member.locator(".message-text")).to_have_text(SECRET)

    for name in ("wash-auditor", "wash-chan-admin"):
        outsider = open_as(name)
        outsider.goto(f"{consoles.url(name)}/traffic")
        row = outsider.locator(f'[data-id="{sent["id"]}"]')
        expect(row).to_contain_text(f"restricted to channel {CHANNEL}")
        assert SECRET not in outsider.content()
        outsider.goto(f"{consoles.url(name)}/messages/{sent['id']}")
        expect(outsider.locator("[data-testid=restricted]")).to_be_visible()
        assert SECRET not in outsider.content()
        answer = outsider.request.get(f"{consoles.url(name)}/api/messages")
        assert answer.ok
        assert SECRET not in answer.text()
        [shown] = [m for m in json.loads(answer.text()) if m["id"] == sent["id"]]
        assert shown["restricted"] == f"restricted to channel {CHANNEL}"
