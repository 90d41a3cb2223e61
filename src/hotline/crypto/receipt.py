"""Delivery receipts: the recipient's signed statement that it durably holds envelopes.

A receipt is sent back only after the envelopes are stored, and names the
recipient's journal head *after* storing them. The sender keeps receipts next
to its envelopes, so each side can later prove what the other acknowledged:
the receipt binds exact envelopes (by hash, serial and both keys) to a point
in the recipient's journal, under the recipient's signature.

Version 1 acknowledges one envelope; version 2 (session protocol 2) one
committed *batch*, serials ``n0`` to ``n`` of a direction, with a single
signature. Both are one canonical CBOR map (``docs/protocol/receipts.md``)::

    "v"          uint   version: 1                      2
    "id"         text   the envelope's message id       -
    "env"        bytes  SHA-256 of the envelope (32)    SHA-256 of envelope n (32)
    "from"       bytes  the envelopes' sender key (32)
    "to"         bytes  their recipient key, the receipt's signer (32)
    "n0"         uint   -                               first serial of the batch
    "n"          uint   the envelope's serial           last serial of the batch
    "root"       bytes  -                               RFC 6962 MTH over the envelope
                                                        hashes n0..n (leaf data: the hash)
    "at"         text   received_at, hotline.utc.format_utc form
    "head"       bytes  recipient's journal head after storing (32)
    "sk"         bytes  the key that signed (32), only when it is not "to" (a
                        rotated signing key; optional in both versions)
    "signature"  bytes  Ed25519 by "to" over b"hotline-receipt-v<version>\\x00" ||
                        canonical CBOR of every other field (64)

A version-2 receipt vouches for more than its batch: envelope ``n`` carries
its predecessor's hash (``prev``), so signing its hash commits to the whole
chain before it. ``"root"`` keeps a proof for one message compact: the
receipt, the envelope and an inclusion proof of at most 12 hashes
(:func:`batch_proof`, :func:`verify_receipt`), checkable offline.

Checks on receipt, in order: :meth:`Receipt.decode` (:class:`EnvelopeInvalid`),
then :func:`verify_receipt` / :func:`verify_receipt_fields` (version 1) or
:func:`verify_batch_receipt` (version 2): the signer is the expected peer
(:class:`WrongSigner`), the signature (:class:`SignatureInvalid`), then the
match with the envelopes we sent (:class:`WrongSigner` for the recipient key,
:class:`EnvelopeInvalid` for id, hash, serials, root or sender,
:class:`ProofInvalid` for an inclusion proof that does not hold).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hotline.crypto._cbor import canonical_dumps, loads_canonical_map
from hotline.crypto.envelope import MAX_SERIAL, Envelope, validate_message_id
from hotline.crypto.identity import KEY_BYTES, SIGNATURE_BYTES, Identity, verify_signature
from hotline.crypto.tlog import inclusion_proof, node_hash, verify_inclusion
from hotline.errors import EnvelopeInvalid, LocalProtocolError, WrongSigner
from hotline.utc import parse_utc

__all__ = [
    "BATCH_RECEIPT_DOMAIN",
    "BATCH_RECEIPT_VERSION",
    "MAX_BATCH",
    "MAX_RECEIPT_BYTES",
    "RECEIPT_DOMAIN",
    "RECEIPT_VERSION",
    "Receipt",
    "batch_proof",
    "batch_root",
    "receipt_covers",
    "sign_batch_receipt",
    "sign_receipt",
    "verify_batch_receipt",
    "verify_receipt",
    "verify_receipt_fields",
]

RECEIPT_VERSION = 1
RECEIPT_DOMAIN = b"hotline-receipt-v1\x00"
BATCH_RECEIPT_VERSION = 2
BATCH_RECEIPT_DOMAIN = b"hotline-receipt-v2\x00"
MAX_BATCH = 4096
"""Most envelopes one version-2 receipt acknowledges (an inclusion proof: at most 12 hashes)."""
MAX_RECEIPT_BYTES = 1024
"""Upper bound on an encoded receipt (a real one is about 290 bytes)."""

_DOMAINS = {RECEIPT_VERSION: RECEIPT_DOMAIN, BATCH_RECEIPT_VERSION: BATCH_RECEIPT_DOMAIN}
_SIGNED_KEYS = {
    RECEIPT_VERSION: frozenset({"v", "id", "env", "from", "to", "n", "at", "head"}),
    BATCH_RECEIPT_VERSION: frozenset({"v", "env", "from", "to", "n0", "n", "root", "at", "head"}),
}
_KEYS = {version: keys | {"signature"} for version, keys in _SIGNED_KEYS.items()}


def _check_bytes(value: object, name: str, size: int) -> bytes:
    if not isinstance(value, bytes) or len(value) != size:
        raise EnvelopeInvalid(f"receipt {name} must be {size} bytes")
    return value


def _check_uint(value: object, name: str) -> int:
    if type(value) is not int:
        raise EnvelopeInvalid(f"receipt {name} must be an integer")
    return value


def _check_version(value: object) -> int:
    if _check_uint(value, "version") not in _DOMAINS:
        raise EnvelopeInvalid(
            f"unsupported receipt version {value}; this hotline reads versions "
            f"{RECEIPT_VERSION} and {BATCH_RECEIPT_VERSION}"
        )
    assert isinstance(value, int)
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    """A signed acknowledgement of one envelope (v1) or a batch (v2). Invalid values raise EnvelopeInvalid.

    ``first_serial`` is the batch's first serial (``"n0"``) and ``serial`` its
    last; in version 1 both are the envelope's serial (``first_serial`` is
    set from ``serial``, whatever is passed). ``message_id`` is version 1's only, ``batch_root``
    version 2's only; ``envelope_hash`` is that of envelope ``serial``.
    """

    version: int = RECEIPT_VERSION
    message_id: str | None = None
    first_serial: int = 0
    serial: int
    envelope_hash: bytes
    batch_root: bytes | None = None
    sender: bytes
    recipient: bytes
    received_at: str
    journal_head: bytes
    signature: bytes
    #: ``"sk"``: the recipient's signing key that signs, when it is not ``recipient``.
    signer: bytes | None = None

    def __post_init__(self) -> None:
        version = _check_version(self.version)
        if not 1 <= _check_uint(self.serial, "serial") <= MAX_SERIAL:
            raise EnvelopeInvalid(f"receipt serial must be from 1 to {MAX_SERIAL}")
        if version == RECEIPT_VERSION:
            validate_message_id(self.message_id)
            # Not a field of version 1's wire form but a view of it: always the
            # serial, so that dataclasses.replace(receipt, serial=...) stays valid.
            object.__setattr__(self, "first_serial", self.serial)
            if self.batch_root is not None:
                raise EnvelopeInvalid("a version-1 receipt has no batch root")
        else:
            if self.message_id is not None:
                raise EnvelopeInvalid("a version-2 receipt names no message id")
            first = _check_uint(self.first_serial, "first serial (n0)")
            if not 1 <= first <= self.serial:
                raise EnvelopeInvalid("a batch's first serial (n0) must be from 1 to its last (n)")
            if self.serial - first + 1 > MAX_BATCH:
                raise EnvelopeInvalid(f"a receipt acknowledges at most {MAX_BATCH} envelopes")
            _check_bytes(self.batch_root, "batch root", 32)
        _check_bytes(self.envelope_hash, "envelope hash", 32)
        _check_bytes(self.sender, "sender", KEY_BYTES)
        _check_bytes(self.recipient, "recipient", KEY_BYTES)
        if self.signer is not None:
            _check_bytes(self.signer, "signer (sk)", KEY_BYTES)
            if self.signer == self.recipient:
                raise EnvelopeInvalid("a receipt's signer (sk) is present only when it is not 'to'")
        try:
            parse_utc(self.received_at)
        except ValueError as exc:
            raise EnvelopeInvalid(f"receipt received_at: {exc}") from exc
        _check_bytes(self.journal_head, "journal head", 32)
        _check_bytes(self.signature, "signature", SIGNATURE_BYTES)

    @property
    def size(self) -> int:
        """How many envelopes the receipt acknowledges: ``n - n0 + 1`` (1 in version 1)."""
        return self.serial - self.first_serial + 1

    def signed_map(self) -> dict[str, Any]:
        """Every field but the signature, as the CBOR map the signature covers."""
        fields: dict[str, Any] = {
            "v": self.version,
            "env": self.envelope_hash,
            "from": self.sender,
            "to": self.recipient,
            "n": self.serial,
            "at": self.received_at,
            "head": self.journal_head,
        }
        if self.version == RECEIPT_VERSION:
            fields["id"] = self.message_id
        else:
            fields["n0"] = self.first_serial
            fields["root"] = self.batch_root
        if self.signer is not None:
            fields["sk"] = self.signer
        return fields

    def signed_bytes(self) -> bytes:
        """``b"hotline-receipt-v<version>\\x00" || canonical CBOR(signed_map())``."""
        return _DOMAINS[self.version] + canonical_dumps(self.signed_map())

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
        """Parse an encoded receipt of either version; any malformation is :class:`EnvelopeInvalid`."""
        fields = loads_canonical_map(data, what="receipt", max_bytes=MAX_RECEIPT_BYTES)
        if "v" not in fields:
            raise EnvelopeInvalid("receipt is missing field 'v'")
        version = _check_version(fields["v"])
        _expect_keys(fields, _KEYS[version] | ({"sk"} if "sk" in fields else set()))
        receipt = cls(
            version=version,
            message_id=fields.get("id"),
            # n0 is absent from version 1, where 0 stands for "the serial".
            first_serial=_check_uint(fields.get("n0", 0), "first serial (n0)"),
            serial=_check_uint(fields["n"], "serial"),
            envelope_hash=fields["env"],
            batch_root=fields.get("root"),
            sender=fields["from"],
            recipient=fields["to"],
            received_at=fields["at"],
            journal_head=fields["head"],
            signature=fields["signature"],
            signer=fields.get("sk"),
        )
        # loads_canonical_map checked that re-encoding gives exactly these bytes.
        object.__setattr__(receipt, "_encoded", bytes(data))
        return receipt

    @property
    def hash(self) -> bytes:
        """SHA-256 of :meth:`encode`."""
        return hashlib.sha256(self.encode()).digest()


def _expect_keys(fields: Mapping[str, Any], expected: frozenset[str]) -> None:
    if fields.keys() == expected:
        return
    for key in sorted(expected):
        if key not in fields:
            raise EnvelopeInvalid(f"receipt is missing field {key!r}")
    for key in sorted(fields):
        if key not in expected:
            raise EnvelopeInvalid(f"receipt has unknown field {key!r}")


def _signed(unsigned: Receipt, recipient: Identity) -> Receipt:
    # Filled in place, not with dataclasses.replace: nobody else holds the object
    # yet, and its other fields were validated when it was built.
    object.__setattr__(unsigned, "signature", recipient.sign(unsigned.signed_bytes()))
    return unsigned


def sign_receipt(
    *,
    envelope: Envelope,
    received_at: str,
    journal_head: bytes,
    recipient: Identity,
) -> Receipt:
    """Acknowledge ``envelope`` as ``recipient``, after storing it (version 1).

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
        signer=recipient.rotated_signer,
    )
    return _signed(unsigned, recipient)


