"""The SQL behind the published key files (schema step ``KEY_FILES``).

A mixin of :class:`~hotline.store.SQLiteStore`; its queries are written once
for both dialects (:class:`~hotline.store._queries.DialectQueries`). A
publication deletes every row and inserts the new set, all of one generation,
in one transaction (or savepoint).
"""

# ruff: noqa: S608
# The interpolated names are this module's own column lists; every value is bound.

from __future__ import annotations

from collections.abc import Mapping

from hotline.errors import StoreError
from hotline.store._queries import DialectQueries
from hotline.store._sqlite_core import SQLiteCore
from hotline.store.interfaces._key_files import KeyFiles, KeyFileStore
from hotline.store.records import check_utc

__all__ = ["KeyFileQueries", "SQLiteKeyFileStore", "check_key_file_path"]

_COLUMNS = "path, content, generation, published_at"
_ROOTS = ("keys", "tls")


def check_key_file_path(path: str) -> str:
    """``path`` if it names a file under ``keys/`` or ``tls/`` safely; StoreError otherwise."""
    parts = path.split("/") if isinstance(path, str) else []
    if (
        len(parts) < 2
        or parts[0] not in _ROOTS
        or any(part in ("", ".", "..") or "\\" in part or "\x00" in part for part in parts)
    ):
        raise StoreError(f"a key file's path is keys/… or tls/…, relative and plain: {path!r}")
    return path


class KeyFileQueries(DialectQueries, KeyFileStore):
    """:class:`~hotline.store.interfaces.KeyFileStore` in either dialect (``_P``)."""

    def publish_key_files(self, files: Mapping[str, bytes], *, at: str) -> int:
        check_utc("published_at", at)
        if not files:
            raise StoreError("a publication of key files names at least one file")
        for path, content in files.items():
            check_key_file_path(path)
            if not isinstance(content, bytes):
                raise StoreError(f"the key file {path} must be bytes")
        with self._writing("publish the key files") as connection:
            generation = self.key_files_generation() + 1
            connection.execute(self._sql("DELETE FROM key_files"))
            for path in sorted(files):
                connection.execute(
                    self._sql(f"INSERT INTO key_files ({_COLUMNS}) VALUES (?, ?, ?, ?)"),
                    (path, files[path], generation, at),
                )
            return generation

    def key_files(self) -> KeyFiles | None:
        rows = self._rows("read the key files", f"SELECT {_COLUMNS} FROM key_files ORDER BY path")
        if not rows:
            return None
        return KeyFiles(
            generation=int(rows[0][2]),
            published_at=str(rows[0][3]),
            files={str(path): bytes(content) for path, content, _, _ in rows},
        )

    def key_files_generation(self) -> int:
        rows = self._rows("read the key files' generation", "SELECT max(generation) FROM key_files")
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0


class SQLiteKeyFileStore(SQLiteCore, KeyFileQueries):
    """:class:`~hotline.store.interfaces.KeyFileStore` on SQLite (written by no terminal:
    a SQLite terminal has no standby; docs/ha.md)."""
