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
    "sk"    bytes  the key that signed (32), present only when it is not "from":
                   the sender rotated its signing key (docs/keys.md, "Rotation")

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

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from hotline.crypto._cbor import canonical_dumps, loads_canonical_map
from hotline.crypto.identity import KEY_BYTES, SIGNATURE_BYTES, Identity, verify_signature
from hotline.crypto.ratchet import EPOCH_MESSAGES, EPOCH_SECRET_BYTES, ChainKey, new_chain, step
from hotline.errors import (
    CryptoError,
    DecryptionFailed,
    EnvelopeInvalid,
    LocalProtocolError,
    MessageTooLarge,
    NoMessageKey,
    WrongSigner,
)
from hotline.utc import parse_utc

__all__ = [
    "AEAD_OVERHEAD",
    "BODY_COMMIT_DOMAIN",
    "BODY_DOMAIN",
    "BODY_DOMAIN_RATCHETED",
    "DEFAULT_CHANNEL",
    "ENVELOPE_DOMAIN",
    "ENVELOPE_VERSION",
    "ENVELOPE_VERSION_RATCHETED",
    "EPOCH_DOMAIN",
    "EPOCH_KEY_BYTES",
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
    "open_envelope_ratcheted",
    "salted",
    "seal_envelope",
    "seal_envelope_ratcheted",
    "validate_message_id",
    "verify_envelope",
]

ENVELOPE_VERSION = 2
"""The version :func:`seal_envelope` makes."""

ENVELOPE_VERSION_RATCHETED = 3
"""The version :func:`seal_envelope_ratcheted` makes (session protocol 2)."""

SUPPORTED_ENVELOPE_VERSIONS = frozenset({1, 2, 3})
"""The versions a receiver decodes and verifies (1: before body commitments; 3: ratcheted)."""

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
BODY_DOMAIN_RATCHETED = b"hotline-body-v3\x00"
"""Version 3: the body AEAD's associated data is this followed by the header's CBOR."""
EPOCH_DOMAIN = b"hotline-epoch-v3\x00"
"""Version 3: the HPKE ``info`` of ``"ek"`` is this, then from, to and ``es`` (8 bytes, big-endian)."""

AEAD_OVERHEAD = 16
"""The ChaCha20-Poly1305 tag: a version-3 body is its plaintext plus this."""
EPOCH_KEY_BYTES = 32 + EPOCH_SECRET_BYTES + 16
"""Version 3: ``"ek"`` is HPKE ``enc`` (32) and the sealed epoch secret with its tag."""

