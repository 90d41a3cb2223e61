"""Incoming envelopes: check, store exactly once in serial order, and receipt.

For each envelope from an authenticated peer, in this order (docs/protocol/delivery.md):

1. it decodes, names the peer as sender and us as recipient, and its
   signature verifies under the peer's key — else it is refused;
2. its serial ``s`` is compared with the highest serial ``L`` we hold from
   that peer:

   * ``s <= L``: a duplicate. If it is byte-identical to what we hold, the
     stored receipt is sent again (the sender missed it); otherwise it is a
     replay with other content and is refused.
   * ``s > L + 1``: a gap. It is dropped and the peer is asked to resume
     from ``L``.
   * ``s == L + 1``: its ``prev_hash`` must be the hash of envelope ``L``; its
     body must open. Then the message, a journal entry and a receipt signed
     over the journal head are stored, and the receipt is sent once the
     transaction has committed.

Every refusal is journaled with its reason. The caller wraps a whole batch in
one store transaction, so a burst shares one commit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from hotline.crypto import (
    Envelope,
    Identity,
    open_envelope,
    sign_receipt,
    verify_envelope,
)
from hotline.errors import (
    ChainBroken,
    CryptoError,
    DeliveryError,
    ReplayDetected,
    WrongSigner,
)
from hotline.store import Direction, MessageRecord, MessageState, PeerRecord, Store
from hotline.terminal.core.outbox import encode_body
from hotline.terminal.runtime.clock import Clock
from hotline.utc import format_utc

__all__ = ["Inbox", "InboxOutcome", "refuse_content"]

log = logging.getLogger("hotline.inbox")


def refuse_content(
    store: Store, clock: Clock, record: MessageRecord, *, what: str, reason: str
) -> None:
    """Log and journal that a stored incoming message's content was refused, and why.

    The envelope itself held (it is stored and receipted); what it says does not
    fit (a forged acknowledgement, an illegal meeting reply, a tampered call
    signal). The desk that reads the content calls this, then ignores it.
    """
    log.warning("%s %s from %s refused: %s", what, record.id, record.peer, reason)
    store.append_journal(
        kind="refusal",
        at=format_utc(clock.now()),
        data={"peer": record.peer, "what": what, "id": record.id, "reason": reason},
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class InboxOutcome:
    """What a batch of incoming envelopes did, and what to send back."""

    #: Encoded receipts to send once the batch has committed (new and repeated).
    receipts: tuple[bytes, ...]
    #: Newly stored messages.
    accepted: tuple[MessageRecord, ...]
    #: When set, ask the peer to resend everything after this serial.
    resume_from: int | None
    #: One line per refused envelope.
    refusals: tuple[str, ...]


class Inbox:
    """Accepts envelopes from authenticated peers."""

    def __init__(self, *, store: Store, identity: Identity, clock: Clock) -> None:
        self._store = store
        self._identity = identity
        self._clock = clock

    def accept(self, *, peer: PeerRecord, envelopes: Sequence[bytes]) -> InboxOutcome:
        """Process a batch from ``peer``. Call inside one store transaction."""
        receipts: list[bytes] = []
        accepted: list[MessageRecord] = []
        refusals: list[str] = []
        resume_from: int | None = None
        # The last serial and hash held from the peer: read once, then followed in
        # memory as the batch stores envelopes (all in this one transaction).
        last: tuple[int, bytes] | None = None
        for raw in envelopes:
            try:
                envelope = Envelope.decode(raw)
                if envelope.header.sender != peer.signing_key:
                    raise WrongSigner(
                        f"envelope names another sender than the authenticated peer {peer.party}"
                    )
                if envelope.header.recipient != self._identity.signing_public:
                    raise WrongSigner("envelope is addressed to another party")
                verify_envelope(envelope, sender_signing_key=peer.signing_key)
                if last is None:
                    last = self._store.last_incoming(peer.party)
                last_serial, last_hash = last
                serial = envelope.header.serial
                if serial <= last_serial:
                    receipts.append(self._repeat_receipt(peer, envelope))
                    continue
                if serial > last_serial + 1:
                    resume_from = last_serial
                    continue
                if envelope.header.prev_hash != last_hash:
                    raise ChainBroken(
                        f"serial {serial} does not chain to the envelope with serial {last_serial}"
                    )
                record = self._store_new(peer, envelope)
            except (CryptoError, DeliveryError) as exc:
                refusals.append(self._refuse(peer, exc))
                continue
            last = (record.serial, record.envelope_hash)
            accepted.append(record)
            assert record.receipt is not None
            receipts.append(record.receipt)
        return InboxOutcome(
            receipts=tuple(receipts),
            accepted=tuple(accepted),
            resume_from=resume_from,
            refusals=tuple(refusals),
        )

    def _repeat_receipt(self, peer: PeerRecord, envelope: Envelope) -> bytes:
        held = self._store.get_incoming_by_serial(peer.party, envelope.header.serial)
        if held is None or held.envelope_hash != envelope.hash or held.receipt is None:
            raise ReplayDetected(
                f"serial {envelope.header.serial} is already held with different content"
            )
        return held.receipt

    def _store_new(self, peer: PeerRecord, envelope: Envelope) -> MessageRecord:
        header = envelope.header
        if self._store.has_message(header.message_id):
            raise ReplayDetected(
                f"message id {header.message_id} is already used by another message"
            )
        body = open_envelope(envelope, recipient=self._identity)
        text = body.get("text", "")
        stamp = format_utc(self._clock.now())
        self._store.append_journal(
            kind="message received",
            at=stamp,
            data={
                "id": header.message_id,
                "peer": peer.party,
                "serial": header.serial,
                "envelope_hash": envelope.hash.hex(),
            },
        )
        receipt = sign_receipt(
            envelope=envelope,
            received_at=stamp,
            journal_head=self._store.journal_head(),
            recipient=self._identity,
        )
        record = MessageRecord(
            id=header.message_id,
            direction=Direction.IN,
            peer=peer.party,
            channel=header.channel,
            serial=header.serial,
            time_group=header.time_group,
            sent_at=header.sent_at,
            precedence=str(header.precedence),
            kind=header.kind,
            text=text if isinstance(text, str) else "",
            body=encode_body(body),
            envelope=envelope.encode(),
            envelope_hash=envelope.hash,
            state=MessageState.DELIVERED,
            created_at=stamp,
            transmitted_at=None,
            delivered_at=stamp,
            receipt=receipt.encode(),
        )
        self._store.add_incoming(record)
        return record

    def _refuse(self, peer: PeerRecord, exc: Exception) -> str:
        reason = f"envelope from {peer.party} refused: {type(exc).__name__}: {exc}"
        self._store.append_journal(
            kind="refusal",
            at=format_utc(self._clock.now()),
            data={
                "peer": peer.party,
                "what": "envelope",
                "error": type(exc).__name__,
                "reason": str(exc),
            },
        )
        return reason