def _leaf(envelope_hash: bytes) -> bytes:
    # RFC 6962 leaf hash of the 32-byte envelope hash (tlog.leaf_hash, inlined:
    # a batch of 4096 hashes this 4096 times).
    return hashlib.sha256(b"\x00" + envelope_hash).digest()


def _levels(envelope_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every perfect node of the batch's tree, level by level (level 0: the leaf hashes)."""
    if not 1 <= len(envelope_hashes) <= MAX_BATCH:
        raise LocalProtocolError(f"a batch holds 1 to {MAX_BATCH} envelope hashes")
    for envelope_hash in envelope_hashes:
        if not isinstance(envelope_hash, bytes) or len(envelope_hash) != 32:
            raise LocalProtocolError("an envelope hash is 32 bytes")
    levels = [[_leaf(h) for h in envelope_hashes]]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def batch_root(envelope_hashes: Sequence[bytes]) -> bytes:
    """The RFC 6962 Merkle tree hash over ``envelope_hashes`` (leaf data: each 32-byte hash).

    Computed level by level, an unpaired last node rising unchanged: the same
    tree as RFC 9162 §2.1.1's split at the largest power of two (the tests
    hold it to :func:`hotline.crypto.tlog.root_of`).
    """
    levels = _levels(envelope_hashes)
    # The perfect nodes are not the root when the size is not a power of two:
    # fold the right edge (one node per level where an odd node is left over).
    root: bytes | None = None
    for level in levels:
        if len(level) % 2:
            root = level[-1] if root is None else node_hash(level[-1], root)
    assert root is not None
    return root


def batch_proof(envelope_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The RFC 9162 inclusion proof of envelope ``index`` (0 for serial n0) in the batch's tree."""
    levels = _levels(envelope_hashes)
    if not 0 <= index < len(envelope_hashes):
        raise LocalProtocolError(f"no envelope {index} in a batch of {len(envelope_hashes)}")
    return inclusion_proof(index, len(envelope_hashes), lambda level, i: levels[level][i])


def sign_batch_receipt(
    *,
    sender: bytes,
    first_serial: int,
    envelope_hashes: Sequence[bytes],
    received_at: str,
    journal_head: bytes,
    recipient: Identity,
) -> Receipt:
    """Acknowledge the envelopes ``first_serial`` .. ``first_serial + len - 1`` from ``sender``.

    ``envelope_hashes`` are the stored envelopes' hashes in serial order; the
    receipt signs the last one (the chain head) and their Merkle root, with
    the journal head after the batch was committed. Raises
    :class:`LocalProtocolError` for an empty or oversized batch or a hash
    that is not 32 bytes, and :class:`EnvelopeInvalid` for malformed fields.
    """
    root = batch_root(envelope_hashes)
    unsigned = Receipt(
        version=BATCH_RECEIPT_VERSION,
        first_serial=first_serial,
        serial=first_serial + len(envelope_hashes) - 1,
        envelope_hash=envelope_hashes[-1],
        batch_root=root,
        sender=sender,
        recipient=recipient.signing_public,
        received_at=received_at,
        journal_head=journal_head,
        signature=bytes(SIGNATURE_BYTES),
        signer=recipient.rotated_signer,
    )
    return _signed(unsigned, recipient)


def _check_signer(
    receipt: Receipt, recipient_signing_key: bytes, signing_key: bytes | None
) -> None:
    # recipient_signing_key is the address; signing_key the caller's resolution
    # of the receipt's "sk" (a rotated key certified for the recipient), if any.
    if receipt.recipient != recipient_signing_key:
        raise WrongSigner("the receipt is signed for a party other than the expected peer")
    key = recipient_signing_key if signing_key is None else signing_key
    if (receipt.signer or recipient_signing_key) != key:
        raise WrongSigner("the receipt is signed by another key than the one certified to sign")
    verify_signature(key, receipt.signature, receipt.signed_bytes())


def verify_batch_receipt(
    receipt: Receipt,
    *,
    recipient_signing_key: bytes,
    sender: bytes,
    envelope_hashes: Sequence[bytes],
    signing_key: bytes | None = None,
) -> None:
    """Check a version-2 receipt against the sender's own hashes of envelopes n0..n.

    Raises :class:`WrongSigner` if the receipt names another signer,
    :class:`SignatureInvalid` if the signature does not verify, and
    :class:`EnvelopeInvalid` if it is not version 2, is for another sender,
    another number of envelopes, another last envelope or another root.
    """
    if receipt.version != BATCH_RECEIPT_VERSION:
        raise EnvelopeInvalid("a version-1 receipt acknowledges one envelope, not a batch")
    _check_signer(receipt, recipient_signing_key, signing_key)
    if receipt.sender != sender:
        raise EnvelopeInvalid("the receipt is for another sender's envelopes")
    if len(envelope_hashes) != receipt.size:
        raise EnvelopeInvalid(
            f"the receipt acknowledges {receipt.size} envelopes "
            f"({receipt.first_serial} to {receipt.serial}), not {len(envelope_hashes)}"
        )
    if receipt.envelope_hash != envelope_hashes[-1]:
        raise EnvelopeInvalid("the receipt's last envelope is not ours (hash differs)")
    if batch_root(envelope_hashes) != receipt.batch_root:
        raise EnvelopeInvalid("the receipt's batch root is not that of our envelopes")


def verify_receipt(
    receipt: Receipt,
    *,
    envelope: Envelope,
    recipient_signing_key: bytes,
    proof: Sequence[bytes] = (),
    signing_key: bytes | None = None,
) -> None:
    """Check that ``receipt`` is ``recipient_signing_key``'s receipt for ``envelope``.

    Version 1: the receipt is for exactly this envelope (``proof`` must be
    empty). Version 2: the envelope's serial is in ``n0 .. n`` and ``proof``
    (:func:`batch_proof`) shows its hash is leaf ``serial - n0`` of the tree
    whose root the receipt signs. Raises :class:`WrongSigner` if the receipt
    names another signer, :class:`SignatureInvalid` if the signature does not
    verify, then :class:`WrongSigner` if the envelope was addressed to someone
    else, :class:`EnvelopeInvalid` if the receipt is for a different envelope
    or does not reach its serial, and :class:`ProofInvalid` if the proof fails.
    """
    header = envelope.header
    if receipt.version == RECEIPT_VERSION:
        if proof:
            raise LocalProtocolError("a version-1 receipt needs no inclusion proof")
        verify_receipt_fields(
            receipt,
            recipient_signing_key=recipient_signing_key,
            message_id=header.message_id,
            envelope_hash=envelope.hash,
            sender=header.sender,
            recipient=header.recipient,
            serial=header.serial,
            signing_key=signing_key,
        )
        return
    _check_signer(receipt, recipient_signing_key, signing_key)
    if header.recipient != receipt.recipient:
        raise WrongSigner("the receipt's signer is not the envelope's recipient")
    if receipt.sender != header.sender:
        raise EnvelopeInvalid("the receipt is for another sender's envelopes")
    if not receipt_covers(receipt, header.serial):
        raise EnvelopeInvalid(
            f"the receipt acknowledges serials {receipt.first_serial} to {receipt.serial}, "
            f"not {header.serial}"
        )
    assert receipt.batch_root is not None  # every version-2 receipt has one
    verify_inclusion(
        _leaf(envelope.hash),
        header.serial - receipt.first_serial,
        receipt.size,
        proof,
        receipt.batch_root,
    )


def receipt_covers(receipt: Receipt, serial: int) -> bool:
    """Whether ``receipt`` acknowledges ``serial`` itself: ``n0 <= serial <= n``.

    Earlier serials of the direction are vouched for too, through the ``prev``
    chain that envelope ``n`` closes, but proving one of them takes the chain,
    not this receipt's root.
    """
    return receipt.first_serial <= serial <= receipt.serial


def verify_receipt_fields(
    receipt: Receipt,
    *,
    recipient_signing_key: bytes,
    message_id: str,
    envelope_hash: bytes,
    sender: bytes,
    recipient: bytes,
    serial: int,
    signing_key: bytes | None = None,
) -> None:
    """:func:`verify_receipt` of a version-1 receipt against an envelope's fields.

    The sender of an envelope already knows its id, hash, serial and both keys
    (it made the envelope and stored its hash); checking a receipt against them
    spares decoding the stored envelope again. Same checks, same order, same errors;
    a version-2 receipt is :class:`EnvelopeInvalid` here (:func:`verify_batch_receipt`).
    """
    if receipt.version != RECEIPT_VERSION:
        raise EnvelopeInvalid("a version-2 receipt acknowledges a batch: verify it as one")
    _check_signer(receipt, recipient_signing_key, signing_key)
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
