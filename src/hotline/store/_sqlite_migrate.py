"""The SQLite runner of :mod:`hotline.store.schema`'s migration steps.

The schema version lives in ``PRAGMA user_version`` (0 for a file that holds no
schema yet). All pending steps run in one ``BEGIN IMMEDIATE`` transaction
together with the ``user_version`` update, so a crash leaves the database at
the old version or the new one, never between. The statements are run one at a
time with ``execute``: ``executescript`` would commit the transaction behind
our back.
"""

from __future__ import annotations

import sqlite3

from hotline.store import schema

__all__ = ["DIALECT", "ensure_schema", "read_version"]

DIALECT = "sqlite"


def read_version(connection: sqlite3.Connection) -> int:
    """The database's schema version (``PRAGMA user_version``)."""
    row = connection.execute("PRAGMA user_version").fetchone()
    version: int = row[0]
    return version


def ensure_schema(connection: sqlite3.Connection, *, create: bool) -> int:
    """Bring the database up to ``SCHEMA_VERSION``; return the version found on disk.

    ``connection`` must be in autocommit mode (``isolation_level=None``) and not
    in a transaction. With ``create=False`` an empty database (version 0) is
    NotInitialised instead of being given a schema; a newer one is SchemaTooNew
    and left untouched. sqlite3 errors propagate for the caller to translate.
    """
    # SCHEMA_VERSION and the steps are read from the schema module at each call,
    # so a test can add a step. The common case, a current database, takes no write lock, so a reader in
    # another process opens fine while the daemon holds a transaction.
    found = read_version(connection)
    if found == schema.SCHEMA_VERSION:
        return found
    schema.pending_migrations(found, dialect=DIALECT, create=create)
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated meanwhile.
        steps = schema.pending_migrations(read_version(connection), dialect=DIALECT, create=create)
        for step in steps:
            for statement in step.statements(DIALECT):
                connection.execute(statement)
        # user_version is part of the database header, so it commits with the rest.
        connection.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION:d}")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return found