HPKE_SUITE = hpke.Suite(hpke.KEM.X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.CHACHA20_POLY1305)
"""The body's HPKE suite (RFC 9180 base mode): X25519, HKDF-SHA256, ChaCha20-Poly1305."""
_MESSAGE_ID = re.compile(r"^[0-9a-f]{32}$")
_CHANNEL = re.compile(r"^[a-z0-9_-]{1,32}$")
_KIND = re.compile(r"^[a-z]{1,32}$")
_HEADER_KEYS_V1 = frozenset({"v", "id", "from", "to", "ch", "n", "at", "tg", "pr", "k", "prev"})
_HEADER_KEYS_V2 = _HEADER_KEYS_V1 | {"bc"}
_HEADER_KEYS_V3 = _HEADER_KEYS_V2 | {"es"}
# Version 3 has two key sets: "ek" is there exactly in the envelope that opens an epoch.
# "sk" (the signer, after a rotation of the sender's signing key) is optional in every version.
_HEADER_KEY_SETS = {
    version: (*sets, *(keys | {"sk"} for keys in sets))
    for version, sets in {
        1: (_HEADER_KEYS_V1,),
        2: (_HEADER_KEYS_V2,),
        3: (_HEADER_KEYS_V3, _HEADER_KEYS_V3 | {"ek"}),
    }.items()
}
_ENVELOPE_KEY_SETS = {
    version: tuple(keys | {"body", "signature"} for keys in sets)
    for version, sets in _HEADER_KEY_SETS.items()
}
# Smallest sealed body: the overhead plus a one-byte CBOR plaintext.
_MIN_SEALED_BODY = {1: HPKE_OVERHEAD + 1, 2: HPKE_OVERHEAD + 1, 3: AEAD_OVERHEAD + 1}
_MAX_SEALED_BODY = {
    1: MAX_BODY_BYTES + HPKE_OVERHEAD,
    2: MAX_BODY_BYTES + HPKE_OVERHEAD,
    3: MAX_BODY_BYTES + AEAD_OVERHEAD,
}


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
    :class:`Envelope`, decoded or sealed, has a version-2 or -3 header that
    carries its commitment; so on any envelope ``body_commitment is None``
    exactly when the version is 1.

    ``epoch`` (``"es"``) and ``epoch_key`` (``"ek"``) belong to version 3
    only: ``epoch`` is required there, ``1 <= epoch <= serial`` and
    ``serial - epoch < EPOCH_MESSAGES``, and ``epoch_key`` is present exactly
    when ``epoch == serial`` (the envelope that opens the epoch carries its
    secret). :func:`seal_envelope_ratcheted` fills both in.
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
    epoch: int | None = None
    epoch_key: bytes | None = None
    #: ``"sk"``: the signing key that signs, when it is not ``sender`` (the address).
    signer: bytes | None = None

    def __post_init__(self) -> None:
        if _check_uint(self.version, "version") not in SUPPORTED_ENVELOPE_VERSIONS:
            raise EnvelopeInvalid(
                f"unsupported envelope version {self.version}; this hotline reads "
                f"versions {', '.join(map(str, sorted(SUPPORTED_ENVELOPE_VERSIONS)))}"
            )
        validate_message_id(self.message_id)
        _check_bytes(self.sender, "sender", KEY_BYTES)
        _check_bytes(self.recipient, "recipient", KEY_BYTES)
        if self.signer is not None:
            _check_bytes(self.signer, "signer (sk)", KEY_BYTES)
            # Absent when it is the address, so an envelope has one encoding.
            if self.signer == self.sender:
                raise EnvelopeInvalid("the signer (sk) is present only when it is not the sender")
        if not isinstance(self.channel, str) or not _CHANNEL.match(self.channel):
            raise EnvelopeInvalid("channel must be 1-32 characters of a-z, 0-9, '-' and '_'")
        if not 1 <= _check_uint(self.serial, "serial") <= MAX_SERIAL:
            raise EnvelopeInvalid(f"serial must be from 1 to {MAX_SERIAL}")
        try:
            parse_utc(self.sent_at)
        except ValueError as exc:
            raise EnvelopeInvalid(f"sent_at: {exc}") from exc
        # parse_utc fixed the form YYYY-MM-DDTHH:MM:SS.ffffffZ, so the time group
        # (day, hour, minute) is read off the text: no datetime round trip.
        sent_at = self.sent_at
        if self.time_group != f"{sent_at[8:10]}{sent_at[11:13]}{sent_at[14:16]}Z":
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
        if self.version == ENVELOPE_VERSION_RATCHETED:
            self._check_epoch()
        elif self.epoch is not None or self.epoch_key is not None:
            raise EnvelopeInvalid(f"a version-{self.version} header has no epoch (es, ek)")

    def _check_epoch(self) -> None:
        epoch = self.epoch
        if epoch is None:
            raise EnvelopeInvalid("a version-3 header needs its epoch (es)")
        if not 1 <= _check_uint(epoch, "epoch") <= self.serial:
            raise EnvelopeInvalid("the epoch (es) must be from 1 to the serial")
        if self.serial - epoch >= EPOCH_MESSAGES:
            raise EnvelopeInvalid(
                f"an epoch holds at most {EPOCH_MESSAGES} messages; serial {self.serial} "
                f"is past the end of the epoch opened at {epoch}"
            )
        if epoch == self.serial:
            if self.epoch_key is None:
                raise EnvelopeInvalid("the envelope that opens an epoch must carry its key (ek)")
            _check_bytes(self.epoch_key, "epoch key (ek)", EPOCH_KEY_BYTES)
        elif self.epoch_key is not None:
            raise EnvelopeInvalid("only the envelope that opens an epoch carries its key (ek)")

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
                    f"a version-{self.version} header has no body commitment until seal_envelope sets it"
                )
            fields["bc"] = self.body_commitment
        if self.version == ENVELOPE_VERSION_RATCHETED:
            fields["es"] = self.epoch
            if self.epoch_key is not None:
                fields["ek"] = self.epoch_key
        if self.signer is not None:
            fields["sk"] = self.signer
        return fields

    @classmethod
    def from_map(cls, fields: Mapping[str, Any]) -> EnvelopeHeader:
        """The header from its CBOR map; :class:`EnvelopeInvalid` if anything is off."""
        version = _map_version(fields, "envelope header")
        _expect_keys(fields, _HEADER_KEY_SETS[version], "envelope header")
        return cls._from_fields(version, fields)

    @classmethod
    def _from_fields(cls, version: int, fields: Mapping[str, Any]) -> EnvelopeHeader:
        # The key set is checked; fields may also hold the envelope's body and signature.
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
            # Present exactly in the versions that have them (the key set says
            # so; "ek" only in an epoch opener); checked in __post_init__.
            body_commitment=fields.get("bc"),
            epoch=fields.get("es"),
            epoch_key=fields.get("ek"),
            signer=fields.get("sk"),
        )

    def encode(self) -> bytes:
        """Canonical CBOR of :meth:`to_map`: what the HPKE ``info`` (or the v3 AEAD data) binds."""
        return canonical_dumps(self.to_map())

    @classmethod
    def decode(cls, data: bytes) -> EnvelopeHeader:
        """Inverse of :meth:`encode`; only ever raises :class:`EnvelopeInvalid`."""
        fields = loads_canonical_map(data, what="envelope header", max_bytes=MAX_ENVELOPE_BYTES)
        return cls.from_map(fields)


