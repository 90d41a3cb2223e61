"""The SQLite backend: one database file in WAL mode, written by one connection.

Durability rests on four settings, made on every connection: ``journal_mode=WAL``
(readers in other processes never block the writer, nor it them),
``synchronous=FULL`` (every commit is fsynced before COMMIT returns),
``foreign_keys=ON`` and ``busy_timeout=5000``. The connection runs in autocommit
mode (``isolation_level=None``) and this module issues every ``BEGIN IMMEDIATE``,
``COMMIT``, ``SAVEPOINT`` and ``ROLLBACK`` itself, so no write is ever left in a
transaction that Python's sqlite3 opened implicitly.

Theory of operation: ``_depth`` counts open :meth:`SQLiteStore.transaction`
blocks. At depth 0 a mutating method opens its own ``BEGIN IMMEDIATE``, writes
and commits, so it is durable when it returns. At depth 1 and deeper it runs in
a ``SAVEPOINT`` inside the outer transaction: a failure undoes just that call
and the commit (one fsync for the whole burst) waits for the outermost block.
The calls on every message's path that write with a single statement (store a
message, mark it sent, store its receipt, append a journal entry, note the
last contact) skip the savepoint: SQLite undoes a failed statement by itself.
They insert first and read only to explain a refusal, since the schema's
triggers and keys already refuse what the reads would (``_explain_refused``).
The connection remembers the journal head it appended last; the schema's
``journal_append_at_head`` trigger refuses a stale one (another connection
appended meanwhile), and the append then reads the head again.

Reads outside a transaction are single statements, each with its own snapshot.
Iterators read in pages by key instead of holding a statement open across
``yield``, so a slow consumer neither pins an old snapshot (which would stop WAL
checkpoints) nor trips over writes made on the same connection meanwhile.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import fields
from enum import Enum
from pathlib import Path
from typing import Any

from hotline.errors import AlreadyInitialised, NotInitialised, PeerConflict, StoreError, UnknownPeer
from hotline.store import _sqlite_accounts as accounts
from hotline.store import _sqlite_alarms as sqlite_alarms
from hotline.store import _sqlite_calls as calls
from hotline.store.base import Store, StoreStatistics
from hotline.store.journal import JournalChecker, journal_entry_hash
from hotline.store.records import (
    ZERO_HASH,
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
    check_utc,
    normalise_journal_data,
)
from hotline.store.schema import ensure_schema

__all__ = ["SQLiteStore"]

_BUSY_TIMEOUT_MS = 5000
_PAGE = 256  # rows per page for the iterators

# Message columns are named exactly as the record's fields, in the same order.
_MESSAGE_FIELDS = tuple(field.name for field in fields(MessageRecord))
_MESSAGE_COLUMNS = ", ".join(_MESSAGE_FIELDS)
_INSERT_MESSAGE = (
    f"INSERT INTO messages ({_MESSAGE_COLUMNS}) "  # noqa: S608 - constants only
    f"VALUES ({', '.join('?' * len(_MESSAGE_FIELDS))})"
)
_PEER_COLUMNS = (
    "party, signing_key, encryption_key, routes, timezone, certificate, card_json, "
    "fingerprint, added_at"
)


@contextlib.contextmanager
def _translated(action: str) -> Iterator[None]:
    """Turn any sqlite3 error into a StoreError that says what we were doing."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StoreError(f"could not {action}: {exc}") from exc


def _fsync_directory(directory: Path) -> None:
    # SQLite syncs the directory when it creates a WAL file, but not when it
    # creates the database file itself; without this a power cut right after
    # init could lose the file's directory entry.
    # Best effort: some filesystems refuse fsync on a directory, and the
    # database itself is already committed.
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover - not POSIX
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _connect(path: Path, *, create: bool) -> sqlite3.Connection:
    # A URI so that open_existing can say mode=rw: SQLite then refuses to create
    # a missing file instead of silently making an empty one.
    uri = f"{path.resolve().as_uri()}?mode={'rwc' if create else 'rw'}"
    connection = sqlite3.connect(
        uri, uri=True, isolation_level=None, timeout=_BUSY_TIMEOUT_MS / 1000
    )
    try:
        connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS:d}")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA synchronous = FULL")
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"{path}: SQLite refused WAL mode (journal_mode is {mode})")
    except BaseException:
        connection.close()
        raise
    connection.row_factory = sqlite3.Row
    return connection


