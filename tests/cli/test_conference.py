"""``hotline conference`` and ``hotline send --conference``, through real processes."""

from __future__ import annotations

import json
from typing import Any

from .helpers import TerminalProcess, hotline, wait_for


def _show(terminal: TerminalProcess, ref: str = "ops") -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(
        hotline("conference", "show", terminal.directory, ref, "--json").stdout
    )
    return shown


def _answers(terminal: TerminalProcess) -> dict[str, str | None]:
    return {m["party"]: m["answer"] for m in _show(terminal)["members"]}


def test_a_conference_from_creation_to_roster_changes(trio: dict[str, TerminalProcess]) -> None:
    washington, moscow, london = trio["Washington"], trio["Moscow"], trio["London"]
    created = hotline(
        "conference",
        "create",
        washington.directory,
        "ops",
        "--party",
        "Moscow",
        "--party",
        "London",
    ).stdout
    assert created.startswith("conference ops  id ")
    assert "version 1, convened by Washington; we are the convener" in created
    wait_for(
        lambda: (
            _answers(washington)
            == {"Washington": "convener", "Moscow": "joined", "London": "joined"}
        ),
        what="both members to join",
    )
    conference_id = _show(washington)["id"]

    sent = hotline(
        "send", washington.directory, "--conference", "ops", "--wait", "to the conference"
    )
    group_id = sent.stdout.strip()
    assert len(group_id) == 32
    assert "delivered to Moscow" in sent.stderr
    assert "delivered to London" in sent.stderr
    [row] = _show(washington)["grid"]["messages"]
    assert row["group"] == group_id
    assert {party: cell["state"] for party, cell in row["cells"].items()} == {
        "Moscow": "delivered",
        "London": "delivered",
    }
    payload = row["payload_hash"]
    for member in (moscow, london):
        shown = _show(member, conference_id)
        assert shown["role"] == "member"
        assert shown["convener"] == "Washington"
        [received] = shown["grid"]["messages"]
        assert received["group"] == group_id
        assert received["from"] == "Washington"
        assert received["payload_hash"] == payload  # the same bytes as every other copy
    # A member writes to the conference: the convener and the other member get it.
    reply = hotline("send", moscow.directory, "--conference", "ops", "--wait", "Moscow here")
    assert "delivered to Washington" in reply.stderr
    assert "delivered to London" in reply.stderr
    human = hotline("conference", "show", washington.directory, "ops").stdout
    assert "Moscow" in human
    assert "joined" in human
    assert "messages (q queued" in human

    # Removing a party: version 2 reaches the remaining member and the removed one.
    removed = hotline(
        "conference", "remove", washington.directory, "ops", "--party", "London", "--json"
    )
    assert json.loads(removed.stdout)["version"] == 2
    wait_for(lambda: _show(london)["version"] == 2, what="London to hear it was removed")
    wait_for(lambda: _show(moscow)["version"] == 2, what="Moscow to get version 2")
    assert _show(london)["active"] is False
    refused = hotline("send", london.directory, "--conference", "ops", "x", check=False)
    assert refused.returncode == 1
    assert "no longer a member" in refused.stderr
    hotline("conference", "add", washington.directory, "ops", "--party", "London")
    wait_for(lambda: _show(london)["version"] == 3, what="London to be back in")
    assert _show(london)["active"] is True
    listed = hotline("conference", "list", moscow.directory).stdout
    assert "ops" in listed
    assert "v3" in listed


def test_bad_conferences_and_sends_are_refused(trio: dict[str, TerminalProcess]) -> None:
    washington = trio["Washington"]
    alone = hotline(
        "conference", "create", washington.directory, "ops", "--party", "Moscow", check=False
    )
    assert alone.returncode == 1
    assert "at least 2 other parties" in alone.stderr
    unknown = hotline(
        "conference",
        "create",
        washington.directory,
        "ops",
        "--party",
        "Jakarta",
        "--party",
        "Lima",
        check=False,
    )
    assert unknown.returncode == 1
    assert "Jakarta, Lima" in unknown.stderr
    assert hotline("conference", "list", washington.directory).stdout == "no conferences\n"
    both = hotline(
        "send", washington.directory, "--to", "Moscow", "--conference", "ops", "x", check=False
    )
    assert both.returncode == 2
    assert "not allowed with" in both.stderr
    nowhere = hotline("send", washington.directory, "--conference", "ops", "x", check=False)
    assert nowhere.returncode == 1
    assert "no conference named or with id 'ops'" in nowhere.stderr
