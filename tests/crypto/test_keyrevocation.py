"""Key revocations: the master withdrawing an operational key, signed and strictly decoded."""

from __future__ import annotations

import dataclasses
import hashlib

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.crypto import (
    KEY_KINDS,
    KEY_REVOCATION_DOMAIN,
    MAX_REVOCATION_REASON,
    KeyRevocation,
    SoftwareSigner,
    key_id,
    revoke_key,
)
from hotline.errors import InvalidArgument

SINCE = 1_790_000_000  # 2026-09-21
REVOKED_AT = SINCE + 3600


def signer(label: str) -> SoftwareSigner:
    return SoftwareSigner(
        Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())
    )


MASTER = signer("Washington master")
LEAKED = signer("Washington tls 1")


def revocation(**overrides: object) -> KeyRevocation:
    fields: dict[str, object] = {
        "master": MASTER,
        "party": "Washington",
        "kind": "tls",
        "public_key": LEAKED.public_key,
        "compromised_since": SINCE,
        "revoked_at": REVOKED_AT,
        "reason": "key.pem found on a lost laptop",
    }
    fields.update(overrides)
    return revoke_key(**fields)  # type: ignore[arg-type]


def test_a_revocation_round_trips_and_names_the_key() -> None:
    made = revocation()
    assert KeyRevocation.decode(made.encode()) == made
    assert made.key_id == key_id("tls", LEAKED.public_key)
    assert made.signed_bytes().startswith(KEY_REVOCATION_DOMAIN)
    assert made.master_key == MASTER.public_key


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(KEY_KINDS),
    since=st.integers(min_value=0, max_value=2**34),
    delay=st.integers(min_value=0, max_value=10**6),
    reason=st.text(min_size=1, max_size=MAX_REVOCATION_REASON).filter(lambda t: t.strip() != ""),
)
def test_any_revocation_round_trips(kind: str, since: int, delay: int, reason: str) -> None:
    made = revocation(kind=kind, compromised_since=since, revoked_at=since + delay, reason=reason)
    encoded = made.encode()
    assert KeyRevocation.decode(encoded) == made
    assert KeyRevocation.decode(encoded).encode() == encoded


def _document(made: KeyRevocation) -> dict[str, object]:
    document: dict[str, object] = cbor2.loads(made.encode())
    return document


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reason", "another reason"),
        ("compromised_since", SINCE - 1),
        ("party", "Moscow"),
        ("key", signer("other").public_key),
        ("kind", "signing"),
    ],
)
def test_a_changed_field_breaks_the_signature(field: str, value: object) -> None:
    document = _document(revocation())
    document[field] = value
    with pytest.raises(InvalidArgument, match="signature does not verify"):
        KeyRevocation.decode(cbor2.dumps(document, canonical=True))


def test_another_master_cannot_pass_for_the_party() -> None:
    # A thief with only the leaked key signs as "master": the signature holds
    # under the key it names, so a peer must compare it with the pinned master.
    forged = revocation(master=LEAKED, public_key=signer("Washington tls 2").public_key)
    assert KeyRevocation.decode(forged.encode()).master_key != MASTER.public_key
    document = _document(revocation())
    document["master_key"] = signer("someone else").public_key
    with pytest.raises(InvalidArgument, match="signature does not verify"):
        KeyRevocation.decode(cbor2.dumps(document, canonical=True))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "master"}, "kind"),
        ({"reason": "  "}, "a reason is required"),
        ({"reason": "x" * (MAX_REVOCATION_REASON + 1)}, "over 500"),
        ({"compromised_since": REVOKED_AT + 1}, "later than it is revoked"),
        ({"compromised_since": -1}, "compromised_since"),
        ({"public_key": MASTER.public_key}, "master-key change"),
        ({"party": ""}, "party name"),
    ],
)
def test_a_malformed_revocation_is_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        revocation(**overrides)


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xfe", cbor2.dumps([1, 2]), cbor2.dumps({"v": 2}), b"\xa0" * 5000],
)
def test_junk_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidArgument):
        KeyRevocation.decode(data)


def test_extra_fields_and_non_canonical_bytes_are_refused() -> None:
    document = _document(revocation())
    document["extra"] = 1
    with pytest.raises(InvalidArgument, match="unexpected"):
        KeyRevocation.decode(cbor2.dumps(document, canonical=True))
    made = revocation()
    loose = cbor2.dumps(dict(reversed(list(_document(made).items()))))
    assert loose != made.encode()
    with pytest.raises(InvalidArgument, match="canonical"):
        KeyRevocation.decode(loose)


def test_a_changed_signature_is_refused() -> None:
    made = revocation()
    bad = dataclasses.replace(made, master_signature=bytes(64))
    with pytest.raises(InvalidArgument, match="signature does not verify"):
        bad.verify()
