"""The PostgreSQL statements behind messages and their acknowledgements (``messages``, ``acknowledgements``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_messages``. A message's id, channel, precedence, kind and text are
stored as UTF-8 ``BYTEA`` (``_schema_postgresql`` says why), so they are
encoded on the way in and decoded on the way out; everything else is as in SQLite.
A write inserts first and reads only to explain a refusal, after the refused
write was rolled back (a failed statement aborts a PostgreSQL transaction).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import fields
from typing import Any

import psycopg

from hotline.errors import StoreError, UnknownPeer
from hotline.store._damage import DamagedMessage, read_stored
from hotline.store._pg_core import PAGE as _PAGE
from hotline.store._pg_core import PostgreSQLCore, check_limit
from hotline.store.interfaces import AcknowledgementStore, MessageStore
from hotline.store.records import ZERO_HASH, AckRecord, Direction, MessageRecord, check_utc

__all__ = ["PostgreSQLAcknowledgementStore", "PostgreSQLMessageStore", "decode_text"]

# Message columns are named exactly as the record's fields, in the same order.
_MESSAGE_FIELDS = tuple(field.name for field in fields(MessageRecord))
_MESSAGE_COLUMNS = ", ".join(_MESSAGE_FIELDS)
_INSERT_MESSAGE = (
    f"INSERT INTO messages ({_MESSAGE_COLUMNS}) "  # noqa: S608 - constants only
    f"VALUES ({', '.join(['%s'] * len(_MESSAGE_FIELDS))})"
)
#: The str fields kept as UTF-8 BYTEA.
_ENCODED = frozenset({"id", "channel", "precedence", "kind", "text"})
_ENUMS = frozenset({"direction", "state"})
#: Rows per page of :meth:`PostgreSQLMessageStore.damaged_messages`.
_SCAN_PAGE = 1024

_MARK_TRANSMITTED = (
    "UPDATE messages SET state = 'sent', transmitted_at = %s "
    "WHERE id = %s AND direction = 'out' AND state = 'queued'"
)


def decode_text(name: str, value: object) -> str:
    """A UTF-8 BYTEA column back to str; StoreError if the stored bytes are not UTF-8."""
    if not isinstance(value, bytes | bytearray | memoryview):
        raise StoreError(f"stored message {name} is not bytes but {type(value).__name__}")
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StoreError(f"stored message {name} is not UTF-8 text: {exc}") from None


def _read_row(row: tuple[Any, ...]) -> tuple[MessageRecord | None, DamagedMessage | None]:
    """A row as its record (None if quarantined) and what is damaged in it (:mod:`._damage`)."""
    # The record turns the stored direction and state strings back into enums
    # and re-checks every rule, so a damaged row cannot pass as a message.
    stored = dict(zip(_MESSAGE_FIELDS, row, strict=True))
    try:
        for name in _ENCODED:
            stored[name] = decode_text(name, stored[name])
    except StoreError:
        # Bytes that are not UTF-8: decoded leniently, recovered or quarantined.
        for name in _ENCODED:
            value = stored[name]
            if not isinstance(value, str):
                stored[name] = bytes(value).decode("utf-8", "surrogateescape")
        return read_stored(stored)
    return MessageRecord(**stored), None


def _message_from(row: tuple[Any, ...]) -> MessageRecord | None:
    return _read_row(row)[0]


def _message_values(message: MessageRecord) -> tuple[Any, ...]:
    values = []
    for name in _MESSAGE_FIELDS:
        value = getattr(message, name)
        if name in _ENCODED:
            value = value.encode("utf-8")
        elif name in _ENUMS:
            value = value.value  # the text, not psycopg's name for an Enum
        values.append(value)
    return tuple(values)


def _direction(value: object) -> Direction:
    try:
        return Direction(str(value))
    except ValueError:
        raise StoreError(f"direction must be 'out' or 'in', not {value!r}") from None


def _refused(exc: StoreError) -> bool:
    """Whether ``exc`` is the schema refusing a row (a key, a check, a trigger)."""
    return isinstance(exc.__cause__, psycopg.IntegrityError)


class PostgreSQLMessageStore(PostgreSQLCore, MessageStore):
    """:class:`~hotline.store.interfaces.MessageStore` on the ``messages`` table."""

    def _messages(self, action: str, clause: str, parameters: Any) -> list[Any]:
        # A constant column list and a constant clause from this module; values are parameters.
        sql = f"SELECT {_MESSAGE_COLUMNS} FROM messages {clause}"  # noqa: S608
        read = (_message_from(row) for row in self._read(action, sql, parameters))
        return [message for message in read if message is not None]

    def damaged_messages(self) -> list[DamagedMessage]:
        found: list[DamagedMessage] = []
        after = b""
        while True:
            # Pages keyed on the id (BYTEA compares bytewise), whole rows:
            # the text is decoded here, in Python, either way.
            rows = self._read(
                "scan messages",
                f"SELECT {_MESSAGE_COLUMNS} FROM messages "  # noqa: S608 - constants only
                "WHERE id > %s ORDER BY id LIMIT %s",
                (after, _SCAN_PAGE),
            )
            for row in rows:
                damage = _read_row(row)[1]
                if damage is not None:
                    found.append(damage)
            if len(rows) < _SCAN_PAGE:
                return found
            after = bytes(rows[-1][0])

    # -- shared ---------------------------------------------------------------------

    def _last(self, peer: str, direction: Direction) -> tuple[int, bytes]:
        rows = self._read(
            "read the last serial",
            "SELECT serial, envelope_hash FROM messages WHERE peer = %s AND direction = %s "
            "ORDER BY serial DESC LIMIT 1",
            (peer, direction.value),
        )
        if not rows:
            return 0, ZERO_HASH
        serial, envelope_hash = rows[0]
        return int(serial), bytes(envelope_hash)

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
        try:
            with self._writing(f"store message {message.id}") as connection:
                connection.execute(_INSERT_MESSAGE, _message_values(message))
        except StoreError as exc:
            if not _refused(exc):
                raise
            # Undone already: the reads that explain the refusal can run.
            self._explain_refused(message, direction)
            raise

    def _add_many(self, messages: Sequence[MessageRecord], direction: Direction) -> None:
        for message in messages:
            self._check_added(message, direction)
        if not messages:
            return
        try:
            with self._writing(f"store {len(messages)} messages") as connection:
                connection.cursor().executemany(
                    _INSERT_MESSAGE, [_message_values(message) for message in messages]
                )
        except StoreError as exc:
            if not _refused(exc):
                raise
            # All undone. One at a time, to raise the error that names the
            # message and the reason (or to store them all, if the refusal is gone).
            with self.transaction():
                for message in messages:
                    self._add(message, direction)

    def _explain_refused(self, message: MessageRecord, direction: Direction) -> None:
        """Raise the error that says why the schema refused to store ``message``."""
        if not self._read("read a peer", "SELECT 1 FROM peers WHERE party = %s", (message.peer,)):
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
            "SELECT serial, envelope_hash FROM chain_adoptions WHERE peer = %s AND serial > %s "
            "ORDER BY serial DESC LIMIT 1",
            (peer, last),
        )
        if adopted:
            serial, envelope_hash = adopted[0]
            return int(serial) + 1, bytes(envelope_hash)
        return last + 1, envelope_hash

    def add_outgoing(self, message: MessageRecord) -> None:
        self._add(message, Direction.OUT)

    def add_outgoing_many(self, messages: Sequence[MessageRecord]) -> None:
        self._add_many(messages, Direction.OUT)

    def mark_transmitted(self, message_id: str, at: str) -> None:
        check_utc("at", at)
        changed = self._write_one(
            f"mark message {message_id} transmitted",
            _MARK_TRANSMITTED,
            (at, _encoded_id(message_id)),
        )
        if not changed:
            self._outgoing(message_id)  # raises if it is unknown or incoming; else a no-op

    def mark_transmitted_many(self, message_ids: Sequence[str], at: str) -> None:
        check_utc("at", at)
        ids = list(message_ids)
        if not ids:
            return
        with self._writing(f"mark {len(ids)} messages transmitted") as connection:
            cursor = connection.cursor()
            cursor.executemany(
                _MARK_TRANSMITTED, [(at, _encoded_id(message_id)) for message_id in ids]
            )
            if cursor.rowcount != len(ids):
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
            "UPDATE messages SET state = 'delivered', receipt = %s, delivered_at = %s, "
            "transmitted_at = coalesce(transmitted_at, %s) "
            "WHERE id = %s AND direction = 'out' AND receipt IS NULL",
            (receipt, delivered_at, transmitted_at, _encoded_id(message_id)),
        )
        if not changed:
            self._outgoing(message_id)  # raises if it is unknown or incoming
        return bool(changed)

    def outgoing_ref(self, message_id: str) -> tuple[str, int, bytes] | None:
        rows = self._read(
            "read a message",
            "SELECT peer, serial, envelope_hash FROM messages WHERE id = %s AND direction = 'out'",
            (_encoded_id(message_id),),
        )
        if not rows:
            return None
        peer, serial, envelope_hash = rows[0]
        return str(peer), int(serial), bytes(envelope_hash)

    def pending_outgoing(
        self, peer: str, *, after_serial: int = 0, limit: int | None = None
    ) -> list[MessageRecord]:
        if type(after_serial) is not int or after_serial < 0:
            raise StoreError(f"after_serial must be an int >= 0, not {after_serial!r}")
        # The partial index messages_pending matches this WHERE exactly.
        return self._messages(
            "list pending messages",
            "WHERE peer = %s AND direction = 'out' AND receipt IS NULL AND serial > %s "
            "ORDER BY serial LIMIT %s",
            (peer, after_serial, check_limit(limit)),
        )

    def outgoing_after(
        self, peer: str, *, after_serial: int, limit: int | None = None
    ) -> list[MessageRecord]:
        if type(after_serial) is not int or after_serial < 0:
            raise StoreError(f"after_serial must be an int >= 0, not {after_serial!r}")
        return self._messages(
            "list outgoing messages",
            "WHERE peer = %s AND direction = 'out' AND serial > %s ORDER BY serial LIMIT %s",
            (peer, after_serial, check_limit(limit)),
        )

    def outgoing_counts(self, peer: str) -> dict[str, int]:
        # As SQLite's: serials run without a gap, so the highest is the total (no
        # scan of the delivered rows, nearly all of them); the partial index
        # messages_pending covers the unreceipted ones.
        total = self.next_outgoing_serial(peer)[0] - 1
        waiting, sent = self._read(
            "count pending messages",
            "SELECT count(*), count(transmitted_at) FROM messages "
            "WHERE peer = %s AND direction = 'out' AND receipt IS NULL",
            (peer,),
        )[0]
        acknowledged = self._read(
            "count acknowledged messages",
            "SELECT count(*) FROM acknowledgements a JOIN messages m ON m.id = a.message_id "
            "WHERE a.direction = 'received' AND m.peer = %s AND m.direction = 'out'",
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
            "SELECT count(*) FROM messages "
            "WHERE peer = %s AND direction = 'out' AND receipt IS NULL",
            (peer,),
        )
        return int(rows[0][0])

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
            "WHERE peer = %s AND direction = 'in' AND serial = %s",
            (peer, serial),
        )
        return messages[0] if messages else None

    # -- queries --------------------------------------------------------------------

    def get_message(self, message_id: str) -> MessageRecord | None:
        messages = self._messages("read a message", "WHERE id = %s", (_encoded_id(message_id),))
        return messages[0] if messages else None

    def has_message(self, message_id: str) -> bool:
        return bool(
            self._read(
                "read a message",
                "SELECT 1 FROM messages WHERE id = %s",
                (_encoded_id(message_id),),
            )
        )

    def list_messages(
        self,
        *,
        peer: str | None = None,
        direction: Direction | None = None,
        limit: int | None = None,
    ) -> list[MessageRecord]:
        # "IS NULL OR" keeps one fixed statement per filter shape; the peer's has its own,
        # so that it uses the (peer, created_at) index (see the SQLite store).
        return self._messages(
            "list messages",
            (
                "WHERE (%(peer)s::text IS NULL OR peer = %(peer)s) "
                if peer is None
                else "WHERE peer = %(peer)s "
            )
            + "AND (%(direction)s::text IS NULL OR direction = %(direction)s) "
            "ORDER BY created_at DESC, serial DESC, id DESC LIMIT %(limit)s",
            {
                "peer": peer,
                "direction": None if direction is None else _direction(direction).value,
                "limit": check_limit(limit),
            },
        )

    def iter_messages(self, *, peer: str, direction: Direction) -> Iterator[MessageRecord]:
        # Checked now, not at the first next(), so a bad argument fails at the call.
        return self._iter_messages(peer, _direction(direction))

    def _iter_messages(self, peer: str, direction: Direction) -> Iterator[MessageRecord]:
        # Pages keyed on serial, as SQLite's: no cursor held open across yield.
        after = 0
        while True:
            page = self._messages(
                "read messages",
                "WHERE peer = %s AND direction = %s AND serial > %s ORDER BY serial LIMIT %s",
                (peer, direction.value, after, _PAGE),
            )
            for message in page:
                after = message.serial
                yield message
            if len(page) < _PAGE:
                return


def _encoded_id(message_id: str) -> bytes:
    if not isinstance(message_id, str):
        raise StoreError(f"a message id must be a str, not {type(message_id).__name__}")
    try:
        return message_id.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise StoreError(f"message id is not valid Unicode text: {exc}") from None


_ACK_COLUMNS = "message_id, direction, by_name, at, ack_id, operator_key, operator_signature"
_INSERT_ACK = (
    f"INSERT INTO acknowledgements ({_ACK_COLUMNS}) "  # noqa: S608 - constants only
    "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (message_id) DO NOTHING"
)


def _ack_from(row: Any) -> AckRecord:
    message_id, direction, by, at, ack_id, key, signature = row
    return AckRecord(
        message_id=decode_text("id", message_id),
        direction=str(direction),
        by=str(by),
        at=str(at),
        ack_id=str(ack_id),
        operator_key=bytes(key),
        operator_signature=bytes(signature),
    )


class PostgreSQLAcknowledgementStore(PostgreSQLCore, AcknowledgementStore):
    """:class:`~hotline.store.interfaces.AcknowledgementStore` on the ``acknowledgements`` table."""

    def add_acknowledgement(self, ack: AckRecord) -> bool:
        with self._writing(f"acknowledge {ack.message_id}") as connection:
            cursor = connection.execute(
                _INSERT_ACK,
                (
                    _encoded_id(ack.message_id),
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
        ids = [_encoded_id(message_id) for message_id in message_ids]
        if not ids:
            return {}
        # One array parameter, however many ids: PostgreSQL has no small limit to page under.
        rows = self._read(
            "read acknowledgements",
            f"SELECT {_ACK_COLUMNS} FROM acknowledgements "  # noqa: S608
            "WHERE message_id = ANY(%s::bytea[])",
            (ids,),
        )
        found: dict[str, AckRecord] = {}
        for row in rows:
            ack = _ack_from(row)
            found[ack.message_id] = ack
        return found
