"""The multilateral crisis of issue 17, end to end through real processes and the CLI.

Moscow, Washington, London and Paris in a full mesh on loopback: Moscow's defence minister
sends one FLASH to the three; the three Western parties hold a conference; one message is
eyes-only for a named person; one is embargoed, then released. Every store verifies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .helpers import TerminalProcess, hotline, make_mesh, wait_for

PARTIES = ("Moscow", "Washington", "London", "Paris")


@pytest.fixture
def mesh(tmp_path: Path) -> Iterator[dict[str, TerminalProcess]]:
    terminals = make_mesh(tmp_path, PARTIES)
    try:
        for terminal in terminals.values():
            terminal.start()
        yield terminals
    finally:
        for terminal in terminals.values():
            terminal.stop()


def _messages(terminal: TerminalProcess) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = json.loads(
        hotline("messages", terminal.directory, "--json").stdout
    )
    return shown


def _incoming(terminal: TerminalProcess, **match: Any) -> dict[str, Any] | None:
    for message in _messages(terminal):
        if message["direction"] == "in" and all(message[k] == v for k, v in match.items()):
            return message
    return None


def test_four_parties_flash_conference_eyes_only_and_a_release(
    mesh: dict[str, TerminalProcess],
) -> None:
    moscow, washington, london, paris = (mesh[p] for p in PARTIES)

    # 1. One FLASH from Moscow to the three capitals: one payload, three lines.
    group = hotline(
        "send", moscow.directory, "--to", "Washington", "--to", "London", "--to", "Paris",
        "--precedence", "flash", "--wait", "A launch from the Barents Sea region is not ours.",
    ).stdout.strip()  # fmt: skip
    copies = [m for m in _messages(moscow) if m["group"] == group]
    assert sorted(m["peer"] for m in copies) == ["London", "Paris", "Washington"]
    payload = copies[0]["payload_hash"]
    for side in (washington, london, paris):
        wait_for(lambda side=side: _incoming(side, group=group) is not None, what="the FLASH")  # type: ignore[misc]
        flash = _incoming(side, group=group)
        assert flash is not None
        assert (flash["precedence"], flash["payload_hash"]) == ("flash", payload)
        assert sorted(flash["to"]) == ["London", "Paris", "Washington"]

    # 2. The three Western parties confer: a signed roster every member joins.
    hotline(
        "conference", "create", washington.directory, "western-three",
        "--party", "London", "--party", "Paris",
    )  # fmt: skip

    def joined() -> bool:
        shown = json.loads(
            hotline("conference", "show", washington.directory, "western-three", "--json").stdout
        )
        return all(m["answer"] == "joined" for m in shown["members"] if not m["us"])

    wait_for(joined, what="London and Paris joining")
    conferred = hotline(
        "send", washington.directory, "--conference", "western-three", "--wait",
        "Proposed reply to Moscow: the four ministers' call at 1500Z.",
    ).stdout.strip()  # fmt: skip
    for side in (london, paris):
        wait_for(
            lambda side=side: _incoming(side, group=conferred) is not None,  # type: ignore[misc]
            what="the conference message",
        )
        message = _incoming(side, group=conferred)
        assert message is not None
        assert message["conference"] is not None
    assert _incoming(moscow, group=conferred) is None  # not a member: nothing reached it

    # 3. Eyes only, for one named person at Washington.
    eyes_only = hotline(
        "send", london.directory, "--to", "Washington", "--eyes-only", "secretary", "--wait",
        "For the Secretary only: our ambassador's assessment.",
    ).stdout.strip()  # fmt: skip
    wait_for(lambda: _incoming(washington, id=eyes_only) is not None, what="the eyes-only text")
    shown = _incoming(washington, id=eyes_only)
    assert shown is not None
    assert shown["markings"] == {"eyes_only": ["secretary"]}

    # 4. Embargoed, then released by its sender: a public statement on both sides.
    until = (datetime.now(UTC) + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%MZ")
    embargoed = hotline(
        "send", paris.directory, "--to", "Moscow", "--embargoed-until", until, "--wait",
        "France will ask for an extraordinary session of the Security Council.",
    ).stdout.strip()  # fmt: skip
    wait_for(lambda: _incoming(moscow, id=embargoed) is not None, what="the embargoed text")
    release = json.loads(
        hotline(
            "release", paris.directory, embargoed, "--text", "France has asked for a session.",
            "--json",
        ).stdout
    )  # fmt: skip
    wait_for(
        lambda: (_incoming(moscow, id=embargoed) or {}).get("release") is not None,
        what="the release at Moscow",
    )
    released = _incoming(moscow, id=embargoed)
    assert released is not None
    assert released["release"]["released_by"] == "Paris"
    assert released["release"]["released_at"] == release["released_at"]

    for terminal in mesh.values():
        verified = hotline("verify", terminal.directory, check=False)
        assert verified.returncode == 0, verified.stdout + verified.stderr
