"""The SQLite statements behind releases (the schema step ``RELEASES``, table ``releases``).

A mixin of :class:`~hotline.store.SQLiteStore`. The table is append-only (its
triggers refuse UPDATE and DELETE) and references ``messages`` twice: the
released message and the release message must both be stored.
"""

# ruff: noqa: S608
# The interpolated names are this module's own column list; every value is bound.

from __future__ import annotations

from collections.abc import Sequence

from hotline.errors import StoreError
from hotline.store._sqlite_core import SQLiteCore
from hotline.store.interfaces._releases import ReleaseRecord, ReleaseStore

__all__ = ["SQLiteReleaseStore"]

_COLUMNS = "message_id, released_by, released_at, public_text, release_id"
_INSERT = f"INSERT INTO releases ({_COLUMNS}) VALUES (?, ?, ?, ?, ?)"
#: SQLite's default limit on bound parameters is 32766; pages stay far below it.
_IDS_PER_QUERY = 500


def _release(row: tuple[object, ...]) -> ReleaseRecord:
    message_id, released_by, released_at, public_text, release_id = row
    return ReleaseRecord(
        message_id=str(message_id),
        released_by=str(released_by),
        released_at=str(released_at),
        public_text=None if public_text is None else str(public_text),
        release_id=str(release_id),
    )


def _check(release: ReleaseRecord) -> tuple[str, str, str, str | None, str]:
    for name in ("message_id", "released_by", "released_at", "release_id"):
        value = getattr(release, name)
        if not isinstance(value, str) or not value:
            raise StoreError(f"a release's {name} must be a non-empty str, not {value!r}")
    if release.public_text is not None and not isinstance(release.public_text, str):
        raise StoreError(f"release of {release.message_id}: public_text must be None or a str")
    if release.release_id == release.message_id:
        raise StoreError(f"message {release.message_id} cannot release itself")
    return (
        release.message_id,
        release.released_by,
        release.released_at,
        release.public_text,
        release.release_id,
    )


class SQLiteReleaseStore(SQLiteCore, ReleaseStore):
    """:class:`~hotline.store.interfaces.ReleaseStore` on ``releases``."""

    def add_release(self, release: ReleaseRecord) -> None:
        row = _check(release)
        with self._writing("store a release") as connection:
            for what, message_id in (("released", row[0]), ("release", row[4])):
                if not self._read(
                    "find a message", "SELECT 1 FROM messages WHERE id = ?", (message_id,)
                ):
                    raise StoreError(f"the {what} message {message_id} is not stored")
            if self._read(
                "find a release", "SELECT 1 FROM releases WHERE message_id = ?", (row[0],)
            ):
                raise StoreError(f"message {row[0]} is already released")
            if self._read(
                "find a release", "SELECT 1 FROM releases WHERE release_id = ?", (row[4],)
            ):
                raise StoreError(f"message {row[4]} already releases another message")
            connection.execute(_INSERT, row)

    def release_of(self, message_id: str) -> ReleaseRecord | None:
        rows = self._read(
            "read a release", f"SELECT {_COLUMNS} FROM releases WHERE message_id = ?", (message_id,)
        )
        return _release(rows[0]) if rows else None

    def releases(self, message_ids: Sequence[str]) -> dict[str, ReleaseRecord]:
        found: dict[str, ReleaseRecord] = {}
        ids = list(dict.fromkeys(message_ids))
        for start in range(0, len(ids), _IDS_PER_QUERY):
            page = ids[start : start + _IDS_PER_QUERY]
            marks = ", ".join("?" * len(page))
            rows = self._read(
                "read releases",
                f"SELECT {_COLUMNS} FROM releases WHERE message_id IN ({marks})",
                tuple(page),
            )
            for row in rows:
                release = _release(row)
                found[release.message_id] = release
        return found
