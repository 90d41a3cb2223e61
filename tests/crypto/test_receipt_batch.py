"""Receipt version 2: one signed receipt per batch, and the compact proof for one message."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.crypto import (
    MAX_BATCH,
    Envelope,
    Identity,
    Receipt,
    batch_proof,
    batch_root,
    leaf_hash,
    receipt_covers,
    root_of,
    sign_batch_receipt,
    sign_receipt,
    verify_batch_receipt,
    verify_receipt,
    verify_receipt_fields,
)
from hotline.errors import (
    EnvelopeInvalid,
    LocalProtocolError,
    ProofInvalid,
    SignatureInvalid,
    WrongSigner,
)

AT = "1973-10-23T16:00:05.250000Z"
HEAD = hashlib.sha256(b"journal").digest()


def hashes(count: int, salt: bytes = b"") -> list[bytes]:
    return [hashlib.sha256(salt + i.to_bytes(4, "big")).digest() for i in range(count)]


def batch(
    recipient: Identity, sender: Identity, first: int, envelope_hashes: list[bytes]
) -> Receipt:
    return sign_batch_receipt(
        sender=sender.signing_public,
        first_serial=first,
        envelope_hashes=envelope_hashes,
        received_at=AT,
        journal_head=HEAD,
        recipient=recipient,
    )


def test_fields_signature_and_encoding(moscow: Identity, washington: Identity) -> None:
    hs = hashes(5)
    receipt = batch(washington, moscow, 3, hs)
    assert (receipt.version, receipt.first_serial, receipt.serial, receipt.size) == (2, 3, 7, 5)
    assert receipt.message_id is None
    assert receipt.envelope_hash == hs[-1]
    assert receipt.batch_root == root_of([leaf_hash(h) for h in hs])
    signed = {
        "v": 2,
        "from": moscow.signing_public,
        "to": washington.signing_public,
        "n0": 3,
        "n": 7,
        "env": hs[-1],
        "root": receipt.batch_root,
        "at": AT,
        "head": HEAD,
    }
    assert receipt.signed_bytes() == b"hotline-receipt-v2\x00" + cbor2.dumps(signed, canonical=True)
    assert receipt.encode() == cbor2.dumps(
        signed | {"signature": receipt.signature}, canonical=True
    )
    assert Receipt.decode(receipt.encode()) == receipt
    verify_batch_receipt(
        receipt,
        recipient_signing_key=washington.signing_public,
        sender=moscow.signing_public,
        envelope_hashes=hs,
    )


@given(st.integers(min_value=1, max_value=300), st.integers(min_value=1, max_value=2**40))
def test_round_trip_and_root(count: int, first: int) -> None:
    washington = Identity.from_private_bytes("Washington", bytes(32), b"\x01" * 32)
    hs = hashes(count)
    assert batch_root(hs) == root_of([leaf_hash(h) for h in hs])
    receipt = sign_batch_receipt(
        sender=bytes(32),
        first_serial=first,
        envelope_hashes=hs,
        received_at=AT,
        journal_head=HEAD,
        recipient=washington,
    )
    decoded = Receipt.decode(receipt.encode())
    assert decoded == receipt
    assert decoded.encode() == receipt.encode()
    verify_batch_receipt(
        decoded,
        recipient_signing_key=washington.signing_public,
        sender=bytes(32),
        envelope_hashes=hs,
    )


def test_refusals(moscow: Identity, washington: Identity, mallory: Identity) -> None:
    hs = hashes(4)
    receipt = batch(washington, moscow, 10, hs)
    check: dict[str, Any] = {
        "recipient_signing_key": washington.signing_public,
        "sender": moscow.signing_public,
        "envelope_hashes": hs,
    }
    with pytest.raises(WrongSigner):
        verify_batch_receipt(receipt, **(check | {"recipient_signing_key": mallory.signing_public}))
    forged = dataclasses.replace(receipt, signature=mallory.sign(receipt.signed_bytes()))
    with pytest.raises(SignatureInvalid):
        verify_batch_receipt(forged, **check)
    with pytest.raises(EnvelopeInvalid, match="another sender"):
        verify_batch_receipt(receipt, **(check | {"sender": mallory.signing_public}))
    with pytest.raises(EnvelopeInvalid, match="acknowledges 4"):
        verify_batch_receipt(receipt, **(check | {"envelope_hashes": hs[:3]}))
    with pytest.raises(EnvelopeInvalid, match="last envelope"):
        verify_batch_receipt(receipt, **(check | {"envelope_hashes": [*hs[:3], hs[0]]}))
    with pytest.raises(EnvelopeInvalid, match="batch root"):
        verify_batch_receipt(receipt, **(check | {"envelope_hashes": [hs[1], hs[0], *hs[2:]]}))
    v1 = dataclasses.replace(receipt, version=1, message_id="00" * 16, batch_root=None)
    with pytest.raises(EnvelopeInvalid, match="version-1"):
        verify_batch_receipt(v1, **check)
    with pytest.raises(EnvelopeInvalid, match="batch"):
        verify_receipt_fields(
            receipt,
            recipient_signing_key=washington.signing_public,
            message_id="00" * 16,
            envelope_hash=hs[-1],
            sender=moscow.signing_public,
            recipient=washington.signing_public,
            serial=13,
        )


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"first_serial": 14}, "n0"),
        ({"first_serial": 0}, "n0"),
        ({"first_serial": 1, "serial": MAX_BATCH + 1}, "at most"),
        ({"batch_root": None}, "batch root"),
        ({"batch_root": bytes(31)}, "batch root"),
        ({"message_id": "00" * 16}, "message id"),
        ({"version": 3}, "unsupported"),
    ],
)
def test_invalid_fields(
    moscow: Identity, washington: Identity, changes: dict[str, Any], match: str
) -> None:
    receipt = batch(washington, moscow, 10, hashes(4))
    with pytest.raises(EnvelopeInvalid, match=match):
        dataclasses.replace(receipt, **changes)


def test_sign_refuses_bad_batches(moscow: Identity, washington: Identity) -> None:
    with pytest.raises(LocalProtocolError):
        batch(washington, moscow, 1, [])
    with pytest.raises(LocalProtocolError):
        batch(washington, moscow, 1, hashes(MAX_BATCH + 1))
    with pytest.raises(LocalProtocolError):
        batch(washington, moscow, 1, [bytes(31)])
    batch(washington, moscow, 1, hashes(MAX_BATCH))  # the largest batch is fine


def test_decode_refuses_wrong_and_non_canonical_forms(
    moscow: Identity, washington: Identity
) -> None:
    receipt = batch(washington, moscow, 10, hashes(4))
    fields = cbor2.loads(receipt.encode())
    bad = [
        cbor2.dumps(dict(reversed(fields.items()))),
        receipt.encode() + b"\x00",
        cbor2.dumps(fields | {"id": "00" * 16}, canonical=True),
        cbor2.dumps({k: v for k, v in fields.items() if k != "root"}, canonical=True),
        cbor2.dumps({k: v for k, v in fields.items() if k != "n0"}, canonical=True),
        cbor2.dumps(fields | {"n0": 11, "n": 10}, canonical=True),
        cbor2.dumps(fields | {"n0": True}, canonical=True),
        cbor2.dumps({k: v for k, v in fields.items() if k != "v"}, canonical=True),
    ]
    for data in bad:
        with pytest.raises(EnvelopeInvalid):
            Receipt.decode(data)


@pytest.mark.parametrize("size", range(1, 18))
def test_proof_for_every_index(
    seal: Callable[..., Envelope], moscow: Identity, washington: Identity, size: int
) -> None:
    envelopes = [
        seal(moscow, washington, None, serial=5 + i, prev_hash=b"\x01" * 32) for i in range(size)
    ]
    hs = [e.hash for e in envelopes]
    receipt = Receipt.decode(batch(washington, moscow, 5, hs).encode())
    for index, envelope in enumerate(envelopes):
        proof = batch_proof(hs, index)
        assert len(proof) <= 12
        assert receipt_covers(receipt, envelope.header.serial)
        verify_receipt(
            receipt, envelope=envelope, recipient_signing_key=washington.signing_public, proof=proof
        )
        if size > 1:
            with pytest.raises(ProofInvalid):
                verify_receipt(
                    receipt,
                    envelope=envelope,
                    recipient_signing_key=washington.signing_public,
                    proof=batch_proof(hs, (index + 1) % size),
                )
    assert not receipt_covers(receipt, 4)
    assert not receipt_covers(receipt, 5 + size)
    outside = seal(moscow, washington, None, serial=5 + size, prev_hash=b"\x01" * 32)
    with pytest.raises(EnvelopeInvalid, match="acknowledges serials"):
        verify_receipt(receipt, envelope=outside, recipient_signing_key=washington.signing_public)


def test_verify_receipt_v2_signer_and_parties(
    seal: Callable[..., Envelope], moscow: Identity, washington: Identity, mallory: Identity
) -> None:
    envelope = seal(moscow, washington)
    receipt = batch(washington, moscow, 1, [envelope.hash])
    with pytest.raises(WrongSigner):
        verify_receipt(receipt, envelope=envelope, recipient_signing_key=mallory.signing_public)
    to_mallory = seal(moscow, mallory)
    with pytest.raises(WrongSigner):
        verify_receipt(
            receipt, envelope=to_mallory, recipient_signing_key=washington.signing_public
        )
    from_mallory = seal(mallory, washington)
    with pytest.raises(EnvelopeInvalid, match="another sender"):
        verify_receipt(
            receipt, envelope=from_mallory, recipient_signing_key=washington.signing_public
        )
    other = seal(moscow, washington, {"text": "another"})
    with pytest.raises(ProofInvalid):
        verify_receipt(receipt, envelope=other, recipient_signing_key=washington.signing_public)


def test_version_1_still_works_and_takes_no_proof(
    seal: Callable[..., Envelope], moscow: Identity, washington: Identity
) -> None:
    envelope = seal(moscow, washington)
    receipt = sign_receipt(
        envelope=envelope, received_at=AT, journal_head=HEAD, recipient=washington
    )
    assert receipt.first_serial == receipt.serial == 1
    assert receipt.batch_root is None
    assert receipt_covers(receipt, 1)
    assert not receipt_covers(receipt, 2)
    verify_receipt(receipt, envelope=envelope, recipient_signing_key=washington.signing_public)
    with pytest.raises(LocalProtocolError):
        verify_receipt(
            receipt,
            envelope=envelope,
            recipient_signing_key=washington.signing_public,
            proof=[bytes(32)],
        )
