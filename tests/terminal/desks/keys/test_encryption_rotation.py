"""Rotating the encryption key: kept, announced, switched to by the peer, never switched back.

Washington rotates while messages flow both ways: it opens with the new key
and the old (Moscow seals to the old one until its key event arrives), Moscow
switches the key it seals to in the transaction that keeps the certificate,
ends its outgoing epoch so the next envelope opens one sealed to the new key,
and a replayed older certificate changes nothing. On disk the old key is kept
as ``keys/encryption-1.key`` (sealed like the rest), an interrupted rotation
is finished after its marker and left alone before it, and ``verify`` holds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotline.crypto import (
    Envelope,
    Identity,
    KeyCertificate,
    PeerCard,
    open_envelope_ratcheted,
)
from hotline.crypto.identity import ENCRYPTION_KEY_FILE
from hotline.errors import DecryptionFailed
from hotline.store import Direction, MessageRecord, MessageState
from hotline.terminal import Terminal, TerminalPaths, verify_store
from hotline.terminal.config.passphrase import Passphrase
from hotline.terminal.config.rotation_encryption import (
    ENCRYPTION_ROTATION_DIR,
    finish_encryption_rotation,
    retired_encryption_key_files,
    rotate_encryption,
)
from hotline.terminal.config.setup import init_terminal, open_terminal
from hotline.terminal.config.tiers import read_certificates
from hotline.terminal.desks.keys import KEY_EVENT_KIND, KeyDesk
from hotline.terminal.reseal import reseal_keys
from hotline.testing import run_virtual, virtual_clock
from tests.terminal.helpers import make_pair, make_terminal, refusals, wait_until

NOW = datetime(2026, 12, 2, tzinfo=UTC)
PASSPHRASE = b"correct horse battery staple"
NEW_PASSPHRASE = b"another horse, another staple"


def _out(terminal: Terminal, peer: str) -> list[MessageRecord]:
    return list(terminal.store.iter_messages(peer=peer, direction=Direction.OUT))


def _texts_in(terminal: Terminal, peer: str) -> list[str]:
    return [
        m.text
        for m in terminal.store.iter_messages(peer=peer, direction=Direction.IN)
        if m.kind == "text"
    ]


def _all_delivered(terminal: Terminal, peer: str) -> bool:
    return all(m.state is MessageState.DELIVERED for m in _out(terminal, peer))


def _only(party: str, identity: Identity, *, key_index: int) -> Identity:
    # An identity holding one of ``identity``'s encryption keys and no other.
    return Identity(
        party=party,
        signing_key=identity.signing_key,
        encryption_key=identity.decryption_keys[key_index],
    )


def test_an_encryption_key_rotated_mid_stream_is_switched_to_and_old_envelopes_open(
    tmp_path: Path,
) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        moscow = Terminal.open(moscow_dir, clock=virtual_clock())
        await washington.start()
        await moscow.start()
        try:
            for n in range(5):
                washington.send_text(to="Moscow", text=f"W before {n}")
                moscow.send_text(to="Washington", text=f"M before {n}")
            card_key = moscow.store.get_peer("Washington").encryption_key  # type: ignore[union-attr]
            rotation = washington.desk(KeyDesk).rotate("encryption")
            [certificate] = rotation.certificates
            assert (certificate.kind, certificate.serial) == ("encryption", 2)
            assert washington.identity.encryption_public == certificate.public_key
            assert len(washington.identity.previous_encryption_keys) == 1
            # The card handed out from now on carries the new key and its certificate.
            card = PeerCard.from_json(washington.card_json())
            assert card.encryption_key == certificate.public_key
            assert certificate in card.key_certificates
            # Sealed to the old key: Moscow has not heard of the new one yet.
            for n in range(5):
                moscow.send_text(to="Washington", text=f"M during {n}")
            await wait_until(
                lambda: bool(moscow.store.peer_encryption_keys("Washington")),
                what="Moscow switches to Washington's new encryption key",
            )
            [switch] = moscow.store.peer_encryption_keys("Washington")
            assert (switch.serial, switch.key) == (2, certificate.public_key)
            peer = moscow.store.get_peer("Washington")
            assert peer is not None
            assert peer.encryption_key == certificate.public_key
            assert moscow.lines["Washington"].peer.encryption_key == certificate.public_key
            switched_at = len(_out(moscow, "Washington"))
            for n in range(5):
                moscow.send_text(to="Washington", text=f"M after {n}")
                washington.send_text(to="Moscow", text=f"W after {n}")
            await wait_until(
                lambda: (
                    _all_delivered(moscow, "Washington") and _all_delivered(washington, "Moscow")
                ),
                what="every message delivered across the rotation",
            )
            assert _texts_in(washington, "Moscow") == [
                *(f"M before {n}" for n in range(5)),
                *(f"M during {n}" for n in range(5)),
                *(f"M after {n}" for n in range(5)),
            ]
            assert _texts_in(moscow, "Washington") == [
                *(f"W before {n}" for n in range(5)),
                *(f"W after {n}" for n in range(5)),
            ]
            # The first envelope after the switch opens a new epoch, its secret
            # sealed to the new key: the old key alone does not open it.
            first_after = Envelope.decode(_out(moscow, "Washington")[switched_at].envelope)
            assert first_after.header.epoch == first_after.header.serial
            assert first_after.header.epoch_key is not None
            new_only = _only("Washington", washington.identity, key_index=0)
            old_only = _only("Washington", washington.identity, key_index=1)
            body, _ = open_envelope_ratcheted(first_after, recipient=new_only, chain=None)
            assert body["text"] == "M after 0"
            with pytest.raises(DecryptionFailed):
                open_envelope_ratcheted(first_after, recipient=old_only, chain=None)
            assert old_only.encryption_public == card_key
            switched = [
                e for e in moscow.store.iter_journal() if e.kind == "peer encryption key switched"
            ]
            assert [(e.data["peer"], e.data["serial"]) for e in switched] == [("Washington", 2)]
            rotated = [e for e in washington.store.iter_journal() if e.kind == "key rotated"]
            assert [(e.data["kind"], e.data["serial"]) for e in rotated] == [("encryption", 2)]

            # A replayed older certificate (the card's, serial 1) is kept, not switched to.
            [old_certificate] = [
                c
                for c in read_certificates(TerminalPaths(washington_dir))
                if c.kind == "encryption" and c.serial == 1
            ]
            washington.outbox.queue(
                peer=washington.store.get_peer("Moscow"),  # type: ignore[arg-type]
                text="KEY ROTATED",
                kind=KEY_EVENT_KIND,
                extra_body={"op": "rotate", "certificates": [old_certificate.encode()]},
            )
            washington.lines["Moscow"].wake()
            await wait_until(
                lambda: len(moscow.store.peer_key_certificates("Washington")) == 2,
                what="Moscow keeps the replayed certificate",
            )
            assert [s.serial for s in moscow.store.peer_encryption_keys("Washington")] == [2]
            peer = moscow.store.get_peer("Washington")
            assert peer is not None
            assert peer.encryption_key == certificate.public_key
            assert not refusals(moscow.store)
        finally:
            await washington.stop()
            await moscow.stop()
        # Washington again, from its files: the new key current, the old one kept.
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        moscow = Terminal.open(moscow_dir, clock=virtual_clock())
        try:
            assert washington.identity.encryption_public == certificate.public_key
            [previous] = washington.identity.previous_encryption_keys
            assert previous.public_key().public_bytes_raw() == card_key
            for terminal in (washington, moscow):
                assert verify_store(terminal.store, terminal.identity).ok
        finally:
            washington.store.close()
            moscow.store.close()

    run_virtual(main())
    keys = TerminalPaths(washington_dir).keys
    assert [p.name for p in retired_encryption_key_files(keys)] == ["encryption-1.key"]
    assert not (keys / ENCRYPTION_ROTATION_DIR).exists()


def test_a_sealed_terminal_seals_the_new_key_and_opens_the_old_after_a_restart(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "washington"
    files = init_terminal(
        directory, party="Washington", listen=["127.0.0.1:1"], passphrase=PASSPHRASE
    )
    files.store.close()
    passphrase = Passphrase(secret=PASSPHRASE, source="test")
    plain = open_terminal(directory, passphrase=passphrase)
    plain.store.close()
    assert plain.key_sealer is None  # only the daemon derives one
    files = open_terminal(directory, passphrase=passphrase, key_sealer=True)
    files.store.close()
    assert files.tiers is not None
    assert files.key_sealer is not None
    old_public = files.identity.encryption_public
    rotate_encryption(
        TerminalPaths(directory), files.identity, files.tiers, sealer=files.key_sealer, now=NOW
    )
    keys = TerminalPaths(directory).keys
    assert (keys / ENCRYPTION_KEY_FILE).read_bytes().startswith(b"HLSEALED")
    assert (keys / "encryption-1.key").read_bytes().startswith(b"HLSEALED")
    reopened = open_terminal(directory, passphrase=passphrase)
    reopened.store.close()
    assert reopened.identity.encryption_public == files.identity.encryption_public
    assert reopened.identity.encryption_public != old_public
    [previous] = reopened.identity.previous_encryption_keys
    assert previous.public_key().public_bytes_raw() == old_public
    # A passphrase change reseals the retired key with the others.
    resealed = reseal_keys(directory, current=passphrase, new=NEW_PASSPHRASE, now=NOW)
    assert "keys/encryption-1.key" in resealed.rewritten
    reopened = open_terminal(directory, passphrase=Passphrase(secret=NEW_PASSPHRASE, source="new"))
    reopened.store.close()
    [previous] = reopened.identity.previous_encryption_keys
    assert previous.public_key().public_bytes_raw() == old_public


def test_an_interrupted_encryption_rotation_is_finished_after_its_marker_only(
    tmp_path: Path,
) -> None:
    directory = make_terminal(tmp_path / "washington", "Washington")
    paths = TerminalPaths(directory)
    files = open_terminal(directory)
    files.store.close()
    assert files.tiers is not None
    old_key = (paths.keys / ENCRYPTION_KEY_FILE).read_bytes()
    staging = paths.keys / ENCRYPTION_ROTATION_DIR

    # Before the marker: as if never asked.
    staging.mkdir(mode=0o700)
    (staging / ENCRYPTION_KEY_FILE).write_bytes(b"half a key")
    finish_encryption_rotation(paths)
    assert (paths.keys / ENCRYPTION_KEY_FILE).read_bytes() == old_key
    assert retired_encryption_key_files(paths.keys) == []
    assert len(read_certificates(paths)) == 3

    # A rotation, then its last steps undone as a crash before them would leave them.
    tiers, certificate = rotate_encryption(paths, files.identity, files.tiers, sealer=None, now=NOW)
    new_key = (paths.keys / ENCRYPTION_KEY_FILE).read_bytes()
    assert new_key != old_key
    assert (paths.keys / "encryption-1.key").read_bytes() == old_key
    assert not staging.exists()
    staging.mkdir(mode=0o700)
    (staging / ENCRYPTION_KEY_FILE).write_bytes(new_key)
    (staging / "certificate.cbor").write_bytes(certificate.encode())
    (staging / "ready").write_bytes(b"")
    (paths.keys / ENCRYPTION_KEY_FILE).unlink()
    (paths.keys / ENCRYPTION_KEY_FILE).write_bytes(old_key)
    # Opening the terminal finishes it: the new key current, the old one kept once.
    reopened = open_terminal(directory)
    reopened.store.close()
    assert (paths.keys / ENCRYPTION_KEY_FILE).read_bytes() == new_key
    assert (paths.keys / "encryption-1.key").read_bytes() == old_key
    assert read_certificates(paths) == tiers.certificates
    assert not staging.exists()
    assert reopened.identity.encryption_public == certificate.public_key
    assert reopened.tiers is not None
    assert KeyCertificate.decode(reopened.tiers.current()[1].encode()) == certificate
    finish_encryption_rotation(paths)  # nothing left to do
    assert (paths.keys / ENCRYPTION_KEY_FILE).read_bytes() == new_key
