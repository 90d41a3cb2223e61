"""Two-tier cards (version 2): a master key, certified operational keys, a stable fingerprint."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hotline.crypto import (
    CARD_VERSION_TWO_TIER,
    Identity,
    KeyCertificate,
    PeerCard,
    SoftwareSigner,
    b64url_encode,
    certificate_public_key,
    certify_key,
    fingerprint,
    identity_key,
    make_card,
    make_tls_leaf,
    master_fingerprint,
)
from hotline.errors import CardInvalid, InvalidArgument

NOT_BEFORE = 1_790_000_000
NOT_AFTER = NOT_BEFORE + 365 * 86400
ROUTES = ["127.0.0.1:7001"]


def _key(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


MASTER = SoftwareSigner(Ed25519PrivateKey.from_private_bytes(_key("Moscow master")))


def operational(generation: int) -> Identity:
    """The operational keys of one rotation: the signing and encryption keys."""
    return Identity(
        party="Moscow",
        signing_key=Ed25519PrivateKey.from_private_bytes(_key(f"Moscow signing {generation}")),
        encryption_key=X25519PrivateKey.from_private_bytes(_key(f"Moscow encryption {generation}")),
    )


def certificates(
    identity: Identity, serial: int, master: SoftwareSigner = MASTER
) -> list[KeyCertificate]:
    common: dict[str, Any] = {
        "master": master,
        "party": identity.party,
        "serial": serial,
        "not_before": NOT_BEFORE,
        "not_after": NOT_AFTER,
    }
    return [
        certify_key(
            kind="encryption", public_key=identity.encryption_public, key_signer=None, **common
        ),
        certify_key(
            kind="signing",
            public_key=identity.signing_public,
            key_signer=identity.signer,
            **common,
        ),
    ]


def two_tier_card(generation: int = 1) -> PeerCard:
    identity = operational(generation)
    return make_card(
        identity,
        routes=ROUTES,
        timezone="Europe/Moscow",
        master=MASTER,
        key_certificates=certificates(identity, generation),
    )


def test_round_trip_and_fields() -> None:
    card = two_tier_card()
    assert card.version == CARD_VERSION_TWO_TIER
    assert PeerCard.from_json(card.to_json()) == card
    document = json.loads(card.to_json())
    assert document["hotline_card"] == 2
    assert document["master_key"] == b64url_encode(MASTER.public_key)
    assert len(document["key_certificates"]) == 2
    # Ordered by kind, whatever order they were given in.
    assert [item.kind for item in card.key_certificates] == ["signing", "encryption"]
    assert card.signing_key == operational(1).signing_public
    assert card.master == MASTER.public_key
    # The card's certificate is the master's: the peers' TLS anchor.
    assert certificate_public_key(card.certificate) == MASTER.public_key


def test_fingerprint_is_of_the_master_and_stable_across_rotations() -> None:
    first, second = two_tier_card(1), two_tier_card(2)
    assert first.signing_key != second.signing_key
    assert first.encryption_key != second.encryption_key
    assert first.fingerprint == second.fingerprint
    assert first.fingerprint == master_fingerprint(party="Moscow", master_key=MASTER.public_key)
    # Never equal to the version-1 fingerprint of the same keys.
    assert first.fingerprint != fingerprint(
        party="Moscow", signing_key=MASTER.public_key, encryption_key=first.encryption_key
    )


def test_version_1_cards_are_unchanged() -> None:
    identity = operational(1)
    card = make_card(identity, routes=ROUTES, timezone="Europe/Moscow")
    assert card.version == 1
    assert card.master_key is None
    assert card.master == card.signing_key
    assert "master_key" not in json.loads(card.to_json())
    assert card.fingerprint == fingerprint(
        party="Moscow", signing_key=card.signing_key, encryption_key=card.encryption_key
    )


def test_without_a_signing_certificate_the_master_signs() -> None:
    identity = Identity(
        party="Moscow",
        signer=MASTER,
        encryption_key=X25519PrivateKey.from_private_bytes(_key("Moscow encryption 1")),
    )
    card = make_card(
        identity,
        routes=ROUTES,
        timezone="Europe/Moscow",
        master=MASTER,
        key_certificates=certificates(operational(1), 1)[:1],
    )
    assert card.signing_key == MASTER.public_key
    assert PeerCard.from_json(card.to_json()) == card


def test_signing_key_must_be_the_certified_one() -> None:
    with pytest.raises(CardInvalid, match="signing key is not the one"):
        make_card(
            operational(2),
            routes=ROUTES,
            timezone="Europe/Moscow",
            master=MASTER,
            key_certificates=[
                *certificates(operational(1), 1)[1:],
                *certificates(operational(2), 2)[:1],
            ],
        )
    with pytest.raises(CardInvalid, match="must be the master key"):
        make_card(operational(1), routes=ROUTES, timezone="Europe/Moscow", master=MASTER)


def test_certificates_of_another_master_are_refused() -> None:
    mallory = SoftwareSigner(Ed25519PrivateKey.from_private_bytes(_key("Mallory master")))
    identity = operational(1)
    foreign = certificates(identity, 1, master=mallory)[1]
    with pytest.raises(CardInvalid, match="another party or master key"):
        make_card(
            identity,
            routes=ROUTES,
            timezone="Europe/Moscow",
            master=MASTER,
            key_certificates=[foreign],
        )
    with pytest.raises(InvalidArgument, match="need the master key"):
        make_card(identity, routes=ROUTES, timezone="Europe/Moscow", key_certificates=[foreign])


def test_tampering_is_refused() -> None:
    card = two_tier_card()
    document = json.loads(card.to_json())
    document["signing_key"] = b64url_encode(operational(2).signing_public)
    with pytest.raises(CardInvalid, match="signature does not match"):
        PeerCard.from_json(json.dumps(document))
    document = json.loads(card.to_json())
    document["key_certificates"] = document["key_certificates"][:1]
    with pytest.raises(CardInvalid, match="signature does not match"):
        PeerCard.from_json(json.dumps(document))
    document = json.loads(card.to_json())
    del document["master_key"]
    with pytest.raises(CardInvalid, match="missing field 'master_key'"):
        PeerCard.from_json(json.dumps(document))
    document = json.loads(card.to_json())
    document["key_certificates"] = ["AAAA"]
    with pytest.raises(CardInvalid, match="key certificate"):
        PeerCard.from_json(json.dumps(document))
    with pytest.raises(CardInvalid, match="need a master key"):
        dataclasses.replace(card, master_key=None)


def test_version_1_document_with_two_tier_fields_is_refused() -> None:
    document = json.loads(two_tier_card().to_json())
    document["hotline_card"] = 1
    with pytest.raises(CardInvalid, match="unknown field 'key_certificates'"):
        PeerCard.from_json(json.dumps(document))


def test_tls_leaf_issued_by_the_master_names_the_master() -> None:
    card = two_tier_card()
    tls_key = Ed25519PrivateKey.from_private_bytes(_key("Moscow tls 1"))
    leaf = make_tls_leaf(operational(1), tls_key, issuer=MASTER)
    assert identity_key(leaf, [card.certificate]) == MASTER.public_key


def _signing_certificate(generation: int, serial: int) -> KeyCertificate:
    identity = operational(generation)
    return certify_key(
        master=MASTER,
        party="Moscow",
        kind="signing",
        public_key=identity.signing_public,
        serial=serial,
        not_before=NOT_BEFORE,
        not_after=NOT_AFTER,
        key_signer=identity.signer,
    )


def test_after_a_signing_rotation_the_card_certifies_the_address_and_the_current_key() -> None:
    address = operational(1)
    encryption = certificates(address, 1)[0]
    card = make_card(
        address,
        routes=ROUTES,
        timezone="Europe/Moscow",
        master=MASTER,
        key_certificates=[encryption, _signing_certificate(1, 1), _signing_certificate(2, 2)],
    )
    assert PeerCard.from_json(card.to_json()) == card
    assert [(c.kind, c.serial) for c in card.key_certificates] == [
        ("signing", 1),
        ("signing", 2),
        ("encryption", 1),
    ]
    # The address names the party; the current key is the second signing certificate.
    assert card.signing_key == address.signing_public
    signing = card.key_certificate("signing")
    assert signing is not None
    assert signing.public_key == address.signing_public
    assert card.current_signing is not None
    assert card.current_signing.public_key == operational(2).signing_public
    # Nothing rotated: the only signing certificate is both.
    assert two_tier_card().current_signing == two_tier_card().key_certificate("signing")


def test_a_second_signing_certificate_must_follow_the_address_and_be_newer() -> None:
    address = operational(1)
    common: dict[str, Any] = {"routes": ROUTES, "timezone": "Europe/Moscow", "master": MASTER}
    with pytest.raises(CardInvalid, match="higher serial"):
        make_card(
            address,
            key_certificates=[_signing_certificate(1, 2), _signing_certificate(2, 1)],
            **common,
        )
    with pytest.raises(CardInvalid, match="two of the signing kind"):
        make_card(
            address,
            key_certificates=[
                _signing_certificate(1, 1),
                _signing_certificate(2, 2),
                _signing_certificate(3, 3),
            ],
            **common,
        )
    # The address's certificate comes first: the card's signing key is its key.
    with pytest.raises(CardInvalid, match="signing key is not the one"):
        make_card(
            address,
            key_certificates=[_signing_certificate(2, 1), _signing_certificate(1, 2)],
            **common,
        )