def _routes_json(routes: tuple[str, ...]) -> str:
    return json.dumps(list(routes), ensure_ascii=False)


def _routes_from(text: str) -> tuple[str, ...]:
    try:
        routes = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StoreError(f"stored routes are not JSON: {exc}") from None
    if not isinstance(routes, list):
        raise StoreError("stored routes are not a JSON array")
    return tuple(routes)


def _message_from(row: sqlite3.Row) -> MessageRecord:
    # The record turns the stored direction and state strings back into enums
    # and re-checks every rule, so a damaged row cannot pass as a message.
    return MessageRecord(**dict(row))


def _message_values(message: MessageRecord) -> tuple[Any, ...]:
    values = (getattr(message, name) for name in _MESSAGE_FIELDS)
    return tuple(value.value if isinstance(value, Enum) else value for value in values)


def _peer_from(row: sqlite3.Row) -> PeerRecord:
    stored = dict(row)
    stored["routes"] = _routes_from(stored["routes"])
    return PeerRecord(**stored)


def _direction(value: object) -> Direction:
    try:
        return Direction(str(value))
    except ValueError:
        raise StoreError(f"direction must be 'out' or 'in', not {value!r}") from None


def _in_transaction(connection: sqlite3.Connection) -> bool:
    # False, not an error, for a connection closed under an open block.
    try:
        return connection.in_transaction
    except sqlite3.ProgrammingError:
        return False


def _journal_from(row: sqlite3.Row) -> JournalEntry:
    seq, at, kind, data, prev_hash, hash_ = row
    try:
        decoded = json.loads(data)
    except (TypeError, json.JSONDecodeError) as exc:
        raise StoreError(f"journal seq {seq}: data is not JSON: {exc}") from None
    if not isinstance(decoded, dict):
        raise StoreError(f"journal seq {seq}: data is not a JSON object")
    return JournalEntry(seq=seq, at=at, kind=kind, data=decoded, prev_hash=prev_hash, hash=hash_)


def _check_limit(limit: int | None) -> int:
    """The SQL LIMIT for ``limit`` (-1 is SQLite's "no limit")."""
    if limit is None:
        return -1
    if type(limit) is not int or limit < 0:
        raise StoreError(f"limit must be None or an int >= 0, not {limit!r}")
    return limit


