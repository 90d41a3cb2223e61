"""Outgoing messages: seal, serialise and store them; accept the peer's receipts.

A message is stored, sealed and journaled in one transaction, so when
:meth:`Outbox.queue` returns the message is durable with its serial and its
place in the per-direction hash chain fixed. Sending happens later and
possibly more than once (``hotline.terminal.core.session``); only a verified signed
receipt moves a message to ``delivered``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cbor2

from hotline.crypto import (
    EnvelopeHeader,
    Identity,
    Precedence,
    Receipt,
    new_message_id,
    salted,
    seal_envelope,
    verify_receipt_fields,
)
from hotline.errors import CryptoError, DeliveryError, InvalidArgument, MessageTooLarge
from hotline.store import Direction, MessageRecord, MessageState, PeerRecord, Store
from hotline.terminal.runtime.clock import Clock
from hotline.utc import format_utc, time_group

__all__ = [
    "DEFAULT_CHANNEL",
    "MAX_TEXT_BYTES",
    "Draft",
    "Outbox",
    "ReceiptOutcome",
    "check_channel",
    "decode_body",
    "is_exercise",
]

DEFAULT_CHANNEL = "leaders"
#: The largest message text, in UTF-8 bytes. The sealed body has a little overhead on top.
MAX_TEXT_BYTES = 60_000
_CHANNEL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def check_channel(channel: str) -> str:
    """Return ``channel`` if it is a valid channel name."""
    if not _CHANNEL.match(channel):
        raise InvalidArgument(
            f"channel {channel!r} is not valid: 1 to 32 characters, lower-case letters, digits, - and _"
        )
    return channel


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """One message to queue: to whom, what, and how (see :meth:`Outbox.queue`)."""

    peer: PeerRecord
    text: str
    channel: str = DEFAULT_CHANNEL
    precedence: Precedence = Precedence.ROUTINE
    kind: str = "text"
    extra_body: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiptOutcome:
    """What a batch of incoming receipts did."""

    delivered: tuple[str, ...]
    refusals: tuple[str, ...]


class Outbox:
    """Creates outgoing envelopes and records their receipts."""

    def __init__(self, *, store: Store, identity: Identity, clock: Clock) -> None:
        self._store = store
        self._identity = identity
        self._clock = clock

    def queue(
        self,
        *,
        peer: PeerRecord,
        text: str,
        channel: str = DEFAULT_CHANNEL,
        precedence: Precedence = Precedence.ROUTINE,
        kind: str = "text",
        extra_body: Mapping[str, Any] | None = None,
    ) -> MessageRecord:
        """Seal and durably store one message; return its record (state ``queued``)."""
        draft = Draft(
            peer=peer,
            text=text,
            channel=channel,
            precedence=precedence,
            kind=kind,
            extra_body=extra_body,
        )
        return self.queue_many([draft])[0]

    def queue_many(self, drafts: Sequence[Draft]) -> list[MessageRecord]:
        """Seal and durably store several messages in one transaction: all of them, or none.

        Every draft is checked before anything is written. Each peer's serial and
        ``prev_hash`` are read once and then chained in memory, so a burst costs
        no read and no savepoint per message.
        """
        for draft in drafts:
            check_channel(draft.channel)
            size = len(draft.text.encode("utf-8"))
            if size > MAX_TEXT_BYTES:
                raise MessageTooLarge(
                    f"the text is {size} bytes; the limit is {MAX_TEXT_BYTES} bytes"
                )
        now = self._clock.now()
        stamp, group = format_utc(now), time_group(now)
        chain: dict[str, tuple[int, bytes]] = {}
        records: list[MessageRecord] = []
        with self._store.transaction():
            for draft in drafts:
                party = draft.peer.party
                serial, prev_hash = chain.get(party) or self._store.next_outgoing_serial(party)
                record = self._seal_and_store(draft, serial, prev_hash, stamp, group)
                chain[party] = (serial + 1, record.envelope_hash)
                records.append(record)
        return records

    def _seal_and_store(
        self, draft: Draft, serial: int, prev_hash: bytes, stamp: str, group: str
    ) -> MessageRecord:
        # The salt makes the body commitment in the signed header unguessable;
        # the stored body keeps it, so the commitment can be re-checked later.
        body = salted({"text": draft.text, **(draft.extra_body or {})})
        header = EnvelopeHeader(
            message_id=new_message_id(),
            sender=self._identity.signing_public,
            recipient=draft.peer.signing_key,
            channel=draft.channel,
            serial=serial,
            sent_at=stamp,
            time_group=group,
            precedence=draft.precedence,
            kind=draft.kind,
            prev_hash=prev_hash,
        )
        envelope = seal_envelope(
            header=header,
            body=body,
            sender=self._identity,
            recipient_encryption_key=draft.peer.encryption_key,
        )
        record = MessageRecord(
            id=header.message_id,
            direction=Direction.OUT,
            peer=draft.peer.party,
            channel=draft.channel,
            serial=serial,
            time_group=group,
            sent_at=stamp,
            precedence=str(draft.precedence),
            kind=draft.kind,
            text=draft.text,
            body=encode_body(body),
            envelope=envelope.encode(),
            envelope_hash=envelope.hash,
            state=MessageState.QUEUED,
            created_at=stamp,
            transmitted_at=None,
            delivered_at=None,
            receipt=None,
        )
        self._store.add_outgoing(record)
        self._store.append_journal(
            kind="message queued",
            at=stamp,
            data={
                "id": record.id,
                "peer": draft.peer.party,
                "serial": serial,
                "envelope_hash": envelope.hash.hex(),
                "precedence": str(draft.precedence),
                "channel": draft.channel,
            },
        )
        return record

    def accept_receipts(
        self,
        *,
        peer: PeerRecord,
        receipts: Sequence[bytes],
        transmitted: dict[str, str] | None = None,
    ) -> ReceiptOutcome:
        """Verify and store receipts from ``peer``. Call inside one store transaction.

        ``transmitted`` maps message ids to when they were first sent, for sent
        marks not yet written: a receipt stored for one of them takes its mark
        along (and removes it from the map), so the caller writes only the rest.
        """
        delivered: list[str] = []
        refusals: list[str] = []
        for raw in receipts:
            try:
                receipt = Receipt.decode(raw)
                sent = self._store.outgoing_ref(receipt.message_id)
                if sent is None or sent[0] != peer.party:
                    raise DeliveryError(f"receipt for unknown message {receipt.message_id}")
                _, serial, envelope_hash = sent
                # Checked against what we stored when we sealed it (we are the
                # sender; the peer's key never changes): no need to decode it again.
                verify_receipt_fields(
                    receipt,
                    recipient_signing_key=peer.signing_key,
                    message_id=receipt.message_id,
                    envelope_hash=envelope_hash,
                    sender=self._identity.signing_public,
                    recipient=peer.signing_key,
                    serial=serial,
                )
            except (CryptoError, DeliveryError) as exc:
                reason = f"receipt refused: {type(exc).__name__}: {exc}"
                refusals.append(reason)
                self._store.append_journal(
                    kind="refusal",
                    at=format_utc(self._clock.now()),
                    data={
                        "peer": peer.party,
                        "what": "receipt",
                        "error": type(exc).__name__,
                        "reason": str(exc),
                    },
                )
                continue
            sent_at = transmitted.pop(receipt.message_id, None) if transmitted else None
            if self._store.add_delivery_receipt(
                receipt.message_id, raw, receipt.received_at, transmitted_at=sent_at
            ):
                delivered.append(receipt.message_id)
                self._store.append_journal(
                    kind="receipt received",
                    at=format_utc(self._clock.now()),
                    data={
                        "id": receipt.message_id,
                        "peer": peer.party,
                        "serial": serial,
                        "receipt_hash": receipt.hash.hex(),
                        "received_at": receipt.received_at,
                    },
                )
        return ReceiptOutcome(delivered=tuple(delivered), refusals=tuple(refusals))


def encode_body(body: Mapping[str, Any]) -> bytes:
    """The canonical CBOR form of a plaintext body, as stored."""
    return bytes(cbor2.dumps(dict(body), canonical=True))


def decode_body(body: bytes) -> dict[str, Any]:
    """A stored plaintext body as a map; {} if it is not a CBOR map (never raises)."""
    try:
        decoded = cbor2.loads(body)
    except Exception:
        return {}
    return decoded if isinstance(decoded, dict) else {}


def is_exercise(record: MessageRecord) -> bool:
    """True if the message is marked EXERCISE (``"exercise": true`` in its signed body)."""
    return decode_body(record.body).get("exercise") is True
