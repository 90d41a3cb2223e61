"""Delivery receipts: the recipient's signed statement that it durably holds an envelope.

A receipt is sent back only after the envelope is stored, and names the
recipient's journal head *after* storing it. The sender keeps receipts next to
its envelopes, so each side can later prove what the other acknowledged: the
receipt binds the exact envelope (by hash, id, serial and both keys) to a
point in the recipient's journal, under the recipient's signature.

Encoded as one canonical CBOR map (``docs/protocol/receipts.md``)::

    "v"          uint   version, 1
    "id"         text   the envelope's message id
    "env"        bytes  SHA-256 of the envelope's encoding (32)
    "from"       bytes  the envelope's sender key (32)
    "to"         bytes  the envelope's recipient key, the receipt's signer (32)
    "n"          uint   the envelope's serial
    "at"         text   received_at, hotline.utc.format_utc form
    "head"       bytes  recipient's journal head after storing (32)
    "signature"  bytes  Ed25519 by "to" over b"hotline-receipt-v1\\x00" || canonical CBOR
                        of every other field (64)

Checks on receipt, in order: :meth:`Receipt.decode` (:class:`EnvelopeInvalid`),
then :func:`verify_receipt` (or :func:`verify_receipt_fields`): the signer is the expected peer
(:class:`WrongSigner`), the signature (:class:`SignatureInvalid`), then the
match with the envelope we sent (:class:`WrongSigner` for the recipient key,
:class:`EnvelopeInvalid` for id, hash, serial or sender).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hotline.crypto._cbor import canonical_dumps, loads_canonical_map
from hotline.crypto.envelope import MAX_SERIAL, Envelope, validate_message_id
from hotline.crypto.identity import KEY_BYTES, SIGNATURE_BYTES, Identity, verify_signature
from hotline.errors import EnvelopeInvalid, LocalProtocolError, WrongSigner
from hotline.utc import parse_utc

__all__ = [
    "MAX_RECEIPT_BYTES",
    "RECEIPT_DOMAIN",
    "RECEIPT_VERSION",
    "Receipt",
    "sign_receipt",
    "verify_receipt",
    "verify_receipt_fields",
]

RECEIPT_VERSION = 1
RECEIPT_DOMAIN = b"hotline-receipt-v1\x00"
MAX_RECEIPT_BYTES = 1024
"""Upper bound on an encoded receipt (a real one is about 290 bytes)."""

_SIGNED_KEYS = frozenset({"v", "id", "env", "from", "to", "n", "at", "head"})
_KEYS = _SIGNED_KEYS | {"signature"}


def _check_bytes(value: object, name: str, size: int) -> bytes:
    if not isinstance(value, bytes) or len(value) != size:
        raise EnvelopeInvalid(f"receipt {name} must be {size} bytes")
    return value


def _check_uint(value: object, name: str) -> int:
    if type(value) is not int:
        raise EnvelopeInvalid(f"receipt {name} must be an integer")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    """A signed acknowledgement of one envelope. Invalid values raise EnvelopeInvalid."""

    version: int = RECEIPT_VERSION
    message_id: str
    envelope_hash: bytes
    sender: bytes
    recipient: bytes
    serial: int
    received_at: str
    journal_head: bytes
    signature: bytes

    def __post_init__(self) -> None:
        if _check_uint(self.version, "version") != RECEIPT_VERSION:
            raise EnvelopeInvalid(
                f"unsupported receipt version {self.version}; this hotline reads "
                f"version {RECEIPT_VERSION}"
            )
        validate_message_id(self.message_id)
        _check_bytes(self.envelope_hash, "envelope hash", 32)
        _check_bytes(self.sender, "sender", KEY_BYTES)
        _check_bytes(self.recipient, "recipient", KEY_BYTES)
        if not 1 <= _check_uint(self.serial, "serial") <= MAX_SERIAL:
            raise EnvelopeInvalid(f"receipt serial must be from 1 to {MAX_SERIAL}")
        try:
            parse_utc(self.received_at)
        except ValueError as exc:
            raise EnvelopeInvalid(f"receipt received_at: {exc}") from exc
        _check_bytes(self.journal_head, "journal head", 32)
        _check_bytes(self.signature, "signature", SIGNATURE_BYTES)

    def signed_map(self) -> dict[str, Any]:
        """Every field but the signature, as the CBOR map the signature covers."""
        return {
            "v": self.version,
            "id": self.message_id,
            "env": self.envelope_hash,
            "from": self.sender,
            "to": self.recipient,
            "n": self.serial,
            "at": self.received_at,
            "head": self.journal_head,
        }

    def signed_bytes(self) -> bytes:
        """``RECEIPT_DOMAIN || canonical CBOR(signed_map())``."""
        return RECEIPT_DOMAIN + canonical_dumps(self.signed_map())

    #: The encoding, computed once (a receipt is encoded to be sent, stored and hashed).
    _encoded: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def encode(self) -> bytes:
        """The wire and storage form: one canonical CBOR map."""
        if self._encoded is None:
            fields = self.signed_map()
            fields["signature"] = self.signature
            object.__setattr__(self, "_encoded", canonical_dumps(fields))
        assert self._encoded is not None
        return self._encoded

    @classmethod
    def decode(cls, data: bytes) -> Receipt:
        """Parse an encoded receipt; any malformation is :class:`EnvelopeInvalid`."""
        fields = loads_canonical_map(data, what="receipt", max_bytes=MAX_RECEIPT_BYTES)
        _expect_keys(fields)
        receipt = cls(
            version=_check_uint(fields["v"], "version"),
            message_id=fields["id"],
            envelope_hash=fields["env"],
            sender=fields["from"],
            recipient=fields["to"],
            serial=_check_uint(fields["n"], "serial"),
            received_at=fields["at"],
            journal_head=fields["head"],
            signature=fields["signature"],
        )
        # loads_canonical_map checked that re-encoding gives exactly these bytes.
        object.__setattr__(receipt, "_encoded", bytes(data))
        return receipt

    @property
    def hash(self) -> bytes:
        """SHA-256 of :meth:`encode`."""
        return hashlib.sha256(self.encode()).digest()


def _expect_keys(fields: Mapping[str, Any]) -> None:
    if fields.keys() == _KEYS:
        return
    for key in sorted(_KEYS):
        if key not in fields:
            raise EnvelopeInvalid(f"receipt is missing field {key!r}")
    for key in sorted(fields):
        if key not in _KEYS:
            raise EnvelopeInvalid(f"receipt has unknown field {key!r}")


def sign_receipt(
    *,
    envelope: Envelope,
    received_at: str,
    journal_head: bytes,
    recipient: Identity,
) -> Receipt:
    """Acknowledge ``envelope`` as ``recipient``, after storing it.

    Raises :class:`LocalProtocolError` if the envelope is not addressed to
    ``recipient`` (we would be signing for someone else's mail), and
    :class:`EnvelopeInvalid` for a malformed ``received_at`` or
    ``journal_head``.
    """
    header = envelope.header
    if header.recipient != recipient.signing_public:
        raise LocalProtocolError("cannot sign a receipt for an envelope addressed to another party")
    unsigned = Receipt(
        message_id=header.message_id,
        envelope_hash=envelope.hash,
        sender=header.sender,
        recipient=header.recipient,
        serial=header.serial,
        received_at=received_at,
        journal_head=journal_head,
        # Placeholder of the right size: the dataclass is frozen, and the real
        # signature covers only the other fields.
        signature=bytes(SIGNATURE_BYTES),
    )
    # Filled in place, not with dataclasses.replace: nobody else holds the object
    # yet, and the other fields were validated a line above.
    object.__setattr__(unsigned, "signature", recipient.sign(unsigned.signed_bytes()))
    return unsigned


def verify_receipt(receipt: Receipt, *, envelope: Envelope, recipient_signing_key: bytes) -> None:
    """Check that ``receipt`` is ``recipient_signing_key``'s receipt for ``envelope``.

    Raises :class:`WrongSigner` if the receipt names another signer,
    :class:`SignatureInvalid` if the signature does not verify, then
    :class:`WrongSigner` if the envelope was addressed to someone else and
    :class:`EnvelopeInvalid` if the receipt is for a different envelope.
    """
    header = envelope.header
    verify_receipt_fields(
        receipt,
        recipient_signing_key=recipient_signing_key,
        message_id=header.message_id,
        envelope_hash=envelope.hash,
        sender=header.sender,
        recipient=header.recipient,
        serial=header.serial,
    )


def verify_receipt_fields(
    receipt: Receipt,
    *,
    recipient_signing_key: bytes,
    message_id: str,
    envelope_hash: bytes,
    sender: bytes,
    recipient: bytes,
    serial: int,
) -> None:
    """:func:`verify_receipt` against an envelope's fields as the sender holds them.

    The sender of an envelope already knows its id, hash, serial and both keys
    (it made the envelope and stored its hash); checking a receipt against them
    spares decoding the stored envelope again. Same checks, same order, same errors.
    """
    if receipt.recipient != recipient_signing_key:
        raise WrongSigner("the receipt is signed for a party other than the expected peer")
    verify_signature(recipient_signing_key, receipt.signature, receipt.signed_bytes())
    if recipient != receipt.recipient:
        raise WrongSigner("the receipt's signer is not the envelope's recipient")
    if receipt.message_id != message_id:
        raise EnvelopeInvalid("the receipt is for another message id")
    if receipt.sender != sender:
        raise EnvelopeInvalid("the receipt is for another sender's envelope")
    if receipt.serial != serial:
        raise EnvelopeInvalid("the receipt's serial is not the envelope's serial")
    if receipt.envelope_hash != envelope_hash:
        raise EnvelopeInvalid("the receipt is for different envelope contents (hash differs)")
