"""Handling markings and releases between two real terminals, through the CLI."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hotline.store import SQLiteStore

from .helpers import TerminalProcess, hotline, wait_for


def _agree(directory: Path, *classifications: str) -> None:
    """Set ``[markings] classifications`` in the terminal's hotline.toml."""
    config = directory / "hotline.toml"
    listed = ", ".join(json.dumps(c) for c in classifications)
    text = re.sub(
        r"^classifications = \[.*\]$",
        f"classifications = [{listed}]",
        config.read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    config.write_text(text, encoding="utf-8")


def _message(terminal: TerminalProcess, message_id: str) -> dict[str, Any] | None:
    result = hotline("messages", terminal.directory, "--json", check=False)
    if result.returncode != 0:
        return None
    for message in json.loads(result.stdout):
        if message["id"] == message_id:
            found: dict[str, Any] = message
            return found
    return None


def _journal_kinds(terminal: TerminalProcess) -> list[tuple[str, dict[str, Any]]]:
    store = SQLiteStore.open_existing(terminal.directory / "hotline.db")
    try:
        return [(entry.kind, entry.data) for entry in store.iter_journal()]
    finally:
        store.close()


def test_marked_message_arrives_intact_and_is_released(
    pair: tuple[TerminalProcess, TerminalProcess],
) -> None:
    washington, moscow = pair
    _agree(washington.directory, "RESTRICTED", "COSMIC")
    _agree(moscow.directory, "RESTRICTED")
    washington.start()
    moscow.start()
    until = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%MZ")
    sent = hotline(
        "send", washington.directory, "--to", "Moscow",
        "--eyes-only", "alice", "--eyes-only", "channel:ministers",
        "--embargoed-until", until, "--not-for-release",
        "--classification", "RESTRICTED", "--wait", "Hold the line",
    )  # fmt: skip
    message_id = sent.stdout.strip()
    wait_for(lambda: _message(moscow, message_id) is not None, what="the marked message")
    received = _message(moscow, message_id)
    assert received is not None
    assert received["markings"] == {
        "eyes_only": ["alice", "channel:ministers"],
        "embargoed_until": until[:-1] + ":00.000000Z",
        "not_for_release": True,
        "classification": "RESTRICTED",
    }
    assert received["release"] is None

    # A classification not agreed here is refused at send, naming the agreed ones.
    refused = hotline(
        "send", washington.directory, "--to", "Moscow", "--classification", "SECRET", "x",
        check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "'RESTRICTED', 'COSMIC'" in refused.stderr
    bad_time = hotline(
        "send", washington.directory, "--to", "Moscow", "--embargoed-until", "tomorrow", "x",
        check=False,
    )  # fmt: skip
    assert (bad_time.returncode, "embargoed until 'tomorrow'" in bad_time.stderr) == (1, True)

    # Moscow received it; release_by = "sender" (the default): only Washington may release.
    not_ours = hotline("release", moscow.directory, message_id, check=False)
    assert not_ours.returncode == 1
    assert "only its sender, Washington" in not_ours.stderr
    unknown = hotline("release", washington.directory, "no-such-id", check=False)
    assert (unknown.returncode, "no message with id" in unknown.stderr) == (1, True)

    released = hotline(
        "release", washington.directory, message_id, "--text", "The line held.", "--json"
    )
    release = json.loads(released.stdout)
    assert (release["message"], release["released_by"]) == (message_id, "Washington")
    again = hotline("release", washington.directory, message_id, check=False)
    assert (again.returncode, "already released" in again.stderr) == (1, True)
    wait_for(
        lambda: (_message(moscow, message_id) or {}).get("release") is not None,
        what="the release to reach Moscow",
    )
    shown = _message(moscow, message_id)
    assert shown is not None
    assert shown["release"] == {
        "released_by": "Washington",
        "released_at": release["released_at"],
        "public_text": "The line held.",
        "release_id": release["release_id"],
    }
    ours = _message(washington, message_id)
    assert ours is not None
    assert ours["release"] == shown["release"]

    # COSMIC is agreed at Washington, not at Moscow: kept there, and flagged.
    cosmic = hotline(
        "send", washington.directory, "--to", "Moscow", "--classification", "COSMIC", "--wait",
        "Flagged",
    ).stdout.strip()  # fmt: skip
    wait_for(lambda: _message(moscow, cosmic) is not None, what="the COSMIC message")
    entries = _journal_kinds(moscow)
    assert ("markings flagged", {
        "id": cosmic, "peer": "Washington", "classification": "COSMIC",
        "flag": "classification not agreed",
    }) in entries  # fmt: skip
    assert any(kind == "message released" and data["id"] == message_id for kind, data in entries)
