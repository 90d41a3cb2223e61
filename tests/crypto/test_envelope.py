"""Envelopes: header rules, canonical encoding, seal/verify/open, and tampering.

The body commitment itself (version 2) and version-1 compatibility are in
test_commitment.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from hotline.crypto import (
    BODY_DOMAIN,
    ENVELOPE_DOMAIN,
    MAX_BODY_BYTES,
    MAX_ENVELOPE_BYTES,
    MAX_SERIAL,
    ZERO_HASH,
    Envelope,
    EnvelopeHeader,
    Identity,
    Precedence,
    body_commitment,
    new_message_id,
    open_envelope,
    salted,
    seal_envelope,
    verify_envelope,
)
from hotline.errors import (
    CryptoError,
    DecryptionFailed,
    EnvelopeInvalid,
    LocalProtocolError,
    MessageTooLarge,
    SignatureInvalid,
    WrongSigner,
)
from hotline.utc import format_utc, time_group
from tests.crypto.helpers import without_salt

DETECTED = (EnvelopeInvalid, SignatureInvalid, DecryptionFailed, WrongSigner)
SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)

# -- strategies ----------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(9999, 12, 31, 23, 59, 59),
    timezones=st.just(UTC),
)
keys32 = st.binary(min_size=32, max_size=32)


@st.composite
def headers(draw: st.DrawFn) -> EnvelopeHeader:
    moment = draw(moments)
    serial = draw(st.one_of(st.just(1), st.integers(min_value=1, max_value=MAX_SERIAL)))
    prev_hash = ZERO_HASH if serial == 1 else draw(keys32.filter(lambda b: b != ZERO_HASH))
    version = draw(st.sampled_from([1, 2]))
    return EnvelopeHeader(
        version=version,
        message_id=draw(st.binary(min_size=16, max_size=16)).hex(),
        sender=draw(keys32),
        recipient=draw(keys32),
        channel=draw(st.from_regex(r"[a-z0-9_-]{1,32}", fullmatch=True)),
        serial=serial,
        sent_at=format_utc(moment),
        time_group=time_group(moment),
        precedence=draw(st.sampled_from(Precedence)),
        kind=draw(st.from_regex(r"[a-z]{1,32}", fullmatch=True)),
        prev_hash=prev_hash,
        body_commitment=draw(keys32) if version == 2 else None,
    )


envelopes = st.builds(
    Envelope,
    header=headers(),
    body=st.binary(min_size=49, max_size=300),
    signature=st.binary(min_size=64, max_size=64),
)
cbor_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.binary(max_size=40),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


_VALID_ENCODING = Envelope(
    header=EnvelopeHeader(
        message_id="00" * 16,
        sender=b"\x01" * 32,
        recipient=b"\x02" * 32,
        serial=1,
        sent_at="1973-10-23T16:00:00.000000Z",
        time_group="231600Z",
        prev_hash=ZERO_HASH,
        body_commitment=b"\x05" * 32,
    ),
    body=b"\x03" * 60,
    signature=b"\x04" * 64,
).encode()
ENVELOPE_KEYS = (
    "v",
    "id",
    "from",
    "to",
    "ch",
    "n",
    "at",
    "tg",
    "pr",
    "k",
    "prev",
    "bc",
    "body",
    "signature",
)


def _accept(data: bytes, sender: Identity, recipient: Identity) -> dict[str, Any]:
    """What a receiving terminal does with bytes off the wire, in order."""
    envelope = Envelope.decode(data)
    verify_envelope(envelope, sender_signing_key=sender.signing_public)
    return open_envelope(envelope, recipient=recipient)


def _sign_raw(sender: Identity, header: EnvelopeHeader, body: bytes) -> Envelope:
    """Sign per the spec, independently of the module's private helper."""
    signed = ENVELOPE_DOMAIN + cbor2.dumps({**header.to_map(), "body": body}, canonical=True)
    return Envelope(header=header, body=body, signature=sender.sign(signed))


# -- round trips ---------------------------------------------------------------


@given(headers())
def test_header_round_trip(header: EnvelopeHeader) -> None:
    assert EnvelopeHeader.decode(header.encode()) == header
    assert EnvelopeHeader.from_map(header.to_map()) == header


