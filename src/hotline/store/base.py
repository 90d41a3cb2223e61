"""The one interface to durable state, which every backend (SQLite, PostgreSQL) implements.

The daemon and the CLI see only this class. It speaks in records and plain
values and says nothing of SQL, files or connections, so a backend can change
without the terminal noticing.

The contract every backend keeps:

* **Durable on return.** A mutating method has committed (and flushed to stable
  storage) before it returns, unless it runs inside :meth:`Store.transaction`.
  The caller relies on this: a message's id is handed to an operator, and a
  receipt is sent to a peer, only after the row that backs it is committed.
* **Group commit.** Inside ``with store.transaction():`` every write shares one
  commit, made when the outermost block exits normally. A block left by an
  exception is rolled back and the exception re-raised. Nested blocks join the
  outer one; if an exception escapes only an inner block (and the caller catches
  it), just that block's writes are undone.
* **All or nothing per call.** A mutating method that raises has changed
  nothing, in or out of a transaction.
* **Serials.** In each (peer, direction), serials run 1, 2, 3… with no gap.
* **Errors.** Only :class:`~hotline.errors.StoreError` and its subclasses, plus
  :class:`~hotline.errors.PeerConflict` / :class:`~hotline.errors.UnknownPeer`
  for peer rules.

One writer at a time: the daemon, from one thread, never awaiting inside a
transaction. Readers in other processes (``hotline verify``) see the last
committed state and never a transaction in progress.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from hotline.store.records import (
    AckRecord,
    AlarmRecord,
    CallRecord,
    Direction,
    JournalEntry,
    MeetingRecord,
    MessageRecord,
    PartyRecord,
    PeerRecord,
    PresenceRecord,
    ShiftNoteRecord,
    UserRecord,
)

__all__ = ["Store", "StoreStatistics"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreStatistics:
    """Counters since the store was opened, for monitoring and for tests of group commit."""

    commits: int
    """Transactions this store committed (each one a flush to stable storage)."""
    rollbacks: int
    """Transactions rolled back whole (savepoint rollbacks inside one are not counted)."""


class Store(ABC):
    """Durable state of one terminal: its party, peers, messages and journal."""

    # -- lifetime -------------------------------------------------------------

    @abstractmethod
    def close(self) -> None:
        """Release the backend; an open transaction is rolled back. Idempotent."""

    @abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """A block whose writes share one commit (see the module docstring)."""

    @abstractmethod
    def statistics(self) -> StoreStatistics:
        """Commit and rollback counters since open."""

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- own party ------------------------------------------------------------

    @abstractmethod
    def get_party(self) -> PartyRecord | None:
        """This terminal's party, or None before ``set_party``."""

    @abstractmethod
    def set_party(self, party: PartyRecord) -> None:
        """Record this terminal's party, once; AlreadyInitialised if one is set."""

    # -- peers ----------------------------------------------------------------

    @abstractmethod
    def add_peer(self, peer: PeerRecord) -> bool:
        """Add a peer; True if new.

        If the same party is already there with the same keys, its card fields
        (routes, timezone, certificate, card_json, fingerprint) are replaced and
        False is returned. The same name with other keys, the same signing key
        under another name, or this terminal's own name or key: PeerConflict.
        """

    @abstractmethod
    def get_peer(self, party: str) -> PeerRecord | None:
        """The peer of that party name, if known."""

    @abstractmethod
    def get_peer_by_key(self, signing_key: bytes) -> PeerRecord | None:
        """The peer whose signing key this is, if known."""

    @abstractmethod
    def list_peers(self) -> list[PeerRecord]:
        """Every peer, ordered by party name."""

    @abstractmethod
    def last_contact(self, peer: str) -> str | None:
        """When the peer was last heard from, or None (never, or unknown peer)."""

    @abstractmethod
    def set_last_contact(self, peer: str, at: str) -> None:
        """Record when the peer was last heard from; UnknownPeer if not a peer."""

    # -- outgoing -------------------------------------------------------------

    @abstractmethod
    def next_outgoing_serial(self, peer: str) -> tuple[int, bytes]:
        """(last outgoing serial + 1, that envelope's hash or 32 zero bytes).

        Call it inside the same :meth:`transaction` as :meth:`add_outgoing`.
        """

    @abstractmethod
    def add_outgoing(self, message: MessageRecord) -> None:
        """Store an OUT message whose serial is the next one; else StoreError."""

    @abstractmethod
    def mark_transmitted(self, message_id: str, at: str) -> None:
        """QUEUED → SENT with ``transmitted_at``; no-op once SENT or DELIVERED."""

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

    # -- alarms -------------------------------------------------------------------

    @abstractmethod
    def add_alarm(self, alarm: AlarmRecord) -> None:
        """Store a newly raised (open) alarm."""

    @abstractmethod
    def clear_alarm(self, alarm_id: str, *, at: str, by: str) -> AlarmRecord | None:
        """Clear an open alarm; return it cleared, or None if it is unknown or already cleared."""

    @abstractmethod
    def open_alarms(self) -> list[AlarmRecord]:
        """Every alarm not yet cleared, oldest first."""

    @abstractmethod
    def acknowledge_alarm(self, alarm_id: str, *, at: str, by: str) -> AlarmRecord | None:
        """Mark an open alarm seen by ``by``; None if unknown, cleared, or already acknowledged."""

    # -- console accounts, acknowledgements, shift notes -----------------------------

    @abstractmethod
    def add_user(self, user: UserRecord) -> None:
        """Store a new user (PeerConflict if the name is taken)."""

    @abstractmethod
    def update_user(self, user: UserRecord) -> None:
        """Replace a user's role, password, language, key or disabled flag (UnknownUser-like StoreError)."""

    @abstractmethod
    def get_user(self, name: str) -> UserRecord | None:
        """The user of that name, if any."""

    @abstractmethod
    def list_users(self) -> list[UserRecord]:
        """Every user, by name."""

    @abstractmethod
    def add_acknowledgement(self, ack: AckRecord) -> bool:
        """Store an acknowledgement; False if that message already has one (the first stands)."""

    @abstractmethod
    def acknowledgements(self, message_ids: Sequence[str]) -> dict[str, AckRecord]:
        """The acknowledgements of these messages, by message id (missing ones absent)."""

    @abstractmethod
    def add_shift_note(self, note: ShiftNoteRecord) -> None:
        """Append a signed handover note."""

    @abstractmethod
    def shift_notes(self, limit: int = 100) -> list[ShiftNoteRecord]:
        """The newest handover notes, newest first."""

    @abstractmethod
    def put_meeting(self, meeting: MeetingRecord) -> None:
        """Store a meeting proposal's current state (insert or replace)."""

    @abstractmethod
    def get_meeting(self, proposal_id: str) -> MeetingRecord | None:
        """The meeting proposed by that message, if known."""

    @abstractmethod
    def list_meetings(self) -> list[MeetingRecord]:
        """Every known meeting, most recently changed first."""

    # -- calls and presence requests ----------------------------------------------

    @abstractmethod
    def put_call(self, call: CallRecord) -> None:
        """Store a call's record (insert or replace); an ended call's record is final."""

    @abstractmethod
    def get_call(self, call_id: str) -> CallRecord | None:
        """The call with that id, if known."""

    @abstractmethod
    def list_calls(self, limit: int = 200) -> list[CallRecord]:
        """Calls, newest first."""

    @abstractmethod
    def live_calls(self) -> list[CallRecord]:
        """Calls not ended yet, oldest first."""

    @abstractmethod
    def put_presence(self, request: PresenceRecord) -> None:
        """Store a presence request (insert or replace); an answer is given once."""

    @abstractmethod
    def get_presence(self, request_id: str) -> PresenceRecord | None:
        """The presence request with that id, if known."""

    @abstractmethod
    def list_presence(self, limit: int = 100, *, open_only: bool = False) -> list[PresenceRecord]:
        """Presence requests, newest first (only unanswered ones with ``open_only``)."""

    # -- journal --------------------------------------------------------------

    @abstractmethod
    def append_journal(self, *, kind: str, at: str, data: Mapping[str, Any]) -> JournalEntry:
        """Append an entry chained to the current head and return it."""

    @abstractmethod
    def journal_head(self) -> bytes:
        """Hash of the newest entry, or 32 zero bytes if the journal is empty."""

    @abstractmethod
    def iter_journal(self) -> Iterator[JournalEntry]:
        """Every entry, ascending seq."""

    @abstractmethod
    def verify_journal(self) -> str | None:
        """None if the whole chain holds; else a message naming the first bad seq and why."""
