"""Fixed test vectors (``tests/data/crypto_vectors.json``): exact bytes, signatures, fingerprints.

A change to any encoding, domain tag, key order, certificate field or
fingerprint rule breaks these tests: such a change breaks interoperability
with every terminal already deployed, so it must be deliberate. The
version-1 envelope (``envelope_v1``) was made by the code before body
commitments and is kept byte for byte: stored envelopes must stay readable.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

import hotline.errors
from hotline.crypto import (
    BODY_DOMAIN,
    Envelope,
    EnvelopeHeader,
    Identity,
    PeerCard,
    Precedence,
    Receipt,
    batch_proof,
    body_commitment,
    check_body_commitment,
    fingerprint,
    make_card,
    make_tls_certificate,
    new_chain,
    open_envelope,
    open_envelope_ratcheted,
    sign_batch_receipt,
    sign_receipt,
    step,
    verify_batch_receipt,
    verify_envelope,
    verify_receipt,
)
from hotline.crypto.envelope import _signed_bytes

VECTORS_PATH = Path(__file__).resolve().parent.parent / "data" / "crypto_vectors.json"


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    loaded = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _identity(vector: dict[str, str]) -> Identity:
    return Identity.from_private_bytes(
        vector["party"],
        bytes.fromhex(vector["signing_private"]),
        bytes.fromhex(vector["encryption_private"]),
    )


@pytest.fixture(scope="module")
def moscow_v(vectors: dict[str, Any]) -> Identity:
    return _identity(vectors["identities"]["moscow"])


@pytest.fixture(scope="module")
def washington_v(vectors: dict[str, Any]) -> Identity:
    return _identity(vectors["identities"]["washington"])


@pytest.mark.parametrize("name", ["moscow", "washington"])
def test_identity_public_keys_and_certificates(vectors: dict[str, Any], name: str) -> None:
    vector = vectors["identities"][name]
    identity = _identity(vector)
    assert identity.signing_public.hex() == vector["signing_public"]
    assert identity.encryption_public.hex() == vector["encryption_public"]
    certificate = make_tls_certificate(identity)
    assert certificate.hex() == vector["certificate_der"]
    assert hashlib.sha256(certificate).hexdigest() == vector["certificate_sha256"]


def _header(vector: dict[str, Any]) -> EnvelopeHeader:
    return EnvelopeHeader(
        version=vector["version"],
        message_id=vector["message_id"],
        sender=bytes.fromhex(vector["sender"]),
        recipient=bytes.fromhex(vector["recipient"]),
        channel=vector["channel"],
        serial=vector["serial"],
        sent_at=vector["sent_at"],
        time_group=vector["time_group"],
        precedence=Precedence(vector["precedence"]),
        kind=vector["kind"],
        prev_hash=bytes.fromhex(vector["prev_hash"]),
        body_commitment=(
            bytes.fromhex(vector["body_commitment"]) if vector.get("body_commitment") else None
        ),
    )


ENVELOPE_VECTORS = [
    # 0xac: a map of 12 entries (with "bc"); 0xab: 11. Shortest keys first, "k": "text".
    pytest.param("envelope", 2, "ac616b6474657874", id="version-2"),
    pytest.param("envelope_v1", 1, "ab616b6474657874", id="version-1"),
]


@pytest.mark.parametrize(("name", "version", "prefix"), ENVELOPE_VECTORS)
def test_header_bytes(
    vectors: dict[str, Any],
    moscow_v: Identity,
    washington_v: Identity,
    name: str,
    version: int,
    prefix: str,
) -> None:
    vector = vectors[name]
    header = _header(vector["header"])
    assert header.version == version
    assert header.sender == moscow_v.signing_public
    assert header.recipient == washington_v.signing_public
    assert header.encode().hex() == vector["header_cbor"]
    assert (BODY_DOMAIN + header.encode()).hex() == vector["hpke_info"]
    assert vector["header_cbor"].startswith(prefix)
    assert EnvelopeHeader.decode(bytes.fromhex(vector["header_cbor"])) == header


def test_body_commitment_bytes(vectors: dict[str, Any]) -> None:
    vector = vectors["envelope"]
    plaintext = bytes.fromhex(vector["body_plaintext"])
    salt = bytes.fromhex(vector["salt"])
    assert plaintext == cbor2.dumps({**vector["body"], "salt": salt}, canonical=True)
    # The rule as envelope.md words it, written independently of the module.
    expected = hashlib.sha256(b"hotline-body-commit-v1\x00" + plaintext).hexdigest()
    assert vector["body_commitment"] == expected
    assert body_commitment(plaintext).hex() == expected
    assert vector["header"]["body_commitment"] == expected
    # In the canonical header: text "bc" (62 6263), then a 32-byte string (5820 ...).
    assert "626263" + "5820" + expected in vector["header_cbor"]


@pytest.mark.parametrize(("name", "version", "prefix"), ENVELOPE_VECTORS)
def test_stored_envelope_decodes_verifies_and_opens(
    vectors: dict[str, Any],
    moscow_v: Identity,
    washington_v: Identity,
    name: str,
    version: int,
    prefix: str,
) -> None:
    vector = vectors[name]
    data = bytes.fromhex(vector["encoded"])
    envelope = Envelope.decode(data)
    assert envelope.encode() == data
    assert envelope.header == _header(vector["header"])
    assert envelope.hash.hex() == vector["hash"]
    assert hashlib.sha256(data).hexdigest() == vector["hash"]

    signed = _signed_bytes(envelope.header, envelope.body)
    assert signed.hex() == vector["signed_bytes"]
    assert envelope.signature.hex() == vector["signature"]
    assert moscow_v.sign(signed) == envelope.signature  # Ed25519 is deterministic

    verify_envelope(envelope, sender_signing_key=moscow_v.signing_public)
    body = open_envelope(envelope, recipient=washington_v)
    assert body["text"] == "Москва — Вашингтон. Hotline test vector, FLASH."
    assert cbor2.dumps(body, canonical=True).hex() == vector["body_plaintext"]
    if version == 1:
        assert envelope.header.body_commitment is None
        assert body == vector["body"]
        with pytest.raises(hotline.errors.EnvelopeInvalid, match="committed to no plaintext"):
            check_body_commitment(envelope, body)
    else:
        assert envelope.header.body_commitment == bytes.fromhex(vector["body_commitment"])
        assert body == {**vector["body"], "salt": bytes.fromhex(vector["salt"])}
        check_body_commitment(envelope, bytes.fromhex(vector["body_plaintext"]))


def test_receipt_bytes(vectors: dict[str, Any], moscow_v: Identity, washington_v: Identity) -> None:
    envelope = Envelope.decode(bytes.fromhex(vectors["envelope"]["encoded"]))
    vector = vectors["receipt"]
    receipt = sign_receipt(
        envelope=envelope,
        received_at=vector["received_at"],
        journal_head=bytes.fromhex(vector["journal_head"]),
        recipient=washington_v,
    )
    assert receipt.signed_bytes().hex() == vector["signed_bytes"]
    assert receipt.signature.hex() == vector["signature"]
    assert receipt.encode().hex() == vector["encoded"]
    assert receipt.hash.hex() == vector["hash"]
    decoded = Receipt.decode(bytes.fromhex(vector["encoded"]))
    assert decoded == receipt
    verify_receipt(decoded, envelope=envelope, recipient_signing_key=washington_v.signing_public)


def test_card_bytes_signature_and_fingerprint(vectors: dict[str, Any], moscow_v: Identity) -> None:
    vector = vectors["card"]
    card = make_card(moscow_v, routes=vector["routes"], timezone=vector["timezone"])
    assert card.signed_bytes().hex() == vector["signed_bytes"]
    assert card.signature.hex() == vector["signature"]
    assert card.to_json() == vector["json"]
    assert card.fingerprint == vector["fingerprint"]
    assert hashlib.sha256(card.certificate).hexdigest() == vector["certificate_sha256"]
    assert PeerCard.from_json(vector["json"]) == card


def test_fingerprints(vectors: dict[str, Any], moscow_v: Identity, washington_v) -> None:
    for identity in (moscow_v, washington_v):
        assert (
            fingerprint(
                party=identity.party,
                signing_key=identity.signing_public,
                encryption_key=identity.encryption_public,
            )
            == vectors["fingerprints"][identity.party]
        )


def _spec_fingerprint(party: str, signing_key: bytes, encryption_key: bytes) -> str:
    """The fingerprint exactly as docs/protocol/cards.md words it, written independently."""
    keys = signing_key + encryption_key
    value = b"hotline-fingerprint-v1\x00" + keys + party.encode()
    for _ in range(5200):
        value = hashlib.sha512(value + keys).digest()
    return " ".join(
        str(int.from_bytes(value[i * 5 : i * 5 + 5], "big") % 100000).zfill(5) for i in range(12)
    )


def test_fingerprint_follows_the_written_rule(vectors: dict[str, Any]) -> None:
    for vector in vectors["identities"].values():
        expected = _spec_fingerprint(
            vector["party"],
            bytes.fromhex(vector["signing_public"]),
            bytes.fromhex(vector["encryption_public"]),
        )
        assert vectors["fingerprints"][vector["party"]] == expected


def _receive(data: bytes, sender: Identity, recipient: Identity) -> dict[str, Any]:
    envelope = Envelope.decode(data)
    verify_envelope(envelope, sender_signing_key=sender.signing_public)
    return open_envelope(envelope, recipient=recipient)


def test_invalid_envelopes_raise_the_documented_error(
    vectors: dict[str, Any], moscow_v: Identity, washington_v: Identity
) -> None:
    assert len(vectors["invalid_envelopes"]) >= 11
    for case in vectors["invalid_envelopes"]:
        error = getattr(hotline.errors, case["error"])
        with pytest.raises(error) as info:
            _receive(bytes.fromhex(case["hex"]), moscow_v, washington_v)
        assert type(info.value) is error, case["name"]


def test_ratchet_steps(vectors: dict[str, Any]) -> None:
    vector = vectors["ratchet"]
    chain = new_chain(bytes.fromhex(vector["epoch_secret"]), vector["epoch"])
    for expected in vector["steps"]:
        assert chain.key.hex() == expected["chain_key"]
        message_key, chain = step(chain)
        assert message_key.hex() == expected["message_key"]


def test_ratcheted_envelopes(
    vectors: dict[str, Any], moscow_v: Identity, washington_v: Identity
) -> None:
    secret = bytes.fromhex(vectors["ratchet"]["epoch_secret"])
    receiver = None
    sender_chain = new_chain(secret, 1)
    prev = bytes(32)
    for vector in vectors["envelope_v3"]:
        data = bytes.fromhex(vector["encoded"])
        envelope = Envelope.decode(data)
        assert envelope.encode() == data
        assert envelope.hash.hex() == vector["hash"] == hashlib.sha256(data).hexdigest()
        assert envelope.header.encode().hex() == vector["header_cbor"]
        assert envelope.header.version == 3
        assert envelope.header.prev_hash == prev
        # Deterministic given the stored header: the body under the message key, the signature.
        message_key, sender_chain = step(sender_chain)
        plaintext = bytes.fromhex(vector["body_plaintext"])
        aad = b"hotline-body-v3\x00" + bytes.fromhex(vector["header_cbor"])
        assert ChaCha20Poly1305(message_key).encrypt(bytes(12), plaintext, aad) == envelope.body
        assert moscow_v.sign(_signed_bytes(envelope.header, envelope.body)) == envelope.signature
        verify_envelope(envelope, sender_signing_key=moscow_v.signing_public)
        body, receiver = open_envelope_ratcheted(envelope, recipient=washington_v, chain=receiver)
        assert cbor2.dumps(body, canonical=True) == plaintext
        prev = envelope.hash
    assert receiver == sender_chain


def test_batch_receipt_bytes(
    vectors: dict[str, Any], moscow_v: Identity, washington_v: Identity
) -> None:
    vector = vectors["receipt_v2"]
    hashes = [bytes.fromhex(h) for h in vector["envelope_hashes"]]
    receipt = sign_batch_receipt(
        sender=moscow_v.signing_public,
        first_serial=vector["first_serial"],
        envelope_hashes=hashes,
        received_at=vector["received_at"],
        journal_head=bytes.fromhex(vector["journal_head"]),
        recipient=washington_v,
    )
    assert receipt.batch_root is not None
    assert receipt.batch_root.hex() == vector["root"]
    assert receipt.signed_bytes().hex() == vector["signed_bytes"]
    assert receipt.signature.hex() == vector["signature"]
    assert receipt.encode().hex() == vector["encoded"]
    assert receipt.hash.hex() == vector["hash"]
    assert [p.hex() for p in batch_proof(hashes, 2)] == vector["proof_of_index_2"]
    decoded = Receipt.decode(bytes.fromhex(vector["encoded"]))
    assert decoded == receipt
    verify_batch_receipt(
        decoded,
        recipient_signing_key=washington_v.signing_public,
        sender=moscow_v.signing_public,
        envelope_hashes=hashes,
    )