@given(envelopes)
def test_envelope_round_trip(envelope: Envelope) -> None:
    data = envelope.encode()
    assert Envelope.decode(data) == envelope
    assert Envelope.decode(data).encode() == data
    assert envelope.hash == hashlib.sha256(data).digest()


def test_seal_verify_open(seal: Callable[..., Envelope], moscow, washington) -> None:
    envelope = seal(moscow, washington, {"text": "Привет, Вашингтон", "lang": "ru"})
    assert without_salt(_accept(envelope.encode(), moscow, washington)) == {
        "text": "Привет, Вашингтон",
        "lang": "ru",
    }


def test_sealing_is_randomised_but_both_open(seal, moscow, washington) -> None:
    one, two = seal(moscow, washington), seal(moscow, washington)
    assert one.body != two.body
    assert one.hash != two.hash
    opened_one = open_envelope(one, recipient=washington)
    opened_two = open_envelope(two, recipient=washington)
    assert without_salt(opened_one) == without_salt(opened_two) == {"text": "Hello, Washington."}
    # Each seal salts afresh, so the same text never gives the same commitment.
    assert opened_one["salt"] != opened_two["salt"]
    assert one.header.body_commitment != two.header.body_commitment


def test_other_kinds_carry_any_text_keyed_map(seal, moscow, washington) -> None:
    body = {"fields": {"a": [1, 2]}, "schema": "notice-v1"}
    envelope = seal(moscow, washington, body, kind="notice")
    assert without_salt(_accept(envelope.encode(), moscow, washington)) == body


# -- header rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"version": 0},
        {"version": 3},
        {"version": True},
        {"version": 1, "body_commitment": b"\x01" * 32},
        {"body_commitment": bytes(31)},
        {"body_commitment": "00" * 32},
        {"message_id": "00112233445566778899AABBCCDDEEFF"},
        {"message_id": "0011223344556677889900"},
        {"message_id": 7},
        {"sender": bytes(31)},
        {"recipient": "x" * 32},
        {"channel": ""},
        {"channel": "Leaders"},
        {"channel": "x" * 33},
        {"serial": 0},
        {"serial": -1},
        {"serial": MAX_SERIAL + 1, "prev_hash": b"\x01" * 32},
        {"serial": True},
        {"sent_at": "1973-10-23T16:00:00Z"},
        {"sent_at": "1973-10-23 16:00:00.000000"},
        {"time_group": "231601Z"},
        {"precedence": "flash"},
        {"kind": ""},
        {"kind": "Text"},
        {"kind": "te-xt"},
        {"prev_hash": b"\x01" * 32},
        {"serial": 2},
        {"prev_hash": bytes(31)},
    ],
)
def test_invalid_header_fields(make_header, moscow, washington, overrides: dict[str, Any]) -> None:
    with pytest.raises(EnvelopeInvalid):
        make_header(moscow, washington, **overrides)


def test_later_serials_chain(make_header, moscow, washington) -> None:
    header = make_header(moscow, washington, serial=2, prev_hash=b"\x07" * 32)
    assert header.serial == 2


def test_envelope_field_rules(seal, moscow, washington) -> None:
    envelope = seal(moscow, washington)
    with pytest.raises(EnvelopeInvalid):
        dataclasses.replace(envelope, body=envelope.body[:48])
    with pytest.raises(EnvelopeInvalid):
        dataclasses.replace(envelope, body=bytes(MAX_BODY_BYTES + 49))
    with pytest.raises(EnvelopeInvalid):
        dataclasses.replace(envelope, signature=envelope.signature[:63])
    with pytest.raises(EnvelopeInvalid):
        dataclasses.replace(envelope, header=envelope.header.to_map())


def test_precedence_rank_orders_flash_first() -> None:
    ordered = sorted(Precedence, key=lambda p: p.rank, reverse=True)
    assert ordered == [
        Precedence.FLASH,
        Precedence.IMMEDIATE,
        Precedence.PRIORITY,
        Precedence.ROUTINE,
    ]
    assert Precedence("flash") is Precedence.FLASH


# -- decoding strictness -------------------------------------------------------