@dataclass(frozen=True, slots=True, kw_only=True)
class Envelope:
    """A header, its sealed body and the sender's signature.

    The body is HPKE ``enc || ciphertext`` in versions 1 and 2, and the
    ChaCha20-Poly1305 ciphertext under the message key in version 3.
    """

    header: EnvelopeHeader
    body: bytes
    signature: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.header, EnvelopeHeader):
            raise EnvelopeInvalid("header must be an EnvelopeHeader")
        version = self.header.version
        low, high = _MIN_SEALED_BODY[version], _MAX_SEALED_BODY[version]
        if not isinstance(self.body, bytes) or not low <= len(self.body) <= high:
            raise EnvelopeInvalid(f"a version-{version} sealed body must be {low} to {high} bytes")
        _check_bytes(self.signature, "signature", SIGNATURE_BYTES)
        if version >= 2 and self.header.body_commitment is None:
            raise EnvelopeInvalid(
                f"a version-{version} envelope's header must carry its body commitment"
            )

    #: The encoding, computed once: an envelope is encoded and hashed several times
    #: on its way (stored, chained, receipted), and the object is immutable.
    _encoded: bytes | None = field(default=None, init=False, repr=False, compare=False)
    #: What the signature covers, kept from sealing or cut from the decoded bytes.
    _signed: bytes | None = field(default=None, init=False, repr=False, compare=False)

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
        _expect_keys(fields, _ENVELOPE_KEY_SETS[version], "envelope")
        header = EnvelopeHeader._from_fields(version, fields)
        envelope = cls(header=header, body=fields["body"], signature=fields["signature"])
        # loads_canonical_map checked that re-encoding gives exactly these bytes.
        data = bytes(data)
        object.__setattr__(envelope, "_encoded", data)
        object.__setattr__(envelope, "_signed", _signed_from_encoding(data, len(fields)))
        return envelope

    @property
    def hash(self) -> bytes:
        """SHA-256 of :meth:`encode`: the next envelope's ``prev_hash``, the receipt's anchor."""
        return hashlib.sha256(self.encode()).digest()

    def signed_bytes(self) -> bytes:
        """``ENVELOPE_DOMAIN || canonical CBOR(header map + {"body": body})``: what is signed."""
        if self._signed is None:
            object.__setattr__(self, "_signed", _signed_bytes(self.header, self.body))
        assert self._signed is not None
        return self._signed


# -- the byte layout of a canonical envelope ------------------------------------
#
# Canonical CBOR sorts map keys shortest first, then bytewise. Every envelope
# key has 1, 2 or 4 characters except "signature" (9), so the signature is the
# map's last entry; "body" comes first among the 4-character keys, followed by
# "from" and "prev" (32-byte values each). Every map here has fewer than 24
# entries, so its head is one byte. The signed bytes and the header's own
# encoding are therefore slices of the envelope's encoding (and the envelope a
# splice of the header's): no second CBOR encoding on either side. The tests
# check these slices against a real encoding for every version.

