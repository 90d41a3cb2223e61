"""Acknowledgements: a named person says they have seen a message, and the sender learns it.

A receipt proves the peer's *terminal* stored a message. An acknowledgement
proves a *person* read it: the operator (or principal) who acknowledges signs,
with their own key (:mod:`hotline.terminal.desks.accounts.users`), the statement "I, NAME,
acknowledge the message with this id and envelope hash, at this time". The
terminal sends it back to the sender as an ordinary message of kind ``ack``:
serialised, signed by the party, sealed, stored and receipted like any other,
so an acknowledgement is never lost and is on both records. The sender stores
it against its outgoing message, which the console then shows as
"acknowledged by NAME at TIME".

The statement signed by the person is the canonical CBOR map::

    {"v": 1, "message": <id>, "envelope_hash": <32 bytes>, "by": <name>, "at": <UTC>}

prefixed with ``b"hotline-ack-v1\\x00"``. The first acknowledgement of a message
stands; later ones are refused.
"""

from __future__ import annotations

from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hotline.errors import InvalidArgument, PermissionDenied, UnknownMessage
from hotline.store import AckRecord, Direction, MessageRecord, PeerRecord
from hotline.terminal.core.desk import Acknowledged, Desk, DeskServices
from hotline.terminal.core.inbox import refuse_content
from hotline.terminal.core.operators import Operator, Permission
from hotline.terminal.core.outbox import decode_body
from hotline.terminal.core.statements import ACKNOWLEDGEABLE_KINDS, ack_statement
from hotline.utc import format_utc

__all__ = ["ACK_KIND", "AckDesk"]


ACK_KIND = "ack"


class AckDesk(Desk):
    """Gives acknowledgements of incoming messages and records the peer's of ours."""

    kinds = frozenset({ACK_KIND})

    def __init__(self, services: DeskServices) -> None:
        super().__init__(services)
        self._store = services.store
        self._outbox = services.outbox
        self._clock = services.clock

    def acknowledge(self, message_id: str, operator: Operator) -> AckRecord:
        """``operator`` acknowledges an incoming message; the acknowledgement goes back signed."""
        record = self._store.get_message(message_id)
        if record is None:
            raise UnknownMessage(f"no message with id {message_id}")
        peer = self.services.lines.peer(record.peer)
        ack = self._give(message_id=message_id, operator=operator, peer=peer)
        self.services.announce(Acknowledged(ack=ack))
        self.services.lines.wake(peer.party)
        self.services.events.publish("messages", message_id)
        return ack

    def received(self, record: MessageRecord) -> None:
        ack = self._take(record)
        if ack is not None:
            self.services.announce(Acknowledged(ack=ack))

    def _give(self, *, message_id: str, operator: Operator, peer: PeerRecord) -> AckRecord:
        """Acknowledge an incoming message as ``operator``; send the acknowledgement back."""
        if not operator.may(Permission.ACKNOWLEDGE):
            raise PermissionDenied(f"{operator.name} ({operator.role}) may not acknowledge")
        record = self._store.get_message(message_id)
        if record is None:
            raise UnknownMessage(f"no message with id {message_id}")
        if record.direction is not Direction.IN:
            raise InvalidArgument("only an incoming message can be acknowledged here")
        if record.kind not in ACKNOWLEDGEABLE_KINDS:
            raise InvalidArgument(f"a message of kind {record.kind!r} is not acknowledged")
        held = self._store.acknowledgements([message_id]).get(message_id)
        if held is not None:
            raise InvalidArgument(f"already acknowledged by {held.by} at {held.at}")
        at = format_utc(self._clock.now())
        signature = operator.sign(
            ack_statement(
                message_id=message_id, envelope_hash=record.envelope_hash, by=operator.name, at=at
            )
        )
        with self._store.transaction():
            ack_message = self._outbox.queue(
                peer=peer,
                text=(
                    f"ACKNOWLEDGED: your message serial {record.serial} ({record.time_group}) "
                    f"by {operator.name} at {at}"
                ),
                channel=record.channel,
                kind=ACK_KIND,
                extra_body={
                    "ack": {
                        "message": message_id,
                        "serial": record.serial,
                        "envelope_hash": record.envelope_hash,
                        "by": operator.name,
                        "at": at,
                        "operator_key": operator.public_key,
                        "operator_signature": signature,
                    }
                },
            )
            ack = AckRecord(
                message_id=message_id,
                direction="given",
                by=operator.name,
                at=at,
                ack_id=ack_message.id,
                operator_key=operator.public_key,
                operator_signature=signature,
            )
            self._store.add_acknowledgement(ack)
            self._store.append_journal(
                kind="message acknowledged",
                at=at,
                data={
                    "id": message_id,
                    "peer": peer.party,
                    "by": operator.name,
                    "ack_id": ack_message.id,
                    "operator_key": operator.public_key.hex(),
                },
            )
        return ack

    def _take(self, record: MessageRecord) -> AckRecord | None:
        """The peer's ``ack`` message arrived: record it against our message; None if refused."""
        try:
            ack: dict[str, Any] = decode_body(record.body)["ack"]
            message_id = str(ack["message"])
            envelope_hash = bytes(ack["envelope_hash"])
            by, at = str(ack["by"]), str(ack["at"])
            key, signature = bytes(ack["operator_key"]), bytes(ack["operator_signature"])
        except (KeyError, TypeError, ValueError) as exc:
            self._refuse(record, f"malformed acknowledgement: {exc}")
            return None
        ours = self._store.get_message(message_id)
        if ours is None or ours.direction is not Direction.OUT or ours.peer != record.peer:
            self._refuse(record, f"acknowledges {message_id}, not a message we sent it")
            return None
        if ours.envelope_hash != envelope_hash:
            self._refuse(record, "acknowledges different contents (envelope hash)")
            return None
        try:
            Ed25519PublicKey.from_public_bytes(key).verify(
                signature,
                ack_statement(message_id=message_id, envelope_hash=envelope_hash, by=by, at=at),
            )
        except (InvalidSignature, ValueError):
            self._refuse(record, "the person's signature does not verify")
            return None
        stored = AckRecord(
            message_id=message_id,
            direction="received",
            by=by,
            at=at,
            ack_id=record.id,
            operator_key=key,
            operator_signature=signature,
        )
        if not self._store.add_acknowledgement(stored):
            return None  # an earlier acknowledgement stands
        self._store.append_journal(
            kind="acknowledgement received",
            at=format_utc(self._clock.now()),
            data={"id": message_id, "peer": record.peer, "by": by, "at": at, "ack_id": record.id},
        )
        return stored

    def _refuse(self, record: MessageRecord, reason: str) -> None:
        refuse_content(self._store, self._clock, record, what="acknowledgement", reason=reason)
