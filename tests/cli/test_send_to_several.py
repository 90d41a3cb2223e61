"""``hotline send`` and ``hotline notify`` to several parties, through real processes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .helpers import TerminalProcess, hotline, wait_for


def _messages(terminal: TerminalProcess) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = json.loads(
        hotline("messages", terminal.directory, "--json").stdout
    )
    return shown


def test_one_message_to_two_parties_reaches_both_with_one_payload(
    trio: dict[str, TerminalProcess],
) -> None:
    washington, moscow, london = trio["Washington"], trio["Moscow"], trio["London"]
    sent = hotline(
        "send", washington.directory, "--to", "Moscow", "--to", "London", "--wait", "to both"
    )
    group_id = sent.stdout.strip()
    assert len(group_id) == 32
    assert "delivered to Moscow" in sent.stderr
    assert "delivered to London" in sent.stderr
    ours = [m for m in _messages(washington) if m["group"] == group_id]
    assert sorted(m["peer"] for m in ours) == ["London", "Moscow"]
    payload = {m["payload_hash"] for m in ours}
    assert len(payload) == 1
    # Every copy lists every recipient's state.
    for message in ours:
        assert sorted(r["party"] for r in message["recipients"]) == ["London", "Moscow"]
        assert {r["state"] for r in message["recipients"]} == {"delivered"}
        assert sorted(message["to"]) == ["London", "Moscow"]
    for side in (moscow, london):
        [received] = [m for m in _messages(side) if m["direction"] == "in"]
        assert received["text"] == "to both"
        assert received["group"] == group_id
        assert received["payload_hash"] in payload  # the same bytes as the other party's
        assert sorted(received["to"]) == ["London", "Moscow"]
        assert received["recipients"] == []
    status = json.loads(hotline("status", washington.directory, "--json").stdout)
    counts = {p["party"]: p["messages"] for p in status["peers"]}
    assert counts["Moscow"]["delivered"] + counts["Moscow"]["acknowledged"] >= 1
    assert counts["London"]["queued"] == 0
    text = hotline("status", washington.directory).stdout
    assert "sent to it:" in text


def test_an_unknown_party_anywhere_refuses_the_whole_send(
    trio: dict[str, TerminalProcess],
) -> None:
    washington = trio["Washington"]
    refused = hotline(
        "send", washington.directory, "--to", "Moscow", "--to", "Jakarta", "x", check=False
    )
    assert refused.returncode == 1
    assert "Jakarta" in refused.stderr
    assert "nothing was sent" in refused.stderr
    twice = hotline(
        "send", washington.directory, "--to", "Moscow", "--to", "Moscow", "x", check=False
    )
    assert twice.returncode == 1
    assert "--to Moscow given more than once" in twice.stderr
    assert _messages(washington) == []


def test_a_notification_to_several_parties_is_one_payload(
    trio: dict[str, TerminalProcess], tmp_path: Path
) -> None:
    washington, moscow, london = trio["Washington"], trio["Moscow"], trio["London"]
    data = tmp_path / "launch.json"
    data.write_text(json.dumps(_launch()), encoding="utf-8")
    group_id = hotline(
        "notify",
        washington.directory,
        "--to",
        "Moscow",
        "--to",
        "London",
        "--format",
        "launch",
        "--file",
        data,
    ).stdout.strip()
    for side in (moscow, london):
        wait_for(
            lambda side=side: any(m["group"] == group_id for m in _messages(side)),  # type: ignore[misc]
            what=f"the notification at {side.directory.name}",
        )
        [received] = [m for m in _messages(side) if m["group"] == group_id]
        assert received["format"] == "launch"
        assert received["kind"] == "notification"


def _launch() -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "window": {
            "start": (now + timedelta(hours=48)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "end": (now + timedelta(hours=50)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "launch_area": {"name": "Plesetsk"},
        "impact_area": {
            "circle": {"centre": {"lat": 67.5, "lon": 178.0}, "radius": 50, "unit": "km"}
        },
    }
