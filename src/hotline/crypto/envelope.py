"""Envelopes: one message, sealed to its recipient and signed by its sender.

An envelope is a cleartext header, an HPKE-sealed body and an Ed25519
signature, encoded as one canonical CBOR map (``docs/protocol/envelope.md`` is
the normative description). The header travels in the clear because the
delivery machinery needs it before and without decrypting: who sent it to
whom, the per-direction serial and the hash chain (``prev_hash``) that let a
receiver detect loss, replay and reordering, and the precedence that orders
the queue. The body holds what the leaders wrote.

Two bindings make the parts inseparable:

* the HPKE ``info`` is ``b"hotline-body-v1\\x00" || canonical CBOR(header)``,
  so a body opens only under the header it was sealed with;
* the signature covers ``b"hotline-envelope-v1\\x00" || canonical CBOR(header
  map + {"body": body})``, so neither the header nor the sealed body can be
  changed or swapped without the sender's key.

Header CBOR keys (short, stable, never reused)::

    "v"     uint   version, 1
    "id"    text   message id, 32 lowercase hex digits
    "from"  bytes  sender's Ed25519 public key (32)
    "to"    bytes  recipient's Ed25519 public key (32)
    "ch"    text   channel, 1-32 of [a-z0-9_-]
    "n"     uint   serial, 1 .. 2**63-1, per sender->recipient direction
    "at"    text   sent_at, hotline.utc.format_utc form
    "tg"    text   time group of sent_at, e.g. "231600Z"
    "pr"    text   precedence: routine | priority | immediate | flash
    "k"     text   kind, 1-32 of [a-z]; "text" for now
    "prev"  bytes  SHA-256 of the previous envelope's encoding (32); zeros for serial 1

The envelope adds ``"body"`` (bytes, HPKE ``enc || ciphertext``) and
``"signature"`` (bytes, 64).

A receiver runs, in order: :meth:`Envelope.decode` (:class:`EnvelopeInvalid`),
:func:`verify_envelope` (:class:`WrongSigner`, :class:`SignatureInvalid`), the
store's serial and chain checks, then :func:`open_envelope`
(:class:`DecryptionFailed`, :class:`EnvelopeInvalid` for a malformed body).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from hotline.crypto._cbor import canonical_dumps, loads_canonical_map
from hotline.crypto.identity import KEY_BYTES, SIGNATURE_BYTES, Identity, verify_signature
from hotline.errors import (
    CryptoError,
    DecryptionFailed,
    EnvelopeInvalid,
    LocalProtocolError,
    MessageTooLarge,
    WrongSigner,
)
from hotline.utc import parse_utc, time_group

__all__ = [
    "BODY_DOMAIN",
    "DEFAULT_CHANNEL",
    "ENVELOPE_DOMAIN",
    "ENVELOPE_VERSION",
    "HPKE_OVERHEAD",
    "HPKE_SUITE",
    "MAX_BODY_BYTES",
    "MAX_ENVELOPE_BYTES",
    "MAX_SERIAL",
    "ZERO_HASH",
    "Envelope",
    "EnvelopeHeader",
    "Precedence",
    "new_message_id",
    "open_envelope",
    "seal_envelope",
    "validate_message_id",
    "verify_envelope",
]

ENVELOPE_VERSION = 1
MAX_BODY_BYTES = 65536
"""Limit on the body plaintext (its canonical CBOR); over it is :class:`MessageTooLarge`."""

HPKE_OVERHEAD = 32 + 16
"""X25519 encapsulated key plus the ChaCha20-Poly1305 tag."""

MAX_ENVELOPE_BYTES = MAX_BODY_BYTES + HPKE_OVERHEAD + 1024
"""Upper bound on an encoded envelope: the largest body plus a generous header allowance."""

MAX_SERIAL = 2**63 - 1
"""Serials fit a signed 64-bit integer, so every store can hold them natively."""

ZERO_HASH = bytes(32)
"""``prev_hash`` of the first envelope in a direction."""

DEFAULT_CHANNEL = "leaders"
ENVELOPE_DOMAIN = b"hotline-envelope-v1\x00"
BODY_DOMAIN = b"hotline-body-v1\x00"

HPKE_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
"""The body's HPKE suite (RFC 9180 base mode): X25519, HKDF-SHA256, ChaCha20-Poly1305."""
_MESSAGE_ID = re.compile(r"^[0-9a-f]{32}$")
_CHANNEL = re.compile(r"^[a-z0-9_-]{1,32}$")
_KIND = re.compile(r"^[a-z]{1,32}$")
_HEADER_KEYS = frozenset({"v", "id", "from", "to", "ch", "n", "at", "tg", "pr", "k", "prev"})
_ENVELOPE_KEYS = _HEADER_KEYS | {"body", "signature"}
# Smallest sealed body: the overhead plus a one-byte CBOR plaintext.
_MIN_SEALED_BODY = HPKE_OVERHEAD + 1