_MAP_HEAD = 0xA0
_SIGNATURE_ENTRY_PREFIX = b"\x69signature\x58\x40"
_SIGNATURE_ENTRY_BYTES = len(_SIGNATURE_ENTRY_PREFIX) + SIGNATURE_BYTES
_BODY_KEY = b"\x64body"
# "from" and "prev" after "body": key (5 bytes), byte-string head (2), value (32), twice.
_AFTER_BODY_BYTES = 2 * (5 + 2 + 32)


def _bstr_head(size: int) -> bytes:
    """The canonical CBOR head of a byte string of ``size`` bytes."""
    if size < 24:
        return bytes([0x40 + size])
    if size < 0x100:
        return bytes([0x58, size])
    if size < 0x10000:
        return b"\x59" + size.to_bytes(2, "big")
    return b"\x5a" + size.to_bytes(4, "big")


def _signed_from_encoding(encoded: bytes, entries: int) -> bytes:
    """The signed bytes of a canonical envelope encoding of ``entries`` map entries."""
    assert encoded[0] == _MAP_HEAD + entries
    assert encoded[-_SIGNATURE_ENTRY_BYTES:-SIGNATURE_BYTES] == _SIGNATURE_ENTRY_PREFIX
    return ENVELOPE_DOMAIN + bytes([_MAP_HEAD + entries - 1]) + encoded[1:-_SIGNATURE_ENTRY_BYTES]


def _header_from_signed(signed: bytes, body_size: int) -> bytes:
    """The header's canonical encoding, cut out of the signed bytes (header + body)."""
    body_end = len(signed) - _AFTER_BODY_BYTES
    body_start = body_end - len(_BODY_KEY) - len(_bstr_head(body_size)) - body_size
    assert signed[body_start : body_start + len(_BODY_KEY)] == _BODY_KEY
    head = signed[len(ENVELOPE_DOMAIN)]
    return bytes([head - 1]) + signed[len(ENVELOPE_DOMAIN) + 1 : body_start] + signed[body_end:]


def _splice_body(header_cbor: bytes, body: bytes) -> bytes:
    """The signed bytes: the header's encoding with the ``"body"`` entry put in its place."""
    split = len(header_cbor) - _AFTER_BODY_BYTES
    return (
        ENVELOPE_DOMAIN
        + bytes([header_cbor[0] + 1])
        + header_cbor[1:split]
        + _BODY_KEY
        + _bstr_head(len(body))
        + body
        + header_cbor[split:]
    )


def _signed_envelope(
    header: EnvelopeHeader, body: bytes, signed: bytes, signature: bytes
) -> Envelope:
    """An envelope whose encoding is its signed bytes plus the signature entry."""
    envelope = Envelope(header=header, body=body, signature=signature)
    encoded = (
        bytes([signed[len(ENVELOPE_DOMAIN)] + 1])
        + signed[len(ENVELOPE_DOMAIN) + 1 :]
        + _SIGNATURE_ENTRY_PREFIX
        + signature
    )
    object.__setattr__(envelope, "_encoded", encoded)
    object.__setattr__(envelope, "_signed", signed)
    return envelope


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


def _expect_keys(fields: Mapping[str, Any], allowed: tuple[frozenset[str], ...], what: str) -> None:
    # ``allowed`` lists the exact key sets of a version, smallest first; every
    # larger one adds optional keys to the first (version 3's "ek").
    keys = fields.keys()
    if any(keys == expected for expected in allowed):
        return
    required = allowed[0]
    for key in sorted(required):
        if key not in fields:
            raise EnvelopeInvalid(f"{what} is missing field {key!r}")
    known = frozenset().union(*allowed)
    for key in sorted(fields):
        if key not in known:
            raise EnvelopeInvalid(f"{what} has unknown field {key!r}")
    raise AssertionError("unreachable: the key sets of a version differ by optional keys only")


