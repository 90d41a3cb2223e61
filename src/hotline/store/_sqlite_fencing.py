"""SQLite's part of :class:`~hotline.store.interfaces.FencingStore`: the epoch, which stays 0."""

from __future__ import annotations

from hotline.store._sqlite_core import SQLiteCore, translated
from hotline.store.interfaces import FencingStore

__all__ = ["SQLiteFencingStore"]


class SQLiteFencingStore(SQLiteCore, FencingStore):
    """The fencing table, kept for schema parity with PostgreSQL (one writer: no leaders)."""

    def fencing_epoch(self) -> int:
        with translated("read the fencing epoch"):
            row = self._live().execute("SELECT epoch FROM fencing").fetchone()
        return 0 if row is None else int(row[0])
