"""A terminal restored from a backup older than its last sent messages takes up its chain again.

Real ``hotline run`` processes throughout. Washington is backed up, then sends
five messages that Moscow stores and receipts. Washington's directory is wiped
and restored from the archive: its store believes its last serial to Moscow is
the one before those five. Without a fix its next message would reuse a serial
Moscow holds (ReplayDetected) and the direction would stall for good. Moscow's
``resume`` names its last held serial from Washington and that envelope's hash;
Washington adopts that position (journal ``outgoing chain adopted``, alarm
``restored-behind``) and its next messages continue after the five.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from hotline.store import Direction, JournalEntry, SQLiteStore
from hotline.terminal import ControlClient

from .helpers import TerminalProcess, hotline, wait_for


def _send(terminal: TerminalProcess, to: str, text: str) -> str:
    with ControlClient(terminal.directory) as client:
        message_id = str(client.send(to=to, text=text)["id"])
        assert client.wait_delivered(message_id)["state"] == "delivered"
    return message_id


def _alarms(terminal: TerminalProcess) -> list[dict[str, Any]]:
    listed = hotline("alarms", terminal.directory, "--json", check=False)
    if listed.returncode == 0:
        return []
    assert listed.returncode == 3, listed.stderr  # 3: alarms are open
    alarms: list[dict[str, Any]] = json.loads(listed.stdout)
    return alarms


def _serials(terminal: TerminalProcess, peer: str, direction: Direction) -> list[int]:
    store = SQLiteStore.open(terminal.directory / "hotline.db")
    try:
        return [m.serial for m in store.iter_messages(peer=peer, direction=direction)]
    finally:
        store.close()


def _journal(terminal: TerminalProcess) -> list[JournalEntry]:
    store = SQLiteStore.open(terminal.directory / "hotline.db")
    try:
        return list(store.iter_journal())
    finally:
        store.close()


def _texts(terminal: TerminalProcess, direction: str) -> list[str]:
    rows: list[dict[str, Any]] = json.loads(
        hotline("messages", terminal.directory, "--json").stdout
    )
    return sorted(r["text"] for r in rows if r["kind"] == "text" and r["direction"] == direction)


def test_a_terminal_restored_behind_its_own_sent_messages_continues_after_them(
    pair: tuple[TerminalProcess, TerminalProcess], tmp_path: Path
) -> None:
    washington, moscow = pair
    washington.start()
    moscow.start()
    _send(washington, "Moscow", "before the backup")
    archive = tmp_path / "washington.tar.gz"
    hotline("backup", washington.directory, "--output", archive)

    # Sent and receipted after the backup: held by Moscow, lost with Washington's directory.
    after = [f"after the backup {n}" for n in range(5)]
    for text in after:
        _send(washington, "Moscow", text)
    washington.stop()
    shutil.rmtree(washington.directory)
    hotline("restore", archive, washington.directory)
    assert "1 sent, 0 received" in hotline("verify", washington.directory).stdout

    washington.start()
    wait_for(
        lambda: any(a["kind"] == "restored-behind" for a in _alarms(washington)),
        what="Washington to notice that Moscow holds more of its messages than it does",
    )
    (alarm,) = [a for a in _alarms(washington) if a["kind"] == "restored-behind"]
    assert alarm["peer"] == "Moscow"
    assert "5 message(s) we sent to Moscow (serials 2 to 6)" in alarm["detail"]

    later = [f"after the restore {n}" for n in range(3)]
    for text in later:
        _send(washington, "Moscow", text)

    # Moscow holds every message once, in one unbroken chain: 1, the five, then the three.
    assert _serials(moscow, "Washington", Direction.IN) == list(range(1, 10))
    assert _texts(moscow, "in") == sorted(["before the backup", *after, *later])
    # Washington holds what it kept and what it sent since, after the adopted gap.
    assert _serials(washington, "Moscow", Direction.OUT) == [1, 7, 8, 9]

    (adopted,) = [e.data for e in _journal(washington) if e.kind == "outgoing chain adopted"]
    assert adopted["peer"] == "Moscow"
    assert (adopted["held_here"], adopted["peer_holds"]) == (1, 6)
    for terminal in (washington, moscow):
        assert "all hold" in hotline("verify", terminal.directory).stdout
    assert "not held here: 5 message(s) to Moscow, serials 2 to 6" in (
        hotline("verify", washington.directory).stdout
    )
