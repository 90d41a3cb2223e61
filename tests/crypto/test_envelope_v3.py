"""Envelope version 3: the epoch, the ratcheted body, and every refusal.

The byte layout the fast paths rely on (signed bytes and header encoding cut
out of the envelope's encoding) is checked here against a full re-encoding.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.crypto import (
    EPOCH_KEY_BYTES,
    EPOCH_MESSAGES,
    HPKE_SUITE,
    ZERO_HASH,
    ChainKey,
    Envelope,
    EnvelopeHeader,
    Identity,
    new_chain,
    open_envelope,
    open_envelope_ratcheted,
    salted,
    seal_envelope_ratcheted,
    step,
    verify_envelope,
)
from hotline.crypto.envelope import _header_from_signed, _signed_bytes
from hotline.errors import (
    DecryptionFailed,
    EnvelopeInvalid,
    LocalProtocolError,
    NoMessageKey,
    SignatureInvalid,
    WrongSigner,
)

SECRET = hashlib.sha256(b"test epoch secret").digest()
DETECTED = (EnvelopeInvalid, SignatureInvalid, DecryptionFailed, WrongSigner, NoMessageKey)


def fixed(secret: bytes = SECRET) -> Callable[[int], bytes]:
    return lambda n: secret[:n]


Sealer = Callable[..., tuple[Envelope, ChainKey]]


@pytest.fixture
def seal3(
    make_header: Callable[..., EnvelopeHeader], moscow: Identity, washington: Identity
) -> Sealer:
    def _seal(
        serial: int = 1, chain: ChainKey | None = None, text: str = "Hello.", **kw: Any
    ) -> tuple[Envelope, ChainKey]:
        prev = ZERO_HASH if serial == 1 else hashlib.sha256(b"prev %d" % serial).digest()
        return seal_envelope_ratcheted(
            header=make_header(moscow, washington, serial=serial, prev_hash=prev),
            body=salted({"text": text}),
            sender=moscow,
            recipient_encryption_key=washington.encryption_public,
            chain=chain,
            **kw,
        )

    return _seal


def _receive(
    data: bytes, moscow: Identity, washington: Identity, chain: ChainKey | None
) -> tuple[dict[str, Any], ChainKey]:
    envelope = Envelope.decode(data)
    verify_envelope(envelope, sender_signing_key=moscow.signing_public)
    return open_envelope_ratcheted(envelope, recipient=washington, chain=chain)


def _check_layout(envelope: Envelope) -> None:
    reference = _signed_bytes(envelope.header, envelope.body)
    assert envelope.signed_bytes() == reference
    assert _header_from_signed(reference, len(envelope.body)) == envelope.header.encode()
    fields = envelope.header.to_map() | {"body": envelope.body, "signature": envelope.signature}
    assert envelope.encode() == cbor2.dumps(fields, canonical=True)


def test_an_epoch_opener_and_its_followers(
    seal3: Sealer, moscow: Identity, washington: Identity
) -> None:
    first, chain = seal3(1, None, "one", random_bytes=fixed())
    assert first.header.version == 3
    assert first.header.epoch == 1
    assert first.header.epoch_key is not None
    assert len(first.header.epoch_key) == EPOCH_KEY_BYTES == 80
    assert chain == ChainKey(1, 1, step(new_chain(SECRET, 1))[1].key)
    second, chain = seal3(2, chain, "two")
    assert second.header.epoch == 1
    assert second.header.epoch_key is None
    body, receiver = _receive(first.encode(), moscow, washington, None)
    assert body["text"] == "one"
    body, receiver = _receive(second.encode(), moscow, washington, receiver)
    assert body["text"] == "two"
    assert receiver == chain
    for envelope in (first, second):
        _check_layout(envelope)
        _check_layout(Envelope.decode(envelope.encode()))


def test_the_body_is_the_aead_the_spec_describes(seal3: Sealer, washington: Identity) -> None:
    envelope, _ = seal3(1, None, "spec", random_bytes=fixed())
    # ek opens, with the spec's info, to the injected secret.
    info = (
        b"hotline-epoch-v3\x00"
        + envelope.header.sender
        + envelope.header.recipient
        + (1).to_bytes(8, "big")
    )
    assert envelope.header.epoch_key is not None
    assert (
        HPKE_SUITE.decrypt(envelope.header.epoch_key, washington.encryption_key, info=info)
        == SECRET
    )
    message_key, _ = step(new_chain(SECRET, 1))
    plaintext = ChaCha20Poly1305(message_key).decrypt(
        bytes(12), envelope.body, b"hotline-body-v3\x00" + envelope.header.encode()
    )
    assert cbor2.loads(plaintext)["text"] == "spec"
    assert len(envelope.body) == len(plaintext) + 16


def test_a_new_epoch_when_out_of_step_or_full(seal3: Sealer) -> None:
    envelope, chain = seal3(5, None)
    assert envelope.header.epoch == 5
    envelope, _skipped = seal3(7, chain)  # the chain is at 6: out of step
    assert envelope.header.epoch == 7
    assert envelope.header.epoch_key is not None
    full = ChainKey(10, EPOCH_MESSAGES, bytes(32))
    envelope, after = seal3(10 + EPOCH_MESSAGES, full)
    assert envelope.header.epoch == 10 + EPOCH_MESSAGES
    assert after.epoch == 10 + EPOCH_MESSAGES
    assert after.index == 1
    last = ChainKey(10, EPOCH_MESSAGES - 1, bytes(32))
    envelope, _ = seal3(9 + EPOCH_MESSAGES, last)
    assert envelope.header.epoch == 10  # the last key of the epoch is still used


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["next", "lose-sender-chain", "skip"]), min_size=1, max_size=12))
def test_round_trips_through_epochs(
    moscow: Identity, washington: Identity, script: list[str]
) -> None:
    header: dict[str, Any] = {
        "message_id": "00112233445566778899aabbccddeeff",
        "sender": moscow.signing_public,
        "recipient": washington.signing_public,
        "sent_at": "1973-10-23T16:00:00.000000Z",
        "time_group": "231600Z",
    }
    sender: ChainKey | None = None
    receiver: ChainKey | None = None
    serial, prev = 0, ZERO_HASH
    for action in script:
        serial += 2 if action == "skip" else 1
        if action == "lose-sender-chain":
            sender = None
        if serial != 1 and prev == ZERO_HASH:
            prev = hashlib.sha256(b"x").digest()
        envelope, sender = seal_envelope_ratcheted(
            header=EnvelopeHeader(serial=serial, prev_hash=prev, **header),
            body=salted({"text": f"m{serial}"}),
            sender=moscow,
            recipient_encryption_key=washington.encryption_public,
            chain=sender,
        )
        _check_layout(envelope)
        body, receiver = _receive(envelope.encode(), moscow, washington, receiver)
        assert body["text"] == f"m{serial}"
        assert receiver == sender
        prev = envelope.hash


def test_open_refuses_a_chain_that_does_not_fit(
    seal3: Sealer, moscow: Identity, washington: Identity
) -> None:
    first, chain = seal3(1, None)
    second, _ = seal3(2, chain)
    _, receiver = _receive(first.encode(), moscow, washington, None)
    data = second.encode()
    with pytest.raises(NoMessageKey, match="no chain"):
        _receive(data, moscow, washington, None)
    with pytest.raises(NoMessageKey, match="epoch"):
        _receive(data, moscow, washington, ChainKey(2, 0, receiver.key))
    _, past = step(receiver)
    with pytest.raises(NoMessageKey, match="needs message key 1"):
        _receive(data, moscow, washington, past)  # already used: the key is gone
    with pytest.raises(NoMessageKey):
        open_envelope(Envelope.decode(data), recipient=washington)
    with pytest.raises(NoMessageKey):
        open_envelope(first, recipient=washington)
    # A chain of the right place but the wrong key: the AEAD refuses.
    with pytest.raises(DecryptionFailed):
        _receive(data, moscow, washington, ChainKey(1, 1, bytes(32)))


def test_open_refuses_other_versions_and_recipients(
    seal3: Sealer,
    seal: Callable[..., Envelope],
    moscow: Identity,
    washington: Identity,
    mallory: Identity,
) -> None:
    with pytest.raises(LocalProtocolError):
        open_envelope_ratcheted(seal(moscow, washington), recipient=washington, chain=None)
    first, _ = seal3(1, None)
    with pytest.raises(DecryptionFailed, match="another party"):
        open_envelope_ratcheted(first, recipient=mallory, chain=None)
    # Sealed to Mallory's key but addressed to Washington: ek does not open.
    misdirected, _ = seal_envelope_ratcheted(
        header=EnvelopeHeader.decode(first.header.encode()).__class__(
            **{
                f: getattr(first.header, f)
                for f in (
                    "message_id",
                    "sender",
                    "recipient",
                    "serial",
                    "sent_at",
                    "time_group",
                    "prev_hash",
                )
            }
        ),
        body=salted({"text": "x"}),
        sender=moscow,
        recipient_encryption_key=mallory.encryption_public,
        chain=None,
    )
    with pytest.raises(DecryptionFailed, match="epoch key"):
        open_envelope_ratcheted(misdirected, recipient=washington, chain=None)


def _resigned(envelope: Envelope, signer: Identity, **changes: Any) -> bytes:
    fields = envelope.header.to_map() | {"body": envelope.body} | changes
    fields = {k: v for k, v in fields.items() if v is not None}
    signature = signer.sign(b"hotline-envelope-v1\x00" + cbor2.dumps(fields, canonical=True))
    return cbor2.dumps(fields | {"signature": signature}, canonical=True)


def test_tampering_by_the_sender_is_refused(
    seal3: Sealer, moscow: Identity, washington: Identity
) -> None:
    first, chain = seal3(1, None)
    second, _ = seal3(2, chain)
    assert first.header.epoch_key is not None
    _, receiver = _receive(first.encode(), moscow, washington, None)
    flipped_body = second.body[:-1] + bytes([second.body[-1] ^ 1])
    flipped_ek = first.header.epoch_key[:-1] + bytes([first.header.epoch_key[-1] ^ 1])
    cases: list[tuple[bytes, ChainKey | None, type[Exception]]] = [
        (_resigned(second, moscow, body=flipped_body), receiver, DecryptionFailed),
        (_resigned(second, moscow, ch="other"), receiver, DecryptionFailed),  # header is the AAD
        (_resigned(first, moscow, ek=flipped_ek), None, DecryptionFailed),
        (_resigned(second, moscow, ek=first.header.epoch_key), receiver, EnvelopeInvalid),
        (_resigned(first, moscow, ek=None), None, EnvelopeInvalid),
        (_resigned(second, moscow, es=3), receiver, EnvelopeInvalid),
        (_resigned(second, moscow, es=0), receiver, EnvelopeInvalid),
        (_resigned(second, moscow, es=None), receiver, EnvelopeInvalid),
        (_resigned(first, moscow, ek=b"short"), None, EnvelopeInvalid),
        (_resigned(second, moscow, bc=bytes(32)), receiver, DecryptionFailed),  # in the AAD
    ]
    for data, chain_held, error in cases:
        with pytest.raises(error):
            _receive(data, moscow, washington, chain_held)
    # Downgraded to a (validly signed) version 2: its body is no HPKE seal.
    downgraded = Envelope.decode(_resigned(second, moscow, v=2, es=None))
    with pytest.raises(DecryptionFailed):
        open_envelope(downgraded, recipient=washington)


def test_tampering_by_anyone_else_breaks_the_signature(
    seal3: Sealer, moscow: Identity, washington: Identity
) -> None:
    first, _chain = seal3(1, None)
    data = first.encode()
    for position in range(0, len(data), 3):
        altered = bytearray(data)
        altered[position] ^= 0x01
        with pytest.raises(DETECTED):
            _receive(bytes(altered), moscow, washington, None)


def test_decode_refuses_non_canonical_and_extra_fields(seal3: Sealer) -> None:
    first, _ = seal3(1, None)
    fields = cbor2.loads(first.encode())
    with pytest.raises(EnvelopeInvalid, match="canonical"):
        Envelope.decode(cbor2.dumps(dict(reversed(fields.items()))))
    with pytest.raises(EnvelopeInvalid, match="canonical"):
        Envelope.decode(first.encode() + b"\x00")
    with pytest.raises(EnvelopeInvalid, match="unknown field 'x'"):
        Envelope.decode(cbor2.dumps(fields | {"x": 1}, canonical=True))
    with pytest.raises(EnvelopeInvalid, match="missing field 'es'"):
        Envelope.decode(cbor2.dumps({k: v for k, v in fields.items() if k != "es"}, canonical=True))
    with pytest.raises(EnvelopeInvalid, match="sealed body"):
        Envelope.decode(cbor2.dumps(fields | {"body": b"x" * 16}, canonical=True))


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"epoch": None}, "needs its epoch"),
        ({"epoch": 0}, "from 1 to the serial"),
        ({"epoch": 6}, "from 1 to the serial"),
        ({"epoch": True}, "integer"),
        ({"serial": 5 + EPOCH_MESSAGES, "epoch": 5}, "at most"),
        ({"epoch": 5, "epoch_key": None}, "must carry its key"),
        ({"epoch": 5, "epoch_key": bytes(79)}, "80 bytes"),
        ({"epoch": 4, "epoch_key": bytes(80)}, "only the envelope that opens"),
    ],
)
def test_invalid_version_3_headers(
    make_header: Callable[..., EnvelopeHeader],
    moscow: Identity,
    washington: Identity,
    overrides: dict[str, Any],
    match: str,
) -> None:
    fields: dict[str, Any] = {"version": 3, "serial": 5, "prev_hash": b"\x01" * 32, "epoch": 4}
    fields |= overrides
    with pytest.raises(EnvelopeInvalid, match=match):
        make_header(moscow, washington, **fields)


def test_versions_1_and_2_carry_no_epoch(
    make_header: Callable[..., EnvelopeHeader], moscow: Identity, washington: Identity
) -> None:
    for version in (1, 2):
        with pytest.raises(EnvelopeInvalid, match="no epoch"):
            make_header(moscow, washington, version=version, epoch=1)
        with pytest.raises(EnvelopeInvalid, match="no epoch"):
            make_header(moscow, washington, version=version, epoch_key=bytes(80))


def test_seal_refuses_caller_mistakes(
    seal3: Sealer,
    make_header: Callable[..., EnvelopeHeader],
    moscow: Identity,
    washington: Identity,
) -> None:
    with pytest.raises(LocalProtocolError, match="random_bytes"):
        seal3(1, None, random_bytes=lambda n: b"short")
    with pytest.raises(LocalProtocolError, match="sender"):
        seal_envelope_ratcheted(
            header=make_header(washington, moscow),
            body=salted({"text": "x"}),
            sender=moscow,
            recipient_encryption_key=washington.encryption_public,
            chain=None,
        )
    with pytest.raises(LocalProtocolError, match="salt"):
        seal_envelope_ratcheted(
            header=make_header(moscow, washington),
            body={"text": "x"},
            sender=moscow,
            recipient_encryption_key=washington.encryption_public,
            chain=None,
        )


def test_sealing_is_deterministic_but_for_hpke(
    seal3: Sealer, moscow: Identity, washington: Identity
) -> None:
    # Same secret, same message: the chain and (mid-epoch) the whole envelope repeat;
    # the opener's ek differs (HPKE draws its own ephemeral key).
    first_a, chain_a = seal3(1, None, random_bytes=fixed())
    first_b, chain_b = seal3(1, None, random_bytes=fixed())
    assert chain_a == chain_b
    assert first_a.header.epoch_key != first_b.header.epoch_key
    body = salted({"text": "same"}, lambda n: bytes(n))
    header = dataclasses.replace(
        first_a.header,
        version=2,
        serial=2,
        prev_hash=b"\x01" * 32,
        epoch=None,
        epoch_key=None,
        body_commitment=None,
    )
    one = seal_envelope_ratcheted(
        header=header,
        body=body,
        sender=moscow,
        recipient_encryption_key=washington.encryption_public,
        chain=chain_a,
    )
    two = seal_envelope_ratcheted(
        header=header,
        body=body,
        sender=moscow,
        recipient_encryption_key=washington.encryption_public,
        chain=chain_b,
    )
    assert one[0].encode() == two[0].encode()
