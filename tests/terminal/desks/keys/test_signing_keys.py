"""Rotating the signing key: staged, announced under the old key, switched once receipted.

Washington's keys are sealed under a passphrase, so the switch also seals the
new key and encrypts the TLS key again under the password the new key gives:
after a restart the terminal opens them and comes up on the new key.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hotline.crypto import Envelope, Identity, Unsealer
from hotline.errors import InvalidArgument
from hotline.store import Direction, MessageState
from hotline.terminal import Terminal, TerminalPaths, verify_store
from hotline.terminal.config.passphrase import Passphrase
from hotline.terminal.config.rotation import ROTATION_DIR, retired_signing_key
from hotline.terminal.config.setup import init_terminal, open_terminal
from hotline.terminal.config.tiers import read_certificates
from hotline.terminal.desks.keys import KeyDesk
from hotline.terminal.reseal import reseal_keys
from hotline.testing import run_virtual, virtual_clock
from tests.terminal.helpers import (
    FAST_LINK,
    add_peer,
    card_of,
    free_port,
    make_terminal,
    refusals,
    set_link_settings,
    wait_until,
)

SECRET = b"correct horse battery staple"


def _delivered(terminal: Terminal, peer: str) -> set[str]:
    return {
        m.id
        for m in terminal.store.iter_messages(peer=peer, direction=Direction.OUT)
        if m.state is MessageState.DELIVERED
    }


def _signers(terminal: Terminal, peer: str) -> list[bytes | None]:
    return [
        Envelope.decode(m.envelope).header.signer
        for m in terminal.store.iter_messages(peer=peer, direction=Direction.OUT)
    ]


def _verify(terminal: Terminal) -> str:
    tiers = terminal.desk(KeyDesk).tiers
    assert tiers is not None
    report = verify_store(terminal.store, terminal.identity, certificates=tiers.certificates)
    return report.summary()


def test_the_signing_key_switches_once_receipted_and_stays_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = tmp_path / "passphrase"
    secret_file.write_bytes(SECRET)
    monkeypatch.setenv("HOTLINE_PASSPHRASE_FILE", str(secret_file))
    washington_dir = tmp_path / "washington"
    init_terminal(
        washington_dir,
        party="Washington",
        listen=[f"127.0.0.1:{free_port()}"],
        passphrase=SECRET,
    ).store.close()
    set_link_settings(washington_dir, FAST_LINK)
    moscow_dir = make_terminal(tmp_path / "moscow", "Moscow")
    add_peer(washington_dir, card_of(moscow_dir))
    add_peer(moscow_dir, card_of(washington_dir))
    passphrase = Passphrase(secret=SECRET, source="test")
    address = card_of(washington_dir).signing_key

    async def main() -> bytes:
        washington = Terminal.open(washington_dir, clock=virtual_clock(), passphrase=passphrase)
        moscow = Terminal.open(moscow_dir, clock=virtual_clock())
        await washington.start()
        await moscow.start()
        try:
            desk = washington.desk(KeyDesk)
            before = [washington.send_text(to="Moscow", text=f"before {n}").id for n in range(3)]
            rotation = desk.rotate("signing")
            [certificate] = rotation.certificates
            assert (certificate.kind, certificate.serial) == ("signing", 2)
            # Staged: the old key signs until Moscow has receipted the key event.
            assert desk.pending_signing_key == certificate
            assert washington.identity.rotated_signer is None
            with pytest.raises(InvalidArgument, match="waiting for every peer"):
                desk.rotate("signing")
            await wait_until(
                lambda: washington.identity.rotated_signer == certificate.public_key,
                what="the switch to the new signing key",
            )
            assert washington.identity.signing_public == address
            after = [washington.send_text(to="Moscow", text=f"after {n}").id for n in range(3)]
            reply = moscow.send_text(to="Washington", text="reply").id
            await wait_until(
                lambda: (
                    set(before + after) <= _delivered(washington, "Moscow")
                    and reply in _delivered(moscow, "Washington")
                ),
                what="every message delivered across the switch",
            )
            # The key event was signed by the old key, everything after by the new one.
            signers = _signers(washington, "Moscow")
            assert signers[:4] == [None] * 4
            assert signers[4:] == [certificate.public_key] * 3
            assert not refusals(moscow.store)
            assert not refusals(washington.store)
            assert "all hold" in _verify(washington)
            assert "all hold" in verify_store(moscow.store, moscow.identity).summary()
            switched = [
                e for e in washington.store.iter_journal() if e.kind == "signing key switched"
            ]
            assert [e.data["serial"] for e in switched] == [2]
        finally:
            await washington.stop()
        keys = washington_dir / "keys"
        assert not (keys / ROTATION_DIR).exists()
        assert (keys / retired_signing_key(1)).exists()
        assert [
            c.serial
            for c in read_certificates(TerminalPaths(washington_dir))
            if c.kind == "signing"
        ] == [1, 2]

        # Again, from its files: the new key (sealed), the TLS key under its new password.
        washington = Terminal.open(washington_dir, clock=virtual_clock(), passphrase=passphrase)
        assert washington.identity.signing_public == address
        assert washington.identity.signer_public == certificate.public_key
        await washington.start()
        try:
            late = washington.send_text(to="Moscow", text="after a restart").id
            await wait_until(
                lambda: late in _delivered(washington, "Moscow"), what="a message after a restart"
            )
            assert "all hold" in _verify(washington)
        finally:
            await washington.stop()
            await moscow.stop()
        return certificate.public_key

    new_key = run_virtual(main())
    files = open_terminal(washington_dir)
    try:
        identity: Identity = files.identity
        assert (identity.signing_public, identity.signer_public) == (address, new_key)
        # The card still names the party by its address, with the address's certificate.
        card = files.card()
        assert card.signing_key == address
    finally:
        files.store.close()
    # A change of passphrase reseals the retired key too.
    resealed = reseal_keys(
        washington_dir, current=passphrase, new=b"another passphrase", now=datetime.now(UTC)
    )
    assert f"keys/{retired_signing_key(1)}" in resealed.rewritten
    retired = (washington_dir / "keys" / retired_signing_key(1)).read_bytes()
    assert len(Unsealer(b"another passphrase").open(retired, label="Washington signing")) == 32