class Precedence(StrEnum):
    """How urgently a message must go out, lowest first (military precedence)."""

    ROUTINE = "routine"
    PRIORITY = "priority"
    IMMEDIATE = "immediate"
    FLASH = "flash"

    @property
    def rank(self) -> int:
        """0 for routine up to 3 for flash: higher goes first."""
        return _PRECEDENCE_RANK[self]


_PRECEDENCE_RANK = {precedence: rank for rank, precedence in enumerate(Precedence)}


def _check_bytes(value: object, name: str, size: int) -> None:
    if not isinstance(value, bytes) or len(value) != size:
        raise EnvelopeInvalid(f"{name} must be {size} bytes")


def _check_uint(value: object, name: str) -> int:
    # bool is an int subclass; True must not pass as serial 1.
    if type(value) is not int:
        raise EnvelopeInvalid(f"{name} must be an integer")
    return value


def validate_message_id(message_id: object) -> str:
    """Return ``message_id`` if it is 32 lowercase hex digits, else raise EnvelopeInvalid."""
    if not isinstance(message_id, str) or not _MESSAGE_ID.match(message_id):
        raise EnvelopeInvalid("message id must be 32 lowercase hex digits")
    return message_id


@dataclass(frozen=True, slots=True, kw_only=True)
class EnvelopeHeader:
    """The cleartext, signed part of an envelope. Invalid values raise EnvelopeInvalid."""

    version: int = ENVELOPE_VERSION
    message_id: str
    sender: bytes
    recipient: bytes
    channel: str = DEFAULT_CHANNEL
    serial: int
    sent_at: str
    time_group: str
    precedence: Precedence = Precedence.ROUTINE
    kind: str = "text"
    prev_hash: bytes

    def __post_init__(self) -> None:
        if _check_uint(self.version, "version") != ENVELOPE_VERSION:
            raise EnvelopeInvalid(
                f"unsupported envelope version {self.version}; this hotline reads "
                f"version {ENVELOPE_VERSION}"
            )
        validate_message_id(self.message_id)
        _check_bytes(self.sender, "sender", KEY_BYTES)
        _check_bytes(self.recipient, "recipient", KEY_BYTES)
        if not isinstance(self.channel, str) or not _CHANNEL.match(self.channel):
            raise EnvelopeInvalid("channel must be 1-32 characters of a-z, 0-9, '-' and '_'")
        if not 1 <= _check_uint(self.serial, "serial") <= MAX_SERIAL:
            raise EnvelopeInvalid(f"serial must be from 1 to {MAX_SERIAL}")
        try:
            moment = parse_utc(self.sent_at)
        except ValueError as exc:
            raise EnvelopeInvalid(f"sent_at: {exc}") from exc
        if self.time_group != time_group(moment):
            raise EnvelopeInvalid(
                f"time group {self.time_group!r} does not match sent_at {self.sent_at}"
            )
        if not isinstance(self.precedence, Precedence):
            raise EnvelopeInvalid("precedence must be a Precedence")
        if not isinstance(self.kind, str) or not _KIND.match(self.kind):
            raise EnvelopeInvalid("kind must be 1-32 lowercase letters")
        _check_bytes(self.prev_hash, "prev_hash", 32)
        # The chain starts at zero and never returns to it: a zero prev_hash
        # later on would let an envelope claim to start a fresh chain.
        if (self.serial == 1) != (self.prev_hash == ZERO_HASH):
            raise EnvelopeInvalid("prev_hash must be all zeros exactly when serial is 1")

    def to_map(self) -> dict[str, Any]:
        """The header as the CBOR map described in the module docstring."""
        return {
            "v": self.version,
            "id": self.message_id,
            "from": self.sender,
            "to": self.recipient,
            "ch": self.channel,
            "n": self.serial,
            "at": self.sent_at,
            "tg": self.time_group,
            "pr": self.precedence.value,
            "k": self.kind,
            "prev": self.prev_hash,
        }

    @classmethod
    def from_map(cls, fields: Mapping[str, Any]) -> EnvelopeHeader:
        """The header from its CBOR map; :class:`EnvelopeInvalid` if anything is off."""
        _expect_keys(fields, _HEADER_KEYS, "envelope header")
        try:
            precedence = Precedence(fields["pr"])
        except ValueError as exc:
            raise EnvelopeInvalid(f"unknown precedence {fields['pr']!r}") from exc
        return cls(
            version=_check_uint(fields["v"], "version"),
            message_id=fields["id"],
            sender=fields["from"],
            recipient=fields["to"],
            channel=fields["ch"],
            serial=_check_uint(fields["n"], "serial"),
            sent_at=fields["at"],
            time_group=fields["tg"],
            precedence=precedence,
            kind=fields["k"],
            prev_hash=fields["prev"],
        )

    def encode(self) -> bytes:
        """Canonical CBOR of :meth:`to_map`: what the HPKE ``info`` binds."""
        return canonical_dumps(self.to_map())

    @classmethod
    def decode(cls, data: bytes) -> EnvelopeHeader:
        """Inverse of :meth:`encode`; only ever raises :class:`EnvelopeInvalid`."""
        fields = loads_canonical_map(data, what="envelope header", max_bytes=MAX_ENVELOPE_BYTES)
        return cls.from_map(fields)


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """A header, its sealed body (HPKE ``enc || ciphertext``) and the sender's signature."""

    header: EnvelopeHeader
    body: bytes
    signature: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.header, EnvelopeHeader):
            raise EnvelopeInvalid("header must be an EnvelopeHeader")
        if not isinstance(self.body, bytes) or not (
            _MIN_SEALED_BODY <= len(self.body) <= MAX_BODY_BYTES + HPKE_OVERHEAD
        ):
            raise EnvelopeInvalid(
                f"sealed body must be {_MIN_SEALED_BODY} to {MAX_BODY_BYTES + HPKE_OVERHEAD} bytes"
            )
        _check_bytes(self.signature, "signature", SIGNATURE_BYTES)

    #: The encoding, computed once: an envelope is encoded and hashed several times
    #: on its way (stored, chained, receipted), and the object is immutable.
    _encoded: bytes | None = field(default=None, init=False, repr=False, compare=False)

    def encode(self) -> bytes:
        """The wire and storage form: one canonical CBOR map."""
        if self._encoded is None:
            fields = self.header.to_map()
            fields["body"] = self.body
            fields["signature"] = self.signature
            object.__setattr__(self, "_encoded", canonical_dumps(fields))
        assert self._encoded is not None
        return self._encoded

    @classmethod
    def decode(cls, data: bytes) -> Envelope:
        """Parse an encoded envelope. Any malformation is :class:`EnvelopeInvalid`.

        This checks form only; :func:`verify_envelope` checks the signature.
        """
        fields = loads_canonical_map(data, what="envelope", max_bytes=MAX_ENVELOPE_BYTES)
        _expect_keys(fields, _ENVELOPE_KEYS, "envelope")
        header = EnvelopeHeader.from_map({key: fields[key] for key in _HEADER_KEYS})
        envelope = cls(header=header, body=fields["body"], signature=fields["signature"])
        # loads_canonical_map checked that re-encoding gives exactly these bytes.
        object.__setattr__(envelope, "_encoded", bytes(data))
        return envelope

    @property
    def hash(self) -> bytes:
        """SHA-256 of :meth:`encode`: the next envelope's ``prev_hash``, the receipt's anchor."""
        return hashlib.sha256(self.encode()).digest()


