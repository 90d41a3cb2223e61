"""Key revocations: a party's master key withdrawing one of its operational keys.

When an operational key leaks (a copied ``tls/key.pem``, a signing key
taken from a backup), rotating it is not enough: the thief still holds a key
the peers accept for what it signed. A **revocation** is the master's signed
statement that from ``compromised_since`` on, nothing signed by that key is
the party's. Peers that hold it refuse what the key signs (docs/keys.md,
"Revocation"); ``hotline verify`` and ``audit`` flag records it signed after
the compromise.

It names the key fully (kind and public key, not only its id) so a peer can
check it without holding the key's certificate, and is signed by the master
alone over ``KEY_REVOCATION_DOMAIN || canonical CBOR``: the revoked key's
holder may be the thief, so its signature would prove nothing. The format is
normative in docs/protocol/key-events.md, "Revocation". Pure: times are
whole Unix seconds (UTC), keys raw bytes and signers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Final, TypeVar

import cbor2

from hotline.crypto._strict import exact_fields, strict_map, typed_field
from hotline.crypto.identity import KEY_BYTES, SIGNATURE_BYTES, validate_party, verify_signature
from hotline.crypto.keycert import KEY_KINDS, key_id
from hotline.crypto.signer import Signer
from hotline.errors import InvalidArgument, SignatureInvalid

__all__ = [
    "KEY_REVOCATION_DOMAIN",
    "KEY_REVOCATION_VERSION",
    "MAX_KEY_REVOCATION_BYTES",
    "MAX_REVOCATION_REASON",
    "KeyRevocation",
    "revoke_key",
]

KEY_REVOCATION_VERSION: Final = 1
KEY_REVOCATION_DOMAIN: Final = b"hotline-key-revocation-v1\x00"
MAX_REVOCATION_REASON: Final = 500
"""Characters of the reason: a sentence or two for the peer's operator, not a report."""
MAX_KEY_REVOCATION_BYTES: Final = 4096
"""A revocation is some 250 bytes plus its reason (at most 2,000 UTF-8 bytes)."""

