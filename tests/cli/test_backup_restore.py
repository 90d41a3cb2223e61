"""Back up a running terminal, lose it, restore it, and see it catch up with its peer.

Real ``hotline run`` processes throughout. Washington is backed up while both
terminals run and exchange messages; Moscow then sends more, which Washington
receipts. Washington's directory is wiped and restored from the archive: it
lacks what it received after the backup, and Moscow, holding Washington's
receipts for those, sees a peer that rewound and sends them again. Afterwards
both sides hold the same history, messages flow both ways, and ``hotline
verify`` holds on both.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

from hotline.terminal import ControlClient

from .helpers import TerminalProcess, hotline, wait_for


def _send(terminal: TerminalProcess, to: str, text: str) -> str:
    with ControlClient(terminal.directory) as client:
        message_id = str(client.send(to=to, text=text)["id"])
        assert client.wait_delivered(message_id)["state"] == "delivered"
    return message_id


def _history(terminal: TerminalProcess) -> set[tuple[str, str, str]]:
    """(id, direction, text) of every text message, from the CLI's JSON."""
    rows: list[dict[str, Any]] = json.loads(
        hotline("messages", terminal.directory, "--json").stdout
    )
    return {(r["id"], r["direction"], r["text"]) for r in rows if r["kind"] == "text"}


def _flip(direction: str) -> str:
    return {"out": "in", "in": "out"}[direction]


def test_a_terminal_restored_from_a_backup_catches_up_with_its_peer(
    pair: tuple[TerminalProcess, TerminalProcess], tmp_path: Path
) -> None:
    washington, moscow = pair
    washington.start()
    moscow.start()
    _send(washington, "Moscow", "before the backup, from Washington")
    _send(moscow, "Washington", "before the backup, from Moscow")

    archive = tmp_path / "washington.tar.gz"
    made = hotline("backup", washington.directory, "--output", archive)
    assert "backed up Washington" in made.stdout
    assert archive.stat().st_mode & 0o777 == 0o600

    # Received after the backup: lost with the directory, held (and receipted) by Moscow.
    after = [_send(moscow, "Washington", f"after the backup {n}") for n in range(3)]
    washington.stop()
    shutil.rmtree(washington.directory)

    hotline("restore", archive, washington.directory)
    # The backup's state, not the live one's: one message each way, and it holds.
    assert "1 sent, 1 received" in hotline("verify", washington.directory).stdout

    washington.start()
    wait_for(
        lambda: set(after) <= {r[0] for r in _history(washington)},
        what="Moscow to send again what Washington lost",
    )
    _send(washington, "Moscow", "after the restore, from Washington")
    _send(moscow, "Washington", "after the restore, from Moscow")

    ours = _history(washington)
    theirs = {(i, _flip(d), t) for i, d, t in _history(moscow)}
    assert ours == theirs
    assert len(ours) == 7
    for terminal in (washington, moscow):
        assert "all hold" in hotline("verify", terminal.directory).stdout


def test_restore_refuses_a_damaged_archive_and_a_non_empty_directory(
    pair: tuple[TerminalProcess, TerminalProcess], tmp_path: Path
) -> None:
    washington, _ = pair
    archive = tmp_path / "w.tar.gz"
    hotline("backup", washington.directory, "--output", archive)

    busy = hotline("restore", archive, washington.directory, check=False)
    assert busy.returncode == 1
    assert "not empty" in busy.stderr

    # Same manifest, one byte of the settings changed: refused, nothing left behind.
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive, "r:gz") as source, tarfile.open(damaged, "w:gz") as target:
        for member in source:
            data = source.extractfile(member)
            assert data is not None
            content = data.read()
            if member.name == "hotline.toml":
                content = content.replace(b"exercise = false", b"exercise = true ")
            target.addfile(member, io.BytesIO(content))
    refused = hotline("restore", damaged, tmp_path / "again", check=False)
    assert refused.returncode == 1
    assert "hotline.toml in the archive does not match" in refused.stderr
    assert not (tmp_path / "again").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".again")]