def _signed_bytes(header: EnvelopeHeader, body: bytes) -> bytes:
    # The reference form (one CBOR encoding of the whole map); the fast paths
    # slice or splice encodings they already hold, and the tests hold them to this.
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
    plaintext, commitment = _plaintext(header, body, sender, ENVELOPE_VERSION)
    return _seal_plaintext(
        header=_completed(header, body_commitment=commitment, signer=sender.rotated_signer),
        plaintext=plaintext,
        sender=sender,
        recipient_encryption_key=recipient_encryption_key,
    )


def _plaintext(
    header: EnvelopeHeader, body: Mapping[str, Any], sender: Identity, version: int
) -> tuple[bytes, bytes]:
    """The checked body's plaintext (canonical CBOR) and its commitment, for sealing."""
    if header.sender != sender.signing_public:
        raise LocalProtocolError("the header's sender is not the signing identity")
    if not isinstance(body, Mapping):
        raise LocalProtocolError("a message body is a mapping")
    problem = _body_problem(header.kind, body, version)
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
    return plaintext, commitment


_HEADER_FIELDS = tuple(f.name for f in dataclasses.fields(EnvelopeHeader))


def _completed(header: EnvelopeHeader, **changes: Any) -> EnvelopeHeader:
    """``header`` with the fields a seal function computes, without validating it again.

    ``dataclasses.replace`` would run every check of a header that was checked
    when it was built; the fields changed here (version, commitment, epoch and
    its key) are made by the sealing code itself, consistent by construction.
    """
    completed = object.__new__(EnvelopeHeader)
    for name in _HEADER_FIELDS:
        object.__setattr__(completed, name, changes.get(name, getattr(header, name)))
    return completed


def _check_recipient_key(recipient_encryption_key: object) -> bytes:
    if not isinstance(recipient_encryption_key, bytes) or len(recipient_encryption_key) != 32:
        raise CryptoError("the recipient's encryption key must be 32 bytes")
    return recipient_encryption_key


def _hpke_seal(plaintext: bytes, recipient_encryption_key: bytes, info: bytes) -> bytes:
    try:
        return HPKE_SUITE.encrypt(plaintext, _encryption_key(recipient_encryption_key), info=info)
    except Exception as exc:
        # A low-order X25519 point gives an all-zero shared secret, which
        # HPKE refuses: such a key cannot be sealed to.
        raise CryptoError(f"cannot seal to the recipient's encryption key: {exc}") from exc


def _seal_plaintext(
    *, header: EnvelopeHeader, plaintext: bytes, sender: Identity, recipient_encryption_key: bytes
) -> Envelope:
    """HPKE-seal ``plaintext`` under ``header`` and sign: no check of the body.

    The whole of §5 and §6 of envelope.md for any header version; the tests
    use it to make version-1 envelopes, which :func:`seal_envelope` no longer does.
    """
    header_cbor = header.encode()
    sealed = _hpke_seal(
        plaintext, _check_recipient_key(recipient_encryption_key), BODY_DOMAIN + header_cbor
    )
    signed = _splice_body(header_cbor, sealed)
    return _signed_envelope(header, sealed, signed, sender.sign(signed))


def _epoch_info(sender: bytes, recipient: bytes, epoch: int) -> bytes:
    return EPOCH_DOMAIN + sender + recipient + epoch.to_bytes(8, "big")


_ZERO_NONCE = bytes(12)
"""Version 3's AEAD nonce: each message key seals exactly one body, so a fixed nonce is safe."""


