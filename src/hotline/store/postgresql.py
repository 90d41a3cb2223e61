"""The PostgreSQL backend: one database (or schema), written by one connection.

:class:`PostgreSQLStore` implements every part of :class:`~hotline.store.Store`
with SQLite's contracts, as one mixin per part over a shared core, mirroring
:mod:`hotline.store.sqlite`:

* ``_pg_core``: the connection, transactions (savepoints, group commit, the
  writers' advisory lock) and error translation;
* ``_pg_peers``, ``_pg_messages`` (and acknowledgements), ``_pg_journal``,
  ``_pg_alarms``, ``_pg_accounts`` (and shift notes), ``_pg_calls`` (presence
  requests, meetings), ``_pg_record``, ``_pg_chains``, ``_pg_groups``,
  ``_pg_channels``, ``_pg_conferences``, ``_pg_releases``;
* ``_pg_migrate``: the schema runner; ``_schema_postgresql``: the statements.

It needs the ``postgresql`` extra (psycopg 3): ``pip install 'hotline[postgresql]'``.
Durability: every commit waits for the server's WAL flush (``synchronous_commit``
is raised to ``on`` if the server has it ``off``; a stronger setting such as
``remote_apply`` is kept). The store is opened from a libpq URL,
``postgresql://user@host:port/dbname?…``; the database must exist (the store
creates its tables, not databases).
"""

from __future__ import annotations

import psycopg
from psycopg import conninfo

from hotline.errors import NotInitialised, StoreError
from hotline.store._pg_accounts import PostgreSQLAccountStore, PostgreSQLShiftNoteStore
from hotline.store._pg_adoptions import PostgreSQLChainAdoptionStore
from hotline.store._pg_alarms import PostgreSQLAlarmStore
from hotline.store._pg_calls import PostgreSQLCallStore, PostgreSQLMeetingStore
from hotline.store._pg_chains import PostgreSQLChainStore
from hotline.store._pg_channels import PostgreSQLChannelStore
from hotline.store._pg_conferences import PostgreSQLConferenceStore
from hotline.store._pg_core import Connection, translated
from hotline.store._pg_fencing import (
    STANDBY_EPOCH,
    LeaderLock,
    PostgreSQLFencingStore,
    leader_key,
)
from hotline.store._pg_groups import PostgreSQLGroupStore
from hotline.store._pg_journal import PostgreSQLJournalStore
from hotline.store._pg_key_files import PostgreSQLKeyFileStore
from hotline.store._pg_messages import PostgreSQLAcknowledgementStore, PostgreSQLMessageStore
from hotline.store._pg_migrate import ensure_schema
from hotline.store._pg_peer_confirmations import PostgreSQLPeerConfirmationStore
from hotline.store._pg_peer_encryption import PostgreSQLPeerEncryptionKeyStore
from hotline.store._pg_peer_key_revocations import PostgreSQLPeerKeyRevocationStore
from hotline.store._pg_peer_keys import PostgreSQLPeerKeyStore
from hotline.store._pg_peer_masters import PostgreSQLPeerMasterStore
from hotline.store._pg_peers import PostgreSQLPeerStore
from hotline.store._pg_record import PostgreSQLRecordStore
from hotline.store._pg_releases import PostgreSQLReleaseStore
from hotline.store._pg_statements import PostgreSQLStatementStore
from hotline.store.base import Store

__all__ = [
    "LeaderLock",
    "PostgreSQLStore",
    "STANDBY_EPOCH",
    "URL_SCHEMES",
    "describe_url",
    "is_postgresql_url",
    "leader_key",
    "open_connection",
]

URL_SCHEMES = ("postgresql://", "postgres://")
"""What a store URL for this backend starts with (libpq accepts both)."""

_LOCK_TIMEOUT = "5s"  # as SQLite's busy timeout: a second writer waits this long, then fails


def is_postgresql_url(text: object) -> bool:
    """Whether ``text`` names a PostgreSQL store rather than a file."""
    return isinstance(text, str) and text.startswith(URL_SCHEMES)


def describe_url(url: str) -> str:
    """``url`` for messages and logs: host, port and database, never the password."""
    try:
        parts = conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "postgresql://(unreadable URL)"
    host = parts.get("host") or "localhost"
    port = parts.get("port") or "5432"
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"postgresql://{user}{host}:{port}/{parts.get('dbname') or ''}"


def open_connection(url: str) -> Connection:
    """A connection as the store uses it: autocommit, the lock timeout, durable commits."""
    connection: Connection = psycopg.connect(url, autocommit=True)
    try:
        connection.execute(f"SET lock_timeout = '{_LOCK_TIMEOUT}'".encode())
        row = connection.execute(b"SHOW synchronous_commit").fetchone()
        if row is not None and row[0] == "off":
            # "Durable on return": a commit must wait for its WAL flush.
            connection.execute(b"SET synchronous_commit = on")
    except BaseException:
        connection.close()
        raise
    return connection


class PostgreSQLStore(
    PostgreSQLPeerStore,
    PostgreSQLMessageStore,
    PostgreSQLAcknowledgementStore,
    PostgreSQLJournalStore,
    PostgreSQLAlarmStore,
    PostgreSQLAccountStore,
    PostgreSQLShiftNoteStore,
    PostgreSQLMeetingStore,
    PostgreSQLCallStore,
    PostgreSQLRecordStore,
    PostgreSQLChainStore,
    PostgreSQLGroupStore,
    PostgreSQLChannelStore,
    PostgreSQLConferenceStore,
    PostgreSQLReleaseStore,
    PostgreSQLStatementStore,
    PostgreSQLFencingStore,
    PostgreSQLPeerConfirmationStore,
    PostgreSQLChainAdoptionStore,
    PostgreSQLPeerKeyStore,
    PostgreSQLPeerMasterStore,
    PostgreSQLPeerKeyRevocationStore,
    PostgreSQLPeerEncryptionKeyStore,
    PostgreSQLKeyFileStore,
    Store,
):
    """A :class:`~hotline.store.Store` in one PostgreSQL database. Build it with :meth:`open`."""

    @classmethod
    def open(cls, url: str) -> PostgreSQLStore:
        """Connect to ``url`` and create the schema if the database holds none."""
        return cls._opened(url, create=True)

    @classmethod
    def open_existing(cls, url: str) -> PostgreSQLStore:
        """Connect to an initialised database; NotInitialised if it holds no hotline schema."""
        return cls._opened(url, create=False)

    @classmethod
    def _opened(cls, url: str, *, create: bool) -> PostgreSQLStore:
        if not is_postgresql_url(url):
            raise StoreError(f"not a PostgreSQL URL (postgresql://…): {describe_url(str(url))}")
        where = describe_url(url)
        with translated(f"open {where}"):
            connection = open_connection(url)
            try:
                ensure_schema(connection, create=create)
            except NotInitialised:
                connection.close()
                raise NotInitialised(f"{where} holds no hotline schema") from None
            except BaseException:
                connection.close()
                raise
        return cls(connection, where)

    def __repr__(self) -> str:
        return f"PostgreSQLStore({self.where!r})"
