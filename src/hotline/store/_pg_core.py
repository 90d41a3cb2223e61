"""The PostgreSQL store's connection, transactions and error translation, which every part builds on.

Theory of operation, and where it differs from SQLite's core
(:mod:`hotline.store._sqlite_core`):

* The connection is psycopg 3's **synchronous** one, in autocommit mode: the
  store issues every ``BEGIN``, ``COMMIT``, ``SAVEPOINT`` and ``ROLLBACK``
  itself, as SQLite's does. The terminal calls its store synchronously from its
  event loop (never awaiting inside a transaction), so an async driver would
  buy nothing but an ``await`` at every call site; the cost is that the loop
  waits out each round trip to the server (about 0.1 ms on loopback, and a
  commit's WAL flush).
* ``BEGIN`` takes a transaction-level advisory lock (:data:`WRITER_LOCK`), in
  the same round trip: writers queue at the start of a transaction, as
  SQLite's ``BEGIN IMMEDIATE`` makes them, so the serial and journal-head
  checks never race another process. ``lock_timeout`` bounds the wait, like
  SQLite's busy timeout. Readers take no lock and see the last commit.
* A failed statement aborts the whole PostgreSQL transaction, where SQLite
  undoes just the statement. So every mutating call inside a block runs in a
  savepoint (SQLite's single-statement calls skip it), and a call that fails
  at depth 0 is explained (which messages, which serial) only after its
  transaction was rolled back.
* A transaction found aborted at commit is reported, never committed: PostgreSQL
  would answer that ``COMMIT`` with a silent rollback.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import pq

from hotline.errors import FencedOut, StoreError
from hotline.store._schema_postgresql import FENCE_SQLSTATE
from hotline.store.interfaces import StoreStatistics, TransactionalStore

__all__ = ["PAGE", "WRITER_LOCK", "PostgreSQLCore", "check_limit", "translated"]

PAGE = 256
"""Rows per page for the iterators, as SQLite's."""

WRITER_LOCK = 0x686F746C696E6501
"""The advisory lock key every write transaction (and the schema runner) takes: b"hotline" + 1."""

Connection = psycopg.Connection[tuple[Any, ...]]


@contextlib.contextmanager
def translated(action: str) -> Iterator[None]:
    """Turn any psycopg error into a StoreError that says what we were doing."""
    try:
        yield
    except psycopg.Error as exc:
        if exc.sqlstate == FENCE_SQLSTATE:
            raise FencedOut(f"could not {action}: {_reason(exc)}") from exc
        raise StoreError(f"could not {action}: {_reason(exc)}") from exc


def _reason(exc: psycopg.Error) -> str:
    # psycopg's text carries a trailing newline and, for server errors, the
    # CONTEXT lines of a trigger; the primary message says what was refused.
    diagnostic = getattr(exc, "diag", None)
    primary = None if diagnostic is None else diagnostic.message_primary
    return primary or str(exc).strip() or type(exc).__name__


def _status(connection: Connection) -> pq.TransactionStatus:
    if connection.closed:
        return pq.TransactionStatus.UNKNOWN
    return connection.info.transaction_status


def check_limit(limit: int | None) -> int | None:
    """The SQL LIMIT for ``limit`` (NULL is PostgreSQL's "no limit")."""
    if limit is None:
        return None
    if type(limit) is not int or limit < 0:
        raise StoreError(f"limit must be None or an int >= 0, not {limit!r}")
    return limit


