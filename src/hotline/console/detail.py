"""One message in full, with its proofs checked again as it is shown.

The detail view does not trust what the store says about a message: it
decodes the stored envelope and re-verifies, with :mod:`hotline.crypto`,

* the **signature** over the envelope, against the sender's key (the peer's
  for an incoming message, ours for an outgoing one);
* the **receipt**, against the recipient's key (the peer's receipt for an
  outgoing message, the one we issued for an incoming one) and the envelope;
* the **acknowledgement**: the person's own signature over the ack statement.

Each is ``verified``, ``failed`` (with why) or ``none`` (nothing to check yet).
Anything but ``verified`` on a stored message means the store was altered or
holds a bug's output: the console shows it plainly instead of hiding it.

A notification's detail also carries its data rendered in full in the reader's
language (code words looked up in this side's codebook) and the data itself as
JSON, which is what counts (:func:`~hotline.console.notices.notice_view`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hotline.console.i18n import format_utc_text
from hotline.console.notices import notice_view, read_codebook
from hotline.console.views import terminal_row
from hotline.crypto import Envelope, Receipt, verify_envelope, verify_receipt, verify_signature
from hotline.errors import CryptoError, DeliveryError
from hotline.store import AckRecord, Direction, MessageRecord, PeerRecord
from hotline.terminal import Operator, Permission, Terminal
from hotline.terminal.core import ACKNOWLEDGEABLE_KINDS, ack_statement, receipt_proof
from hotline.terminal.desks.keys import KeyDesk
from hotline.terminal.desks.notifications import MEETING
from hotline.terminal.desks.releases import ReleaseDesk
from hotline.terminal.record.verify import own_signing_key

#: Which key verifies a signature, from its ``"sk"`` (None: the address) and its time.
Resolve = Callable[[bytes | None, str], bytes]

__all__ = [
    "VERIFICATION_STATUSES",
    "Verification",
    "check_acknowledgement",
    "check_receipt",
    "check_signature",
    "message_detail",
    "with_actions",
]

VERIFICATION_STATUSES = frozenset({"verified", "failed", "none"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    """The outcome of one check: ``verified``, ``failed`` (``reason`` says why) or ``none``."""

    status: str
    reason: str = ""

    def __post_init__(self) -> None:
        if self.status not in VERIFICATION_STATUSES:
            raise ValueError(f"verification status must be one of {sorted(VERIFICATION_STATUSES)}")
        if (self.status == "failed") != bool(self.reason):
            raise ValueError("a failed verification needs a reason, and only a failed one")

    def to_json(self) -> dict[str, str]:
        return {"status": self.status, "reason": self.reason}


def _decode(record: MessageRecord) -> Envelope | Verification:
    try:
        return Envelope.decode(record.envelope)
    except CryptoError as exc:
        return Verification(status="failed", reason=f"the stored envelope is malformed: {exc}")


def check_signature(
    record: MessageRecord, *, sender_key: bytes | None, resolve: Resolve | None = None
) -> Verification:
    """Does the stored envelope verify under the sender's key?

    ``resolve`` gives the key for a rotated signer (``"sk"``); without it, the address only.
    """
    envelope = _decode(record)
    if isinstance(envelope, Verification):
        return envelope
    if sender_key is None:
        return Verification(status="failed", reason="the sender's key is not known here")
    try:
        header = envelope.header
        verify_envelope(
            envelope,
            sender_signing_key=sender_key,
            signing_key=None if resolve is None else resolve(header.signer, header.sent_at),
        )
    except (CryptoError, DeliveryError) as exc:
        return Verification(status="failed", reason=str(exc) or type(exc).__name__)
    if envelope.header.message_id != record.id or envelope.header.serial != record.serial:
        return Verification(status="failed", reason="the envelope is not this message's")
    return Verification(status="verified")


def check_receipt(
    record: MessageRecord,
    *,
    recipient_key: bytes | None,
    proof: Sequence[bytes] = (),
    resolve: Resolve | None = None,
) -> tuple[Verification, str | None]:
    """Does the stored receipt verify under the recipient's key? And its received-at time."""
    if record.receipt is None:
        return Verification(status="none"), None
    envelope = _decode(record)
    if isinstance(envelope, Verification):
        return envelope, None
    try:
        receipt = Receipt.decode(record.receipt)
    except CryptoError as exc:
        return Verification(status="failed", reason=f"the stored receipt is malformed: {exc}"), None
    if recipient_key is None:
        return Verification(status="failed", reason="the recipient's key is not known here"), None
    try:
        verify_receipt(
            receipt,
            envelope=envelope,
            recipient_signing_key=recipient_key,
            proof=proof,
            signing_key=None if resolve is None else resolve(receipt.signer, receipt.received_at),
        )
    except (CryptoError, DeliveryError) as exc:
        reason = str(exc) or type(exc).__name__
        return Verification(status="failed", reason=reason), receipt.received_at
    return Verification(status="verified"), receipt.received_at


