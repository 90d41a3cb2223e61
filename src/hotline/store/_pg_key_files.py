"""The PostgreSQL statements behind the published key files (``KEY_FILES``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_key_files`` (its queries are shared, with ``%s``).
"""

from __future__ import annotations

from typing import ClassVar

from hotline.store._pg_core import PostgreSQLCore
from hotline.store._sqlite_key_files import KeyFileQueries

__all__ = ["PostgreSQLKeyFileStore"]


class PostgreSQLKeyFileStore(PostgreSQLCore, KeyFileQueries):
    """:class:`~hotline.store.interfaces.KeyFileStore` on PostgreSQL."""

    _P: ClassVar[str] = "%s"
