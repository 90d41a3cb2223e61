"""Generate ``tests/data/crypto_vectors.json``, the fixed crypto test vectors.

Run from the repository root::

    .venv/bin/python tests/crypto/make_vectors.py

Everything is derived from fixed private keys, a fixed message id, a fixed
salt and fixed times, and Ed25519 is deterministic, so the header bytes (body
commitment included), signatures, receipt, card and certificate come out
identical on every run. The one exception is the HPKE-sealed body:
``cryptography`` draws the ephemeral key itself, so each run seals a
different (equally valid) envelope. The test therefore checks the *stored*
envelope: it decodes, verifies, opens to the known plaintext, and its
signature is the deterministic signature over its stored bytes. Regenerate
only when a format change is intended, and say so in the commit.

``envelope`` is version 2 (made by ``seal_envelope``). ``envelope_v1`` is a
version-1 envelope made by the version-1 code before body commitments
existed; nothing makes version 1 any more, so it is carried over from the
existing file byte for byte, and proves old stored envelopes still verify.

``envelope_v3`` (protocol v2) is an epoch-opening envelope and the next one
of its epoch, sealed with an injected epoch secret: the ratchet's keys, the
follower's body and both signatures are deterministic, the opener's ``"ek"``
is not (HPKE again), so the envelopes are carried over once made, like the
others. ``ratchet`` and ``receipt_v2`` are fully deterministic.

This file is not collected by pytest (its name does not start with ``test_``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import cbor2

from hotline.crypto import (
    BODY_COMMIT_DOMAIN,
    BODY_DOMAIN,
    ENVELOPE_DOMAIN,
    ZERO_HASH,
    ChainKey,
    Envelope,
    EnvelopeHeader,
    Identity,
    Precedence,
    batch_proof,
    fingerprint,
    make_card,
    make_tls_certificate,
    new_chain,
    salted,
    seal_envelope,
    seal_envelope_ratcheted,
    sign_batch_receipt,
    sign_receipt,
    step,
)
from hotline.crypto.envelope import _seal_plaintext

OUTPUT = Path(__file__).resolve().parent.parent / "data" / "crypto_vectors.json"

MESSAGE_ID = "5553535230312c2032333136303a5a00"
SENT_AT = "1973-10-23T16:00:00.000000Z"
RECEIVED_AT = "1973-10-23T16:00:02.500000Z"
JOURNAL_HEAD = hashlib.sha256(b"hotline vector journal head").digest()
TEXT_BODY = {"text": "Москва — Вашингтон. Hotline test vector, FLASH."}
SALT = hashlib.sha256(b"hotline vector salt").digest()[:16]
BODY = salted(TEXT_BODY, lambda n: SALT[:n])
ROUTES = ["127.0.0.1:7001", "[::1]:7001", "hotline.example.org:443"]
TIMEZONE = "Europe/Moscow"


def vector_identity(party: str) -> Identity:
    return Identity.from_private_bytes(
        party,
        hashlib.sha256(f"hotline vector {party} signing".encode()).digest(),
        hashlib.sha256(f"hotline vector {party} encryption".encode()).digest(),
    )


def identity_vector(identity: Identity) -> dict[str, Any]:
    certificate = make_tls_certificate(identity)
    return {
        "party": identity.party,
        "signing_private": identity.signing_key.private_bytes_raw().hex(),
        "encryption_private": identity.encryption_key.private_bytes_raw().hex(),
        "signing_public": identity.signing_public.hex(),
        "encryption_public": identity.encryption_public.hex(),
        "certificate_der": certificate.hex(),
        "certificate_sha256": hashlib.sha256(certificate).hexdigest(),
    }


def header_vector(header: EnvelopeHeader) -> dict[str, Any]:
    return {
        "version": header.version,
        "message_id": header.message_id,
        "sender": header.sender.hex(),
        "recipient": header.recipient.hex(),
        "channel": header.channel,
        "serial": header.serial,
        "sent_at": header.sent_at,
        "time_group": header.time_group,
        "precedence": header.precedence.value,
        "kind": header.kind,
        "prev_hash": header.prev_hash.hex(),
        "body_commitment": None if header.body_commitment is None else header.body_commitment.hex(),
    }


def invalid_envelopes(envelope: Envelope, moscow: Identity) -> list[dict[str, str]]:
    """Encodings a receiver must refuse, each with the error it must raise."""
    data = envelope.encode()
    fields = cbor2.loads(data)
    bad_signature = bytearray(data)
    bad_signature[-1] ^= 0x01  # the signature is the last map value
    # The sender itself alters the ciphertext and signs the result: the
    # signature verifies, the AEAD tag does not.
    unsigned = {key: value for key, value in fields.items() if key != "signature"}
    unsigned["body"] = unsigned["body"][:-1] + bytes([unsigned["body"][-1] ^ 0x01])
    resigned = dict(
        unsigned,
        signature=moscow.sign(ENVELOPE_DOMAIN + cbor2.dumps(unsigned, canonical=True)),
    )
    # The sender commits to one body in the signed header and seals another:
    # the signature verifies, HPKE opens, the commitment does not match.
    other_body = dict(BODY, text="Not what was committed to.")
    switched = _seal_plaintext(
        header=envelope.header,
        plaintext=cbor2.dumps(other_body, canonical=True),
        sender=moscow,
        recipient_encryption_key=vector_identity("Washington").encryption_public,
    )
    # A downgrade: "bc" dropped and "v" set to 1; a valid version-1 form, but
    # the signature was over the version-2 header.
    downgraded = {key: value for key, value in fields.items() if key != "bc"}
    downgraded["v"] = 1
    return [
        {"name": "trailing byte", "hex": (data + b"\x00").hex(), "error": "EnvelopeInvalid"},
        {
            "name": "keys in insertion order (not canonical)",
            "hex": cbor2.dumps(dict(reversed(fields.items()))).hex(),
            "error": "EnvelopeInvalid",
        },
        {
            "name": "unknown version",
            "hex": cbor2.dumps(dict(fields, v=3), canonical=True).hex(),
            "error": "EnvelopeInvalid",
        },
        {
            "name": "version 2 without its body commitment",
            "hex": cbor2.dumps(
                {key: value for key, value in fields.items() if key != "bc"}, canonical=True
            ).hex(),
            "error": "EnvelopeInvalid",
        },
        {
            "name": "downgraded to version 1 (bc removed)",
            "hex": cbor2.dumps(downgraded, canonical=True).hex(),
            "error": "SignatureInvalid",
        },
        {
            "name": "body commitment changed after signing",
            "hex": cbor2.dumps(dict(fields, bc=bytes(32)), canonical=True).hex(),
            "error": "SignatureInvalid",
        },
        {
            "name": "sealed body is not the committed one, signed by the sender",
            "hex": switched.encode().hex(),
            "error": "EnvelopeInvalid",
        },
        {
            "name": "time group does not match sent_at",
            "hex": cbor2.dumps(dict(fields, tg="231601Z"), canonical=True).hex(),
            "error": "EnvelopeInvalid",
        },
        {
            "name": "signature bit flipped",
            "hex": bytes(bad_signature).hex(),
            "error": "SignatureInvalid",
        },
        {
            "name": "serial changed after signing",
            "hex": cbor2.dumps(dict(fields, n=2, prev=b"\x01" * 32), canonical=True).hex(),
            "error": "SignatureInvalid",
        },
        {
            "name": "ciphertext altered, then re-signed by the sender",
            "hex": cbor2.dumps(resigned, canonical=True).hex(),
            "error": "DecryptionFailed",
        },
    ]


def envelope_vector(envelope: Envelope, body: dict[str, Any]) -> dict[str, Any]:
    header = envelope.header
    signed = ENVELOPE_DOMAIN + cbor2.dumps(
        {**header.to_map(), "body": envelope.body}, canonical=True
    )
    plaintext = cbor2.dumps(body, canonical=True)
    vector: dict[str, Any] = {
        "header": header_vector(header),
        "header_cbor": header.encode().hex(),
        "body": {key: value for key, value in body.items() if key != "salt"},
        "salt": body["salt"].hex(),
        "body_plaintext": plaintext.hex(),
        "body_commitment": hashlib.sha256(BODY_COMMIT_DOMAIN + plaintext).hexdigest(),
        "hpke_info": (BODY_DOMAIN + header.encode()).hex(),
        "encoded": envelope.encode().hex(),
        "signed_bytes": signed.hex(),
        "signature": envelope.signature.hex(),
        "hash": envelope.hash.hex(),
    }
    return vector


def carried_over_v1() -> dict[str, Any]:
    """The version-1 envelope vector of the existing file, unchanged (see the docstring)."""
    existing = json.loads(OUTPUT.read_text(encoding="utf-8"))
    vector = existing["envelope_v1"]
    assert isinstance(vector, dict)
    assert vector["header"]["version"] == 1
    return vector


EPOCH_SECRET = hashlib.sha256(b"hotline vector epoch secret").digest()


def ratchet_vector() -> dict[str, Any]:
    chain = new_chain(EPOCH_SECRET, 1)
    keys = []
    for _ in range(4):
        keys.append({"chain_key": chain.key.hex()})
        message_key, chain = step(chain)
        keys[-1]["message_key"] = message_key.hex()
    return {"epoch_secret": EPOCH_SECRET.hex(), "epoch": 1, "steps": keys}


def ratcheted_envelopes(moscow: Identity, washington: Identity) -> list[dict[str, Any]]:
    """Serials 1 (opens the epoch) and 2 of one epoch, or the stored ones if already made."""
    existing = json.loads(OUTPUT.read_text(encoding="utf-8")) if OUTPUT.exists() else {}
    if "envelope_v3" in existing:
        stored = existing["envelope_v3"]
        assert isinstance(stored, list)
        return stored
    vectors: list[dict[str, Any]] = []
    chain: ChainKey | None = None
    prev = ZERO_HASH
    for serial, text in ((1, "Первое сообщение эпохи."), (2, "Second message, same epoch.")):
        body = salted({"text": text}, bytes([serial]).__mul__)
        header = EnvelopeHeader(
            message_id=f"{serial:032x}",
            sender=moscow.signing_public,
            recipient=washington.signing_public,
            serial=serial,
            sent_at=SENT_AT,
            time_group="231600Z",
            precedence=Precedence.FLASH,
            prev_hash=prev,
        )
        envelope, chain = seal_envelope_ratcheted(
            header=header,
            body=body,
            sender=moscow,
            recipient_encryption_key=washington.encryption_public,
            chain=chain,
            random_bytes=lambda n: EPOCH_SECRET[:n],
        )
        vectors.append(
            {
                "serial": serial,
                "body_plaintext": cbor2.dumps(body, canonical=True).hex(),
                "header_cbor": envelope.header.encode().hex(),
                "encoded": envelope.encode().hex(),
                "hash": envelope.hash.hex(),
            }
        )
        prev = envelope.hash
    return vectors


def batch_receipt_vector(moscow: Identity, washington: Identity) -> dict[str, Any]:
    hashes = [hashlib.sha256(b"hotline vector envelope %d" % i).digest() for i in range(5)]
    receipt = sign_batch_receipt(
        sender=moscow.signing_public,
        first_serial=3,
        envelope_hashes=hashes,
        received_at=RECEIVED_AT,
        journal_head=JOURNAL_HEAD,
        recipient=washington,
    )
    return {
        "first_serial": 3,
        "envelope_hashes": [h.hex() for h in hashes],
        "received_at": RECEIVED_AT,
        "journal_head": JOURNAL_HEAD.hex(),
        "root": (receipt.batch_root or b"").hex(),
        "proof_of_index_2": [p.hex() for p in batch_proof(hashes, 2)],
        "signed_bytes": receipt.signed_bytes().hex(),
        "signature": receipt.signature.hex(),
        "encoded": receipt.encode().hex(),
        "hash": receipt.hash.hex(),
    }


def build() -> dict[str, Any]:
    moscow = vector_identity("Moscow")
    washington = vector_identity("Washington")

    header = EnvelopeHeader(
        message_id=MESSAGE_ID,
        sender=moscow.signing_public,
        recipient=washington.signing_public,
        channel="leaders",
        serial=1,
        sent_at=SENT_AT,
        time_group="231600Z",
        precedence=Precedence.FLASH,
        kind="text",
        prev_hash=ZERO_HASH,
    )
    envelope = seal_envelope(
        header=header,
        body=BODY,
        sender=moscow,
        recipient_encryption_key=washington.encryption_public,
    )
    receipt = sign_receipt(
        envelope=envelope,
        received_at=RECEIVED_AT,
        journal_head=JOURNAL_HEAD,
        recipient=washington,
    )
    card = make_card(moscow, routes=ROUTES, timezone=TIMEZONE)

    return {
        "comment": "Generated by tests/crypto/make_vectors.py; see its docstring.",
        "identities": {
            "moscow": identity_vector(moscow),
            "washington": identity_vector(washington),
        },
        "envelope": envelope_vector(envelope, BODY),
        "envelope_v1": carried_over_v1(),
        "invalid_envelopes": invalid_envelopes(envelope, moscow),
        "receipt": {
            "received_at": RECEIVED_AT,
            "journal_head": JOURNAL_HEAD.hex(),
            "signed_bytes": receipt.signed_bytes().hex(),
            "signature": receipt.signature.hex(),
            "encoded": receipt.encode().hex(),
            "hash": receipt.hash.hex(),
        },
        "envelope_v3": ratcheted_envelopes(moscow, washington),
        "ratchet": ratchet_vector(),
        "receipt_v2": batch_receipt_vector(moscow, washington),
        "card": {
            "party": "Moscow",
            "routes": ROUTES,
            "timezone": TIMEZONE,
            "json": card.to_json(),
            "signed_bytes": card.signed_bytes().hex(),
            "signature": card.signature.hex(),
            "fingerprint": card.fingerprint,
            "certificate_sha256": hashlib.sha256(card.certificate).hexdigest(),
        },
        "fingerprints": {
            identity.party: fingerprint(
                party=identity.party,
                signing_key=identity.signing_public,
                encryption_key=identity.encryption_public,
            )
            for identity in (moscow, washington)
        },
    }


def main() -> None:
    OUTPUT.write_text(json.dumps(build(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
