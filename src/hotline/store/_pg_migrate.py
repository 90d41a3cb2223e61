"""The PostgreSQL runner of :mod:`hotline.store.schema`'s migration steps.

The schema version lives in a one-row table, ``hotline_schema`` (missing, or
version 0, for a database that holds no schema yet), in the first schema of
the connection's ``search_path``. All pending steps run in one transaction
together with the version update: PostgreSQL's DDL is transactional, so a
crash or a failing statement leaves the database at the old version,
untouched. The transaction first takes the store's advisory lock
(:data:`~hotline.store._pg_core.WRITER_LOCK`, the one every write transaction
takes), so two processes never migrate at once, and no write runs while the
schema changes; the version is read again under the lock.
"""

from __future__ import annotations

from hotline.store import schema
from hotline.store._pg_core import WRITER_LOCK, Connection

__all__ = ["DIALECT", "VERSION_TABLE", "ensure_schema", "read_version"]

DIALECT = "postgresql"
VERSION_TABLE = "hotline_schema"

_CREATE_VERSION_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} ("
    "singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton), "
    "version INTEGER NOT NULL CHECK (version >= 0))"
)


def read_version(connection: Connection) -> int:
    """The database's schema version (0 if it holds none)."""
    row = connection.execute(f"SELECT to_regclass('{VERSION_TABLE}') IS NOT NULL").fetchone()
    if row is None or not row[0]:
        return 0
    found = connection.execute(f"SELECT version FROM {VERSION_TABLE}").fetchone()  # noqa: S608
    return 0 if found is None else int(found[0])


def ensure_schema(connection: Connection, *, create: bool) -> int:
    """Bring the database up to ``SCHEMA_VERSION``; return the version found.

    ``connection`` must be in autocommit mode and not in a transaction. With
    ``create=False`` an empty database is NotInitialised; a newer one is
    SchemaTooNew and left untouched. psycopg errors propagate for the caller
    to translate.
    """
    # The common case, a current database, takes no lock: `hotline verify`
    # opens at once while the daemon holds a transaction.
    found = read_version(connection)
    if found == schema.SCHEMA_VERSION:
        return found
    schema.pending_migrations(found, dialect=DIALECT, create=create)
    connection.execute(b"BEGIN")
    try:
        connection.execute(f"SELECT pg_advisory_xact_lock({WRITER_LOCK:d})".encode())
        # Read again under the lock: another process may have migrated meanwhile.
        steps = schema.pending_migrations(read_version(connection), dialect=DIALECT, create=create)
        if steps:
            for step in steps:
                for statement in step.statements(DIALECT):
                    connection.execute(statement.encode())
            connection.execute(_CREATE_VERSION_TABLE.encode())
            connection.execute(
                f"INSERT INTO {VERSION_TABLE} (singleton, version) VALUES (true, %s) "  # noqa: S608
                "ON CONFLICT (singleton) DO UPDATE SET version = EXCLUDED.version",
                (schema.SCHEMA_VERSION,),
            )
        connection.execute(b"COMMIT")
    except BaseException:
        if not connection.closed:
            connection.execute(b"ROLLBACK")
        raise
    return found