def _expect_keys(fields: Mapping[str, Any], expected: frozenset[str], what: str) -> None:
    if fields.keys() == expected:
        return
    for key in sorted(expected):
        if key not in fields:
            raise EnvelopeInvalid(f"{what} is missing field {key!r}")
    for key in sorted(fields):
        if key not in expected:
            raise EnvelopeInvalid(f"{what} has unknown field {key!r}")


def _signed_bytes(header: EnvelopeHeader, body: bytes) -> bytes:
    fields = header.to_map()
    fields["body"] = body
    return ENVELOPE_DOMAIN + canonical_dumps(fields)


@functools.lru_cache(maxsize=1024)
def _encryption_key(raw: bytes) -> X25519PublicKey:
    # A terminal seals to the same few peers' keys over and over.
    return X25519PublicKey.from_public_bytes(raw)


def _body_info(header: EnvelopeHeader) -> bytes:
    return BODY_DOMAIN + header.encode()


def new_message_id(random_bytes: Callable[[int], bytes] = os.urandom) -> str:
    """A fresh message id: 16 random bytes as 32 lowercase hex digits."""
    raw = random_bytes(16)
    if not isinstance(raw, bytes) or len(raw) != 16:
        raise LocalProtocolError("random_bytes(16) must return 16 bytes")
    return raw.hex()


