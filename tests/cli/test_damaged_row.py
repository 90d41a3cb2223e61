"""A flipped byte in a stored message's text: the terminal starts, says so, and shows no content.

Issue 21, defect 5. Before the fix, ``hotline run`` refused to start ("could not
list messages: Could not decode to UTF-8 column 'text' with text '…'"), so the
line stayed down until someone repaired the file by hand, and every error
printed the damaged plaintext. Real processes throughout: Washington and Moscow
exchange a message each, Washington stops, one byte of its stored copy of the
message it sent is flipped in ``hotline.db``, and Washington starts again.
"""

from __future__ import annotations

import json
from pathlib import Path

from hotline.store import SQLiteStore
from hotline.terminal import ControlClient

from .helpers import TerminalProcess, hotline

_TEXT = "Secret plaintext of the first message"


def _alarms(terminal: TerminalProcess) -> list[dict[str, str]]:
    listed = hotline("alarms", terminal.directory, "--json", check=False)
    assert listed.returncode == 3, listed.stderr  # 3: alarms are open
    alarms: list[dict[str, str]] = json.loads(listed.stdout)
    return alarms


def _send(terminal: TerminalProcess, to: str, text: str) -> str:
    with ControlClient(terminal.directory) as client:
        message_id = str(client.send(to=to, text=text)["id"])
        assert client.wait_delivered(message_id)["state"] == "delivered"
    return message_id


def _flip_text_byte(database: Path, text: str) -> None:
    """Flip one byte of the row's ``text`` column on the disk (not UTF-8 any more).

    The record's columns are stored in order, ``text`` before ``body`` (which
    holds the same words in CBOR), so the first copy of the words is the column.
    """
    assert not database.with_name(database.name + "-wal").exists(), "the WAL was not checkpointed"
    data = bytearray(database.read_bytes())
    at = data.find(text.encode())
    assert at >= 0
    data[at + 6] = 0xFF
    database.write_bytes(bytes(data))


def test_a_damaged_message_text_does_not_stop_the_terminal(
    pair: tuple[TerminalProcess, TerminalProcess],
) -> None:
    washington, moscow = pair
    washington.start()
    moscow.start()
    damaged_id = _send(washington, "Moscow", _TEXT)
    _send(moscow, "Washington", "a reply")
    washington.stop()
    _flip_text_byte(washington.directory / "hotline.db", _TEXT)

    checked = hotline("verify", washington.directory, check=False)
    assert checked.returncode == 1
    assert f"message {damaged_id} (to Moscow, serial 1): stored text not UTF-8" in checked.stdout
    assert "Secret" not in checked.stdout + checked.stderr

    washington.start()
    alarms = _alarms(washington)
    (alarm,) = [a for a in alarms if a["kind"] == "store-damaged"]
    assert alarm["peer"] == "Moscow"
    assert damaged_id in alarm["detail"]
    assert "stored text not UTF-8; text recovered from its body" in alarm["detail"]

    # The text comes back from the signed body; the line goes on both ways.
    rows = json.loads(hotline("messages", washington.directory, "--json").stdout)
    assert {r["id"]: r["text"] for r in rows}[damaged_id] == _TEXT
    _send(washington, "Moscow", "after the damage, from Washington")
    _send(moscow, "Washington", "after the damage, from Moscow")

    # Started again: the alarm still open is not raised twice.
    washington.stop()
    washington.start()
    alarms = _alarms(washington)
    assert [a["kind"] for a in alarms].count("store-damaged") == 1
    washington.stop()

    store = SQLiteStore.open_existing(washington.directory / "hotline.db")
    try:
        entries = [e for e in store.iter_journal() if e.kind == "store damaged"]
    finally:
        store.close()
    assert [e.data["message"] for e in entries] == [damaged_id]
    assert entries[0].data["columns"] == ["text"]
    assert entries[0].data["recovered"] is True

    logs = washington.stderr() + (washington.directory / "terminal.log").read_text()
    assert "Secret" not in logs
    assert "store-damaged" in logs
