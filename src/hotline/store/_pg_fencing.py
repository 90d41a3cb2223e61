"""PostgreSQL's fencing: the epoch, the leader lock, and the check every fenced write runs.

Theory of operation (docs/ha.md says what it does and does not protect):

* :class:`LeaderLock` is the lead of an active/standby pair: a **session-level**
  advisory lock (``pg_try_advisory_lock``) on a connection of its own, never
  pooled and never used for anything else, so the lock lives exactly as long
  as that connection. The process that takes it raises the fencing epoch by
  one (under the writers' lock, so every write transaction that began before
  has committed) and is the active one; when its connection goes (the process
  died, its machine or its network did), the server releases the lock and the
  standby takes it.
* A store told its epoch (:meth:`PostgreSQLFencingStore.fence`) runs
  ``hotline_fenced(epoch)`` in every write transaction's first round trip,
  after the writers' lock: once another process raised the epoch, this one's
  transactions fail with :class:`~hotline.errors.FencedOut` before they write
  anything. A paused former leader, woken after the takeover, can thus never
  write, whatever it believes.
"""

from __future__ import annotations

import contextlib
import hashlib

import psycopg

from hotline.errors import StoreError
from hotline.store._pg_core import WRITER_LOCK, Connection, PostgreSQLCore, translated
from hotline.store.interfaces import FencingStore

__all__ = ["STANDBY_EPOCH", "LeaderLock", "PostgreSQLFencingStore", "leader_key"]

STANDBY_EPOCH = -1
"""The epoch a standby's store is fenced with: no epoch is negative, so it can never write."""


def leader_key(signing_key: bytes) -> int:
    """The advisory lock key of one terminal's lead: a signed 64-bit hash of its identity key."""
    digest = hashlib.sha256(b"hotline leader\0" + signing_key).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgreSQLFencingStore(PostgreSQLCore, FencingStore):
    """The fencing epoch, and the fence this store's writes are checked against."""

    def fencing_epoch(self) -> int:
        rows = self._read("read the fencing epoch", "SELECT epoch FROM fencing")
        return int(rows[0][0]) if rows else 0

    def fence(self, epoch: int | None) -> None:
        """Check ``epoch`` in every write transaction from now on (None: no check, the default)."""
        self._fence = epoch


class LeaderLock:
    """The leader lock of one terminal, on a dedicated connection (see the module's docstring)."""

    def __init__(self, url: str, key: int) -> None:
        from hotline.store.postgresql import describe_url, open_connection

        self._where = describe_url(url)
        self._key = key
        with translated(f"connect to {self._where} for the leader lock"):
            self._connection: Connection | None = open_connection(url)
        self.epoch: int | None = None

    def try_take(self, holder: str, at: str) -> int | None:
        """Take the lead if it is free: the new epoch, or None if another process holds it."""
        connection = self._live()
        with translated("take the leader lock"):
            row = connection.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
            if row is None or not row[0]:
                return None
            connection.execute(b"BEGIN")
            try:
                connection.execute(f"SELECT pg_advisory_xact_lock({WRITER_LOCK:d})".encode())
                found = connection.execute(
                    "UPDATE fencing SET epoch = epoch + 1, holder = %s, taken_at = %s "
                    "RETURNING epoch",
                    (holder, at),
                ).fetchone()
                connection.execute(b"COMMIT")
            except BaseException:
                with contextlib.suppress(psycopg.Error):
                    connection.execute(b"ROLLBACK")
                raise
        if found is None:
            raise StoreError("the store has no fencing row (schema older than version 12?)")
        self.epoch = int(found[0])
        return self.epoch

    def held(self) -> bool:
        """Whether the lead is still ours: the lock's connection answers (one round trip)."""
        if self._connection is None or self.epoch is None:
            return False
        try:
            self._connection.execute(b"SELECT 1")
        except psycopg.Error:
            return False
        return True

    def close(self) -> None:
        """Give up the lead (closing the connection releases the lock)."""
        connection, self._connection = self._connection, None
        self.epoch = None
        if connection is not None:
            with contextlib.suppress(psycopg.Error):
                connection.close()

    def _live(self) -> Connection:
        if self._connection is None:
            raise StoreError("the leader lock is closed")
        return self._connection