def check_acknowledgement(record: MessageRecord, ack: AckRecord | None) -> Verification:
    """Does the acknowledging person's signature verify over the ack statement?"""
    if ack is None:
        return Verification(status="none")
    statement = ack_statement(
        message_id=record.id, envelope_hash=record.envelope_hash, by=ack.by, at=ack.at
    )
    try:
        verify_signature(ack.operator_key, ack.operator_signature, statement)
    except CryptoError as exc:
        return Verification(status="failed", reason=str(exc) or type(exc).__name__)
    return Verification(status="verified")


def _party(party: str, key: bytes | None, fingerprint: str | None) -> dict[str, Any]:
    return {"party": party, "key": None if key is None else key.hex(), "fingerprint": fingerprint}


def message_detail(
    terminal: Terminal,
    record: MessageRecord,
    *,
    fingerprint: str,
    language: str,
    reader: str | None = None,
) -> dict[str, Any]:
    """Every field of the message, its line, and the three checks re-done now.

    ``fingerprint`` is this party's own (the console computes it once);
    ``reader`` the console user it is shown to (its markings applied for them).
    """
    peer: PeerRecord | None = terminal.store.get_peer(record.peer)
    ours = terminal.identity.signing_public
    theirs = None if peer is None else peer.signing_key
    us = _party(terminal.party, ours, fingerprint)
    them = _party(record.peer, theirs, None if peer is None else peer.fingerprint)
    sender_key: bytes | None
    recipient_key: bytes | None
    # The keys desk's: it holds the certificates of rotations since the start too.
    tiers = terminal.desk(KeyDesk).tiers
    our_keys = own_signing_key(terminal.identity, () if tiers is None else tiers.certificates)

    def their_keys(signer: bytes | None, at: str) -> bytes:
        assert peer is not None  # only asked when the peer's key is known
        return terminal.signers.certified_key_for(peer, signer, at)

    resolvers: tuple[Resolve, Resolve]
    if record.direction is Direction.OUT:
        sender, recipient, sender_key, recipient_key = us, them, ours, theirs
        resolvers = (our_keys, their_keys)
    else:
        sender, recipient, sender_key, recipient_key = them, us, theirs, ours
        resolvers = (their_keys, our_keys)
    ack = terminal.store.acknowledgements([record.id]).get(record.id)
    try:
        proof = receipt_proof(terminal.store, record)
    except DeliveryError as exc:
        receipt, received_at = Verification(status="failed", reason=str(exc)), None
    else:
        receipt, received_at = check_receipt(
            record, recipient_key=recipient_key, proof=proof, resolve=resolvers[1]
        )
    row = terminal_row(terminal, record, ack=ack, language=language, reader=reader)
    if row["notice"] is not None:
        row["notice"] = notice_view(
            record, language=language, full=True, codebook=read_codebook(terminal)
        )
    acknowledgement = row["acknowledgement"]
    if acknowledgement is not None:
        acknowledgement["signature"] = check_acknowledgement(record, ack).to_json()
    return {
        **row,
        "sender": sender,
        "recipient": recipient,
        "signature": check_signature(record, sender_key=sender_key, resolve=resolvers[0]).to_json(),
        "receipt": {
            **receipt.to_json(),
            "received_at": None
            if received_at is None
            else {"at": received_at, "display": format_utc_text(received_at, language)},
        },
        "acknowledgeable": record.direction is Direction.IN
        and record.kind in ACKNOWLEDGEABLE_KINDS
        and ack is None,
        # This side may release it (marked, not yet released, and ours to release).
        "releasable": terminal.desk(ReleaseDesk).may_release(record) is None,
    }


def with_actions(detail: dict[str, Any], operator: Operator) -> dict[str, Any]:
    """``detail`` with what ``operator`` may do with the message here and now.

    ``can_acknowledge``: an incoming message nobody has acknowledged, and a role
    that acknowledges. ``can_reply``: a meeting proposal not yet held or
    cancelled, and a role that sends.
    """
    notice, meeting = detail.get("notice"), detail.get("meeting")
    detail["can_acknowledge"] = bool(detail["acknowledgeable"]) and operator.may(
        Permission.ACKNOWLEDGE
    )
    detail["can_release"] = bool(detail.get("releasable")) and operator.may(Permission.SEND)
    detail["can_reply"] = (
        operator.may(Permission.SEND)
        and notice is not None
        and notice["format"] == MEETING
        and meeting is not None
        and not meeting["final"]
    )
    return detail
