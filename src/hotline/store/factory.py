"""Choosing and opening a backend: the one place that knows which Store class to build.

Today every store is a SQLite file, named :data:`DATABASE_FILENAME` inside a
terminal's directory. A PostgreSQL backend (for a terminal run as a
high-availability pair) will be chosen here too, from a ``postgresql://`` URL,
so callers keep asking for "the store" and never name a backend.
"""

from __future__ import annotations

from pathlib import Path

from hotline.store.base import Store
from hotline.store.sqlite import SQLiteStore

__all__ = ["DATABASE_FILENAME", "open_store"]

DATABASE_FILENAME = "hotline.db"
"""The database's file name inside a terminal's directory."""


def open_store(path: Path, *, create: bool = True) -> Store:
    """Open the store at ``path``: a database file, or a directory holding DATABASE_FILENAME.

    With ``create`` (the default) a missing database is created with the current
    schema; without it, a missing or empty one is
    :class:`~hotline.errors.NotInitialised` (what read-only commands such as
    ``hotline verify`` want, so a typo in a path does not leave an empty
    database behind).
    """
    path = Path(path)
    if path.is_dir():
        path = path / DATABASE_FILENAME
    if create:
        return SQLiteStore.open(path)
    return SQLiteStore.open_existing(path)
