"""``"sk"``: envelopes and receipts signed by a rotated signing key, named by the address.

After a party rotates its signing key, its ``"from"``/``"to"`` stay its
address (the first key) and ``"sk"`` names the key that signed. Before a
rotation nothing changes: no ``"sk"``, the same bytes as ever.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.crypto import (
    Envelope,
    EnvelopeHeader,
    Identity,
    Receipt,
    SoftwareSigner,
    sign_batch_receipt,
    sign_receipt,
    verify_batch_receipt,
    verify_envelope,
    verify_receipt,
)
from hotline.errors import EnvelopeInvalid, SignatureInvalid, WrongSigner

RECEIVED_AT = "1973-10-23T16:00:05.250000Z"
HEAD = hashlib.sha256(b"journal").digest()


def _rotated(identity: Identity) -> Identity:
    rotated = Identity(
        party=identity.party,
        signing_key=identity.signing_key,
        encryption_key=identity.encryption_key,
    )
    rotated.use_signer(SoftwareSigner(Ed25519PrivateKey.generate()))
    return rotated


def test_an_identity_keeps_its_address_when_its_signer_rotates(washington: Identity) -> None:
    rotated = _rotated(washington)
    assert washington.rotated_signer is None
    assert rotated.signing_public == washington.signing_public
    assert rotated.signer_public != washington.signing_public
    assert rotated.rotated_signer == rotated.signer_public


def test_envelopes_of_a_rotated_key_carry_it_and_verify_only_with_it(
    seal: Callable[..., Envelope], moscow: Identity, washington: Identity
) -> None:
    rotated = _rotated(moscow)
    before = seal(moscow, washington)
    after = seal(rotated, washington)
    assert before.header.signer is None
    assert "sk" not in cbor2.loads(before.encode())
    assert after.header.sender == moscow.signing_public
    assert after.header.signer == rotated.signer_public
    decoded = Envelope.decode(after.encode())
    assert decoded == after
    assert decoded.header.signer == rotated.signer_public
    verify_envelope(
        decoded, sender_signing_key=moscow.signing_public, signing_key=rotated.signer_public
    )
    # Without the resolved key, or with the address: refused, never verified under "sk" alone.
    with pytest.raises(WrongSigner):
        verify_envelope(decoded, sender_signing_key=moscow.signing_public)
    with pytest.raises(WrongSigner):
        verify_envelope(
            before, sender_signing_key=moscow.signing_public, signing_key=rotated.signer_public
        )
    # "sk" is signed: another key put there does not verify.
    forged = Envelope.decode(
        cbor2.dumps(
            {**cbor2.loads(after.encode()), "sk": washington.signing_public}, canonical=True
        )
    )
    with pytest.raises(SignatureInvalid):
        verify_envelope(
            forged, sender_signing_key=moscow.signing_public, signing_key=washington.signing_public
        )


def test_sk_is_present_only_when_it_is_not_the_sender(
    seal: Callable[..., Envelope], moscow: Identity, washington: Identity
) -> None:
    header = seal(moscow, washington).header
    fields = header.to_map()
    with pytest.raises(EnvelopeInvalid, match="only when it is not the sender"):
        EnvelopeHeader.from_map({**fields, "sk": moscow.signing_public})
    with pytest.raises(EnvelopeInvalid, match="signer"):
        EnvelopeHeader.from_map({**fields, "sk": b"short"})


def test_receipts_of_a_rotated_key_carry_it_both_versions(
    seal: Callable[..., Envelope], moscow: Identity, washington: Identity
) -> None:
    rotated = _rotated(washington)
    envelope = seal(moscow, washington)
    single = Receipt.decode(
        sign_receipt(
            envelope=envelope, received_at=RECEIVED_AT, journal_head=HEAD, recipient=rotated
        ).encode()
    )
    assert single.recipient == washington.signing_public
    assert single.signer == rotated.signer_public
    verify_receipt(
        single,
        envelope=envelope,
        recipient_signing_key=washington.signing_public,
        signing_key=rotated.signer_public,
    )
    with pytest.raises(WrongSigner):
        verify_receipt(single, envelope=envelope, recipient_signing_key=washington.signing_public)
    batch = Receipt.decode(
        sign_batch_receipt(
            sender=moscow.signing_public,
            first_serial=1,
            envelope_hashes=[envelope.hash],
            received_at=RECEIVED_AT,
            journal_head=HEAD,
            recipient=rotated,
        ).encode()
    )
    assert batch.signer == rotated.signer_public
    verify_batch_receipt(
        batch,
        recipient_signing_key=washington.signing_public,
        sender=moscow.signing_public,
        envelope_hashes=[envelope.hash],
        signing_key=rotated.signer_public,
    )
    unrotated = sign_receipt(
        envelope=envelope, received_at=RECEIVED_AT, journal_head=HEAD, recipient=washington
    )
    assert unrotated.signer is None
    assert "sk" not in cbor2.loads(unrotated.encode())
