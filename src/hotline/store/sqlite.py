"""The SQLite backend: one database file in WAL mode, written by one connection.

Durability rests on four settings, made on every connection: ``journal_mode=WAL``
(readers in other processes never block the writer, nor it them),
``synchronous=FULL`` (every commit is fsynced before COMMIT returns),
``foreign_keys=ON`` and ``busy_timeout=5000``. The connection runs in autocommit
mode (``isolation_level=None``) and the store issues every ``BEGIN IMMEDIATE``,
``COMMIT``, ``SAVEPOINT`` and ``ROLLBACK`` itself, so no write is ever left in a
transaction that Python's sqlite3 opened implicitly.

:class:`SQLiteStore` is one mixin per part of the interface, each in its own
module, over a shared core:

* ``_sqlite_core``: the connection, transactions (savepoints, group commit) and
  error translation;
* ``_sqlite_peers``: party and peers; ``_sqlite_messages``: messages and
  acknowledgements; ``_sqlite_journal``: the journal;
* ``_sqlite_alarms``; ``_sqlite_accounts``: users and shift notes;
  ``_sqlite_calls``: calls, presence requests and meetings;
* ``_sqlite_record``: the record (tree nodes over the journal, checkpoints,
  cosignatures, witnessed checkpoints, conflicts); ``_sqlite_chains``: protocol
  v2's message-key chains, peer protocol versions and range delivery;
  ``_sqlite_groups``: group messages' links; ``_sqlite_conferences``: conferences.
  ``_sqlite_releases``: releases of marked messages.
  ``_sqlite_statements``: joint statements (drafts, signatures, outcomes).

The mixins are flattened into one class, so a call costs what it did when they
were one: no delegation, no extra statement. Reads outside a transaction are
single statements, each with its own snapshot.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from hotline.errors import NotInitialised, StoreError
from hotline.store._sqlite_accounts import SQLiteAccountStore, SQLiteShiftNoteStore
from hotline.store._sqlite_adoptions import SQLiteChainAdoptionStore
from hotline.store._sqlite_alarms import SQLiteAlarmStore
from hotline.store._sqlite_calls import SQLiteCallStore, SQLiteMeetingStore
from hotline.store._sqlite_chains import SQLiteChainStore
from hotline.store._sqlite_channels import SQLiteChannelStore
from hotline.store._sqlite_conferences import SQLiteConferenceStore
from hotline.store._sqlite_core import translated
from hotline.store._sqlite_fencing import SQLiteFencingStore
from hotline.store._sqlite_groups import SQLiteGroupStore
from hotline.store._sqlite_journal import SQLiteJournalStore
from hotline.store._sqlite_key_files import SQLiteKeyFileStore
from hotline.store._sqlite_messages import SQLiteAcknowledgementStore, SQLiteMessageStore
from hotline.store._sqlite_migrate import ensure_schema
from hotline.store._sqlite_peer_confirmations import SQLitePeerConfirmationStore
from hotline.store._sqlite_peer_encryption import SQLitePeerEncryptionKeyStore
from hotline.store._sqlite_peer_key_revocations import SQLitePeerKeyRevocationStore
from hotline.store._sqlite_peer_keys import SQLitePeerKeyStore
from hotline.store._sqlite_peer_masters import SQLitePeerMasterStore
from hotline.store._sqlite_peers import SQLitePeerStore
from hotline.store._sqlite_record import SQLiteRecordStore
from hotline.store._sqlite_releases import SQLiteReleaseStore
from hotline.store._sqlite_statements import SQLiteStatementStore
from hotline.store.base import Store

__all__ = ["SQLiteStore"]

_BUSY_TIMEOUT_MS = 5000


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


class SQLiteStore(
    SQLitePeerStore,
    SQLiteMessageStore,
    SQLiteAcknowledgementStore,
    SQLiteJournalStore,
    SQLiteAlarmStore,
    SQLiteAccountStore,
    SQLiteShiftNoteStore,
    SQLiteMeetingStore,
    SQLiteCallStore,
    SQLiteRecordStore,
    SQLiteChainStore,
    SQLiteGroupStore,
    SQLiteChannelStore,
    SQLiteConferenceStore,
    SQLiteReleaseStore,
    SQLiteStatementStore,
    SQLiteFencingStore,
    SQLitePeerConfirmationStore,
    SQLiteChainAdoptionStore,
    SQLitePeerKeyStore,
    SQLitePeerMasterStore,
    SQLitePeerKeyRevocationStore,
    SQLitePeerEncryptionKeyStore,
    SQLiteKeyFileStore,
    Store,
):
    """A :class:`~hotline.store.Store` in one SQLite file. Build it with :meth:`open`."""

    @classmethod
    def open(cls, path: Path) -> SQLiteStore:
        """Open the database at ``path``, creating the file and schema if missing."""
        path = Path(path)
        existed = path.exists()
        with translated(f"open {path}"):
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
        with translated(f"open {path}"):
            connection = _connect(path, create=False)
            try:
                ensure_schema(connection, create=False)
            except BaseException:
                connection.close()
                raise
        return cls(connection, path)
