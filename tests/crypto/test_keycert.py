"""Key certificates: the master key vouching for an operational key, counter-signed by it."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.crypto import (
    KEY_KINDS,
    MAX_KEY_CERTIFICATE_BYTES,
    KeyCertificate,
    SoftwareSigner,
    certify_key,
    key_id,
)
from hotline.errors import CardInvalid, InvalidArgument

NOT_BEFORE = 1_790_000_000  # 2026-09-21
NOT_AFTER = NOT_BEFORE + 365 * 86400


def signer(label: str) -> SoftwareSigner:
    return SoftwareSigner(
        Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())
    )


MASTER = signer("Moscow master")
OPERATIONAL = signer("Moscow signing 1")
TLS = signer("Moscow tls 1")
ENCRYPTION = (
    X25519PrivateKey.from_private_bytes(hashlib.sha256(b"Moscow encryption 1").digest())
    .public_key()
    .public_bytes_raw()
)


def certificate(kind: str = "signing", **overrides: Any) -> KeyCertificate:
    arguments: dict[str, Any] = {
        "master": MASTER,
        "party": "Moscow",
        "kind": kind,
        "public_key": {
            "signing": OPERATIONAL.public_key,
            "tls": TLS.public_key,
            "encryption": ENCRYPTION,
        }[kind],
        "serial": 1,
        "not_before": NOT_BEFORE,
        "not_after": NOT_AFTER,
        "key_signer": {"signing": OPERATIONAL, "tls": TLS, "encryption": None}[kind],
    }
    arguments.update(overrides)
    return certify_key(**arguments)


@pytest.mark.parametrize("kind", KEY_KINDS)
def test_round_trip_and_determinism(kind: str) -> None:
    made = certificate(kind)
    encoded = made.encode()
    assert KeyCertificate.decode(encoded) == made
    assert certificate(kind).encode() == encoded  # Ed25519 and canonical CBOR: deterministic
    assert len(encoded) <= MAX_KEY_CERTIFICATE_BYTES
    assert made.key_id == key_id(kind, made.public_key)
    assert made.key_id.startswith(f"{kind}-")
    assert len(made.key_id) == len(kind) + 17


@settings(max_examples=40, deadline=None)
@given(
    party=st.sampled_from(["Moscow", "Washington", "Москва", "Beijing MFA"]),
    kind=st.sampled_from(KEY_KINDS),
    seed=st.binary(min_size=32, max_size=32),
    serial=st.integers(min_value=1, max_value=2**40),
    not_before=st.integers(min_value=0, max_value=2**33),
    length=st.integers(min_value=1, max_value=2**31),
)
def test_any_certificate_round_trips(
    party: str, kind: str, seed: bytes, serial: int, not_before: int, length: int
) -> None:
    if kind == "encryption":
        public = X25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
        key_signer = None
    else:
        key_signer = SoftwareSigner(Ed25519PrivateKey.from_private_bytes(seed))
        public = key_signer.public_key
    made = certify_key(
        master=MASTER,
        party=party,
        kind=kind,
        public_key=public,
        serial=serial,
        not_before=not_before,
        not_after=not_before + length,
        key_signer=key_signer,
    )
    decoded = KeyCertificate.decode(made.encode())
    assert decoded == made
    assert decoded.valid_at(not_before)
    assert not decoded.valid_at(not_before + length)


def test_encryption_certificate_has_no_counter_signature() -> None:
    made = certificate("encryption")
    assert made.key_signature == b""
    assert "key_signature" not in cbor2.loads(made.encode())
    with pytest.raises(InvalidArgument, match="cannot sign"):
        certificate("encryption", key_signer=OPERATIONAL)


def test_signing_certificate_needs_the_new_key_to_counter_sign() -> None:
    with pytest.raises(InvalidArgument, match="counter-sign"):
        certificate("signing", key_signer=None)
    # Another key cannot counter-sign for it: the master cannot certify someone else's key.
    with pytest.raises(InvalidArgument, match="counter-sign"):
        certificate("signing", key_signer=TLS)


def _edited(made: KeyCertificate, **changes: Any) -> bytes:
    document = cbor2.loads(made.encode())
    document.update(changes)
    return cbor2.dumps(document, canonical=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"serial": 2}, "master key's signature does not verify"),
        ({"not_after": NOT_AFTER + 1}, "master key's signature does not verify"),
        ({"party": "Mallory"}, "master key's signature does not verify"),
        ({"kind": "tls"}, "master key's signature does not verify"),
        ({"key_signature": bytes(64)}, "counter-signature does not verify"),
        ({"v": 2}, "unsupported version 2"),
        ({"extra": 1}, "unexpected fields ['extra']"),
        ({"serial": True}, "field 'serial' must be int"),
        ({"serial": 0}, "serial starts at 1"),
        ({"not_after": NOT_BEFORE}, "later than 'not_before'"),
        ({"kind": "master"}, "is not one of"),
        ({"key": bytes(31)}, "field 'key' must be 32 bytes"),
    ],
)
def test_tampered_or_malformed_certificates_are_refused(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(CardInvalid, match=message.replace("[", r"\[").replace("]", r"\]")):
        KeyCertificate.decode(_edited(certificate("signing"), **changes))


def test_a_certificate_signed_by_another_master_is_refused() -> None:
    made = certificate("signing")
    forged = certificate("signing", master=signer("Mallory master"))
    # The forged one is consistent in itself; swapping in the real master key breaks it.
    with pytest.raises(CardInvalid, match="master key's signature"):
        dataclasses.replace(forged, master_key=made.master_key).verify()


def test_missing_field_and_non_canonical_and_junk_are_refused() -> None:
    made = certificate("tls")
    document = cbor2.loads(made.encode())
    del document["key_signature"]
    with pytest.raises(CardInvalid, match="missing \\['key_signature'\\]"):
        KeyCertificate.decode(cbor2.dumps(document, canonical=True))
    # The same fields in another order: a second encoding of one certificate.
    reordered = dict(reversed(list(cbor2.loads(made.encode()).items())))
    with pytest.raises(CardInvalid, match="canonical"):
        KeyCertificate.decode(cbor2.dumps(reordered, canonical=False))
    with pytest.raises(CardInvalid, match="not CBOR"):
        KeyCertificate.decode(b"\xff\xff")
    with pytest.raises(CardInvalid, match="not a CBOR map"):
        KeyCertificate.decode(cbor2.dumps([1, 2]))
    with pytest.raises(CardInvalid, match="byte limit"):
        KeyCertificate.decode(b"\xa0" * (MAX_KEY_CERTIFICATE_BYTES + 1))


def test_the_master_key_cannot_certify_itself() -> None:
    with pytest.raises(CardInvalid, match="must not be the master key"):
        certificate("signing", public_key=MASTER.public_key, key_signer=MASTER)


def test_key_id_depends_on_kind_and_key() -> None:
    assert key_id("signing", OPERATIONAL.public_key) != key_id("tls", OPERATIONAL.public_key)
    assert key_id("signing", OPERATIONAL.public_key) != key_id("signing", TLS.public_key)
    with pytest.raises(InvalidArgument):
        key_id("master", OPERATIONAL.public_key)