# Unix seconds of 9999-12-31T23:59:59Z, as key certificates.
_MAX_TIME = 253402300799
_SIGNED_FIELDS = frozenset(
    {"v", "party", "master_key", "kind", "key", "compromised_since", "revoked_at", "reason"}
)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRevocation:
    """``party``'s master key withdrawing its ``kind`` key ``public_key``.

    Construction checks shapes (:class:`~hotline.errors.InvalidArgument` if
    wrong); :meth:`verify` checks the signature. :func:`revoke_key` and
    :meth:`decode` only ever return verified revocations.
    """

    party: str
    master_key: bytes
    kind: str
    public_key: bytes
    compromised_since: int
    """From this time on (Unix seconds), nothing the key signed is the party's."""
    revoked_at: int
    reason: str
    master_signature: bytes

    def __post_init__(self) -> None:
        validate_party(self.party)
        if self.kind not in KEY_KINDS:
            raise InvalidArgument(
                f"key revocation: kind {self.kind!r} is not one of {', '.join(KEY_KINDS)}"
            )
        for name, value, size in (
            ("master_key", self.master_key, KEY_BYTES),
            ("key", self.public_key, KEY_BYTES),
            ("master_signature", self.master_signature, SIGNATURE_BYTES),
        ):
            if not isinstance(value, bytes) or len(value) != size:
                raise InvalidArgument(f"key revocation: field '{name}' must be {size} bytes")
        for name, number in (
            ("compromised_since", self.compromised_since),
            ("revoked_at", self.revoked_at),
        ):
            # bool is an int in Python, and never what a signer meant.
            if type(number) is not int or not 0 <= number <= _MAX_TIME:
                raise InvalidArgument(
                    f"key revocation: field '{name}' must be an integer from 0 to {_MAX_TIME}"
                )
        if self.compromised_since > self.revoked_at:
            raise InvalidArgument(
                "key revocation: the key cannot be compromised later than it is revoked"
            )
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise InvalidArgument("key revocation: a reason is required")
        if len(self.reason) > MAX_REVOCATION_REASON:
            raise InvalidArgument(
                f"key revocation: the reason is {len(self.reason)} characters, "
                f"over {MAX_REVOCATION_REASON}"
            )
        if self.public_key == self.master_key:
            raise InvalidArgument(
                "key revocation: a master key is not revoked this way (that is a master-key change)"
            )

    @property
    def key_id(self) -> str:
        """The revoked key's id, as ``hotline key list`` shows it."""
        return key_id(self.kind, self.public_key)

    def signed_bytes(self) -> bytes:
        """What the master signs: ``KEY_REVOCATION_DOMAIN || canonical CBOR`` of the fields."""
        return KEY_REVOCATION_DOMAIN + cbor2.dumps(self._payload(), canonical=True)

    def verify(self) -> None:
        """:class:`~hotline.errors.InvalidArgument` unless the master's signature verifies."""
        try:
            verify_signature(self.master_key, self.master_signature, self.signed_bytes())
        except SignatureInvalid:
            raise InvalidArgument(
                f"key revocation of {self.key_id}: the master key's signature does not verify"
            ) from None

    def encode(self) -> bytes:
        """The revocation as canonical CBOR: the signed fields and the signature."""
        document = self._payload()
        document["master_signature"] = self.master_signature
        return cbor2.dumps(document, canonical=True)

    @classmethod
    def decode(cls, data: bytes) -> KeyRevocation:
        """Parse and verify :meth:`encode`'s bytes; InvalidArgument naming what is wrong.

        Strict, as key certificates: exactly the fields, canonical encoding.
        """
        document = strict_map(
            data,
            what="key revocation",
            max_bytes=MAX_KEY_REVOCATION_BYTES,
            version=KEY_REVOCATION_VERSION,
            error=InvalidArgument,
        )
        exact_fields(
            document,
            _SIGNED_FIELDS | {"master_signature"},
            what="key revocation",
            error=InvalidArgument,
        )
        revocation = cls(
            party=_typed(document, "party", str),
            master_key=_typed(document, "master_key", bytes),
            kind=_typed(document, "kind", str),
            public_key=_typed(document, "key", bytes),
            compromised_since=_typed(document, "compromised_since", int),
            revoked_at=_typed(document, "revoked_at", int),
            reason=_typed(document, "reason", str),
            master_signature=_typed(document, "master_signature", bytes),
        )
        if revocation.encode() != data:
            raise InvalidArgument("key revocation: not in canonical CBOR")
        revocation.verify()
        return revocation

    def _payload(self) -> dict[str, Any]:
        return {
            "v": KEY_REVOCATION_VERSION,
            "party": self.party,
            "master_key": self.master_key,
            "kind": self.kind,
            "key": self.public_key,
            "compromised_since": self.compromised_since,
            "revoked_at": self.revoked_at,
            "reason": self.reason,
        }


def _typed(document: dict[str, Any], name: str, kind: type[_T]) -> _T:
    return typed_field(document, name, kind, what="key revocation", error=InvalidArgument)


def revoke_key(
    *,
    master: Signer,
    party: str,
    kind: str,
    public_key: bytes,
    compromised_since: int,
    revoked_at: int,
    reason: str,
) -> KeyRevocation:
    """A new, verified revocation of ``party``'s ``kind`` key ``public_key``, signed by ``master``."""
    unsigned = KeyRevocation(
        party=party,
        master_key=master.public_key,
        kind=kind,
        public_key=public_key,
        compromised_since=compromised_since,
        revoked_at=revoked_at,
        reason=reason,
        master_signature=b"\x00" * SIGNATURE_BYTES,
    )
    revocation = replace(unsigned, master_signature=master.sign(unsigned.signed_bytes()))
    revocation.verify()
    return revocation
