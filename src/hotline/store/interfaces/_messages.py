"""Messages sent and received, with their envelopes and receipts, and operators' acknowledgements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from hotline.store._damage import DamagedMessage
from hotline.store.records import AckRecord, Direction, MessageRecord

__all__ = ["AcknowledgementStore", "MessageStore"]


class MessageStore(ABC):
    """Every message in either direction, numbered per (peer, direction).

    Contract:

    * **Serials.** In each (peer, direction), serials run 1, 2, 3… with no gap;
      ``add_outgoing`` and ``add_incoming`` refuse any other serial, a used id,
      or a record of the other direction (StoreError), and an unknown peer
      (UnknownPeer). Each returns having changed nothing when it refuses.
    * **States** (rules in :class:`~hotline.store.MessageRecord`): an outgoing
      message goes QUEUED → SENT → DELIVERED and never back; its first
      ``transmitted_at`` and its first receipt stay. A stored message's
      envelope, serial and content never change, and messages are never deleted.
    * **Records come back equal** to what was stored, field for field.
    * Iterators may be consumed slowly while the store is written; they yield
      ascending serials and never fail because of those writes.
    * **Damaged rows** (a stored text that is not UTF-8, :mod:`hotline.store._damage`)
      never make a read fail: a row whose only damaged column is ``text`` comes
      back with the text of its body; any other is left out of every read.
      :meth:`damaged_messages` names them all.
    """

    # -- outgoing -------------------------------------------------------------

    @abstractmethod
    def next_outgoing_serial(self, peer: str) -> tuple[int, bytes]:
        """(last outgoing serial + 1, that envelope's hash or 32 zero bytes).

        Call it inside the same ``transaction()`` as :meth:`add_outgoing`.
        """

    @abstractmethod
    def add_outgoing(self, message: MessageRecord) -> None:
        """Store an OUT message whose serial is the next one; else StoreError."""

    @abstractmethod
    def add_outgoing_many(self, messages: Sequence[MessageRecord]) -> None:
        """Store OUT messages, each at the next serial, all or none; else StoreError.

        The same as one :meth:`add_outgoing` per message in one transaction,
        with the same errors (the one naming the first message refused).
        """

    @abstractmethod
    def mark_transmitted(self, message_id: str, at: str) -> None:
        """QUEUED → SENT with ``transmitted_at``; no-op once SENT or DELIVERED."""

    @abstractmethod
    def mark_transmitted_many(self, message_ids: Sequence[str], at: str) -> None:
        """:meth:`mark_transmitted` for each id, all at ``at``, all or none; else StoreError."""

    @abstractmethod
    def add_delivery_receipt(
        self,
        message_id: str,
        receipt: bytes,
        delivered_at: str,
        *,
        transmitted_at: str | None = None,
    ) -> bool:
        """Store the peer's receipt and mark DELIVERED; False (no change) if one is held.

        ``transmitted_at``, when given, is stored as the time the envelope first
        left unless one is stored already: a sent mark not yet written rides on
        the receipt's write instead of costing one of its own.
        """

    @abstractmethod
    def outgoing_ref(self, message_id: str) -> tuple[str, int, bytes] | None:
        """(peer, serial, envelope hash) of the OUT message with that id; None if there is none.

        What a receipt is checked against, without reading the whole record.
        """

    @abstractmethod
    def pending_outgoing(
        self, peer: str, *, after_serial: int = 0, limit: int | None = None
    ) -> list[MessageRecord]:
        """OUT messages to ``peer`` without a receipt and past ``after_serial``, by serial."""

    @abstractmethod
    def count_pending(self, peer: str) -> int:
        """How many OUT messages to ``peer`` still lack a receipt."""

    @abstractmethod
    def outgoing_counts(self, peer: str) -> dict[str, int]:
        """How many OUT messages to ``peer`` stand where: every kind, each counted once.

        Keys ``queued``, ``sent``, ``delivered`` (receipted, not acknowledged) and
        ``acknowledged`` (receipted and acknowledged by a person at the peer).
        """

    @abstractmethod
    def outgoing_after(
        self, peer: str, *, after_serial: int, limit: int | None = None
    ) -> list[MessageRecord]:
        """Every OUT message to ``peer`` past ``after_serial``, receipted or not, by serial.

        For replaying to a peer that lost messages it had already receipted.
        """

    # -- incoming -------------------------------------------------------------

    @abstractmethod
    def last_incoming(self, peer: str) -> tuple[int, bytes]:
        """(highest incoming serial held, its envelope hash) or (0, 32 zero bytes)."""

    @abstractmethod
    def add_incoming(self, message: MessageRecord) -> None:
        """Store an IN message (with the receipt we issued) at serial last + 1; else StoreError."""

    @abstractmethod
    def add_incoming_many(self, messages: Sequence[MessageRecord]) -> None:
        """Store IN messages, each at serial last + 1, all or none; else StoreError.

        The same as one :meth:`add_incoming` per message in one transaction,
        with the same errors (the one naming the first message refused).
        """

    @abstractmethod
    def get_incoming_by_serial(self, peer: str, serial: int) -> MessageRecord | None:
        """The IN message from ``peer`` at ``serial``, if held."""

    # -- queries --------------------------------------------------------------

    @abstractmethod
    def get_message(self, message_id: str) -> MessageRecord | None:
        """The message with that id, either direction."""

    @abstractmethod
    def has_message(self, message_id: str) -> bool:
        """Whether a message with that id is held, either direction (no record is built)."""

    @abstractmethod
    def list_messages(
        self,
        *,
        peer: str | None = None,
        direction: Direction | None = None,
        limit: int | None = None,
    ) -> list[MessageRecord]:
        """Messages, newest first (``created_at``, then serial), optionally filtered."""

    @abstractmethod
    def iter_messages(self, *, peer: str, direction: Direction) -> Iterator[MessageRecord]:
        """Every message in one (peer, direction), ascending serial, for verification."""

    @abstractmethod
    def damaged_messages(self) -> list[DamagedMessage]:
        """Every message row with a stored text that is not UTF-8 (a scan of the whole table)."""


class AcknowledgementStore(ABC):
    """A person's acknowledgement of a message, given by us or received from the peer.

    Contract: a message has at most one acknowledgement; the first stands and is
    never changed or deleted.
    """

    @abstractmethod
    def add_acknowledgement(self, ack: AckRecord) -> bool:
        """Store an acknowledgement; False if that message already has one (the first stands)."""

    @abstractmethod
    def acknowledgements(self, message_ids: Sequence[str]) -> dict[str, AckRecord]:
        """The acknowledgements of these messages, by message id (missing ones absent)."""
