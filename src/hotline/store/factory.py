"""Choosing and opening a backend: the one place that knows which Store class to build.

A store is a SQLite file, named :data:`DATABASE_FILENAME` inside a terminal's
directory, or a PostgreSQL database named by a ``postgresql://`` URL (for a
terminal whose database the operations staff run and replicate). Callers ask
for "the store" and never name a backend. The PostgreSQL backend is imported
only when a URL asks for it, so psycopg (the ``postgresql`` extra) is needed
only by the terminals that use it.
"""

from __future__ import annotations

from pathlib import Path

from hotline.errors import StoreError
from hotline.store.base import Store
from hotline.store.sqlite import SQLiteStore

__all__ = ["DATABASE_FILENAME", "open_store"]

DATABASE_FILENAME = "hotline.db"
"""The database's file name inside a terminal's directory."""

_URL_SCHEMES = ("postgresql://", "postgres://")


def open_store(path: Path | str, *, create: bool = True) -> Store:
    """Open the store at ``path``: a ``postgresql://`` URL, a database file, or a directory holding DATABASE_FILENAME.

    With ``create`` (the default) a missing schema is created (and, for SQLite,
    a missing file); without it, a missing or empty database is
    :class:`~hotline.errors.NotInitialised` (what read-only commands such as
    ``hotline verify`` want, so a typo in a path does not leave an empty
    database behind).
    """
    if isinstance(path, str) and path.startswith(_URL_SCHEMES):
        try:
            from hotline.store.postgresql import PostgreSQLStore
        except ImportError as exc:
            raise StoreError(
                f"a PostgreSQL store needs psycopg: pip install 'hotline[postgresql]' ({exc})"
            ) from None
        return PostgreSQLStore.open(path) if create else PostgreSQLStore.open_existing(path)
    path = Path(path)
    if path.is_dir():
        path = path / DATABASE_FILENAME
    if create:
        return SQLiteStore.open(path)
    return SQLiteStore.open_existing(path)