def _fields(envelope: Envelope) -> dict[str, Any]:
    fields = cbor2.loads(envelope.encode())
    assert isinstance(fields, dict)
    return fields


@pytest.mark.parametrize(
    "edit",
    [
        lambda f: f.pop("n"),
        lambda f: f.pop("signature"),
        lambda f: f.update(extra=1),
        lambda f: f.update(n="1"),
        lambda f: f.update(v=True),
        lambda f: f.update(pr="urgent"),
        lambda f: f.update(pr=3),
        lambda f: f.update(body="text"),
        lambda f: f.update(to=None),
        lambda f: f.pop("bc"),
        lambda f: f.update(bc=bytes(31)),
        lambda f: f.update(bc=None),
        lambda f: f.update(v=1),  # a version-1 envelope has no "bc"
        lambda f: f.update(v=3),
    ],
)
def test_decode_rejects_wrong_fields(seal, moscow, washington, edit) -> None:
    fields = _fields(seal(moscow, washington))
    edit(fields)
    with pytest.raises(EnvelopeInvalid):
        Envelope.decode(cbor2.dumps(fields, canonical=True))


def test_decode_rejects_non_canonical_forms(seal, moscow, washington) -> None:
    envelope = seal(moscow, washington)
    data = envelope.encode()
    fields = _fields(envelope)
    reordered = dict(sorted(fields.items(), reverse=True))
    non_text_key: dict[Any, Any] = {**fields, 1: 2}
    assert cbor2.dumps(reordered) != data
    for bad in (
        data + b"\x00",
        cbor2.dumps(reordered),
        cbor2.dumps(fields, canonical=True, indefinite_containers=True),
        b"\xbf" + data[1:] + b"\xff",
        cbor2.dumps([fields], canonical=True),
        cbor2.dumps(non_text_key, canonical=True),
        b"",
    ):
        with pytest.raises(EnvelopeInvalid):
            Envelope.decode(bad)


def test_decode_rejects_oversize_input() -> None:
    with pytest.raises(EnvelopeInvalid, match="limit"):
        Envelope.decode(bytes(MAX_ENVELOPE_BYTES + 1))


def test_decode_rejects_non_bytes() -> None:
    with pytest.raises(EnvelopeInvalid):
        Envelope.decode("not bytes")  # type: ignore[arg-type]


@given(st.binary(max_size=600))
def test_decode_of_arbitrary_bytes_only_raises_envelope_invalid(data: bytes) -> None:
    try:
        envelope = Envelope.decode(data)
    except EnvelopeInvalid:
        return
    assert envelope.encode() == data  # anything accepted is canonical


@given(st.dictionaries(st.sampled_from(["v", "id", "n", "pr", "bc", "body", "x"]), cbor_values))
def test_decode_of_arbitrary_maps_only_raises_envelope_invalid(fields: dict[str, Any]) -> None:
    with pytest.raises(EnvelopeInvalid):
        Envelope.decode(cbor2.dumps(fields, canonical=True))


@given(key=st.sampled_from(ENVELOPE_KEYS), value=cbor_values)
def test_decode_with_one_field_replaced_only_raises_envelope_invalid(key: str, value: Any) -> None:
    fields = cbor2.loads(_VALID_ENCODING)
    fields[key] = value
    try:
        envelope = Envelope.decode(cbor2.dumps(fields, canonical=True))
    except EnvelopeInvalid:
        return
    # Accepted only if the replacement was itself a valid value for the field.
    assert envelope.encode() == cbor2.dumps(fields, canonical=True)


# -- sealing rules ---------------------------------------------------------------


def test_seal_refuses_header_of_another_sender(make_header, moscow, washington) -> None:
    with pytest.raises(LocalProtocolError):
        seal_envelope(
            header=make_header(washington, moscow),
            body=salted({"text": "x"}),
            sender=moscow,
            recipient_encryption_key=washington.encryption_public,
        )


