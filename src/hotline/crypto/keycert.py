"""Key certificates: a party's master key vouching for one of its operational keys.

A party has two tiers of keys (docs/keys.md, "The key hierarchy"). The
**master key** (Ed25519) is its identity: the fingerprint is of the master key
and the party name, so it stays the same when operational keys change, and it
is used only at ceremonies (it may live offline or in a hardware token). The
**operational keys** do the daily work: the message-signing key (Ed25519), the
encryption key (X25519) and the TLS key (Ed25519). Each is bound to the master
by a *key certificate*: who (party, master key), what (kind, public key), when
(validity period) and which one (a serial, increasing per kind), in
deterministic CBOR like everything hotline signs.

Two signatures, as Matrix's cross-signing and TUF's root rotation do:

- the master signs ``KEY_CERTIFICATE_DOMAIN || tbs``: "this key speaks for me";
- the new key counter-signs ``KEY_COUNTERSIGN_DOMAIN || tbs || master
  signature``: "I hold this key and accept the binding". Without it, a master
  could certify someone else's public key and claim their signatures. An
  X25519 encryption key cannot sign, so its certificate carries no
  counter-signature; possession of it is shown by opening what is sealed to it.

The format is normative in docs/protocol/cards.md §8. Pure: times are given
as whole seconds since the Unix epoch (UTC), keys as signers and raw bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any, Final, TypeVar

import cbor2

from hotline.crypto._strict import strict_map, typed_field
from hotline.crypto.identity import (
    KEY_BYTES,
    SIGNATURE_BYTES,
    validate_party,
    verify_signature,
)
from hotline.crypto.signer import Signer
from hotline.errors import CardInvalid, InvalidArgument, SignatureInvalid

__all__ = [
    "KEY_CERTIFICATE_DOMAIN",
    "KEY_CERTIFICATE_VERSION",
    "KEY_COUNTERSIGN_DOMAIN",
    "KEY_KINDS",
    "KeyCertificate",
    "MAX_KEY_CERTIFICATE_BYTES",
    "certify_key",
    "key_id",
]

KEY_CERTIFICATE_VERSION: Final = 1
KEY_CERTIFICATE_DOMAIN: Final = b"hotline-key-certificate-v1\x00"
KEY_COUNTERSIGN_DOMAIN: Final = b"hotline-key-countersignature-v1\x00"
KEY_KINDS: Final = ("signing", "encryption", "tls")
"""The operational kinds, in the order cards list them."""

MAX_KEY_CERTIFICATE_BYTES: Final = 1024
"""A certificate is about 300 bytes; the bound stops a hostile card from making us parse more."""

# Unix seconds of 9999-12-31T23:59:59Z: as RFC 5280, "no well-defined end".
_MAX_TIME = 253402300799
# CBOR's unsigned integers fit in 64 bits; a serial counts rotations.
_MAX_SERIAL = 2**63 - 1
_SIGNED_FIELDS = frozenset(
    {"v", "party", "master_key", "kind", "key", "serial", "not_before", "not_after"}
)
_COUNTERSIGNED_KINDS = frozenset({"signing", "tls"})
_KEY_ID_BYTES = 8
_T = TypeVar("_T")


def key_id(kind: str, public_key: bytes) -> str:
    """A short, stable name for an operational key: ``"<kind>-<16 hex digits>"``.

    The hex digits are the first 8 bytes of SHA-256(kind || 0x00 || key): the
    kind is hashed in so that an Ed25519 signing key re-used as a TLS key (which
    hotline never does) would still have two distinct ids. ``hotline key list``
    shows it and ``hotline key revoke --key`` takes it.
    """
    if kind not in KEY_KINDS:
        raise InvalidArgument(f"key kind {kind!r} is not one of {', '.join(KEY_KINDS)}")
    digest = hashlib.sha256(kind.encode("ascii") + b"\x00" + bytes(public_key)).digest()
    return f"{kind}-{digest[:_KEY_ID_BYTES].hex()}"


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyCertificate:
    """One operational key, certified by its party's master key.

    Construction checks shapes (:class:`CardInvalid` if wrong); :meth:`verify`
    checks the signatures. :func:`certify_key` and :meth:`decode` only ever
    return verified certificates.
    """

    party: str
    master_key: bytes
    kind: str
    public_key: bytes
    serial: int
    not_before: int
    not_after: int
    master_signature: bytes
    key_signature: bytes
    """The new key's counter-signature; empty for an encryption key, which cannot sign."""

    def __post_init__(self) -> None:
        try:
            validate_party(self.party)
        except InvalidArgument as exc:
            raise CardInvalid(f"key certificate: {exc}") from exc
        if self.kind not in KEY_KINDS:
            raise CardInvalid(
                f"key certificate: kind {self.kind!r} is not one of {', '.join(KEY_KINDS)}"
            )
        for name, value, size in (
            ("master_key", self.master_key, KEY_BYTES),
            ("key", self.public_key, KEY_BYTES),
            ("master_signature", self.master_signature, SIGNATURE_BYTES),
        ):
            if not isinstance(value, bytes) or len(value) != size:
                raise CardInvalid(f"key certificate: field '{name}' must be {size} bytes")
        expected = SIGNATURE_BYTES if self.kind in _COUNTERSIGNED_KINDS else 0
        if not isinstance(self.key_signature, bytes) or len(self.key_signature) != expected:
            raise CardInvalid(
                f"key certificate: a {self.kind} key's counter-signature must be {expected} bytes"
            )
        for name, number, highest in (
            ("serial", self.serial, _MAX_SERIAL),
            ("not_before", self.not_before, _MAX_TIME),
            ("not_after", self.not_after, _MAX_TIME),
        ):
            # bool is an int in Python, and never what a signer meant.
            if type(number) is not int or not 0 <= number <= highest:
                raise CardInvalid(
                    f"key certificate: field '{name}' must be an integer from 0 to {highest}"
                )
        if self.serial < 1:
            raise CardInvalid("key certificate: the serial starts at 1")
        if self.not_after <= self.not_before:
            raise CardInvalid("key certificate: 'not_after' must be later than 'not_before'")
        if self.public_key == self.master_key:
            raise CardInvalid("key certificate: an operational key must not be the master key")

    @property
    def key_id(self) -> str:
        """See :func:`key_id`."""
        return key_id(self.kind, self.public_key)

    def signed_bytes(self) -> bytes:
        """What the master signs: ``KEY_CERTIFICATE_DOMAIN || canonical CBOR`` of the fields."""
        return KEY_CERTIFICATE_DOMAIN + cbor2.dumps(self._payload(), canonical=True)

    def countersigned_bytes(self) -> bytes:
        """What the new key signs: the master's bytes under its own domain, then its signature."""
        payload = cbor2.dumps(self._payload(), canonical=True)
        return KEY_COUNTERSIGN_DOMAIN + payload + self.master_signature

    def verify(self) -> None:
        """Check the master's signature, then the key's; :class:`CardInvalid` naming which fails."""
        try:
            verify_signature(self.master_key, self.master_signature, self.signed_bytes())
        except SignatureInvalid as exc:
            raise CardInvalid(
                f"key certificate {self.key_id}: the master key's signature does not verify"
            ) from exc
        if self.kind in _COUNTERSIGNED_KINDS:
            try:
                verify_signature(self.public_key, self.key_signature, self.countersigned_bytes())
            except SignatureInvalid as exc:
                raise CardInvalid(
                    f"key certificate {self.key_id}: the key's own counter-signature "
                    "does not verify"
                ) from exc

    def valid_at(self, at: int) -> bool:
        """Whether ``at`` (Unix seconds) is within ``[not_before, not_after)``."""
        return self.not_before <= at < self.not_after

    def encode(self) -> bytes:
        """The certificate as canonical CBOR: the signed fields and both signatures."""
        document = self._payload()
        document["master_signature"] = self.master_signature
        if self.kind in _COUNTERSIGNED_KINDS:
            document["key_signature"] = self.key_signature
        return cbor2.dumps(document, canonical=True)

    @classmethod
    def decode(cls, data: bytes) -> KeyCertificate:
        """Parse and verify :meth:`encode`'s bytes; :class:`CardInvalid` naming what is wrong.

        Strict: exactly the fields of its kind, canonical encoding (the bytes
        must re-encode to themselves, so one certificate has one form).
        """
        document = strict_map(
            data,
            what="key certificate",
            max_bytes=MAX_KEY_CERTIFICATE_BYTES,
            version=KEY_CERTIFICATE_VERSION,
            error=CardInvalid,
        )
        kind = document.get("kind")
        if kind not in KEY_KINDS:
            raise CardInvalid(
                f"key certificate: kind {kind!r} is not one of {', '.join(KEY_KINDS)}"
            )
        expected = _SIGNED_FIELDS | {"master_signature"}
        if kind in _COUNTERSIGNED_KINDS:
            expected |= {"key_signature"}
        if set(document) != expected:
            missing = sorted(str(name) for name in expected - set(document))
            extra = sorted(str(name) for name in set(document) - expected)
            raise CardInvalid(
                f"key certificate: fields missing {missing}, unexpected {extra}"
                if missing
                else f"key certificate: unexpected fields {extra}"
            )
        certificate = cls(
            party=_typed(document, "party", str),
            master_key=_typed(document, "master_key", bytes),
            kind=_typed(document, "kind", str),
            public_key=_typed(document, "key", bytes),
            serial=_typed(document, "serial", int),
            not_before=_typed(document, "not_before", int),
            not_after=_typed(document, "not_after", int),
            master_signature=_typed(document, "master_signature", bytes),
            key_signature=(
                _typed(document, "key_signature", bytes) if "key_signature" in document else b""
            ),
        )
        if certificate.encode() != data:
            raise CardInvalid("key certificate: not in canonical CBOR")
        certificate.verify()
        return certificate

    def _payload(self) -> dict[str, Any]:
        return {
            "v": KEY_CERTIFICATE_VERSION,
            "party": self.party,
            "master_key": self.master_key,
            "kind": self.kind,
            "key": self.public_key,
            "serial": self.serial,
            "not_before": self.not_before,
            "not_after": self.not_after,
        }


