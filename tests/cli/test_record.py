"""The shared record through the CLI, with real processes, as a new user would drive it.

Two terminals exchange 200 messages both ways, some acknowledged; each
exports the line and ``hotline audit`` lists every message and exits 0; a
flipped byte or a removed entry makes it exit 1 naming what failed. A store
whose tail was cut off fails ``hotline verify``, naming the peer whose
cosignature shows the cut.
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hotline.terminal import ControlClient

from .helpers import TerminalProcess, hotline, wait_for

PASSWORD = "correct horse battery"


def record(terminal: TerminalProcess) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(hotline("record", terminal.directory, "--json").stdout)
    return result


def witnessed_up_to_now(terminal: TerminalProcess, peer: str) -> Callable[[], bool]:
    """True once the peer has cosigned a checkpoint covering everything journaled so far."""
    with ControlClient(terminal.directory) as client:
        client.status()
    target = len(list(_journal(terminal.directory)))

    def check() -> bool:
        cosigners = {c["peer"]: c for c in record(terminal)["cosigners"]}
        return peer in cosigners and cosigners[peer]["size"] >= target

    return check


def _journal(directory: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(f"file:{directory / 'hotline.db'}?mode=ro", uri=True) as db:
        return list(db.execute("SELECT seq, kind FROM journal ORDER BY seq"))


def _cut_tail(directory: Path, entries: int) -> None:
    """What someone with the database file does: drop the triggers, delete, put them back."""
    db = sqlite3.connect(directory / "hotline.db")
    triggers = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name IN ('journal', 'messages')"
    ).fetchall()
    for name, _ in triggers:
        db.execute(f'DROP TRIGGER "{name}"')
    [[last]] = db.execute("SELECT MAX(seq) FROM journal").fetchall()
    db.execute("DELETE FROM journal WHERE seq > ?", (last - entries,))
    db.execute("DELETE FROM messages WHERE rowid = (SELECT MAX(rowid) FROM messages)")
    for _, sql in triggers:
        db.execute(sql)
    db.commit()
    db.close()


def test_a_tail_cut_off_the_store_fails_verify_naming_the_witness(
    pair: tuple[TerminalProcess, TerminalProcess],
) -> None:
    washington, moscow = pair
    washington.start()
    moscow.start()
    with ControlClient(washington.directory) as client:
        for n in range(5):
            client.send(to="Moscow", text=f"Message {n}")
    wait_for(witnessed_up_to_now(washington, "Moscow"), within=90, what="Moscow to cosign")
    washington.stop()
    moscow.stop()
    assert hotline("verify", washington.directory).stdout.startswith("verified:")
    _cut_tail(washington.directory, 4)
    result = hotline("verify", washington.directory, check=False)
    assert result.returncode == 1
    assert "FAULT" in result.stdout
    assert "Moscow's cosignature" in result.stdout
    assert "cut off the end" in result.stdout


def test_two_hundred_messages_each_way_exported_and_audited(
    pair: tuple[TerminalProcess, TerminalProcess], tmp_path: Path
) -> None:
    washington, moscow = pair
    secret = tmp_path / "password.txt"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    for terminal in pair:
        hotline(
            "user", "add", terminal.directory, "duty", "--role", "operator",
            "--password-file", secret,
        )  # fmt: skip
    washington.start()
    moscow.start()
    sent: dict[str, list[str]] = {}
    for terminal, to in ((washington, "Moscow"), (moscow, "Washington")):
        with ControlClient(terminal.directory) as client:
            done = client.send_many(
                [{"to": to, "text": f"{to} line check {n}"} for n in range(200)]
            )
            sent[to] = [m["id"] for m in done]
    for terminal, to in ((washington, "Moscow"), (moscow, "Washington")):
        with ControlClient(terminal.directory) as client:
            for message_id in sent[to][-1:] + sent[to][:5]:
                client.wait_delivered(message_id, timeout=60)
    # A person at each end acknowledges a few of what they received.
    for terminal, received in ((moscow, sent["Moscow"]), (washington, sent["Washington"])):
        for message_id in received[:3]:
            hotline(
                "ack", terminal.directory, message_id, "--user", "duty",
                "--password-file", secret,
            )  # fmt: skip
    # The acknowledgements reach the senders (and their logs) before anything is exported.
    for terminal, to in ((washington, "Moscow"), (moscow, "Washington")):
        with ControlClient(terminal.directory) as client:
            for message_id in sent[to][:3]:
                wait_for(
                    lambda: client.message(message_id)["state"] == "acknowledged",  # noqa: B023
                    within=90,
                    what=f"the acknowledgement of {message_id}",
                )
    for terminal, peer in ((washington, "Moscow"), (moscow, "Washington")):
        wait_for(witnessed_up_to_now(terminal, peer), within=90, what=f"{peer} to cosign")
    bundles = {}
    for terminal, peer in ((washington, "Moscow"), (moscow, "Washington")):
        output = tmp_path / f"{terminal.directory.name}.json"
        hotline("export", terminal.directory, "--peer", peer, "--output", output)
        bundles[terminal.directory.name] = output
        card = tmp_path / f"{peer}.card"
        card.write_text(hotline("card", terminal.directory).stdout)
    for name, bundle in bundles.items():
        result = hotline("audit", bundle)
        assert result.returncode == 0, result.stdout + result.stderr
        for message_id in sent["Moscow"] + sent["Washington"]:
            assert message_id in result.stdout, f"{message_id} missing from the audit of {name}"
        assert "acknowledged by duty" in result.stdout
        assert json.loads(hotline("audit", bundle, "--json").stdout)["ok"] is True

    # Any byte changed, or an entry removed, is refused, naming what failed.
    bundle = bundles["washington"]
    document = json.loads(bundle.read_text())
    entries = document["log"]["entries"]
    tampered = tmp_path / "tampered.json"

    def audit_of(doc: dict[str, Any]) -> str:
        tampered.write_text(json.dumps(doc))
        result = hotline("audit", tampered, check=False)
        assert result.returncode == 1, result.stdout
        return result.stdout + result.stderr

    leaf = bytearray(base64.b64decode(entries[10]["leaf"]))
    leaf[-1] ^= 0x01
    flipped = json.loads(json.dumps(document))
    flipped["log"]["entries"][10]["leaf"] = base64.b64encode(bytes(leaf)).decode()
    assert "FAULT" in audit_of(flipped)
    removed = json.loads(json.dumps(document))
    del removed["log"]["entries"][20]
    assert "FAULT" in audit_of(removed)
    raw = bytearray(bundle.read_bytes())
    position = raw.index(b'"checkpoint"') + 40
    raw[position] = ord("A") if raw[position] != ord("A") else ord("B")
    tampered.write_bytes(bytes(raw))
    result = hotline("audit", tampered, check=False)
    assert result.returncode == 1
    assert "FAULT" in result.stdout + result.stderr
