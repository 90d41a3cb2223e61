"""Envelopes: one message, sealed to its recipient and signed by its sender.

An envelope is a cleartext header, an HPKE-sealed body and an Ed25519
signature, encoded as one canonical CBOR map (``docs/protocol/envelope.md`` is
the normative description). The header travels in the clear because the
delivery machinery needs it before and without decrypting: who sent it to
whom, the per-direction serial and the hash chain (``prev_hash``) that let a
receiver detect loss, replay and reordering, and the precedence that orders
the queue. The body holds what the leaders wrote.

Three bindings make the parts inseparable:

* the HPKE ``info`` is ``b"hotline-body-v1\\x00" || canonical CBOR(header)``,
  so a body opens only under the header it was sealed with;
* the signature covers ``b"hotline-envelope-v1\\x00" || canonical CBOR(header
  map + {"body": body})``, so neither the header nor the sealed body can be
  changed or swapped without the sender's key;
* (version 2) the header's ``"bc"`` is ``SHA-256(b"hotline-body-commit-v1\\x00"
  || plaintext)``, the plaintext being the canonical CBOR of the body map, so
  the sender's signature commits to *what was said*, not only to a seal that
  only the recipient can open. The recipient can later show the plaintext to
  a third party, who checks it against the signed header without any private
  key. A version-2 body carries ``"salt"``, 16 random bytes: the commitment is
  public, and without the salt a short or predictable text could be found by
  hashing guesses.

Version 1 envelopes (no ``"bc"``, no salt) still decode, verify and open, so
stored ones stay readable; :func:`seal_envelope` makes only version 2.

Header CBOR keys (short, stable, never reused)::

    "v"     uint   version: 2 (1 is still read)
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
    "bc"    bytes  body commitment (32); version 2 only, required there

The envelope adds ``"body"`` (bytes, HPKE ``enc || ciphertext``) and
``"signature"`` (bytes, 64).

A receiver runs, in order: :meth:`Envelope.decode` (:class:`EnvelopeInvalid`),
:func:`verify_envelope` (:class:`WrongSigner`, :class:`SignatureInvalid`), the
store's serial and chain checks, then :func:`open_envelope`
(:class:`DecryptionFailed`, :class:`EnvelopeInvalid` for a malformed body or,
in version 2, one that does not match ``"bc"``).
"""

from __future__ import annotations

import dataclasses
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
    "BODY_COMMIT_DOMAIN",
    "BODY_DOMAIN",
    "DEFAULT_CHANNEL",
    "ENVELOPE_DOMAIN",
    "ENVELOPE_VERSION",
    "HPKE_OVERHEAD",
    "HPKE_SUITE",
    "MAX_BODY_BYTES",
    "MAX_ENVELOPE_BYTES",
    "MAX_SERIAL",
    "SALT_BYTES",
    "SUPPORTED_ENVELOPE_VERSIONS",
    "ZERO_HASH",
    "Envelope",
    "EnvelopeHeader",
    "Precedence",
    "body_commitment",
    "check_body_commitment",
    "new_message_id",
    "open_envelope",
    "salted",
    "seal_envelope",
    "validate_message_id",
    "verify_envelope",
]

ENVELOPE_VERSION = 2
"""The version :func:`seal_envelope` makes."""

SUPPORTED_ENVELOPE_VERSIONS = frozenset({1, 2})
"""The versions a receiver decodes, verifies and opens (1: before body commitments)."""

SALT_BYTES = 16
"""Size of a version-2 body's ``"salt"``."""
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
BODY_COMMIT_DOMAIN = b"hotline-body-commit-v1\x00"

