"""The PostgreSQL statements behind releases (the schema step ``RELEASES``, table ``releases``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_releases`` (its checks are shared). The table is append-only by
trigger (UPDATE, DELETE and TRUNCATE are refused) and references ``messages``
twice: the released message and the release message must both be stored. Both
ids and the public text are UTF-8 ``BYTEA``, as a message's id and text are:
they come from the peer and may hold U+0000.
"""

# ruff: noqa: S608
# The interpolated names are this module's own column list; every value is bound.

from __future__ import annotations

from collections.abc import Sequence

from hotline.errors import StoreError
from hotline.store._pg_core import PostgreSQLCore
from hotline.store._pg_messages import decode_text
from hotline.store._sqlite_releases import _check
from hotline.store.interfaces._releases import ReleaseRecord, ReleaseStore

__all__ = ["PostgreSQLReleaseStore"]

_COLUMNS = "message_id, released_by, released_at, public_text, release_id"
_INSERT = f"INSERT INTO releases ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s)"


def _release(row: tuple[object, ...]) -> ReleaseRecord:
    message_id, released_by, released_at, public_text, release_id = row
    return ReleaseRecord(
        message_id=decode_text("id", message_id),
        released_by=str(released_by),
        released_at=str(released_at),
        public_text=None if public_text is None else decode_text("text", public_text),
        release_id=decode_text("id", release_id),
    )


class PostgreSQLReleaseStore(PostgreSQLCore, ReleaseStore):
    """:class:`~hotline.store.interfaces.ReleaseStore` on ``releases``."""

    def add_release(self, release: ReleaseRecord) -> None:
        message_id, released_by, released_at, public_text, release_id = _check(release)
        row = (
            message_id.encode("utf-8"),
            released_by,
            released_at,
            None if public_text is None else public_text.encode("utf-8"),
            release_id.encode("utf-8"),
        )
        with self._writing("store a release") as connection:
            for what, text, encoded in (
                ("released", message_id, row[0]),
                ("release", release_id, row[4]),
            ):
                if not self._read(
                    "find a message", "SELECT 1 FROM messages WHERE id = %s", (encoded,)
                ):
                    raise StoreError(f"the {what} message {text} is not stored")
            if self._read(
                "find a release", "SELECT 1 FROM releases WHERE message_id = %s", (row[0],)
            ):
                raise StoreError(f"message {message_id} is already released")
            if self._read(
                "find a release", "SELECT 1 FROM releases WHERE release_id = %s", (row[4],)
            ):
                raise StoreError(f"message {release_id} already releases another message")
            connection.execute(_INSERT, row)

    def release_of(self, message_id: str) -> ReleaseRecord | None:
        rows = self._read(
            "read a release",
            f"SELECT {_COLUMNS} FROM releases WHERE message_id = %s",
            (message_id.encode("utf-8"),),
        )
        return _release(rows[0]) if rows else None

    def releases(self, message_ids: Sequence[str]) -> dict[str, ReleaseRecord]:
        # One array parameter, where SQLite pages its placeholders.
        ids = [message_id.encode("utf-8") for message_id in dict.fromkeys(message_ids)]
        if not ids:
            return {}
        rows = self._read(
            "read releases",
            f"SELECT {_COLUMNS} FROM releases WHERE message_id = ANY(%s::bytea[])",
            (ids,),
        )
        return {release.message_id: release for release in map(_release, rows)}