def _body_problem(kind: str, body: Mapping[Any, Any]) -> str | None:
    """Why ``body`` is not a valid body for ``kind``, or None if it is."""
    if not all(isinstance(key, str) for key in body):
        return "body keys must be text"
    # Extra keys are allowed beside "text" (formatted notifications carry
    # their structured fields there); the text itself must be present.
    if kind == "text" and not isinstance(body.get("text"), str):
        return "a text message body needs a 'text' field holding a string"
    return None


def seal_envelope(
    *,
    header: EnvelopeHeader,
    body: Mapping[str, Any],
    sender: Identity,
    recipient_encryption_key: bytes,
) -> Envelope:
    """Seal ``body`` to the recipient's X25519 key and sign the result as ``sender``.

    Raises :class:`LocalProtocolError` if ``header.sender`` is not ``sender``'s
    key or ``body`` does not fit ``header.kind`` (both are caller bugs),
    :class:`MessageTooLarge` if the encoded body is over :data:`MAX_BODY_BYTES`,
    and :class:`CryptoError` if the recipient key is unusable.
    """
    if header.sender != sender.signing_public:
        raise LocalProtocolError("the header's sender is not the signing identity")
    if not isinstance(body, Mapping):
        raise LocalProtocolError("a message body is a mapping")
    problem = _body_problem(header.kind, body)
    if problem is not None:
        raise LocalProtocolError(problem)
    try:
        plaintext = canonical_dumps(dict(body))
    except Exception as exc:
        raise LocalProtocolError(f"the body cannot be encoded as CBOR: {exc}") from exc
    if len(plaintext) > MAX_BODY_BYTES:
        raise MessageTooLarge(
            f"the message body is {len(plaintext)} bytes encoded, "
            f"over the {MAX_BODY_BYTES}-byte limit"
        )
    if not isinstance(recipient_encryption_key, bytes) or len(recipient_encryption_key) != 32:
        raise CryptoError("the recipient's encryption key must be 32 bytes")
    try:
        sealed = HPKE_SUITE.encrypt(
            plaintext,
            _encryption_key(recipient_encryption_key),
            info=_body_info(header),
        )
    except Exception as exc:
        # A low-order X25519 point gives an all-zero shared secret, which
        # HPKE refuses: such a key cannot be sealed to.
        raise CryptoError(f"cannot seal to the recipient's encryption key: {exc}") from exc
    signature = sender.sign(_signed_bytes(header, sealed))
    return Envelope(header=header, body=sealed, signature=signature)


def verify_envelope(envelope: Envelope, *, sender_signing_key: bytes) -> None:
    """Check that ``envelope`` comes from ``sender_signing_key``, unaltered.

    Raises :class:`WrongSigner` if the header names another sender (checked
    first: it needs no cryptography and says more), then
    :class:`SignatureInvalid` if the signature does not verify.
    """
    if envelope.header.sender != sender_signing_key:
        raise WrongSigner("the envelope's sender is not the expected peer")
    verify_signature(
        sender_signing_key, envelope.signature, _signed_bytes(envelope.header, envelope.body)
    )


def open_envelope(envelope: Envelope, *, recipient: Identity) -> dict[str, Any]:
    """Decrypt the body with ``recipient``'s key and return it as a dict.

    Raises :class:`DecryptionFailed` if the envelope is addressed to another
    party or the body does not open under this header, and
    :class:`EnvelopeInvalid` if the opened body is not a canonical CBOR map
    that fits the kind. Call :func:`verify_envelope` first: opening does not
    authenticate the sender (anyone can seal to a public key).
    """
    if envelope.header.recipient != recipient.signing_public:
        raise DecryptionFailed("the envelope is addressed to another party")
    try:
        plaintext = HPKE_SUITE.decrypt(
            envelope.body, recipient.encryption_key, info=_body_info(envelope.header)
        )
    except Exception as exc:
        raise DecryptionFailed(
            "the body does not open with our key under this header: "
            "it was altered, or sealed to another key"
        ) from exc
    body = loads_canonical_map(plaintext, what="message body", max_bytes=MAX_BODY_BYTES)
    problem = _body_problem(envelope.header.kind, body)
    if problem is not None:
        raise EnvelopeInvalid(problem)
    return body
