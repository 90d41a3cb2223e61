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
     body must open (an envelope of version 3 with the next key of the
     peer's message-key chain, which then moves on: the used key is gone).
     Then the message, a journal entry and a receipt signed over the journal
     head are stored, and the receipt is sent once the transaction has
     committed.

On a protocol-2 session (``batched``) the accepted envelopes of a batch share
one receipt, signed once over the whole run of serials after the last of them
is journaled (docs/protocol/receipts.md §6); on a version-1 session each gets
its own. Every refusal is journaled with its reason. The caller wraps a whole
batch in one store transaction, so a burst shares one commit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hotline.crypto import (
    ChainKey,
    Envelope,
    Identity,
    open_envelope,
    open_envelope_ratcheted,
    sign_batch_receipt,
    sign_receipt,
    verify_envelope,
)
from hotline.errors import (
    ChainBroken,
    CryptoError,
    DeliveryError,
    EnvelopeInvalid,
    KeyRevoked,
    ReplayDetected,
    WrongSigner,
)
from hotline.store import (
    ChainRecord,
    Direction,
    GroupLink,
    MessageRecord,
    MessageState,
    PeerRecord,
    Store,
)
from hotline.terminal.core.groups import party_block
from hotline.terminal.core.outbox import encode_body
from hotline.terminal.core.revocations import RevokedKeys
from hotline.terminal.core.signers import Signers
from hotline.terminal.runtime.clock import Clock
from hotline.utc import format_utc

__all__ = ["FRAME_ONLY_KINDS", "Inbox", "InboxOutcome", "refuse_content"]

#: Envelope kinds that travel in frames of their own and are never messages:
#: a link test (docs/protocol/linktest.md §2) takes no serial and never enters
#: the inbox, whichever frame carries it.
FRAME_ONLY_KINDS = frozenset({"test"})

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
    #: One line per envelope refused because a revoked key signed it (for an alarm).
    revoked: tuple[str, ...] = ()


@dataclass(slots=True)
class _Batch:
    """What one call of :meth:`Inbox.accept` has read and stored so far."""

    peer: PeerRecord
    #: When the batch was received: one time for all of it, as it has one commit (and,
    #: batched, one receipt whose received-at every message's delivered-at must equal).
    stamp: str
    #: The last serial and hash held from the peer: read once, then followed in memory.
    last: tuple[int, bytes] | None = None
    #: The peer's message-key chain, read when the first ratcheted envelope needs it.
    chain: ChainKey | None = None
    chain_read: bool = False
    chain_moved: bool = False
    #: Message ids stored in this batch (the store does not hold them yet when batched).
    ids: set[str] = field(default_factory=set)
    #: Group copies to link once their messages are stored (the link references them).
    links: list[GroupLink] = field(default_factory=list)
    #: (message id, what, why) of content to refuse once stored: the envelope held.
    refused: list[tuple[str, str, str]] = field(default_factory=list)
    #: Batched: the ``message received`` entries' data, appended in one statement just
    #: before the batch receipt is signed over the journal head they end at.
    received: list[dict[str, object]] | None = None


class Inbox:
    """Accepts envelopes from authenticated peers."""

    def __init__(
        self,
        *,
        store: Store,
        identity: Identity,
        clock: Clock,
        revoked_keys: RevokedKeys | None = None,
        signers: Signers | None = None,
    ) -> None:
        self._store = store
        self._identity = identity
        self._clock = clock
        #: Which key verifies a peer's signature (its address, or a rotated key it
        #: certified), refusing a key the peer revoked (``revoked_keys``).
        self.signers = signers or Signers(store, revoked=revoked_keys)

    def accept(
        self, *, peer: PeerRecord, envelopes: Sequence[bytes], batched: bool = False
    ) -> InboxOutcome:
        """Process a batch from ``peer``. Call inside one store transaction.

        ``batched`` (a protocol-2 session): the newly accepted envelopes share
        one receipt; otherwise each gets its own.
        """
        receipts: list[bytes] = []
        accepted: list[MessageRecord] = []
        #: Batched: the records' fields, until the one receipt for them all is signed.
        unsigned: list[dict[str, Any]] = []
        refusals: list[str] = []
        revoked: list[str] = []
        resume_from: int | None = None
        batch = _Batch(
            peer=peer, stamp=format_utc(self._clock.now()), received=[] if batched else None
        )
        for raw in envelopes:
            try:
                envelope = Envelope.decode(raw)
                if envelope.header.sender != peer.signing_key:
                    raise WrongSigner(
                        f"envelope names another sender than the authenticated peer {peer.party}"
                    )
                if envelope.header.recipient != self._identity.signing_public:
                    raise WrongSigner("envelope is addressed to another party")
                header = envelope.header
                verify_envelope(
                    envelope,
                    sender_signing_key=peer.signing_key,
                    signing_key=self.signers.signing_key_for(peer, header.signer, header.sent_at),
                )
                if envelope.header.kind in FRAME_ONLY_KINDS:
                    raise EnvelopeInvalid(
                        f"a {envelope.header.kind!r} envelope is not a message: it travels"
                        " in a frame of its own and never enters the inbox"
                    )
                if batch.last is None:
                    batch.last = self._store.last_incoming(peer.party)
                last_serial, last_hash = batch.last
                serial = envelope.header.serial
                if serial <= last_serial:
                    repeated = self._repeat_receipt(peer, envelope, unsigned)
                    # One batch receipt covers many duplicates: it goes back once.
                    if repeated is not None and not (batched and repeated in receipts):
                        receipts.append(repeated)
                    continue
                if serial > last_serial + 1:
                    resume_from = last_serial
                    continue
                if envelope.header.prev_hash != last_hash:
                    raise ChainBroken(
                        f"serial {serial} does not chain to the envelope with serial {last_serial}"
                    )
                fields = self._take(batch, envelope)
            except (CryptoError, DeliveryError) as exc:
                refusals.append(self._refuse(peer, exc))
                if isinstance(exc, KeyRevoked):
                    revoked.append(str(exc))
                continue
            batch.last = (serial, envelope.hash)
            if batched:
                unsigned.append(fields)
                continue
            receipt = sign_receipt(
                envelope=envelope,
                received_at=fields["created_at"],
                journal_head=self._store.journal_head(),
                recipient=self._identity,
            ).encode()
            record = MessageRecord(**fields, receipt=receipt)
            self._store.add_incoming(record)
            accepted.append(record)
            receipts.append(receipt)
        if unsigned:
            assert batch.received is not None
            self._store.append_journal_many(
                [("message received", batch.stamp, data) for data in batch.received]
            )
            # One signature for the run, over the journal head after its last entry.
            receipt = self._receipt_for(peer, unsigned)
            batch_records = [MessageRecord(**fields, receipt=receipt) for fields in unsigned]
            self._store.add_incoming_many(batch_records)
            accepted.extend(batch_records)
            receipts.append(receipt)
        self._settle_content(batch, accepted)
        self._save_chain(batch)
        return InboxOutcome(
            receipts=tuple(receipts),
            accepted=tuple(accepted),
            resume_from=resume_from,
            refusals=tuple(refusals),
            revoked=tuple(revoked),
        )

    def _receipt_for(self, peer: PeerRecord, unsigned: list[dict[str, Any]]) -> bytes:
        """One receipt for a run of newly journaled envelopes (consecutive serials)."""
        return sign_batch_receipt(
            sender=peer.signing_key,
            first_serial=unsigned[0]["serial"],
            envelope_hashes=[fields["envelope_hash"] for fields in unsigned],
            received_at=unsigned[-1]["created_at"],
            journal_head=self._store.journal_head(),
            recipient=self._identity,
        ).encode()

    def _settle_content(self, batch: _Batch, accepted: list[MessageRecord]) -> None:
        """Link the stored group copies; journal the content refused in stored messages."""
        if batch.links:
            self._store.add_group_links(batch.links)
        if batch.refused:
            by_id = {record.id: record for record in accepted}
            for message_id, what, reason in batch.refused:
                refuse_content(
                    self._store, self._clock, by_id[message_id], what=what, reason=reason
                )

    def _check_content(
        self, batch: _Batch, envelope: Envelope, body: dict[str, object]
    ) -> dict[str, str]:
        """Read the party map of a body; what the journal entry adds.

        (Markings are screened once the batch is stored, by
        :func:`hotline.terminal.core.markings.screen_incoming`.)

        A map that does not fit refuses the content, not the envelope: the
        envelope is signed and in order, so refusing it would stall the line at
        this serial for good. The message is stored and receipted, not linked to
        any group, and the refusal journaled.
        """
        header = envelope.header
        try:
            block = party_block(body)
        except DeliveryError as exc:
            batch.refused.append((header.message_id, "group", str(exc)))
            return {}
        if block is None:
            return {}
        if not block.names_key(self._identity.signing_public):
            batch.refused.append(
                (header.message_id, "group", "the recipients it names do not include us")
            )
            return {}
        if block.names_key(header.sender):
            batch.refused.append(
                (header.message_id, "group", "the sender names itself as a recipient")
            )
            return {}
        payload_hash = header.body_commitment
        if payload_hash is None:  # a version-1 envelope commits to no payload
            batch.refused.append(
                (header.message_id, "group", "a group copy must be a version-2 or -3 envelope")
            )
            return {}
        batch.links.append(
            GroupLink(
                message_id=header.message_id,
                group_id=block.group_id,
                payload_hash=payload_hash,
                conference=block.conference,
            )
        )
        return {"group": block.group_id, "payload": payload_hash.hex()}

    def _save_chain(self, batch: _Batch) -> None:
        if batch.chain_moved and batch.chain is not None:
            chain = batch.chain
            self._store.set_chain(
                batch.peer.party,
                Direction.IN,
                ChainRecord(epoch=chain.epoch, index=chain.index, key=chain.key),
            )

    def _repeat_receipt(
        self, peer: PeerRecord, envelope: Envelope, unsigned: list[dict[str, Any]]
    ) -> bytes | None:
        """The receipt already given for a duplicate (None: it is in this very batch)."""
        serial = envelope.header.serial
        if unsigned and unsigned[0]["serial"] <= serial:
            # Sent twice in one batch: the batch's receipt, about to be signed, covers it.
            if unsigned[serial - unsigned[0]["serial"]]["envelope_hash"] != envelope.hash:
                raise ReplayDetected(f"serial {serial} is already held with different content")
            return None
        stored = self._store.get_incoming_by_serial(peer.party, serial)
        if stored is None or stored.envelope_hash != envelope.hash or stored.receipt is None:
            raise ReplayDetected(f"serial {serial} is already held with different content")
        return stored.receipt

    def _open(self, batch: _Batch, envelope: Envelope) -> dict[str, object]:
        if envelope.header.version < 3:
            return open_envelope(envelope, recipient=self._identity)
        if not batch.chain_read:
            stored = self._store.chain(batch.peer.party, Direction.IN)
            if stored is not None:
                batch.chain = ChainKey(epoch=stored.epoch, index=stored.index, key=stored.key)
            batch.chain_read = True
        body, batch.chain = open_envelope_ratcheted(
            envelope, recipient=self._identity, chain=batch.chain
        )
        batch.chain_moved = True
        return body

    def _take(self, batch: _Batch, envelope: Envelope) -> dict[str, Any]:
        """Open and journal the next envelope; its record's fields, all but the receipt."""
        header = envelope.header
        peer = batch.peer
        if header.message_id in batch.ids or self._store.has_message(header.message_id):
            raise ReplayDetected(
                f"message id {header.message_id} is already used by another message"
            )
        body = self._open(batch, envelope)
        text = body.get("text", "")
        stamp = batch.stamp
        data: dict[str, object] = {
            "id": header.message_id,
            "peer": peer.party,
            "serial": header.serial,
            "envelope_hash": envelope.hash.hex(),
        }
        if "party" in body:
            data.update(self._check_content(batch, envelope, body))
        if batch.received is None:
            # Its own receipt names this entry as the journal head: append it now.
            self._store.append_journal(kind="message received", at=stamp, data=data)
        else:
            batch.received.append(data)
        batch.ids.add(header.message_id)
        return {
            "id": header.message_id,
            "direction": Direction.IN,
            "peer": peer.party,
            "channel": header.channel,
            "serial": header.serial,
            "time_group": header.time_group,
            "sent_at": header.sent_at,
            "precedence": str(header.precedence),
            "kind": header.kind,
            "text": text if isinstance(text, str) else "",
            "body": encode_body(body),
            "envelope": envelope.encode(),
            "envelope_hash": envelope.hash,
            "state": MessageState.DELIVERED,
            "created_at": stamp,
            "transmitted_at": None,
            "delivered_at": stamp,
        }

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