def seal_envelope_ratcheted(
    *,
    header: EnvelopeHeader,
    body: Mapping[str, Any],
    sender: Identity,
    recipient_encryption_key: bytes,
    chain: ChainKey | None,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> tuple[Envelope, ChainKey]:
    """Seal ``body`` as a version-3 envelope under the next message key, and sign it.

    ``header`` is given as for :func:`seal_envelope` (its version is replaced
    by 3; ``"es"``, ``"ek"`` and ``"bc"`` are filled in here). ``chain`` is the
    direction's ratchet as the last call returned it, or None. A new epoch is
    opened, its secret drawn from ``random_bytes`` and HPKE-sealed to
    ``recipient_encryption_key`` in ``"ek"``, when there is no chain, when
    the chain's next serial is not ``header.serial`` (state out of step), or
    when the epoch has used :data:`EPOCH_MESSAGES` keys. Returns the envelope
    and the chain to keep for the next message (store it; drop the old one).

    Raises as :func:`seal_envelope` does (:class:`LocalProtocolError`,
    :class:`MessageTooLarge`, :class:`CryptoError`).
    """
    plaintext, commitment = _plaintext(header, body, sender, ENVELOPE_VERSION_RATCHETED)
    recipient_key = _check_recipient_key(recipient_encryption_key)
    serial = header.serial
    epoch_key: bytes | None = None
    if chain is None or chain.epoch + chain.index != serial or chain.index >= EPOCH_MESSAGES:
        secret = random_bytes(EPOCH_SECRET_BYTES)
        if not isinstance(secret, bytes) or len(secret) != EPOCH_SECRET_BYTES:
            raise LocalProtocolError(
                f"random_bytes({EPOCH_SECRET_BYTES}) must return {EPOCH_SECRET_BYTES} bytes"
            )
        epoch_key = _hpke_seal(
            secret, recipient_key, _epoch_info(header.sender, header.recipient, serial)
        )
        chain = new_chain(secret, serial)
    message_key, next_chain = step(chain)
    header = _completed(
        header,
        version=ENVELOPE_VERSION_RATCHETED,
        body_commitment=commitment,
        epoch=chain.epoch,
        epoch_key=epoch_key,
        signer=sender.rotated_signer,
    )
    header_cbor = header.encode()
    sealed = ChaCha20Poly1305(message_key).encrypt(
        _ZERO_NONCE, plaintext, BODY_DOMAIN_RATCHETED + header_cbor
    )
    signed = _splice_body(header_cbor, sealed)
    return _signed_envelope(header, sealed, signed, sender.sign(signed)), next_chain


def verify_envelope(
    envelope: Envelope, *, sender_signing_key: bytes, signing_key: bytes | None = None
) -> None:
    """Check that ``envelope`` comes from ``sender_signing_key``, unaltered (any version).

    ``sender_signing_key`` is the sender's address (its first signing key);
    ``signing_key`` the key to verify with when the header carries ``"sk"``
    (a rotated signing key), which the caller resolved as certified for the
    sender at the envelope's time. Raises :class:`WrongSigner` if the header
    names another sender or another signer (checked first: it needs no
    cryptography and says more), then :class:`SignatureInvalid` if the
    signature does not verify.
    """
    header = envelope.header
    if header.sender != sender_signing_key:
        raise WrongSigner("the envelope's sender is not the expected peer")
    key = sender_signing_key if signing_key is None else signing_key
    if (header.signer or sender_signing_key) != key:
        raise WrongSigner("the envelope is signed by another key than the one certified to sign")
    verify_signature(key, envelope.signature, envelope.signed_bytes())


def _checked_body(envelope: Envelope, plaintext: bytes) -> dict[str, Any]:
    """The opened plaintext as a body map: canonical, fitting the kind, and committed to."""
    body = loads_canonical_map(plaintext, what="message body", max_bytes=MAX_BODY_BYTES)
    problem = _body_problem(envelope.header.kind, body, envelope.header.version)
    if problem is not None:
        raise EnvelopeInvalid(problem)
    if envelope.header.body_commitment is not None:
        # loads_canonical_map made sure plaintext is the canonical CBOR of body.
        check_body_commitment(envelope, plaintext)
    return body


def open_envelope(envelope: Envelope, *, recipient: Identity) -> dict[str, Any]:
    """Decrypt the body of a version-1 or -2 envelope with ``recipient``'s key.

    Raises :class:`DecryptionFailed` if the envelope is addressed to another
    party or the body does not open under this header, and
    :class:`EnvelopeInvalid` if the opened body is not a canonical CBOR map
    that fits the kind or, in version 2, lacks its salt or is not the body
    the header commits to. Call :func:`verify_envelope` first: opening does
    not authenticate the sender (anyone can seal to a public key). The dict
    returned includes the ``"salt"`` of a version-2 body: store it (the
    commitment is checked against it), never show it.

    A version-3 envelope raises :class:`NoMessageKey`: its body opens only
    under a message key of the ratchet (:func:`open_envelope_ratcheted`),
    which is deleted once used.
    """
    if envelope.header.version == ENVELOPE_VERSION_RATCHETED:
        raise NoMessageKey(
            f"envelope {envelope.header.message_id} is ratcheted (version 3): it opens only "
            "once, with the message key of its chain"
        )
    if envelope.header.recipient != recipient.signing_public:
        raise DecryptionFailed("the envelope is addressed to another party")
    plaintext = _hpke_open(envelope.body, recipient, _body_info(envelope.header))
    if plaintext is None:
        raise DecryptionFailed(
            "the body does not open with our key under this header: "
            "it was altered, or sealed to another key"
        )
    return _checked_body(envelope, plaintext)


def _hpke_open(sealed: bytes, recipient: Identity, info: bytes) -> bytes | None:
    """``sealed`` opened with the recipient's current encryption key or an older one; None if none.

    Nothing in an envelope names the key it was sealed to (HPKE's ``enc`` is
    an ephemeral key), so after a rotation (docs/keys.md §7) the keys are
    tried newest first: a peer seals to the new key from the key event on,
    and a failed try costs one X25519 and one AEAD tag check.
    """
    for key in recipient.decryption_keys:
        opened = _hpke_open_with(sealed, key, info)
        if opened is not None:
            return opened
    return None


def _hpke_open_with(sealed: bytes, key: X25519PrivateKey, info: bytes) -> bytes | None:
    try:
        return HPKE_SUITE.decrypt(sealed, key, info=info)
    except Exception:
        # A wrong key and an altered ciphertext fail alike: the caller tries the next key.
        return None


def open_envelope_ratcheted(
    envelope: Envelope, *, recipient: Identity, chain: ChainKey | None
) -> tuple[dict[str, Any], ChainKey]:
    """Open a version-3 envelope with the next key of ``chain``; return the body and new chain.

    An envelope that opens an epoch (``es == n``) carries its secret: it is
    opened with ``recipient``'s X25519 key and starts a new chain, whatever
    ``chain`` holds. Any other envelope needs ``chain`` to be of its epoch
    and at its index (``n - es``), else :class:`NoMessageKey` (the keys of
    earlier messages are gone by design; a later one means messages were
    skipped). Keep the returned chain, in place of the old one, once the
    message is stored.

    Raises :class:`LocalProtocolError` for a version-1 or -2 envelope (use
    :func:`open_envelope`), :class:`DecryptionFailed` if it is addressed to
    another party, its epoch key does not open with our key or its body not
    under the message key and this header, and :class:`EnvelopeInvalid` for
    a body that is not canonical CBOR, does not fit the kind, lacks its salt
    or is not the one the header commits to. Call :func:`verify_envelope`
    first: opening does not authenticate the sender.
    """
    header = envelope.header
    if header.version != ENVELOPE_VERSION_RATCHETED:
        raise LocalProtocolError(
            f"a version-{header.version} envelope is opened with open_envelope"
        )
    if header.recipient != recipient.signing_public:
        raise DecryptionFailed("the envelope is addressed to another party")
    epoch = header.epoch
    assert epoch is not None  # every version-3 header has one
    if header.epoch_key is not None:
        secret = _hpke_open(
            header.epoch_key, recipient, _epoch_info(header.sender, header.recipient, epoch)
        )
        if secret is None:
            raise DecryptionFailed(
                "the epoch key does not open with our key: it was altered, or sealed to another key"
            )
        chain = new_chain(secret, epoch)
    elif chain is None:
        raise NoMessageKey(
            f"no chain for epoch {epoch}: envelope {header.serial} cannot be opened "
            "(the envelope that opened its epoch was not opened here)"
        )
    elif chain.epoch != epoch:
        raise NoMessageKey(
            f"envelope {header.serial} is of epoch {epoch}, the chain held of epoch {chain.epoch}"
        )
    elif chain.index != header.serial - epoch:
        raise NoMessageKey(
            f"envelope {header.serial} needs message key {header.serial - epoch} of its epoch, "
            f"the chain is at {chain.index}"
        )
    message_key, next_chain = step(chain)
    header_cbor = _header_from_signed(envelope.signed_bytes(), len(envelope.body))
    try:
        plaintext = ChaCha20Poly1305(message_key).decrypt(
            _ZERO_NONCE, envelope.body, BODY_DOMAIN_RATCHETED + header_cbor
        )
    except InvalidTag as exc:
        raise DecryptionFailed(
            "the body does not open with its message key under this header: it was altered"
        ) from exc
    return _checked_body(envelope, plaintext), next_chain
