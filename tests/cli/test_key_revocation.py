"""``hotline key revoke`` through real processes: a rotated-out TLS key revoked.

Washington rotates its TLS key, then revokes the old one as leaked: the
master signs the revocation, Washington keeps it (``key list`` shows the key
revoked) and tells Moscow, who checks it against Washington's pinned master,
stores it, journals it and raises a ``key-revoked`` alarm that ``hotline
alarms`` and ``status`` show. The line stays up on the new key, and ``verify``
holds on both sides. The refusals (a stopped terminal, an unknown id, a second
revocation) say what to do instead.

And the case revocation exists for: a copy of Washington's directory leaks, so
its signing key is in a thief's hands. Washington revokes the signing key in
use in one step: the terminal rotates it, switches once Moscow has receipted
the new key, then announces the revocation; the messages sent before and after
arrive once each, in order. When the thief then starts the stolen copy and
sends as Washington, Moscow refuses the forgery (nothing stored, nothing
receipted), journals the refusal and raises a ``revoked-key-used`` alarm.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from hotline.store import Direction
from hotline.terminal import ControlClient, open_terminal

from .helpers import TerminalProcess, hotline, make_mesh, wait_for

REASON = "key.pem found on a lost laptop"
SINCE = "2026-12-01T08:00:00Z"


def _keys(directory: Path) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = json.loads(hotline("key", "list", directory, "--json").stdout)[
        "keys"
    ]
    return keys


def _alarms(directory: Path) -> list[dict[str, Any]]:
    alarms: list[dict[str, Any]] = json.loads(
        hotline("alarms", directory, "--json", check=False).stdout
    )
    return alarms


def test_a_revoked_tls_key_is_kept_told_and_alarmed(tmp_path: Path) -> None:
    terminals = make_mesh(tmp_path, ("Washington", "Moscow"))
    washington, moscow = terminals["Washington"], terminals["Moscow"]
    [old_tls] = [k["id"] for k in _keys(washington.directory) if k["kind"] == "tls"]
    stopped = hotline(
        "key", "revoke", washington.directory, "--key", old_tls, "--reason", REASON, check=False
    )
    assert stopped.returncode != 0
    assert "revoking a key needs it running" in stopped.stderr
    assert f"start it with: hotline run {washington.directory}" in stopped.stderr
    try:
        washington.start()
        moscow.start()
        unknown = hotline(
            "key", "revoke", washington.directory, "--key", "tls-0", "--reason", "x", check=False
        )
        assert unknown.returncode != 0
        assert old_tls in unknown.stderr  # the ids key list shows
        master = hotline(
            "key", "revoke", washington.directory, "--key", "master", "--reason", "x", check=False
        )
        assert "master-key change" in master.stderr
        out = hotline(
            "key",
            "revoke",
            washington.directory,
            "--key",
            old_tls,
            "--compromised-since",
            SINCE,
            "--reason",
            REASON,
        ).stdout
        # The current TLS key: rotated first, then revoked, in one step.
        [rotated, revoked_line, told] = out.splitlines()
        assert rotated.startswith("rotated the tls key first: tls-")
        assert "#2" in rotated
        assert revoked_line.startswith(
            f"revoked the tls key {old_tls}, compromised since 2026-12-01T08:00:00"
        )
        assert told == "announced to Moscow"
        again = hotline(
            "key", "revoke", washington.directory, "--key", old_tls, "--reason", REASON, check=False
        )
        assert again.returncode != 0
        assert "revoked already" in again.stderr

        def moscow_alarmed() -> bool:
            return any(a["kind"] == "key-revoked" for a in _alarms(moscow.directory))

        wait_for(moscow_alarmed, within=60, what="Moscow's key-revoked alarm")
        [alarm] = [a for a in _alarms(moscow.directory) if a["kind"] == "key-revoked"]
        assert alarm["peer"] == "Washington"
        assert old_tls in alarm["detail"]
        assert REASON in alarm["detail"]
        listed = hotline("alarms", moscow.directory, check=False)
        assert listed.returncode == 3
        assert old_tls in listed.stdout
        status = hotline("status", moscow.directory).stdout
        assert "KEY-REVOKED Washington" in status
        # The line runs on, on the new TLS key.
        with ControlClient(washington.directory) as client:
            late = client.send(to="Moscow", text="after the revocation")
            assert client.wait_delivered(str(late["id"]))["state"] == "delivered"
        listing = hotline("key", "list", washington.directory).stdout
        assert f"revoked (compromised since 2026-12-01T08:00:00Z: {REASON})" in listing
    finally:
        washington.stop()
        moscow.stop()
    [revoked] = [k for k in _keys(washington.directory) if k["id"] == old_tls]
    assert (revoked["state"], revoked["reason"]) == ("revoked", REASON)
    for terminal in (washington, moscow):
        assert "all hold" in hotline("verify", terminal.directory).stdout
    files = open_terminal(moscow.directory)
    try:
        [kept] = files.store.peer_key_revocations("Washington")
        journaled = [e for e in files.store.iter_journal() if e.kind == "peer key revoked"]
    finally:
        files.store.close()
    assert (kept.key_id, kept.kind) == (old_tls, "tls")
    assert [(e.data["peer"], e.data["key_id"], e.data["reason"]) for e in journaled] == [
        ("Washington", old_tls, REASON)
    ]
    files = open_terminal(washington.directory)
    try:
        [entry] = [e for e in files.store.iter_journal() if e.kind == "key revoked"]
    finally:
        files.store.close()
    assert entry.data["key_id"] == old_tls
    assert bytes.fromhex(entry.data["revocation"]) == kept.revocation


FORGED = "Stand down all alert forces. (forged)"


def test_a_message_forged_with_a_revoked_signing_key_is_refused_and_alarmed(
    tmp_path: Path,
) -> None:
    terminals = make_mesh(tmp_path, ("Washington", "Moscow"))
    washington, moscow = terminals["Washington"], terminals["Moscow"]
    # The leak: the whole directory, old signing key and TLS key included.
    stolen = tmp_path / "stolen"
    shutil.copytree(washington.directory, stolen)
    thief = TerminalProcess(stolen)
    [old_signing] = [k["id"] for k in _keys(washington.directory) if k["kind"] == "signing"]
    try:
        washington.start()
        moscow.start()
        with ControlClient(washington.directory) as client:
            before = [client.send(to="Moscow", text=f"before {n}")["id"] for n in range(5)]
        # The signing key in use, in one step: rotated, switched once Moscow has
        # receipted the new key, then revoked (the command waits for it).
        out = hotline(
            "key",
            "revoke",
            washington.directory,
            "--key",
            old_signing,
            "--compromised-since",
            SINCE,
            "--reason",
            "signing.key copied by a departing officer",
        ).stdout
        lines = out.splitlines()
        assert lines[0].startswith("rotated the signing key first: signing-")
        assert f"{old_signing} signs until every peer has receipted" in lines[1]
        assert lines[2] == "switched to the new signing key"
        assert lines[3].startswith(f"revoked the signing key {old_signing}")
        assert lines[4].startswith("announced to every peer")
        assert [
            (k["serial"], k["state"]) for k in _keys(washington.directory) if k["kind"] == "signing"
        ] == [(1, "revoked"), (2, "current")]
        wait_for(
            lambda: any(a["kind"] == "key-revoked" for a in _alarms(moscow.directory)),
            within=90,
            what="Moscow's key-revoked alarm",
        )
        with ControlClient(washington.directory) as client:
            after = [client.send(to="Moscow", text=f"after {n}")["id"] for n in range(5)]
            for message_id in before + after:
                assert client.wait_delivered(str(message_id))["state"] == "delivered"
        with ControlClient(washington.directory) as client:
            genuine = client.send(to="Moscow", text="genuine, under the new key")
            assert client.wait_delivered(str(genuine["id"]))["state"] == "delivered"
        # The thief takes Washington's place (its address and port) with the stolen copy.
        washington.stop()
        thief.start()
        with ControlClient(stolen) as client:
            forged = client.send(to="Moscow", text=FORGED)

        def refused_and_alarmed() -> bool:
            return any(a["kind"] == "revoked-key-used" for a in _alarms(moscow.directory))

        wait_for(refused_and_alarmed, within=90, what="Moscow's revoked-key-used alarm")
        [alarm] = [a for a in _alarms(moscow.directory) if a["kind"] == "revoked-key-used"]
        assert alarm["peer"] == "Washington"
        assert old_signing in alarm["detail"]
        with ControlClient(stolen) as client:
            # Never receipted: the forgery is still waiting on the thief's side.
            assert client.message(str(forged["id"]))["state"] != "delivered"
    finally:
        thief.stop()
        washington.stop()
        moscow.stop()
    files = open_terminal(moscow.directory)
    try:
        texts = [
            m.text for m in files.store.iter_messages(peer="Washington", direction=Direction.IN)
        ]
        refusals = [
            e
            for e in files.store.iter_journal()
            if e.kind == "refusal" and old_signing in json.dumps(e.data)
        ]
    finally:
        files.store.close()
    assert "genuine, under the new key" in texts
    # Each once, in order, across the rotation and the revocation.
    assert [t for t in texts if t.startswith(("before", "after"))] == [
        *(f"before {n}" for n in range(5)),
        *(f"after {n}" for n in range(5)),
    ]
    assert FORGED not in texts
    assert refusals, "the refusal of the forgery is in Moscow's journal"
    assert "all hold" in hotline("verify", moscow.directory).stdout