HPKE_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
"""The body's HPKE suite (RFC 9180 base mode): X25519, HKDF-SHA256, ChaCha20-Poly1305."""
_MESSAGE_ID = re.compile(r"^[0-9a-f]{32}$")
_CHANNEL = re.compile(r"^[a-z0-9_-]{1,32}$")
_KIND = re.compile(r"^[a-z]{1,32}$")
_HEADER_KEYS_V1 = frozenset({"v", "id", "from", "to", "ch", "n", "at", "tg", "pr", "k", "prev"})
_HEADER_KEYS = {1: _HEADER_KEYS_V1, 2: _HEADER_KEYS_V1 | {"bc"}}
_ENVELOPE_KEYS = {version: keys | {"body", "signature"} for version, keys in _HEADER_KEYS.items()}
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
    """The cleartext, signed part of an envelope. Invalid values raise EnvelopeInvalid.

    ``body_commitment`` is None for a version-1 header. A version-2 header
    built by a caller also leaves it None: :func:`seal_envelope` computes it
    from the body and returns the envelope with the completed header. Such an
    unsealed header cannot be encoded (:class:`LocalProtocolError`), and every
    :class:`Envelope`, decoded or sealed, has a version-2 header that carries
    its commitment; so on any envelope ``body_commitment is None`` exactly when
    the version is 1.
    """

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
    body_commitment: bytes | None = None

    def __post_init__(self) -> None:
        if _check_uint(self.version, "version") not in SUPPORTED_ENVELOPE_VERSIONS:
            raise EnvelopeInvalid(
                f"unsupported envelope version {self.version}; this hotline reads "
                f"versions {', '.join(map(str, sorted(SUPPORTED_ENVELOPE_VERSIONS)))}"
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
        if self.version == 1:
            if self.body_commitment is not None:
                raise EnvelopeInvalid("a version-1 header carries no body commitment")
        elif self.body_commitment is not None:
            _check_bytes(self.body_commitment, "body commitment", 32)

    def to_map(self) -> dict[str, Any]:
        """The header as the CBOR map described in the module docstring."""
        fields: dict[str, Any] = {
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
        if self.version >= 2:
            if self.body_commitment is None:
                raise LocalProtocolError(
                    "a version-2 header has no body commitment until seal_envelope sets it"
                )
            fields["bc"] = self.body_commitment
        return fields

    @classmethod
    def from_map(cls, fields: Mapping[str, Any]) -> EnvelopeHeader:
        """The header from its CBOR map; :class:`EnvelopeInvalid` if anything is off."""
        version = _map_version(fields, "envelope header")
        _expect_keys(fields, _HEADER_KEYS[version], "envelope header")
        try:
            precedence = Precedence(fields["pr"])
        except ValueError as exc:
            raise EnvelopeInvalid(f"unknown precedence {fields['pr']!r}") from exc
        return cls(
            version=version,
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
            # Present exactly in version 2 (the key set says so); checked in __post_init__.
            body_commitment=fields.get("bc"),
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
        if self.header.version >= 2 and self.header.body_commitment is None:
            raise EnvelopeInvalid("a version-2 envelope's header must carry its body commitment")

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
        version = _map_version(fields, "envelope")
        _expect_keys(fields, _ENVELOPE_KEYS[version], "envelope")
        header = EnvelopeHeader.from_map({key: fields[key] for key in _HEADER_KEYS[version]})
        envelope = cls(header=header, body=fields["body"], signature=fields["signature"])
        # loads_canonical_map checked that re-encoding gives exactly these bytes.
        object.__setattr__(envelope, "_encoded", bytes(data))
        return envelope

    @property
    def hash(self) -> bytes:
        """SHA-256 of :meth:`encode`: the next envelope's ``prev_hash``, the receipt's anchor."""
        return hashlib.sha256(self.encode()).digest()


def _map_version(fields: Mapping[str, Any], what: str) -> int:
    # The version decides which keys the map must have, so it is read first.
    if "v" not in fields:
        raise EnvelopeInvalid(f"{what} is missing field 'v'")
    version = _check_uint(fields["v"], "version")
    if version not in SUPPORTED_ENVELOPE_VERSIONS:
        raise EnvelopeInvalid(
            f"unsupported envelope version {version}; this hotline reads "
            f"versions {', '.join(map(str, sorted(SUPPORTED_ENVELOPE_VERSIONS)))}"
        )
    return version


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


def _body_problem(kind: str, body: Mapping[Any, Any], version: int) -> str | None:
    """Why ``body`` is not a valid body for ``kind`` in ``version``, or None if it is."""
    if not all(isinstance(key, str) for key in body):
        return "body keys must be text"
    # Extra keys are allowed beside "text" (formatted notifications carry
    # their structured fields there); the text itself must be present.
    if kind == "text" and not isinstance(body.get("text"), str):
        return "a text message body needs a 'text' field holding a string"
    if version >= 2:
        salt = body.get("salt")
        if not isinstance(salt, bytes) or len(salt) != SALT_BYTES:
            return f"a version-2 body needs a 'salt' of {SALT_BYTES} random bytes (see salted())"
    return None


def salted(
    body: Mapping[str, Any], random_bytes: Callable[[int], bytes] = os.urandom
) -> dict[str, Any]:
    """``body`` with a fresh ``"salt"`` added: what :func:`seal_envelope` needs.

    The salt is protocol, not content: it must never be shown to a reader.
    Raises :class:`LocalProtocolError` if ``body`` already has a salt (a
    caller's field must not take the reserved name) or ``random_bytes`` does
    not give :data:`SALT_BYTES` bytes.
    """
    if "salt" in body:
        raise LocalProtocolError("the body already has a 'salt': the name is reserved")
    salt = random_bytes(SALT_BYTES)
    if not isinstance(salt, bytes) or len(salt) != SALT_BYTES:
        raise LocalProtocolError(f"random_bytes({SALT_BYTES}) must return {SALT_BYTES} bytes")
    return {**body, "salt": salt}


def body_commitment(plaintext_cbor: bytes) -> bytes:
    """The version-2 header's ``"bc"`` for a body plaintext (its canonical CBOR)."""
    return hashlib.sha256(BODY_COMMIT_DOMAIN + plaintext_cbor).digest()


def check_body_commitment(envelope: Envelope, body: Mapping[str, Any] | bytes) -> None:
    """Check that ``body`` is the plaintext the sender committed to in ``envelope``.

    ``body`` is the body map, or its plaintext bytes as stored (which must
    then be exactly the canonical CBOR that was sealed). This needs no key:
    with :func:`verify_envelope`, it lets anyone holding the plaintext prove
    the sender said it. Raises :class:`EnvelopeInvalid` if it does not match,
    and also for a version-1 envelope, which commits to no plaintext (check
    ``envelope.header.body_commitment is None`` first to tell the two apart).
    """
    expected = envelope.header.body_commitment
    if expected is None:
        raise EnvelopeInvalid(
            f"envelope {envelope.header.message_id} is version {envelope.header.version}: "
            "its sender committed to no plaintext"
        )
    if isinstance(body, bytes | bytearray | memoryview):
        plaintext = bytes(body)
    else:
        try:
            plaintext = canonical_dumps(dict(body))
        except Exception as exc:
            raise EnvelopeInvalid(f"the body cannot be encoded as CBOR: {exc}") from exc
    # Both values are public (the commitment is in the clear header): no timing concern.
    if body_commitment(plaintext) != expected:
        raise EnvelopeInvalid(
            f"the body of envelope {envelope.header.message_id} is not the one its sender "
            "committed to"
        )


def seal_envelope(
    *,
    header: EnvelopeHeader,
    body: Mapping[str, Any],
    sender: Identity,
    recipient_encryption_key: bytes,
) -> Envelope:
    """Seal ``body`` to the recipient's X25519 key and sign the result as ``sender``.

    ``header`` is a version-2 header; its body commitment is computed here
    from ``body`` (a header that already carries one must carry that one),
    and the returned envelope holds the completed header. ``body`` must hold
    a ``"salt"`` (:func:`salted`). The plaintext sealed is
    ``canonical CBOR(body)``: store exactly that to be able to prove it later.

    Raises :class:`LocalProtocolError` if ``header`` is not version 2, its
    sender is not ``sender``'s key or ``body`` does not fit ``header.kind``
    or lacks its salt (all caller bugs), :class:`MessageTooLarge` if the
    encoded body is over :data:`MAX_BODY_BYTES`, and :class:`CryptoError` if
    the recipient key is unusable.
    """
    if header.version != ENVELOPE_VERSION:
        raise LocalProtocolError(
            f"new envelopes are version {ENVELOPE_VERSION}; version {header.version} is only read"
        )
    if header.sender != sender.signing_public:
        raise LocalProtocolError("the header's sender is not the signing identity")
    if not isinstance(body, Mapping):
        raise LocalProtocolError("a message body is a mapping")
    problem = _body_problem(header.kind, body, header.version)
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
    commitment = body_commitment(plaintext)
    if header.body_commitment not in (None, commitment):
        raise LocalProtocolError("the header's body commitment is not that of this body")
    header = dataclasses.replace(header, body_commitment=commitment)
    return _seal_plaintext(
        header=header,
        plaintext=plaintext,
        sender=sender,
        recipient_encryption_key=recipient_encryption_key,
    )


def _seal_plaintext(
    *, header: EnvelopeHeader, plaintext: bytes, sender: Identity, recipient_encryption_key: bytes
) -> Envelope:
    """HPKE-seal ``plaintext`` under ``header`` and sign: no check of the body.

    The whole of §5 and §6 of envelope.md for any header version; the tests
    use it to make version-1 envelopes, which :func:`seal_envelope` no longer does.
    """
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
    that fits the kind or, in version 2, lacks its salt or is not the body
    the header commits to. Call :func:`verify_envelope` first: opening does
    not authenticate the sender (anyone can seal to a public key). The dict
    returned includes the ``"salt"`` of a version-2 body: store it (the
    commitment is checked against it), never show it.
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
    problem = _body_problem(envelope.header.kind, body, envelope.header.version)
    if problem is not None:
        raise EnvelopeInvalid(problem)
    if envelope.header.body_commitment is not None:
        # loads_canonical_map made sure plaintext is the canonical CBOR of body.
        check_body_commitment(envelope, plaintext)
    return body
