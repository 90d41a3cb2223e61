"""``hotline key rotate --which encryption`` through real processes, while messages flow both ways.

Washington rotates its encryption key a third of the way through 1,000
messages each way, Moscow two thirds of the way: nothing is lost, nothing
duplicated, everything arrives in order and is receipted, and no session
closes across a key change (judged from what each terminal journaled:
rotation_checks.py). Each side switches the key it seals to when the other's key event
arrives; from the switch on, every epoch secret (every body, for a version-2
envelope) it sends is sealed to the new key, which the old key does not open.
``hotline key list`` shows encryption #2 current and #1 superseded, the old
key is kept on disk, and ``hotline verify`` and an export's ``audit`` hold.
"""

from __future__ import annotations

import json
from pathlib import Path

from hotline.crypto import Envelope, Identity, open_envelope, open_envelope_ratcheted
from hotline.errors import DecryptionFailed
from hotline.store import Direction, PeerEncryptionKey
from hotline.terminal import ControlClient, open_terminal

from .helpers import TerminalProcess, hotline, make_mesh, wait_for
from .rotation_checks import assert_rotation_kept_the_line
from .test_key_rotation import _all_delivered, _texts

COUNT = 1000


def _encryption_keys(terminal: TerminalProcess) -> list[tuple[int, str]]:
    listed = json.loads(hotline("key", "list", terminal.directory, "--json").stdout)
    return [(k["serial"], k["state"]) for k in listed["keys"] if k["kind"] == "encryption"]


def _only(identity: Identity, index: int) -> Identity:
    """``identity`` with one of its encryption keys (0: current, 1: the one before)."""
    return Identity(
        party=identity.party,
        signing_key=identity.signing_key,
        encryption_key=identity.decryption_keys[index],
    )


def _opens(envelope: Envelope, recipient: Identity) -> bool:
    """Whether what was sealed to the recipient's key in ``envelope`` opens with ``recipient``."""
    try:
        if envelope.header.version == 3:
            open_envelope_ratcheted(envelope, recipient=recipient, chain=None)
        else:
            open_envelope(envelope, recipient=recipient)
    except DecryptionFailed:
        return False
    return True


def _check_sealing(
    sender: Path, receiver: Path, peer: str, party: str
) -> tuple[PeerEncryptionKey, int]:
    """Every envelope ``sender`` sealed after switching to ``receiver``'s new key is sealed to it.

    Returns the switch, and how many envelopes (epoch openers or HPKE bodies) were checked.
    """
    receiving = open_terminal(receiver)
    receiving.store.close()
    new_only, old_only = _only(receiving.identity, 0), _only(receiving.identity, 1)
    files = open_terminal(sender)
    try:
        [switch] = files.store.peer_encryption_keys(peer)
        assert switch.key == receiving.identity.encryption_public
        [peer_record] = [p for p in files.store.list_peers() if p.party == peer]
        assert peer_record.encryption_key == switch.key
        checked = 0
        for message in files.store.iter_messages(peer=peer, direction=Direction.OUT):
            envelope = Envelope.decode(message.envelope)
            if envelope.header.version == 3 and envelope.header.epoch_key is None:
                continue  # sealed under an epoch's chain: its opener was checked
            if message.created_at > switch.set_at:
                assert _opens(envelope, new_only), f"{message.id} not sealed to the new key"
                assert not _opens(envelope, old_only), f"{message.id} opens with the old key"
                checked += 1
            elif message.created_at < switch.set_at:
                assert _opens(envelope, old_only), f"{message.id} not sealed to the old key"
        switched = [
            e for e in files.store.iter_journal() if e.kind == "peer encryption key switched"
        ]
        assert [(e.data["peer"], e.data["serial"]) for e in switched] == [(party, 2)]
    finally:
        files.store.close()
    return switch, checked


def test_encryption_keys_rotate_on_both_sides_while_1000_messages_flow_each_way(
    tmp_path: Path,
) -> None:
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
                last_washington = to_moscow.send(to="Moscow", text=f"Washington {index}")
                last_moscow = to_washington.send(to="Washington", text=f"Moscow {index}")
                if index == COUNT // 3:
                    out = hotline(
                        "key", "rotate", washington.directory, "--which", "encryption"
                    ).stdout
                    assert "rotated the encryption key" in out
                    assert "announced to Moscow" in out
                if index == 2 * COUNT // 3:
                    result = json.loads(
                        hotline(
                            "key", "rotate", moscow.directory, "--which", "encryption", "--json"
                        ).stdout
                    )
                    assert [(k["kind"], k["serial"]) for k in result["keys"]] == [("encryption", 2)]
                    assert result["announced_to"] == ["Washington"]
            # Through the open clients: polling ``hotline messages`` would load the
            # machine the terminals share.
            for client, last in ((to_moscow, last_washington), (to_washington, last_moscow)):
                assert client.wait_delivered(str(last["id"]), timeout=300)["state"] == "delivered"
        wait_for(lambda: _all_delivered(washington), within=60, what="Washington's delivered")
        wait_for(lambda: _all_delivered(moscow), within=60, what="Moscow's delivered")
        # Nothing lost, nothing twice, in order, both ways.
        from_washington = [f"Washington {i}" for i in range(COUNT)]
        from_moscow = [f"Moscow {i}" for i in range(COUNT)]
        assert _texts(washington, "out") == from_washington
        assert _texts(moscow, "in") == from_washington
        assert _texts(moscow, "out") == from_moscow
        assert _texts(washington, "in") == from_moscow
    finally:
        washington.stop()
        moscow.stop()
    for terminal, peer in ((washington, "Moscow"), (moscow, "Washington")):
        assert _encryption_keys(terminal) == [(1, "superseded"), (2, "current")]
        assert (terminal.directory / "keys" / "encryption-1.key").exists()
        assert "all hold" in hotline("verify", terminal.directory).stdout
        bundle = tmp_path / f"{terminal.directory.name}.json"
        hotline("export", terminal.directory, "--peer", peer, "--output", bundle)
        assert "ALL HOLDS" in hotline("audit", bundle).stdout
        # No session closed across a rotation or a switch (nor for any reason one
        # could cause), as the terminal journaled it: the line never went down.
        assert assert_rotation_kept_the_line(terminal.directory, peer) >= 3
    # Each side seals to the other's new key from its switch on.
    _, checked = _check_sealing(moscow.directory, washington.directory, "Washington", "Washington")
    assert checked >= 1
    _, checked = _check_sealing(washington.directory, moscow.directory, "Moscow", "Moscow")
    assert checked >= 1