class SQLiteStore(Store):
    """A :class:`~hotline.store.Store` in one SQLite file. Build it with :meth:`open`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        """Wrap a connection prepared by :meth:`open`; not for direct use."""
        self._connection: sqlite3.Connection | None = connection
        self._path = path
        self._depth = 0
        self._commits = 0
        self._rollbacks = 0
        #: (seq, hash) of the journal entry this connection appended last, or None
        #: when unknown. Appends trust it (the journal_append_at_head trigger
        #: refuses a stale one, and the append then re-reads); journal_head()
        #: trusts it only inside the transaction that appended.
        self._head: tuple[int, bytes] | None = None
        self._head_in_transaction = False

    @classmethod
    def open(cls, path: Path) -> SQLiteStore:
        """Open the database at ``path``, creating the file and schema if missing."""
        path = Path(path)
        existed = path.exists()
        with _translated(f"open {path}"):
            connection = _connect(path, create=True)
            try:
                ensure_schema(connection, create=True)
            except BaseException:
                connection.close()
                raise
        if not existed:
            _fsync_directory(path.resolve().parent)
        return cls(connection, path)

    @classmethod
    def open_existing(cls, path: Path) -> SQLiteStore:
        """Open an initialised database; NotInitialised if the file is missing or empty."""
        path = Path(path)
        if not path.is_file():
            raise NotInitialised(f"no hotline database at {path}")
        with _translated(f"open {path}"):
            connection = _connect(path, create=False)
            try:
                ensure_schema(connection, create=False)
            except BaseException:
                connection.close()
                raise
        return cls(connection, path)

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    # -- lifetime and transactions ------------------------------------------------

    def _live(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreError("the store is closed")
        return self._connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # Closing discards a transaction still open; the block that opened
            # it then fails on exit, saying nothing was saved.
            with _translated("close the database"):
                connection.close()

    def statistics(self) -> StoreStatistics:
        return StoreStatistics(commits=self._commits, rollbacks=self._rollbacks)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        connection = self._live()
        if self._depth == 0:
            with _translated("begin a transaction"):
                connection.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self._head = None
                self._rollback(connection)
                raise
            finally:
                # Only the transaction that appended may trust the remembered head.
                self._head_in_transaction = False
            self._depth = 0
            try:
                self._commit(connection)
            except BaseException:
                self._head = None
                raise
            return
        if not _in_transaction(connection):
            # SQLite itself abandoned the outer transaction (a disk error, say);
            # writing on would autocommit outside it.
            raise StoreError("the enclosing transaction was already rolled back")
        savepoint = f"hotline_{self._depth:d}"
        with _translated("open a savepoint"):
            connection.execute(f"SAVEPOINT {savepoint}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            self._head = None
            if _in_transaction(connection):
                with _translated("roll back a savepoint"):
                    connection.execute(f"ROLLBACK TO {savepoint}")
                    connection.execute(f"RELEASE {savepoint}")
            raise
        self._depth -= 1
        with _translated("release a savepoint"):
            connection.execute(f"RELEASE {savepoint}")

    def _commit(self, connection: sqlite3.Connection) -> None:
        if not _in_transaction(connection):
            self._rollbacks += 1
            raise StoreError("the transaction was rolled back or closed early; nothing was saved")
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback(connection)
            raise StoreError(f"commit failed; nothing was saved: {exc}") from exc
        self._commits += 1

    def _rollback(self, connection: sqlite3.Connection) -> None:
        self._rollbacks += 1
        # Already unwinding an exception: a failed ROLLBACK must not replace it,
        # and SQLite discards an unfinished transaction on close anyway.
        with contextlib.suppress(sqlite3.Error):
            if _in_transaction(connection):
                connection.execute("ROLLBACK")

    @contextlib.contextmanager
    def _writing(self, action: str) -> Iterator[sqlite3.Connection]:
        """One mutating call: its own commit, or a savepoint in the open transaction."""
        with self.transaction(), _translated(action):
            yield self._live()

    @contextlib.contextmanager
    def _statement(self, action: str) -> Iterator[sqlite3.Connection]:
        """A mutating call that writes with one statement (reads before it change nothing).

        Inside a transaction it needs no savepoint: SQLite undoes a failed
        statement, with whatever its triggers did, on its own. At depth 0 it
        commits on its own, as :meth:`_writing` does. These are the calls on
        every message's path, where two savepoint statements each cost more
        than the write.
        """
        if self._depth == 0:
            with self._writing(action) as connection:
                yield connection
            return
        connection = self._live()
        if not _in_transaction(connection):
            raise StoreError("the enclosing transaction was already rolled back")
        with _translated(action):
            yield connection

    def _read(self, action: str, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        with _translated(action):
            return self._live().execute(sql, parameters).fetchall()

    # The two helpers below put a constant column list and a constant clause
    # from this module into the SQL; values always travel as ? parameters.

    def _messages(self, action: str, clause: str, parameters: tuple[Any, ...]) -> list[Any]:
        sql = f"SELECT {_MESSAGE_COLUMNS} FROM messages {clause}"  # noqa: S608
        return [_message_from(row) for row in self._read(action, sql, parameters)]

    def _peers(self, clause: str, parameters: tuple[Any, ...] = ()) -> list[PeerRecord]:
        sql = f"SELECT {_PEER_COLUMNS} FROM peers {clause}"  # noqa: S608
        return [_peer_from(row) for row in self._read("read peers", sql, parameters)]

    # -- own party ----------------------------------------------------------------

    def get_party(self) -> PartyRecord | None:
        rows = self._read(
            "read the party",
            "SELECT party, signing_key, encryption_key, routes, timezone, created_at FROM party",
        )
        if not rows:
            return None
        stored = dict(rows[0])
        stored["routes"] = _routes_from(stored["routes"])
        return PartyRecord(**stored)

    def set_party(self, party: PartyRecord) -> None:
        with self._writing("set the party") as connection:
            existing = self.get_party()
            if existing is not None:
                raise AlreadyInitialised(f"this terminal is already party {existing.party!r}")
            clash = self.get_peer(party.party) or self.get_peer_by_key(party.signing_key)
            if clash is not None:
                raise PeerConflict(
                    f"party {party.party!r} clashes with peer {clash.party!r} "
                    "(same name or signing key)"
                )
            connection.execute(
                "INSERT INTO party (singleton, party, signing_key, encryption_key, routes, "
                "timezone, created_at) VALUES (1, ?, ?, ?, ?, ?, ?)",
                (
                    party.party,
                    party.signing_key,
                    party.encryption_key,
                    _routes_json(party.routes),
                    party.timezone,
                    party.created_at,
                ),
            )

    # -- peers --------------------------------------------------------------------

    def add_peer(self, peer: PeerRecord) -> bool:
        with self._writing(f"add peer {peer.party!r}") as connection:
            own = self.get_party()
            if own is not None and own.party == peer.party:
                raise PeerConflict(f"{peer.party!r} is this terminal's own party, not a peer")
            if own is not None and own.signing_key == peer.signing_key:
                raise PeerConflict(
                    f"the card for {peer.party!r} carries this terminal's own signing key"
                )
            existing = self.get_peer(peer.party)
            if existing is None:
                holder = self.get_peer_by_key(peer.signing_key)
                if holder is not None:
                    raise PeerConflict(
                        f"the signing key of the card for {peer.party!r} already belongs to "
                        f"peer {holder.party!r} (fingerprint {holder.fingerprint}); "
                        "one key cannot speak for two parties"
                    )
                connection.execute(
                    "INSERT INTO peers (party, signing_key, encryption_key, routes, timezone, "
                    "certificate, card_json, fingerprint, added_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        peer.party,
                        peer.signing_key,
                        peer.encryption_key,
                        _routes_json(peer.routes),
                        peer.timezone,
                        peer.certificate,
                        peer.card_json,
                        peer.fingerprint,
                        peer.added_at,
                    ),
                )
                return True
            if not existing.same_keys(peer):
                raise PeerConflict(
                    f"peer {peer.party!r} is already known with other keys (fingerprint "
                    f"{existing.fingerprint}); this card has fingerprint {peer.fingerprint}. "
                    "Check the card with the peer out of band: a peer's keys are never "
                    "replaced silently"
                )
            # Same party, same keys: a re-issued card (new routes, time zone or
            # certificate). Keys and added_at stay as first recorded.
            connection.execute(
                "UPDATE peers SET routes = ?, timezone = ?, certificate = ?, card_json = ?, "
                "fingerprint = ? WHERE party = ?",
                (
                    _routes_json(peer.routes),
                    peer.timezone,
                    peer.certificate,
                    peer.card_json,
                    peer.fingerprint,
                    peer.party,
                ),
            )
            return False

    def get_peer(self, party: str) -> PeerRecord | None:
        peers = self._peers("WHERE party = ?", (party,))
        return peers[0] if peers else None

    def get_peer_by_key(self, signing_key: bytes) -> PeerRecord | None:
        peers = self._peers("WHERE signing_key = ?", (signing_key,))
        return peers[0] if peers else None

    def list_peers(self) -> list[PeerRecord]:
        return self._peers("ORDER BY party")

    def last_contact(self, peer: str) -> str | None:
        rows = self._read(
            "read last contact", "SELECT last_contact FROM peers WHERE party = ?", (peer,)
        )
        if not rows:
            return None
        at: str | None = rows[0][0]
        return at

    def set_last_contact(self, peer: str, at: str) -> None:
        check_utc("at", at)
        with self._statement(f"set last contact of {peer!r}") as connection:
            cursor = connection.execute(
                "UPDATE peers SET last_contact = ? WHERE party = ?", (at, peer)
            )
            if cursor.rowcount == 0:
                raise UnknownPeer(f"no peer named {peer!r}")

    # -- alarms (SQL in sqlite_alarms.py) -------------------------------------------

    def add_alarm(self, alarm: AlarmRecord) -> None:
        with self._writing(f"store alarm {alarm.id}") as connection:
            sqlite_alarms.insert_alarm(connection, alarm)

    def clear_alarm(self, alarm_id: str, *, at: str, by: str) -> AlarmRecord | None:
        with self._writing(f"clear alarm {alarm_id}") as connection:
            return sqlite_alarms.clear_alarm(connection, alarm_id, at=at, by=by)

    def open_alarms(self) -> list[AlarmRecord]:
        with _translated("read open alarms"):
            return sqlite_alarms.open_alarms(self._live())

    def acknowledge_alarm(self, alarm_id: str, *, at: str, by: str) -> AlarmRecord | None:
        with self._writing(f"acknowledge alarm {alarm_id}") as connection:
            return sqlite_alarms.acknowledge_alarm(connection, alarm_id, at=at, by=by)

    # -- accounts, acknowledgements, shift notes (SQL in _sqlite_accounts.py) -------

    def add_user(self, user: UserRecord) -> None:
        if self.get_user(user.name) is not None:
            raise PeerConflict(f"a user named {user.name!r} already exists")
        with self._writing(f"add user {user.name!r}") as connection:
            accounts.insert_user(connection, user)

    def update_user(self, user: UserRecord) -> None:
        with self._writing(f"update user {user.name!r}") as connection:
            if not accounts.update_user(connection, user):
                raise StoreError(f"no user named {user.name!r}")

    def get_user(self, name: str) -> UserRecord | None:
        with _translated("read a user"):
            return accounts.get_user(self._live(), name)

    def list_users(self) -> list[UserRecord]:
        with _translated("list users"):
            return accounts.list_users(self._live())

    def add_acknowledgement(self, ack: AckRecord) -> bool:
        with self._writing(f"acknowledge {ack.message_id}") as connection:
            return accounts.insert_acknowledgement(connection, ack)

    def acknowledgements(self, message_ids: Sequence[str]) -> dict[str, AckRecord]:
        with _translated("read acknowledgements"):
            return accounts.get_acknowledgements(self._live(), message_ids)

    def add_shift_note(self, note: ShiftNoteRecord) -> None:
        with self._writing("add a shift note") as connection:
            accounts.insert_shift_note(connection, note)

    def put_meeting(self, meeting: MeetingRecord) -> None:
        with self._writing(f"store meeting {meeting.proposal_id}") as connection:
            accounts.put_meeting(connection, meeting)

    def get_meeting(self, proposal_id: str) -> MeetingRecord | None:
        with _translated("read a meeting"):
            return accounts.get_meeting(self._live(), proposal_id)

    def list_meetings(self) -> list[MeetingRecord]:
        with _translated("list meetings"):
            return accounts.list_meetings(self._live())

    def shift_notes(self, limit: int = 100) -> list[ShiftNoteRecord]:
        with _translated("read shift notes"):
            return accounts.list_shift_notes(self._live(), _check_limit(limit) or 100)

    # -- calls and presence requests (SQL in _sqlite_calls.py) ------------------------

    def put_call(self, call: CallRecord) -> None:
        with self._writing(f"store call {call.id}") as connection:
            calls.put_call(connection, call)

    def get_call(self, call_id: str) -> CallRecord | None:
        with _translated("read a call"):
            return calls.get_call(self._live(), call_id)

    def list_calls(self, limit: int = 200) -> list[CallRecord]:
        with _translated("list calls"):
            return calls.list_calls(self._live(), _check_limit(limit) or 200)

    def live_calls(self) -> list[CallRecord]:
        with _translated("list live calls"):
            return calls.live_calls(self._live())

    def put_presence(self, request: PresenceRecord) -> None:
        with self._writing(f"store presence request {request.id}") as connection:
            calls.put_presence(connection, request)

    def get_presence(self, request_id: str) -> PresenceRecord | None:
        with _translated("read a presence request"):
            return calls.get_presence(self._live(), request_id)

    def list_presence(self, limit: int = 100, *, open_only: bool = False) -> list[PresenceRecord]:
        with _translated("list presence requests"):
            return calls.list_presence(
                self._live(), _check_limit(limit) or 100, open_only=open_only
            )

    # -- messages: shared -----------------------------------------------------------

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

    def _add(self, message: MessageRecord, direction: Direction) -> None:
        if not isinstance(message, MessageRecord):
            raise StoreError(f"expected a MessageRecord, not {type(message).__name__}")
        if message.direction is not direction:
            raise StoreError(
                f"message {message.id} is {message.direction.value}, not {direction.value}"
            )
        with self._statement(f"store message {message.id}") as connection:
            try:
                # Insert first: the schema refuses an unknown peer, a serial out of
                # order and a used id; the reads below only explain a refusal.
                connection.execute(_INSERT_MESSAGE, _message_values(message))
            except sqlite3.IntegrityError:
                self._explain_refused(connection, message, direction)
                raise

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
        return last + 1, envelope_hash

    def add_outgoing(self, message: MessageRecord) -> None:
        self._add(message, Direction.OUT)

    def mark_transmitted(self, message_id: str, at: str) -> None:
        check_utc("at", at)
        with self._statement(f"mark message {message_id} transmitted") as connection:
            # One conditional UPDATE: this runs for every message sent, on the hot path.
            changed = connection.execute(
                "UPDATE messages SET state = 'sent', transmitted_at = ? "
                "WHERE id = ? AND direction = 'out' AND state = 'queued'",
                (at, message_id),
            ).rowcount
            if not changed:
                self._outgoing(message_id)  # raises if it is unknown or incoming; else a no-op

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
        with self._statement(f"store the receipt for message {message_id}") as connection:
            changed = connection.execute(
                "UPDATE messages SET state = 'delivered', receipt = ?, delivered_at = ?, "
                "transmitted_at = coalesce(transmitted_at, ?) "
                "WHERE id = ? AND direction = 'out' AND receipt IS NULL",
                (receipt, delivered_at, transmitted_at, message_id),
            ).rowcount
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
            (peer, after_serial, _check_limit(limit)),
        )

    def outgoing_after(
        self, peer: str, *, after_serial: int, limit: int | None = None
    ) -> list[MessageRecord]:
        if type(after_serial) is not int or after_serial < 0:
            raise StoreError(f"after_serial must be an int >= 0, not {after_serial!r}")
        return self._messages(
            "list outgoing messages",
            "WHERE peer = ? AND direction = 'out' AND serial > ? ORDER BY serial LIMIT ?",
            (peer, after_serial, _check_limit(limit)),
        )

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
        # "IS NULL OR" keeps one fixed statement for every filter combination.
        return self._messages(
            "list messages",
            "WHERE (?1 IS NULL OR peer = ?1) AND (?2 IS NULL OR direction = ?2) "
            "ORDER BY created_at DESC, serial DESC, id DESC LIMIT ?3",
            (
                peer,
                None if direction is None else _direction(direction).value,
                _check_limit(limit),
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

    # -- journal --------------------------------------------------------------------

    def append_journal(self, *, kind: str, at: str, data: Mapping[str, Any]) -> JournalEntry:
        normalised = normalise_journal_data(data)
        encoded = json.dumps(normalised, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        with self._statement(f"append a {kind!r} journal entry") as connection:
            remembered = self._head
            try:
                entry = self._insert_entry(
                    connection,
                    remembered or self._read_head(connection),
                    at,
                    kind,
                    normalised,
                    encoded,
                )
            except sqlite3.IntegrityError:
                self._head = None
                if remembered is None:
                    raise
                # Another connection appended since our last entry: read the head, once more.
                entry = self._insert_entry(
                    connection, self._read_head(connection), at, kind, normalised, encoded
                )
            self._head = (entry.seq, entry.hash)
            self._head_in_transaction = True
            return entry

    @staticmethod
    def _insert_entry(
        connection: sqlite3.Connection,
        head: tuple[int, bytes],
        at: str,
        kind: str,
        data: dict[str, Any],
        encoded: str,
    ) -> JournalEntry:
        seq, prev = head[0] + 1, head[1]
        entry = JournalEntry(
            seq=seq,
            at=at,
            kind=kind,
            data=data,
            prev_hash=prev,
            hash=journal_entry_hash(seq, at, kind, data, prev),
        )
        connection.execute(
            "INSERT INTO journal (seq, at, kind, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
            (entry.seq, entry.at, entry.kind, encoded, entry.prev_hash, entry.hash),
        )
        return entry

    @staticmethod
    def _read_head(connection: sqlite3.Connection) -> tuple[int, bytes]:
        rows = connection.execute(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchall()
        return (rows[0][0], rows[0][1]) if rows else (0, ZERO_HASH)

    def journal_head(self) -> bytes:
        if self._head is not None and self._head_in_transaction:
            return self._head[1]  # appended in this very transaction: nobody else wrote since
        with _translated("read the journal head"):
            return self._read_head(self._live())[1]

    def _journal_pages(self) -> Iterator[sqlite3.Row]:
        after = 0
        while True:
            rows = self._read(
                "read the journal",
                "SELECT seq, at, kind, data, prev_hash, hash FROM journal "
                "WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, _PAGE),
            )
            for row in rows:
                after = row[0]
                yield row
            if len(rows) < _PAGE:
                return

    def iter_journal(self) -> Iterator[JournalEntry]:
        for row in self._journal_pages():
            yield _journal_from(row)

    def verify_journal(self) -> str | None:
        checker = JournalChecker()
        for row in self._journal_pages():
            try:
                entry = _journal_from(row)
            except StoreError as exc:
                return f"journal seq {row[0]}: unreadable row ({exc})"
            problem = checker.check(entry)
            if problem is not None:
                return problem
        return None
