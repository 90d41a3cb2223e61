"""Master transitions: a party's old master key handing its identity to a new one.

A two-tier party (docs/keys.md, "The key hierarchy") may change its master key
at a ceremony (docs/keys.md, "Changing the master key"). Its peers pinned the
old master from its card, so the change is announced in a signed statement:
who (party), from which master to which, and when, in canonical CBOR under
its own domain. Two signatures, as a key certificate's:

- the **old** master signs ``MASTER_TRANSITION_DOMAIN || tbs``: "my identity
  moves to this key";
- the **new** master counter-signs ``MASTER_COUNTERSIGN_DOMAIN || tbs || old
  signature``: "I hold this key and accept the identity".

A peer accepts the statement only if its old master is the one it pinned; even
then the new master is only *pending* until an operator records an
out-of-band check of the new fingerprint (a stolen old master alone cannot
move the line to a key of the thief's). The format is normative in
docs/protocol/key-events.md, "Master transitions". Pure: times are whole Unix
seconds (UTC), keys are signers and raw bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Final

import cbor2

from hotline.crypto._strict import exact_fields, strict_map, typed_field
from hotline.crypto.identity import (
    KEY_BYTES,
    SIGNATURE_BYTES,
    validate_party,
    verify_signature,
)
from hotline.crypto.signer import Signer
from hotline.errors import CardInvalid, InvalidArgument, SignatureInvalid

__all__ = [
    "MASTER_COUNTERSIGN_DOMAIN",
    "MASTER_TRANSITION_DOMAIN",
    "MASTER_TRANSITION_VERSION",
    "MAX_MASTER_TRANSITION_BYTES",
    "MasterTransition",
    "make_master_transition",
]

MASTER_TRANSITION_VERSION: Final = 1
MASTER_TRANSITION_DOMAIN: Final = b"hotline-master-transition-v1\x00"
MASTER_COUNTERSIGN_DOMAIN: Final = b"hotline-master-transition-countersignature-v1\x00"
MAX_MASTER_TRANSITION_BYTES: Final = 512
"""A transition is about 250 bytes; the bound stops a hostile event from making us parse more."""

_MAX_TIME = 253402300799
_SIGNED_FIELDS = frozenset({"v", "party", "old_master", "new_master", "at"})
_FIELDS = _SIGNED_FIELDS | {"old_signature", "new_signature"}


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterTransition:
    """``party``'s identity moving from ``old_master`` to ``new_master`` at ``at``.

    Construction checks shapes (:class:`CardInvalid`); :meth:`verify` checks
    both signatures. :func:`make_master_transition` and :meth:`decode` only
    ever return verified statements.
    """

    party: str
    old_master: bytes
    new_master: bytes
    at: int
    old_signature: bytes
    new_signature: bytes

    def __post_init__(self) -> None:
        try:
            validate_party(self.party)
        except InvalidArgument as exc:
            raise CardInvalid(f"master transition: {exc}") from exc
        for name, value, size in (
            ("old_master", self.old_master, KEY_BYTES),
            ("new_master", self.new_master, KEY_BYTES),
            ("old_signature", self.old_signature, SIGNATURE_BYTES),
            ("new_signature", self.new_signature, SIGNATURE_BYTES),
        ):
            if not isinstance(value, bytes) or len(value) != size:
                raise CardInvalid(f"master transition: field '{name}' must be {size} bytes")
        if type(self.at) is not int or not 0 <= self.at <= _MAX_TIME:
            raise CardInvalid(
                f"master transition: field 'at' must be an integer from 0 to {_MAX_TIME}"
            )
        if self.old_master == self.new_master:
            raise CardInvalid("master transition: the new master must differ from the old")

    def signed_bytes(self) -> bytes:
        """What the old master signs: ``MASTER_TRANSITION_DOMAIN || canonical CBOR``."""
        return MASTER_TRANSITION_DOMAIN + cbor2.dumps(self._payload(), canonical=True)

    def countersigned_bytes(self) -> bytes:
        """What the new master signs: the same map under its own domain, then the old signature."""
        payload = cbor2.dumps(self._payload(), canonical=True)
        return MASTER_COUNTERSIGN_DOMAIN + payload + self.old_signature

    def verify(self) -> None:
        """Check the old master's signature, then the new one's; :class:`CardInvalid` naming which."""
        try:
            verify_signature(self.old_master, self.old_signature, self.signed_bytes())
        except SignatureInvalid as exc:
            raise CardInvalid(
                "master transition: the old master key's signature does not verify"
            ) from exc
        try:
            verify_signature(self.new_master, self.new_signature, self.countersigned_bytes())
        except SignatureInvalid as exc:
            raise CardInvalid(
                "master transition: the new master key's counter-signature does not verify"
            ) from exc

    def encode(self) -> bytes:
        """The statement as canonical CBOR: the signed fields and both signatures."""
        document = self._payload()
        document["old_signature"] = self.old_signature
        document["new_signature"] = self.new_signature
        return cbor2.dumps(document, canonical=True)

    @classmethod
    def decode(cls, data: bytes) -> MasterTransition:
        """Parse and verify :meth:`encode`'s bytes; :class:`CardInvalid` naming what is wrong.

        Strict: exactly these fields, canonical encoding, both signatures.
        """
        document = strict_map(
            data,
            what="master transition",
            max_bytes=MAX_MASTER_TRANSITION_BYTES,
            version=MASTER_TRANSITION_VERSION,
            error=CardInvalid,
        )
        exact_fields(document, _FIELDS, what="master transition", error=CardInvalid)
        for name, kind in (
            ("party", str),
            ("old_master", bytes),
            ("new_master", bytes),
            ("at", int),
            ("old_signature", bytes),
            ("new_signature", bytes),
        ):
            typed_field(document, name, kind, what="master transition", error=CardInvalid)
        transition = cls(
            party=document["party"],
            old_master=document["old_master"],
            new_master=document["new_master"],
            at=document["at"],
            old_signature=document["old_signature"],
            new_signature=document["new_signature"],
        )
        if transition.encode() != data:
            raise CardInvalid("master transition: not in canonical CBOR")
        transition.verify()
        return transition

    def _payload(self) -> dict[str, Any]:
        return {
            "v": MASTER_TRANSITION_VERSION,
            "party": self.party,
            "old_master": self.old_master,
            "new_master": self.new_master,
            "at": self.at,
        }


def make_master_transition(*, party: str, old: Signer, new: Signer, at: int) -> MasterTransition:
    """A verified statement that ``party``'s identity moves from ``old`` to ``new`` at ``at``."""
    placeholder = b"\x00" * SIGNATURE_BYTES
    unsigned = MasterTransition(
        party=party,
        old_master=old.public_key,
        new_master=new.public_key,
        at=at,
        old_signature=placeholder,
        new_signature=placeholder,
    )
    signed = replace(unsigned, old_signature=old.sign(unsigned.signed_bytes()))
    transition = replace(signed, new_signature=new.sign(signed.countersigned_bytes()))
    transition.verify()
    return transition