SALT = bytes(range(16))


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"salt": SALT}, "'text' field"),
        ({"text": 7, "salt": SALT}, "'text' field"),
        ({"txt": "x", "salt": SALT}, "'text' field"),
        ({1: "x", "salt": SALT}, "keys must be text"),
        (["text"], "mapping"),
        ({"text": "x", "salt": SALT, "bad": object()}, "CBOR"),
        ({"text": "x"}, "salt"),
        ({"text": "x", "salt": SALT[:15]}, "salt"),
        ({"text": "x", "salt": SALT.hex()}, "salt"),
    ],
)
def test_seal_refuses_bodies_that_do_not_fit(
    make_header, moscow, washington, body, why: str
) -> None:
    with pytest.raises(LocalProtocolError, match=why):
        seal_envelope(
            header=make_header(moscow, washington),
            body=body,
            sender=moscow,
            recipient_encryption_key=washington.encryption_public,
        )


def test_body_size_limit(seal, moscow, washington) -> None:
    # Map head, "text" key, a 3-byte string head, "salt" key, salt head and 16 bytes.
    length = MAX_BODY_BYTES - 31
    largest = {"text": "a" * length, "salt": SALT}
    assert len(cbor2.dumps(largest, canonical=True)) == MAX_BODY_BYTES
    envelope = seal(moscow, washington, largest)
    assert len(envelope.encode()) <= MAX_ENVELOPE_BYTES
    assert _accept(envelope.encode(), moscow, washington) == largest
    with pytest.raises(MessageTooLarge):
        seal(moscow, washington, {"text": "a" * (length + 1), "salt": SALT})


@pytest.mark.parametrize("key", [bytes(32), bytes(31), b"\x01" + bytes(31)])
def test_seal_refuses_unusable_recipient_keys(make_header, moscow, washington, key) -> None:
    with pytest.raises(CryptoError):
        seal_envelope(
            header=make_header(moscow, washington),
            body=salted({"text": "x"}),
            sender=moscow,
            recipient_encryption_key=key,
        )


def test_new_message_id() -> None:
    assert new_message_id(lambda n: bytes(range(n))) == "000102030405060708090a0b0c0d0e0f"
    generated = {new_message_id() for _ in range(20)}
    assert len(generated) == 20
    assert all(len(m) == 32 and m == m.lower() for m in generated)
    with pytest.raises(LocalProtocolError):
        new_message_id(lambda n: bytes(n - 1))


# -- verification and opening ------------------------------------------------------


def test_verify_rejects_another_sender(seal, moscow, washington, mallory) -> None:
    envelope = seal(moscow, washington)
    with pytest.raises(WrongSigner):
        verify_envelope(envelope, sender_signing_key=mallory.signing_public)


def test_verify_rejects_forged_signature(make_header, moscow, washington, mallory) -> None:
    # Mallory seals a message that claims to be from Moscow.
    plaintext = cbor2.dumps(salted({"text": "forged"}), canonical=True)
    header = make_header(moscow, washington, body_commitment=body_commitment(plaintext))
    sealed = SUITE.encrypt(
        plaintext,
        X25519PublicKey.from_public_bytes(washington.encryption_public),
        info=BODY_DOMAIN + header.encode(),
    )
    forged = _sign_raw(mallory, header, sealed)
    with pytest.raises(SignatureInvalid):
        verify_envelope(forged, sender_signing_key=moscow.signing_public)
    # It would open: opening alone authenticates nothing.
    assert without_salt(open_envelope(forged, recipient=washington)) == {"text": "forged"}


def test_signature_matches_the_specification(seal, moscow, washington) -> None:
    envelope = seal(moscow, washington)
    assert _sign_raw(moscow, envelope.header, envelope.body) == envelope


def test_swapped_bodies_are_detected(seal, moscow, washington) -> None:
    one = seal(moscow, washington, {"text": "one"})
    two = seal(moscow, washington, {"text": "two"}, message_id="ff" * 16)
    swapped = dataclasses.replace(one, body=two.body)
    with pytest.raises(SignatureInvalid):
        verify_envelope(swapped, sender_signing_key=moscow.signing_public)


def test_body_is_bound_to_its_header(seal, make_header, moscow, washington) -> None:
    # Even the sender cannot re-use a sealed body under another header.
    original = seal(moscow, washington)
    other_header = make_header(
        moscow,
        washington,
        serial=2,
        prev_hash=original.hash,
        body_commitment=original.header.body_commitment,
    )
    moved = _sign_raw(moscow, other_header, original.body)
    verify_envelope(moved, sender_signing_key=moscow.signing_public)
    with pytest.raises(DecryptionFailed):
        open_envelope(moved, recipient=washington)


