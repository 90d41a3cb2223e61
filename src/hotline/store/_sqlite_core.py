"""The SQLite store's connection, transactions and error translation, which every part builds on.

Theory of operation: ``_depth`` counts open :meth:`SQLiteCore.transaction`
blocks. At depth 0 a mutating method opens its own ``BEGIN IMMEDIATE``, writes
and commits, so it is durable when it returns. At depth 1 and deeper it runs in
a ``SAVEPOINT`` inside the outer transaction: a failure undoes just that call
and the commit (one fsync for the whole burst) waits for the outermost block.
A mutating method of a part opens its write with :meth:`SQLiteCore._writing`
(own commit, or a savepoint) or, when it writes with a single statement,
:meth:`SQLiteCore._statement` (no savepoint: SQLite undoes a failed statement
by itself). The part mixins (``_sqlite_peers``, ``_sqlite_messages``, …)
inherit this class; :class:`~hotline.store.SQLiteStore` composes them, so a
call goes straight to the part's method with no layer between.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hotline.errors import StoreError
from hotline.store._damage import lenient_text, safe_error
from hotline.store.interfaces import StoreStatistics, TransactionalStore

__all__ = ["PAGE", "SQLiteCore", "check_limit", "translated"]

PAGE = 256
"""Rows per page for the iterators (each part that pages keeps its own ``_PAGE`` copy)."""


@contextlib.contextmanager
def translated(action: str) -> Iterator[None]:
    """Turn any sqlite3 error into a StoreError that says what we were doing."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StoreError(f"could not {action}: {safe_error(exc)}") from exc


def _in_transaction(connection: sqlite3.Connection) -> bool:
    # False, not an error, for a connection closed under an open block.
    try:
        return connection.in_transaction
    except sqlite3.ProgrammingError:
        return False


def check_limit(limit: int | None) -> int:
    """The SQL LIMIT for ``limit`` (-1 is SQLite's "no limit")."""
    if limit is None:
        return -1
    if type(limit) is not int or limit < 0:
        raise StoreError(f"limit must be None or an int >= 0, not {limit!r}")
    return limit


class SQLiteCore(TransactionalStore):
    """One connection, its transactions and counters; the base of every SQLite part."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        """Wrap a connection prepared by ``SQLiteStore.open``; not for direct use."""
        self._connection: sqlite3.Connection | None = connection
        self._path = path
        self._depth = 0
        self._commits = 0
        self._rollbacks = 0
        #: (seq, hash) of the journal entry this connection appended last, or None
        #: when unknown. Appends trust it (the journal_append_at_head trigger
        #: refuses a stale one, and the append then re-reads); journal_head()
        #: trusts it only inside the transaction that appended. Kept here because
        #: the transaction code forgets it on a rollback.
        self._head: tuple[int, bytes] | None = None
        self._head_in_transaction = False

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    def _live(self) -> sqlite3.Connection:
        if self._connection is None:
            raise StoreError("the store is closed")
        return self._connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # Closing discards a transaction still open; the block that opened
            # it then fails on exit, saying nothing was saved.
            with translated("close the database"):
                connection.close()

    def statistics(self) -> StoreStatistics:
        return StoreStatistics(commits=self._commits, rollbacks=self._rollbacks)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        connection = self._live()
        if self._depth == 0:
            with translated("begin a transaction"):
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
        with translated("open a savepoint"):
            connection.execute(f"SAVEPOINT {savepoint}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            self._head = None
            if _in_transaction(connection):
                with translated("roll back a savepoint"):
                    connection.execute(f"ROLLBACK TO {savepoint}")
                    connection.execute(f"RELEASE {savepoint}")
            raise
        self._depth -= 1
        with translated("release a savepoint"):
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
        with self.transaction(), translated(action):
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
        with translated(action):
            yield connection

    def _open_transaction(self) -> sqlite3.Connection | None:
        """The connection when a transaction is open (a write needs no savepoint); else None.

        The hot-path writes use this instead of :meth:`_statement`: a generator
        context manager costs more than the check it wraps, several times per message.
        """
        if self._depth == 0:
            return None
        connection = self._live()
        if not _in_transaction(connection):
            raise StoreError("the enclosing transaction was already rolled back")
        return connection

    def _write_one(self, action: str, sql: str, parameters: tuple[Any, ...]) -> int:
        """One mutating statement, as :meth:`_statement` runs it; the rows it changed."""
        connection = self._open_transaction()
        if connection is None:
            with self._writing(action) as connection:
                return connection.execute(sql, parameters).rowcount
        try:
            return connection.execute(sql, parameters).rowcount
        except sqlite3.Error as exc:
            raise StoreError(f"could not {action}: {exc}") from exc

    def _read(self, action: str, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        # try/except, not translated(): a read runs several times per message.
        try:
            return self._live().execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"could not {action}: {safe_error(exc)}") from exc

    def _read_lenient(self, action: str, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        """:meth:`_read`, with undecodable text as lone surrogates (:mod:`hotline.store._damage`).

        Only after a strict read failed to decode: the factory is the
        connection's, so it is set for this one statement and put back.
        """
        connection = self._live()
        connection.text_factory = lenient_text
        try:
            return connection.execute(sql, parameters).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"could not {action}: {safe_error(exc)}") from exc
        finally:
            connection.text_factory = str
