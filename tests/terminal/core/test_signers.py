"""Which key verifies a peer: its address, or a rotated signing key its master certified.

A party that rotated its signing key signs with the new key and names it in
``"sk"``; the address (its first key) still names it in ``"from"``/``"to"``.
The peer accepts that only once it holds the new key's certificate, and only
within the certificate's validity; anything else is refused and journaled.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.crypto import Identity, KeyCertificate, Receipt, SoftwareSigner
from hotline.errors import WrongSigner
from hotline.store import Direction, PeerKeyCertificate
from hotline.terminal import open_terminal
from hotline.terminal.config import TerminalFiles
from hotline.terminal.core.inbox import Inbox
from hotline.terminal.core.outbox import Draft, Outbox
from hotline.terminal.core.signers import Signers, certified_signer
from hotline.terminal.runtime.clock import SystemClock
from hotline.utc import format_utc
from tests.terminal.helpers import make_pair, refusals


@dataclass
class Pair:
    washington: TerminalFiles
    moscow: TerminalFiles


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    washington_dir, moscow_dir = make_pair(tmp_path)
    opened = Pair(open_terminal(washington_dir), open_terminal(moscow_dir))
    yield opened
    opened.washington.store.close()
    opened.moscow.store.close()


def _rotated(files: TerminalFiles) -> tuple[Identity, KeyCertificate]:
    """``files``' identity signing with a new key (serial 2), and that key's certificate."""
    assert files.tiers is not None
    signer = SoftwareSigner(Ed25519PrivateKey.generate())
    certificate = files.tiers.certify(
        party=files.identity.party,
        kind="signing",
        public_key=signer.public_key,
        now=SystemClock().now(),
        key_signer=signer,
    )
    identity = Identity(
        party=files.identity.party,
        signer=signer,
        encryption_key=files.identity.encryption_key,
        address=files.identity.signing_public,
    )
    return identity, certificate


def _keep(files: TerminalFiles, party: str, certificate: KeyCertificate) -> None:
    with files.store.transaction():
        files.store.add_peer_key_certificate(
            PeerKeyCertificate(
                party=party,
                key_id=certificate.key_id,
                kind=certificate.kind,
                serial=certificate.serial,
                certificate=certificate.encode(),
                received_at=format_utc(SystemClock().now()),
            )
        )


def test_a_rotated_key_is_refused_until_its_certificate_is_held(pair: Pair) -> None:
    rotated, certificate = _rotated(pair.washington)
    moscow = pair.washington.store.get_peer("Moscow")
    washington = pair.moscow.store.get_peer("Washington")
    assert moscow is not None
    assert washington is not None
    outbox = Outbox(store=pair.washington.store, identity=rotated, clock=SystemClock())
    [record] = outbox.queue_many([Draft(peer=moscow, text="on the new key")])
    signers = Signers(pair.moscow.store)
    inbox = Inbox(
        store=pair.moscow.store, identity=pair.moscow.identity, clock=SystemClock(), signers=signers
    )
    with pair.moscow.store.transaction():
        refused = inbox.accept(peer=washington, envelopes=[record.envelope])
    assert refused.accepted == ()
    assert "not a signing key certified for Washington" in refused.refusals[0]
    assert len(refusals(pair.moscow.store)) == 1
    # The key event's certificate arrives (the keys desk keeps it and tells the signers).
    _keep(pair.moscow, "Washington", certificate)
    signers.forget("Washington")
    with pair.moscow.store.transaction():
        accepted = inbox.accept(peer=washington, envelopes=[record.envelope])
    [held] = accepted.accepted
    assert held.text == "on the new key"
    held_envelope = pair.moscow.store.list_messages(peer="Washington", direction=Direction.IN)
    assert len(held_envelope) == 1


def test_receipts_signed_by_a_rotated_key_verify_once_certified(pair: Pair) -> None:
    rotated_moscow, certificate = _rotated(pair.moscow)
    moscow = pair.washington.store.get_peer("Moscow")
    washington = pair.moscow.store.get_peer("Washington")
    assert moscow is not None
    assert washington is not None
    outbox = Outbox(
        store=pair.washington.store, identity=pair.washington.identity, clock=SystemClock()
    )
    [record] = outbox.queue_many([Draft(peer=moscow, text="receipt me")])
    inbox = Inbox(store=pair.moscow.store, identity=rotated_moscow, clock=SystemClock())
    with pair.moscow.store.transaction():
        [receipt] = inbox.accept(peer=washington, envelopes=[record.envelope]).receipts
    decoded = Receipt.decode(receipt)
    assert decoded.recipient == pair.moscow.identity.signing_public
    assert decoded.signer == rotated_moscow.signer_public
    with pair.washington.store.transaction():
        refused = outbox.accept_receipts(peer=moscow, receipts=[receipt])
    assert refused.delivered == ()
    assert "WrongSigner" in refused.refusals[0]
    _keep(pair.washington, "Moscow", certificate)
    outbox.signers.forget("Moscow")
    with pair.washington.store.transaction():
        assert outbox.accept_receipts(peer=moscow, receipts=[receipt]).delivered == (record.id,)


def test_a_certified_key_holds_only_within_its_validity(pair: Pair) -> None:
    _, certificate = _rotated(pair.washington)
    address = pair.washington.identity.signing_public
    assert pair.washington.tiers is not None
    master = pair.washington.tiers.master.public_key

    def resolve(signer: bytes | None, at: object) -> bytes:
        return certified_signer(
            [certificate],
            party="Washington",
            address=address,
            master=master,
            signer=signer,
            at=at,  # type: ignore[arg-type]
        )

    now = SystemClock().now()
    assert resolve(None, now) == address
    assert resolve(certificate.public_key, now) == certificate.public_key
    with pytest.raises(WrongSigner, match="not certified at"):
        resolve(certificate.public_key, now - timedelta(days=1))
    with pytest.raises(WrongSigner, match="not certified at"):
        resolve(certificate.public_key, now + timedelta(days=3 * 365))
    # Certified by another master, or for another party: not a key of Washington's.
    with pytest.raises(WrongSigner, match="not a signing key certified"):
        certified_signer(
            [certificate],
            party="Washington",
            address=address,
            master=address,
            signer=certificate.public_key,
            at=now,
        )
    with pytest.raises(WrongSigner, match="not a signing key certified"):
        resolve(bytes(32), now)