class PostgreSQLCore(TransactionalStore):
    """One connection, its transactions and counters; the base of every PostgreSQL part."""

    def __init__(self, connection: Connection, where: str) -> None:
        """Wrap a connection prepared by ``PostgreSQLStore.open``; not for direct use."""
        self._connection: Connection | None = connection
        self._where = where
        self._depth = 0
        self._commits = 0
        self._rollbacks = 0
        #: (seq, hash) of the journal entry this connection appended last, as in
        #: SQLite's core: appends trust it (the head trigger refuses a stale one,
        #: and the append is then retried after reading the head), journal_head()
        #: trusts it only inside the transaction that appended.
        self._head: tuple[int, bytes] | None = None
        self._head_in_transaction = False
        #: The fencing epoch every write transaction checks (None: none; see _pg_fencing).
        self._fence: int | None = None

    @property
    def where(self) -> str:
        """The server and database, for messages (the URL without its password)."""
        return self._where

    def _live(self) -> Connection:
        if self._connection is None:
            raise StoreError("the store is closed")
        return self._connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # The server rolls back a transaction still open; the block that
            # opened it then fails on exit, saying nothing was saved.
            with translated("close the connection"):
                connection.close()

    def statistics(self) -> StoreStatistics:
        return StoreStatistics(commits=self._commits, rollbacks=self._rollbacks)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        connection = self._live()
        if self._depth == 0:
            begin = f"BEGIN; SELECT pg_advisory_xact_lock({WRITER_LOCK:d})"
            if self._fence is not None:
                # Checked after the lock: a takeover's epoch bump has committed or not begun.
                begin += f"; SELECT hotline_fenced({self._fence:d})"
            try:
                with translated("begin a transaction"):
                    # One round trip: the simple-query protocol runs every statement.
                    connection.execute(begin.encode())
            except StoreError:
                self._rollback(connection)
                raise
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                self._head = None
                self._rollback(connection)
                raise
            finally:
                self._head_in_transaction = False
            self._depth = 0
            try:
                self._commit(connection)
            except BaseException:
                self._head = None
                raise
            return
        if _status(connection) is not pq.TransactionStatus.INTRANS:
            raise StoreError("the enclosing transaction was already rolled back")
        savepoint = f"hotline_{self._depth:d}".encode()
        with translated("open a savepoint"):
            connection.execute(b"SAVEPOINT " + savepoint)
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            self._head = None
            if _status(connection) in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR):
                with translated("roll back a savepoint"):
                    connection.execute(
                        b"ROLLBACK TO SAVEPOINT " + savepoint + b"; RELEASE SAVEPOINT " + savepoint
                    )
            raise
        self._depth -= 1
        with translated("release a savepoint"):
            connection.execute(b"RELEASE SAVEPOINT " + savepoint)

    def _commit(self, connection: Connection) -> None:
        if _status(connection) is not pq.TransactionStatus.INTRANS:
            # Closed, or aborted by a failed statement: PostgreSQL would turn a
            # COMMIT of an aborted transaction into a ROLLBACK without an error.
            self._rollback(connection)
            raise StoreError("the transaction was rolled back or closed early; nothing was saved")
        try:
            connection.execute(b"COMMIT")
        except psycopg.Error as exc:
            self._rollback(connection)
            raise StoreError(f"commit failed; nothing was saved: {_reason(exc)}") from exc
        self._commits += 1

    def _rollback(self, connection: Connection) -> None:
        self._rollbacks += 1
        # Already unwinding an exception: a failed ROLLBACK must not replace it,
        # and the server discards an unfinished transaction when the connection goes.
        with contextlib.suppress(psycopg.Error):
            if _status(connection) in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR):
                connection.execute(b"ROLLBACK")

    @contextlib.contextmanager
    def _writing(self, action: str) -> Iterator[Connection]:
        """One mutating call: its own commit, or a savepoint in the open transaction.

        Every mutating call goes through here, single statements included: in
        PostgreSQL a failed statement would otherwise abort the caller's block.
        """
        with self.transaction(), translated(action):
            yield self._live()

    def _write_one(self, action: str, sql: str, parameters: tuple[Any, ...]) -> int:
        """One mutating statement in :meth:`_writing`; the rows it changed."""
        with self._writing(action) as connection:
            return connection.execute(sql, parameters).rowcount

    def _read(self, action: str, sql: str, parameters: Any = ()) -> list[Any]:
        """Rows of one query; ``parameters`` a tuple (``%s``) or a mapping (``%(name)s``)."""
        try:
            return self._live().execute(sql, parameters).fetchall()
        except psycopg.Error as exc:
            raise StoreError(f"could not {action}: {_reason(exc)}") from exc
