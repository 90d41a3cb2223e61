"""Receipts: signing, encoding, matching the envelope, and tampering."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.crypto import (
    MAX_RECEIPT_BYTES,
    MAX_SERIAL,
    RECEIPT_DOMAIN,
    Envelope,
    Identity,
    Receipt,
    open_envelope,
    sign_receipt,
    verify_receipt,
    verify_receipt_fields,
)
from hotline.errors import (
    EnvelopeInvalid,
    LocalProtocolError,
    SignatureInvalid,
    WrongSigner,
)
from hotline.utc import format_utc

DETECTED = (EnvelopeInvalid, SignatureInvalid, WrongSigner)
RECEIVED_AT = "1973-10-23T16:00:05.250000Z"
HEAD = hashlib.sha256(b"journal").digest()

keys32 = st.binary(min_size=32, max_size=32)
receipts = st.builds(
    Receipt,
    message_id=st.binary(min_size=16, max_size=16).map(bytes.hex),
    envelope_hash=keys32,
    sender=keys32,
    recipient=keys32,
    serial=st.integers(min_value=1, max_value=MAX_SERIAL),
    received_at=st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    ).map(format_utc),
    journal_head=keys32,
    signature=st.binary(min_size=64, max_size=64),
)


@pytest.fixture(scope="module")
def envelope(seal: Callable[..., Envelope], moscow: Identity, washington: Identity) -> Envelope:
    return seal(moscow, washington)


@pytest.fixture(scope="module")
def receipt(envelope: Envelope, washington: Identity) -> Receipt:
    return sign_receipt(
        envelope=envelope, received_at=RECEIVED_AT, journal_head=HEAD, recipient=washington
    )


def _resign(receipt: Receipt, signer: Identity, **changes: Any) -> Receipt:
    changed = dataclasses.replace(receipt, **changes)
    return dataclasses.replace(changed, signature=signer.sign(changed.signed_bytes()))


def test_sign_and_verify(receipt: Receipt, envelope: Envelope, washington: Identity) -> None:
    assert receipt.message_id == envelope.header.message_id
    assert receipt.envelope_hash == envelope.hash
    assert receipt.sender == envelope.header.sender
    assert receipt.recipient == washington.signing_public
    assert receipt.serial == envelope.header.serial
    assert receipt.journal_head == HEAD
    verify_receipt(receipt, envelope=envelope, recipient_signing_key=washington.signing_public)


def test_signature_covers_the_documented_bytes(receipt: Receipt, washington: Identity) -> None:
    fields = cbor2.loads(receipt.encode())
    signature = fields.pop("signature")
    assert signature == receipt.signature
    signed = RECEIPT_DOMAIN + cbor2.dumps(fields, canonical=True)
    assert receipt.signed_bytes() == signed
    assert washington.sign(signed) == receipt.signature


@given(receipts)
def test_receipt_round_trip(receipt: Receipt) -> None:
    data = receipt.encode()
    assert len(data) <= MAX_RECEIPT_BYTES
    assert Receipt.decode(data) == receipt
    assert receipt.hash == hashlib.sha256(data).digest()


@given(st.binary(max_size=400))
def test_decode_of_arbitrary_bytes_only_raises_envelope_invalid(data: bytes) -> None:
    try:
        receipt = Receipt.decode(data)
    except EnvelopeInvalid:
        return
    assert receipt.encode() == data


@pytest.mark.parametrize(
    "edit",
    [
        lambda f: f.pop("head"),
        lambda f: f.update(extra=b""),
        lambda f: f.update(v=2),
        lambda f: f.update(n=0),
        lambda f: f.update(n=True),
        lambda f: f.update(at="yesterday"),
        lambda f: f.update(env=b"short"),
        lambda f: f.update(id="XYZ"),
    ],
)
def test_decode_rejects_wrong_fields(receipt: Receipt, edit) -> None:
    fields = cbor2.loads(receipt.encode())
    edit(fields)
    with pytest.raises(EnvelopeInvalid):
        Receipt.decode(cbor2.dumps(fields, canonical=True))


def test_decode_rejects_non_canonical(receipt: Receipt) -> None:
    data = receipt.encode()
    with pytest.raises(EnvelopeInvalid):
        Receipt.decode(data + b"\x00")
    with pytest.raises(EnvelopeInvalid):
        Receipt.decode(cbor2.dumps(dict(reversed(cbor2.loads(data).items()))))
    with pytest.raises(EnvelopeInvalid, match="limit"):
        Receipt.decode(bytes(MAX_RECEIPT_BYTES + 1))


def test_sign_receipt_refuses_someone_elses_envelope(envelope: Envelope, mallory) -> None:
    with pytest.raises(LocalProtocolError):
        sign_receipt(
            envelope=envelope, received_at=RECEIVED_AT, journal_head=HEAD, recipient=mallory
        )


@pytest.mark.parametrize(
    ("received_at", "head"), [("1973-10-23T16:00:05Z", HEAD), (RECEIVED_AT, HEAD[:31])]
)
def test_sign_receipt_validates_its_inputs(
    envelope: Envelope, washington, received_at: str, head: bytes
) -> None:
    with pytest.raises(EnvelopeInvalid):
        sign_receipt(
            envelope=envelope, received_at=received_at, journal_head=head, recipient=washington
        )


def test_verify_rejects_another_signer(receipt: Receipt, envelope: Envelope, mallory) -> None:
    with pytest.raises(WrongSigner):
        verify_receipt(receipt, envelope=envelope, recipient_signing_key=mallory.signing_public)


def test_verify_rejects_forged_signature(
    receipt: Receipt, envelope: Envelope, washington, mallory
) -> None:
    forged = dataclasses.replace(receipt, signature=mallory.sign(receipt.signed_bytes()))
    with pytest.raises(SignatureInvalid):
        verify_receipt(forged, envelope=envelope, recipient_signing_key=washington.signing_public)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"message_id": "ff" * 16}, EnvelopeInvalid, "message id"),
        ({"sender": b"\x05" * 32}, EnvelopeInvalid, "sender"),
        ({"serial": 2}, EnvelopeInvalid, "serial"),
        ({"envelope_hash": b"\x06" * 32}, EnvelopeInvalid, "hash"),
    ],
)
def test_verify_rejects_receipts_for_another_envelope(
    receipt: Receipt, envelope: Envelope, washington, changes, error, message
) -> None:
    # Authentic (re-signed by Washington) but about a different envelope.
    other = _resign(receipt, washington, **changes)
    with pytest.raises(error, match=message):
        verify_receipt(other, envelope=envelope, recipient_signing_key=washington.signing_public)


def test_verify_rejects_receipt_from_a_party_the_envelope_was_not_for(
    receipt: Receipt, envelope: Envelope, mallory
) -> None:
    # Mallory signs a receipt for Washington's envelope, naming herself.
    claimed = _resign(receipt, mallory, recipient=mallory.signing_public)
    with pytest.raises(WrongSigner):
        verify_receipt(claimed, envelope=envelope, recipient_signing_key=mallory.signing_public)


def test_receipt_for_a_different_envelope_body(
    seal, moscow, washington, envelope: Envelope, receipt: Receipt
) -> None:
    # Same header (id, serial, keys, body commitment), the same body sealed
    # again: only the hash tells them apart.
    other = seal(moscow, washington, open_envelope(envelope, recipient=washington))
    assert other.header == envelope.header
    assert other.hash != envelope.hash
    with pytest.raises(EnvelopeInvalid, match="hash"):
        verify_receipt(receipt, envelope=other, recipient_signing_key=washington.signing_public)


@pytest.mark.parametrize("mask", [0x01, 0x80, 0xFF])
def test_every_single_byte_flip_is_detected(
    receipt: Receipt, envelope: Envelope, washington, mask: int
) -> None:
    data = receipt.encode()
    for index in range(len(data)):
        flipped = bytearray(data)
        flipped[index] ^= mask
        with pytest.raises(DETECTED):
            verify_receipt(
                Receipt.decode(bytes(flipped)),
                envelope=envelope,
                recipient_signing_key=washington.signing_public,
            )


def _outcome(check: Any) -> str:
    try:
        check()
    except DETECTED as exc:
        return f"{type(exc).__name__}: {exc}"
    return "valid"


def test_fields_check_is_the_envelope_check(
    receipt: Receipt, envelope: Envelope, washington, mallory
) -> None:
    # The sender checks receipts against the fields it stored (no decode); every
    # forgery the envelope check refuses, the fields check refuses the same way.
    header = envelope.header
    candidates = [
        receipt,
        dataclasses.replace(receipt, signature=mallory.sign(receipt.signed_bytes())),
        _resign(receipt, mallory, recipient=mallory.signing_public),
        _resign(receipt, washington, message_id="ff" * 16),
        _resign(receipt, washington, sender=b"\x05" * 32),
        _resign(receipt, washington, serial=header.serial + 1),
        _resign(receipt, washington, envelope_hash=b"\x06" * 32),
    ]
    for signer in (washington, mallory):
        for candidate in candidates:
            by_envelope = _outcome(
                lambda c=candidate, k=signer.signing_public: verify_receipt(
                    c, envelope=envelope, recipient_signing_key=k
                )
            )
            by_fields = _outcome(
                lambda c=candidate, k=signer.signing_public: verify_receipt_fields(
                    c,
                    recipient_signing_key=k,
                    message_id=header.message_id,
                    envelope_hash=envelope.hash,
                    sender=header.sender,
                    recipient=header.recipient,
                    serial=header.serial,
                )
            )
            assert by_fields == by_envelope
    assert (
        _outcome(
            lambda: verify_receipt_fields(
                receipt,
                recipient_signing_key=washington.signing_public,
                message_id=header.message_id,
                envelope_hash=envelope.hash,
                sender=header.sender,
                recipient=header.recipient,
                serial=header.serial,
            )
        )
        == "valid"
    )
