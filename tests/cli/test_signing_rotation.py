"""``hotline key rotate --which signing`` through real processes, while messages flow both ways.

Each side rotates its message-signing key mid-stream. The new key is
announced in a key event the old key signs; once the peer has receipted it,
everything (envelopes, receipts, checkpoints, cosignatures) is signed by the
new key and says so in ``"sk"``; the party's address (its first key) keeps
naming it. Nothing is lost or duplicated, everything arrives in order, every
receipt verifies, the line never drops; ``hotline verify`` holds on both
sides, and ``hotline key list`` shows signing #2 current, #1 superseded.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from hotline.crypto import Envelope, Receipt
from hotline.terminal import ControlClient, open_terminal
from hotline.terminal.record.audit import audit_bundle
from hotline.terminal.record.bundle import Bundle

from .helpers import TerminalProcess, hotline, make_mesh, wait_for
from .rotation_checks import assert_rotation_kept_the_line

COUNT = 1000


def _rows(terminal: TerminalProcess) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        hotline("messages", terminal.directory, "--json", "--limit", "100000").stdout
    )
    return rows


def _texts(terminal: TerminalProcess, direction: str) -> list[str]:
    # ``messages`` lists the newest first.
    rows = _rows(terminal)
    return [r["text"] for r in rows if r["kind"] == "text" and r["direction"] == direction][::-1]


def _all_delivered(terminal: TerminalProcess) -> bool:
    return all(r["state"] == "delivered" for r in _rows(terminal) if r["direction"] == "out")


def _signing_keys(terminal: TerminalProcess) -> list[tuple[int, str]]:
    listed = json.loads(hotline("key", "list", terminal.directory, "--json").stdout)
    return [(k["serial"], k["state"]) for k in listed["keys"] if k["kind"] == "signing"]


def _switched(terminal: TerminalProcess) -> bool:
    files = open_terminal(terminal.directory)
    try:
        return any(e.kind == "signing key switched" for e in files.store.iter_journal())
    finally:
        files.store.close()


def test_signing_keys_rotate_on_both_sides_while_messages_flow(tmp_path: Path) -> None:
    terminals = make_mesh(tmp_path, ("Washington", "Moscow"))
    washington, moscow = terminals["Washington"], terminals["Moscow"]
    try:
        washington.start()
        moscow.start()
        with (
            ControlClient(washington.directory) as to_moscow,
            ControlClient(moscow.directory) as to_washington,
        ):
            for index in range(COUNT):
                to_moscow.send(to="Moscow", text=f"Washington {index}")
                to_washington.send(to="Washington", text=f"Moscow {index}")
                if index == COUNT // 3:
                    out = hotline(
                        "key", "rotate", washington.directory, "--which", "signing"
                    ).stdout
                    assert "rotated the signing key" in out
                    assert "announced to Moscow" in out
                if index == 2 * COUNT // 3:
                    result = json.loads(
                        hotline(
                            "key", "rotate", moscow.directory, "--which", "signing", "--json"
                        ).stdout
                    )
                    assert [(k["kind"], k["serial"]) for k in result["keys"]] == [("signing", 2)]
                    assert result["announced_to"] == ["Washington"]
        wait_for(lambda: _all_delivered(washington), within=180, what="Washington's delivered")
        wait_for(lambda: _all_delivered(moscow), within=180, what="Moscow's delivered")
        for terminal in (washington, moscow):
            with ControlClient(terminal.directory) as client:
                assert [p["state"] for p in client.status()["peers"]] == ["up"]
        with ControlClient(washington.directory) as client:
            late = client.send(to="Moscow", text="on the new key")
            assert client.wait_delivered(str(late["id"]))["state"] == "delivered"
        wait_for(lambda: _switched(moscow), within=30, what="Moscow's switch")
        with ControlClient(moscow.directory) as client:
            late = client.send(to="Washington", text="Moscow on the new key")
            assert client.wait_delivered(str(late["id"]))["state"] == "delivered"
        from_washington = [f"Washington {i}" for i in range(COUNT)] + ["on the new key"]
        from_moscow = [f"Moscow {i}" for i in range(COUNT)] + ["Moscow on the new key"]
        # Nothing lost, nothing twice, in order, both ways.
        assert _texts(washington, "out") == from_washington
        assert _texts(moscow, "in") == from_washington
        assert _texts(moscow, "out") == from_moscow
        assert _texts(washington, "in") == from_moscow
    finally:
        washington.stop()
        moscow.stop()
    for terminal, peer in ((washington, "Moscow"), (moscow, "Washington")):
        assert _signing_keys(terminal) == [(1, "superseded"), (2, "current")]
        assert "all hold" in hotline("verify", terminal.directory).stdout
        # The export carries the rotations' certificates: its audit holds offline,
        # and names the key that signed each message after the switch.
        bundle = tmp_path / f"{terminal.directory.name}.json"
        hotline("export", terminal.directory, "--peer", peer, "--output", bundle)
        audited = hotline("audit", bundle).stdout
        assert "ALL HOLDS" in audited
        report = json.loads(hotline("audit", bundle, "--json").stdout)
        signed_by = {m["sender"]: m["signed_by"] for m in report["messages"] if m["signed_by"]}
        assert set(signed_by) == {"Washington", "Moscow"}
        assert all(key.startswith("signing-") for key in signed_by.values())
        assert f"signed by {peer}'s key {signed_by[peer]}" in audited
        # Without the peer's certificate the bundle does not hold: what its new key
        # signed is covered by no certificate of the peer's.
        exported = Bundle.decode(bundle.read_bytes())
        stripped = replace(
            exported,
            entries=tuple(e for e in exported.entries if b"peer key certified" not in e.leaf),
        )
        flagged = audit_bundle(stripped)
        assert flagged.fault is not None
        assert peer in flagged.fault
        files = open_terminal(terminal.directory)
        try:
            address = files.identity.signing_public
            # Signing with the new key, named by the old one.
            assert files.identity.signer_public != address
            [kept] = files.store.peer_key_certificates(peer)
            assert (kept.kind, kept.serial) == ("signing", 2)
            journal = list(files.store.iter_journal())
            sent = files.store.outgoing_after(peer, after_serial=0, limit=100000)
        finally:
            files.store.close()
        # Before the switch the old key signed (no "sk"), after it the new one.
        signers = [Envelope.decode(m.envelope).header.signer for m in sent]
        assert signers[0] is None
        assert signers[-1] == files.identity.signer_public
        first_new = signers.index(files.identity.signer_public)
        assert all(s is None for s in signers[:first_new])
        assert all(s == files.identity.signer_public for s in signers[first_new:])
        assert all(Envelope.decode(m.envelope).header.sender == address for m in sent)
        # Every receipt was verified, none refused; the line never dropped.
        assert not [e for e in journal if e.kind == "refusal"]
        # No session closed across a rotation or a switch (nor for any reason one
        # could cause), as the terminal journaled it: the line never went down.
        assert assert_rotation_kept_the_line(terminal.directory, peer) >= 3
        assert [e.data["kind"] for e in journal if e.kind == "key rotated"] == ["signing"]
        assert [e.data["kind"] for e in journal if e.kind == "peer key certified"] == ["signing"]
        # The peer receipted with its new key too ("sk" in the receipt).
        receipts = [Receipt.decode(m.receipt) for m in sent if m.receipt]
        assert receipts[-1].signer is not None
        assert receipts[-1].recipient != receipts[-1].signer
