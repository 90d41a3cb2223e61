"""The SQLite statements behind messages and their acknowledgements (``messages``, ``acknowledgements``).

A mixin of :class:`~hotline.store.SQLiteStore`, and the hot path: storing a
message, marking it sent and storing its receipt each write with a single
statement and no savepoint (see :mod:`hotline.store._sqlite_core`). They
insert first and read only to explain a refusal, since the schema's triggers
and keys already refuse what the reads would (:meth:`_explain_refused`).

Iterators read in pages by serial instead of holding a statement open across
``yield``, so a slow consumer neither pins an old snapshot (which would stop WAL
checkpoints) nor trips over writes made on the same connection meanwhile.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import fields
from operator import attrgetter
from typing import Any

from hotline.errors import StoreError, UnknownPeer
from hotline.store._damage import DamagedMessage, is_decode_error, read_stored
from hotline.store._sqlite_core import PAGE as _PAGE
from hotline.store._sqlite_core import SQLiteCore, check_limit, translated
from hotline.store.interfaces import AcknowledgementStore, MessageStore
from hotline.store.records import ZERO_HASH, AckRecord, Direction, MessageRecord, check_utc

__all__ = ["SQLiteAcknowledgementStore", "SQLiteMessageStore"]

# Message columns are named exactly as the record's fields, in the same order.
_MESSAGE_FIELDS = tuple(field.name for field in fields(MessageRecord))
_MESSAGE_COLUMNS = ", ".join(_MESSAGE_FIELDS)
_INSERT_MESSAGE = (
    f"INSERT INTO messages ({_MESSAGE_COLUMNS}) "  # noqa: S608 - constants only
    f"VALUES ({', '.join('?' * len(_MESSAGE_FIELDS))})"
)

_MARK_TRANSMITTED = (
    "UPDATE messages SET state = 'sent', transmitted_at = ? "
    "WHERE id = ? AND direction = 'out' AND state = 'queued'"
)


#: Rows per page of :meth:`SQLiteMessageStore.damaged_messages`.
_SCAN_PAGE = 4096
_TEXT_FIELDS = tuple(
    name
    for name in _MESSAGE_FIELDS
    if name not in {"serial", "body", "envelope", "envelope_hash", "receipt"}
)
# Only the text columns: decoding them is what finds the damage (about 4.5 µs
# a row, so 0.45 s per 100,000 messages at start; reading ``text`` alone would
# halve it but miss the other columns).
_SCAN_TEXT = (
    f"SELECT rowid, {', '.join(_TEXT_FIELDS)} FROM messages "  # noqa: S608 - constants only
    "WHERE rowid > ? ORDER BY rowid LIMIT ?"
)
_SCAN_WHOLE = (
    f"SELECT rowid, {_MESSAGE_COLUMNS} FROM messages "  # noqa: S608 - constants only
    "WHERE rowid > ? ORDER BY rowid LIMIT ?"
)


def _message_from(row: sqlite3.Row) -> MessageRecord:
    # The record turns the stored direction and state strings back into enums
    # and re-checks every rule, so a damaged row cannot pass as a message.
    return MessageRecord(**dict(row))


# The row's values in column order. Direction and state are StrEnums, which
# sqlite3 binds as their text ("out", "queued"): no conversion needed.
_message_values: Any = attrgetter(*_MESSAGE_FIELDS)


def _direction(value: object) -> Direction:
    try:
        return Direction(str(value))
    except ValueError:
        raise StoreError(f"direction must be 'out' or 'in', not {value!r}") from None


class SQLiteMessageStore(SQLiteCore, MessageStore):
    """:class:`~hotline.store.interfaces.MessageStore` on the ``messages`` table."""

    def _messages(self, action: str, clause: str, parameters: tuple[Any, ...]) -> list[Any]:
        # A constant column list and a constant clause from this module; values are parameters.
        sql = f"SELECT {_MESSAGE_COLUMNS} FROM messages {clause}"  # noqa: S608
        try:
            # Strict first, in C: the lenient path below runs only for damaged rows.
            rows = self._live().execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            if not is_decode_error(exc):
                raise StoreError(f"could not {action}: {exc}") from exc
            # A damaged row: its text recovered from its body, or left out.
            read = (
                read_stored(dict(row))[0] for row in self._read_lenient(action, sql, parameters)
            )
            return [message for message in read if message is not None]
        return [_message_from(row) for row in rows]

    def damaged_messages(self) -> list[DamagedMessage]:
        found: list[DamagedMessage] = []
        after = 0
        while True:
            # Only the text columns, strictly and in pages by rowid; a page that
            # fails to decode is read again leniently, whole rows this time.
            try:
                rows = self._live().execute(_SCAN_TEXT, (after, _SCAN_PAGE)).fetchall()
            except sqlite3.Error as exc:
                if not is_decode_error(exc):
                    raise StoreError(f"could not scan messages: {exc}") from exc
                rows = self._read_lenient("scan messages", _SCAN_WHOLE, (after, _SCAN_PAGE))
                for row in rows:
                    stored = dict(row)
                    del stored["rowid"]
                    damage = read_stored(stored)[1]
                    if damage is not None:
                        found.append(damage)
            if len(rows) < _SCAN_PAGE:
                return found
            after = rows[-1][0]

    # -- shared ---------------------------------------------------------------------

    def _last(self, peer: str, direction: Direction) -> tuple[int, bytes]:
        rows = self._read(
            "read the last serial",
            "SELECT serial, envelope_hash FROM messages WHERE peer = ? AND direction = ? "
            "ORDER BY serial DESC LIMIT 1",
            (peer, direction.value),
        )
        if not rows:
            return 0, ZERO_HASH
        serial, envelope_hash = rows[0]
        return serial, envelope_hash

    @staticmethod
    def _check_added(message: MessageRecord, direction: Direction) -> None:
        if not isinstance(message, MessageRecord):
            raise StoreError(f"expected a MessageRecord, not {type(message).__name__}")
        if message.direction is not direction:
            raise StoreError(
                f"message {message.id} is {message.direction.value}, not {direction.value}"
            )

    def _add(self, message: MessageRecord, direction: Direction) -> None:
        self._check_added(message, direction)
        connection = self._open_transaction()
        if connection is None:
            with self._writing(f"store message {message.id}") as connection:
                self._insert(connection, message, direction)
            return
        try:
            self._insert(connection, message, direction)
        except sqlite3.Error as exc:
            raise StoreError(f"could not store message {message.id}: {exc}") from exc

    def _insert(
        self, connection: sqlite3.Connection, message: MessageRecord, direction: Direction
    ) -> None:
        try:
            # Insert first: the schema refuses an unknown peer, a serial out of
            # order and a used id; the reads below only explain a refusal.
            connection.execute(_INSERT_MESSAGE, _message_values(message))
        except sqlite3.IntegrityError:
            self._explain_refused(connection, message, direction)
            raise

    def _add_many(self, messages: Sequence[MessageRecord], direction: Direction) -> None:
        if len(messages) == 1:  # one statement: no savepoint (see _add)
            self._add(messages[0], direction)
            return
        for message in messages:
            self._check_added(message, direction)
        if not messages:
            return
        try:
            with self._writing(f"store {len(messages)} messages") as connection:
                connection.executemany(_INSERT_MESSAGE, map(_message_values, messages))
        except StoreError as exc:
            if not isinstance(exc.__cause__, sqlite3.IntegrityError):
                raise
            # All undone. One at a time, to raise the error that names the
            # message and the reason (or to store them all, if the refusal is gone).
            with self.transaction():
                for message in messages:
                    self._add(message, direction)

    def _explain_refused(
        self, connection: sqlite3.Connection, message: MessageRecord, direction: Direction
    ) -> None:
        """Raise the error that says why the schema refused to store ``message``."""
        if not connection.execute(
            "SELECT 1 FROM peers WHERE party = ?", (message.peer,)
        ).fetchone():
            raise UnknownPeer(f"no peer named {message.peer!r}")
        last, _ = self._last(message.peer, direction)
        if message.serial != last + 1:
            word = "outgoing" if direction is Direction.OUT else "incoming"
            held = f"; serial {message.serial} is already held" if message.serial <= last else ""
            raise StoreError(
                f"{word} serial for {message.peer!r} must be {last + 1}, not {message.serial}{held}"
            )
        if self.has_message(message.id):
            raise StoreError(f"a message with id {message.id} is already stored")

    def _outgoing(self, message_id: str) -> MessageRecord:
        message = self.get_message(message_id)
        if message is None:
            raise StoreError(f"no message with id {message_id}")
        if message.direction is not Direction.OUT:
            raise StoreError(f"message {message_id} is incoming, not outgoing")
        return message

    # -- outgoing -------------------------------------------------------------------

    def next_outgoing_serial(self, peer: str) -> tuple[int, bytes]:
        last, envelope_hash = self._last(peer, Direction.OUT)
        # A restored terminal's chain continues after the position it adopted
        # from the peer (ChainAdoptionStore), until it stores a message there.
        adopted = self._read(
            "read the last adoption",
            "SELECT serial, envelope_hash FROM chain_adoptions WHERE peer = ? AND serial > ? "
            "ORDER BY serial DESC LIMIT 1",
            (peer, last),
        )
        if adopted:
            serial, envelope_hash = adopted[0]
            return serial + 1, envelope_hash
        return last + 1, envelope_hash

    def add_outgoing(self, message: MessageRecord) -> None:
        self._add(message, Direction.OUT)

    def add_outgoing_many(self, messages: Sequence[MessageRecord]) -> None:
        self._add_many(messages, Direction.OUT)

    def mark_transmitted(self, message_id: str, at: str) -> None:
        check_utc("at", at)
        # One conditional UPDATE: this runs for every message sent, on the hot path.
        changed = self._write_one(
            f"mark message {message_id} transmitted", _MARK_TRANSMITTED, (at, message_id)
        )
        if not changed:
            self._outgoing(message_id)  # raises if it is unknown or incoming; else a no-op

    def mark_transmitted_many(self, message_ids: Sequence[str], at: str) -> None:
        check_utc("at", at)
        ids = list(message_ids)
        if not ids:
            return
        with self._writing(f"mark {len(ids)} messages transmitted") as connection:
            changed = connection.executemany(
                _MARK_TRANSMITTED, [(at, message_id) for message_id in ids]
            ).rowcount
            if changed != len(ids):
                for message_id in ids:
                    self._outgoing(message_id)  # raises (undoing all) if unknown or incoming

    def add_delivery_receipt(
        self,
        message_id: str,
        receipt: bytes,
        delivered_at: str,
        *,
        transmitted_at: str | None = None,
    ) -> bool:
        check_utc("delivered_at", delivered_at)
        if transmitted_at is not None:
            check_utc("transmitted_at", transmitted_at)
        if not isinstance(receipt, bytes) or not receipt:
            raise StoreError("receipt must be non-empty bytes")
        changed = self._write_one(
            f"store the receipt for message {message_id}",
            "UPDATE messages SET state = 'delivered', receipt = ?, delivered_at = ?, "
            "transmitted_at = coalesce(transmitted_at, ?) "
            "WHERE id = ? AND direction = 'out' AND receipt IS NULL",
            (receipt, delivered_at, transmitted_at, message_id),
        )
        if not changed:
            self._outgoing(message_id)  # raises if it is unknown or incoming
        return bool(changed)

    def outgoing_ref(self, message_id: str) -> tuple[str, int, bytes] | None:
        rows = self._read(
            "read a message",
            "SELECT peer, serial, envelope_hash FROM messages WHERE id = ? AND direction = 'out'",
            (message_id,),
        )
        if not rows:
            return None
        peer, serial, envelope_hash = rows[0]
        return peer, serial, envelope_hash

    def pending_outgoing(
        self, peer: str, *, after_serial: int = 0, limit: int | None = None
    ) -> list[MessageRecord]:
        if type(after_serial) is not int or after_serial < 0:
            raise StoreError(f"after_serial must be an int >= 0, not {after_serial!r}")
        return self._messages(
            "list pending messages",
            "INDEXED BY messages_pending "
            "WHERE peer = ? AND direction = 'out' AND receipt IS NULL AND serial > ? "
            "ORDER BY serial LIMIT ?",
            (peer, after_serial, check_limit(limit)),
        )

    def outgoing_after(
        self, peer: str, *, after_serial: int, limit: int | None = None
    ) -> list[MessageRecord]:
        if type(after_serial) is not int or after_serial < 0:
            raise StoreError(f"after_serial must be an int >= 0, not {after_serial!r}")
        return self._messages(
            "list outgoing messages",
            "WHERE peer = ? AND direction = 'out' AND serial > ? ORDER BY serial LIMIT ?",
            (peer, after_serial, check_limit(limit)),
        )

    def outgoing_counts(self, peer: str) -> dict[str, int]:
        # Serials run without a gap, so the highest is the total: no scan of the
        # delivered rows, which are nearly all of them.
        total = self.next_outgoing_serial(peer)[0] - 1
        pending = self._read(
            "count pending messages",
            "SELECT count(*), count(transmitted_at) FROM messages INDEXED BY messages_pending "
            "WHERE peer = ? AND direction = 'out' AND receipt IS NULL",
            (peer,),
        )
        waiting, sent = pending[0]
        acknowledged = self._read(
            "count acknowledged messages",
            "SELECT count(*) FROM acknowledgements a JOIN messages m ON m.id = a.message_id "
            "WHERE a.direction = 'received' AND m.peer = ? AND m.direction = 'out'",
            (peer,),
        )[0][0]
        return {
            "queued": int(waiting) - int(sent),
            "sent": int(sent),
            "delivered": total - int(waiting) - int(acknowledged),
            "acknowledged": int(acknowledged),
        }

    def count_pending(self, peer: str) -> int:
        rows = self._read(
            "count pending messages",
            # INDEXED BY: without statistics the planner prefers the (peer, direction,
            # serial) index and reads every row's receipt, ~50 ms per peer at 1M messages.
            "SELECT count(*) FROM messages INDEXED BY messages_pending "
            "WHERE peer = ? AND direction = 'out' AND receipt IS NULL",
            (peer,),
        )
        count: int = rows[0][0]
        return count

    # -- incoming -------------------------------------------------------------------

    def last_incoming(self, peer: str) -> tuple[int, bytes]:
        return self._last(peer, Direction.IN)

    def add_incoming(self, message: MessageRecord) -> None:
        self._add(message, Direction.IN)

    def add_incoming_many(self, messages: Sequence[MessageRecord]) -> None:
        self._add_many(messages, Direction.IN)

    def get_incoming_by_serial(self, peer: str, serial: int) -> MessageRecord | None:
        messages = self._messages(
            "read a message",
            "WHERE peer = ? AND direction = 'in' AND serial = ?",
            (peer, serial),
        )
        return messages[0] if messages else None

    # -- queries --------------------------------------------------------------------

    def get_message(self, message_id: str) -> MessageRecord | None:
        messages = self._messages("read a message", "WHERE id = ?", (message_id,))
        return messages[0] if messages else None

    def has_message(self, message_id: str) -> bool:
        return bool(
            self._read("read a message", "SELECT 1 FROM messages WHERE id = ?", (message_id,))
        )

    def list_messages(
        self,
        *,
        peer: str | None = None,
        direction: Direction | None = None,
        limit: int | None = None,
    ) -> list[MessageRecord]:
        # "IS NULL OR" keeps one fixed statement per filter shape; the peer's has its own,
        # since "?1 IS NULL OR peer = ?1" cannot use the (peer, created_at) index: a peer's
        # newest message in a store of 1,000,000 was a scan of the whole table.
        return self._messages(
            "list messages",
            ("WHERE (?1 IS NULL OR peer = ?1)" if peer is None else "WHERE peer = ?1")
            + " AND (?2 IS NULL OR direction = ?2) "
            "ORDER BY created_at DESC, serial DESC, id DESC LIMIT ?3",
            (
                peer,
                None if direction is None else _direction(direction).value,
                check_limit(limit),
            ),
        )

    def iter_messages(self, *, peer: str, direction: Direction) -> Iterator[MessageRecord]:
        # Checked now, not at the first next(), so a bad argument fails at the call.
        return self._iter_messages(peer, _direction(direction))

    def _iter_messages(self, peer: str, direction: Direction) -> Iterator[MessageRecord]:
        after = 0
        while True:
            page = self._messages(
                "read messages",
                "WHERE peer = ? AND direction = ? AND serial > ? ORDER BY serial LIMIT ?",
                (peer, direction.value, after, _PAGE),
            )
            for message in page:
                after = message.serial
                yield message
            if len(page) < _PAGE:
                return


_ACK_COLUMNS = "message_id, direction, by_name, at, ack_id, operator_key, operator_signature"
_INSERT_ACK = (
    f"INSERT OR IGNORE INTO acknowledgements ({_ACK_COLUMNS}) "  # noqa: S608 - constants only
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_ACK_CHUNK = 500  # ids per query, under SQLite's limit on parameters


def _ack_from(row: Any) -> AckRecord:
    message_id, direction, by, at, ack_id, key, signature = row
    return AckRecord(
        message_id=str(message_id),
        direction=str(direction),
        by=str(by),
        at=str(at),
        ack_id=str(ack_id),
        operator_key=bytes(key),
        operator_signature=bytes(signature),
    )


class SQLiteAcknowledgementStore(SQLiteCore, AcknowledgementStore):
    """:class:`~hotline.store.interfaces.AcknowledgementStore` on the ``acknowledgements`` table."""

    def add_acknowledgement(self, ack: AckRecord) -> bool:
        with self._writing(f"acknowledge {ack.message_id}") as connection:
            cursor = connection.execute(
                _INSERT_ACK,
                (
                    ack.message_id,
                    ack.direction,
                    ack.by,
                    ack.at,
                    ack.ack_id,
                    ack.operator_key,
                    ack.operator_signature,
                ),
            )
            return cursor.rowcount == 1

    def acknowledgements(self, message_ids: Sequence[str]) -> dict[str, AckRecord]:
        found: dict[str, AckRecord] = {}
        ids = list(message_ids)
        with translated("read acknowledgements"):
            connection = self._live()
            for start in range(0, len(ids), _ACK_CHUNK):
                chunk = ids[start : start + _ACK_CHUNK]
                marks = ", ".join("?" for _ in chunk)
                rows = connection.execute(
                    f"SELECT {_ACK_COLUMNS} FROM acknowledgements "  # noqa: S608
                    f"WHERE message_id IN ({marks})",
                    chunk,
                ).fetchall()
                for row in rows:
                    ack = _ack_from(row)
                    found[ack.message_id] = ack
        return found