def _typed(document: dict[str, Any], name: str, kind: type[_T]) -> _T:
    return typed_field(document, name, kind, what="key certificate", error=CardInvalid)


def certify_key(
    *,
    master: Signer,
    party: str,
    kind: str,
    public_key: bytes,
    serial: int,
    not_before: int,
    not_after: int,
    key_signer: Signer | None = None,
) -> KeyCertificate:
    """A new, verified certificate of ``public_key`` as ``party``'s ``kind`` key.

    ``key_signer`` is the new key itself, for its counter-signature: required
    for ``signing`` and ``tls`` (and its public key must be ``public_key``),
    refused for ``encryption``. :class:`~hotline.errors.InvalidArgument` if the
    inputs do not fit together.
    """
    if kind not in KEY_KINDS:
        raise InvalidArgument(f"key kind {kind!r} is not one of {', '.join(KEY_KINDS)}")
    countersigned = kind in _COUNTERSIGNED_KINDS
    if countersigned and (key_signer is None or key_signer.public_key != public_key):
        raise InvalidArgument(f"a {kind} key certificate needs the new key itself to counter-sign")
    if not countersigned and key_signer is not None:
        raise InvalidArgument("an encryption key cannot sign: give no key_signer")
    placeholder = b"\x00" * SIGNATURE_BYTES
    unsigned = KeyCertificate(
        party=party,
        master_key=master.public_key,
        kind=kind,
        public_key=public_key,
        serial=serial,
        not_before=not_before,
        not_after=not_after,
        master_signature=placeholder,
        key_signature=placeholder if countersigned else b"",
    )
    master_signature = master.sign(unsigned.signed_bytes())
    certificate = replace(unsigned, master_signature=master_signature)
    if key_signer is not None:
        certificate = replace(
            certificate, key_signature=key_signer.sign(certificate.countersigned_bytes())
        )
    certificate.verify()
    return certificate
