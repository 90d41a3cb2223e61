"""One set of queries for both dialects: the placeholder is the only difference.

A store part whose SQL is the same in SQLite and PostgreSQL but for the
parameter marker (``?`` against ``%s``) writes its queries once, in a class
derived from :class:`DialectQueries`, with ``?`` markers; each backend's mixin
is then that class under its core (``SQLiteCore`` or ``PostgreSQLCore``, which
give ``_read`` and ``_writing``) with its own ``_P``.
"""

from __future__ import annotations

from abc import abstractmethod
from contextlib import AbstractContextManager
from typing import Any, ClassVar

__all__ = ["DialectQueries"]


class DialectQueries:
    """Queries written with ``?``; ``_P`` is the backend's marker."""

    _P: ClassVar[str] = "?"

    @abstractmethod
    def _read(self, action: str, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        """Rows of a query (the backend's core)."""

    @abstractmethod
    def _writing(self, action: str) -> AbstractContextManager[Any]:
        """One mutating call's connection, in its own commit or a savepoint (the core)."""

    def _sql(self, sql: str) -> str:
        return sql if self._P == "?" else sql.replace("?", self._P)

    def _rows(self, action: str, sql: str, parameters: tuple[Any, ...] = ()) -> list[Any]:
        return self._read(action, self._sql(sql), parameters)

    def _peer_exists(self, party: str) -> bool:
        return bool(self._rows("find a peer", "SELECT 1 FROM peers WHERE party = ?", (party,)))