def test_open_refuses_envelopes_for_others(seal, make_header, moscow, washington, mallory) -> None:
    envelope = seal(moscow, washington)
    with pytest.raises(DecryptionFailed, match="another party"):
        open_envelope(envelope, recipient=mallory)
    # Addressed to Washington but sealed to Mallory's encryption key.
    misdirected = seal_envelope(
        header=make_header(moscow, washington),
        body=salted({"text": "x"}),
        sender=moscow,
        recipient_encryption_key=mallory.encryption_public,
    )
    with pytest.raises(DecryptionFailed):
        open_envelope(misdirected, recipient=washington)


@pytest.mark.parametrize(
    ("plaintext", "kind"),
    [
        (cbor2.dumps(["text"], canonical=True), "text"),
        (cbor2.dumps({"txt": "x", "salt": SALT}, canonical=True), "text"),
        (cbor2.dumps({"text": b"x", "salt": SALT}, canonical=True), "text"),
        (cbor2.dumps({1: "x", "salt": SALT}, canonical=True), "notice"),
        (cbor2.dumps({"text": "x", "a": 1, "salt": SALT}), "text"),  # not canonical
        (cbor2.dumps({"text": "x", "salt": SALT}, canonical=True) + b"\x00", "text"),
        (cbor2.dumps({"text": "x"}, canonical=True), "text"),  # no salt
        (cbor2.dumps({"text": "x", "salt": SALT[:8]}, canonical=True), "text"),
    ],
)
def test_open_rejects_malformed_plaintext(
    make_header, moscow, washington, plaintext: bytes, kind: str
) -> None:
    # The commitment is over these very bytes, so only the malformation can fail.
    header = make_header(moscow, washington, kind=kind, body_commitment=body_commitment(plaintext))
    sealed = SUITE.encrypt(
        plaintext,
        X25519PublicKey.from_public_bytes(washington.encryption_public),
        info=BODY_DOMAIN + header.encode(),
    )
    envelope = _sign_raw(moscow, header, sealed)
    verify_envelope(envelope, sender_signing_key=moscow.signing_public)
    with pytest.raises(EnvelopeInvalid):
        open_envelope(envelope, recipient=washington)


# -- tampering -----------------------------------------------------------------


@pytest.mark.parametrize("mask", [0x01, 0x80, 0xFF])
def test_every_single_byte_flip_is_detected(seal, moscow, washington, mask: int) -> None:
    data = seal(moscow, washington).encode()
    assert _accept(data, moscow, washington)
    for index in range(len(data)):
        flipped = bytearray(data)
        flipped[index] ^= mask
        with pytest.raises(DETECTED):
            _accept(bytes(flipped), moscow, washington)


def test_every_byte_deletion_and_truncation_is_detected(seal, moscow, washington) -> None:
    data = seal(moscow, washington).encode()
    for index in range(len(data)):
        with pytest.raises(DETECTED):
            _accept(data[:index] + data[index + 1 :], moscow, washington)
        with pytest.raises(DETECTED):
            _accept(data[:index], moscow, washington)


@pytest.mark.parametrize(
    "overrides",
    [
        {"message_id": "ff" * 16},
        {"channel": "staff"},
        {"serial": 2, "prev_hash": b"\x09" * 32},
        {"sent_at": "1973-10-23T16:00:00.000001Z"},
        {"precedence": Precedence.ROUTINE},
        {"kind": "notice"},
        {"body_commitment": b"\x09" * 32},
    ],
)
def test_any_header_change_breaks_the_signature(seal, moscow, washington, overrides) -> None:
    envelope = seal(moscow, washington)
    header = dataclasses.replace(envelope.header, **overrides)
    changed = dataclasses.replace(envelope, header=header)
    with pytest.raises(SignatureInvalid):
        verify_envelope(changed, sender_signing_key=moscow.signing_public)
    with pytest.raises(DecryptionFailed):
        open_envelope(changed, recipient=washington)
