"""The PostgreSQL statements behind joint statements: ``_sqlite_statements``' queries with ``%s``.

A mixin of :class:`~hotline.store.PostgreSQLStore`. The tables are the
SQLite ones (the ids are hex, the names a party's or person's, the payload and
keys ``BYTEA``), append-only by trigger (UPDATE, DELETE and TRUNCATE refused).
"""

from __future__ import annotations

from typing import ClassVar

from hotline.store._pg_core import PostgreSQLCore
from hotline.store._sqlite_statements import StatementQueries

__all__ = ["PostgreSQLStatementStore"]


class PostgreSQLStatementStore(PostgreSQLCore, StatementQueries):
    """:class:`~hotline.store.interfaces.StatementStore` on PostgreSQL."""

    _P: ClassVar[str] = "%s"
