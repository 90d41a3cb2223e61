"""The SQLite statements behind group messages (schema migration 8, table ``message_groups``).

A mixin of :class:`~hotline.store.SQLiteStore`. The table is append-only (its
triggers refuse UPDATE and DELETE) and references ``messages``, so a link to a
message that is not stored fails as a foreign-key error.
"""

# ruff: noqa: S608  (the interpolated parts are constants and "?" marks, never values)

from __future__ import annotations

from collections.abc import Sequence

from hotline.errors import StoreError
from hotline.store._sqlite_core import SQLiteCore, check_limit
from hotline.store.interfaces._groups import GroupLink, GroupStore

__all__ = ["SQLiteGroupStore"]

_INSERT = (
    "INSERT INTO message_groups (message_id, group_id, payload_hash, conference) "
    "VALUES (?, ?, ?, ?)"
)
_COLUMNS = "message_id, group_id, payload_hash, conference"
#: SQLite's default limit on bound parameters is 32766; pages stay far below it.
_IDS_PER_QUERY = 500


def _link(row: tuple[object, ...]) -> GroupLink:
    message_id, group_id, payload_hash, conference = row
    return GroupLink(
        message_id=str(message_id),
        group_id=str(group_id),
        payload_hash=bytes(payload_hash),  # type: ignore[call-overload]
        conference=None if conference is None else str(conference),
    )


def _check(link: GroupLink) -> tuple[str, str, bytes, str | None]:
    for name in ("message_id", "group_id"):
        value = getattr(link, name)
        if not isinstance(value, str) or not value:
            raise StoreError(f"a group link's {name} must be a non-empty str, not {value!r}")
    if not isinstance(link.payload_hash, bytes) or len(link.payload_hash) != 32:
        raise StoreError(f"message {link.message_id}: the payload hash must be 32 bytes")
    if link.conference is not None and (
        not isinstance(link.conference, str) or not link.conference
    ):
        raise StoreError(f"message {link.message_id}: conference must be None or a non-empty str")
    return link.message_id, link.group_id, link.payload_hash, link.conference


class SQLiteGroupStore(SQLiteCore, GroupStore):
    """:class:`~hotline.store.interfaces.GroupStore` on ``message_groups``."""

    def add_group_links(self, links: Sequence[GroupLink]) -> None:
        rows = [_check(link) for link in links]
        if not rows:
            return
        with self._writing("link a group's messages") as connection:
            for row in rows:
                known = self._read(
                    "find a message", "SELECT 1 FROM messages WHERE id = ?", (row[0],)
                )
                if not known:
                    raise StoreError(f"message {row[0]} is not stored: it cannot join a group")
                linked = self._read(
                    "find a group link",
                    "SELECT group_id FROM message_groups WHERE message_id = ?",
                    (row[0],),
                )
                if linked:
                    raise StoreError(f"message {row[0]} already belongs to group {linked[0][0]}")
            connection.executemany(_INSERT, rows)

    def group_links(self, message_ids: Sequence[str]) -> dict[str, GroupLink]:
        found: dict[str, GroupLink] = {}
        ids = list(dict.fromkeys(message_ids))
        for start in range(0, len(ids), _IDS_PER_QUERY):
            page = ids[start : start + _IDS_PER_QUERY]
            marks = ", ".join("?" * len(page))
            rows = self._read(
                "read group links",
                f"SELECT {_COLUMNS} FROM message_groups WHERE message_id IN ({marks})",
                tuple(page),
            )
            for row in rows:
                link = _link(row)
                found[link.message_id] = link
        return found

    def group_members(self, group_id: str) -> list[GroupLink]:
        rows = self._read(
            "read a group",
            f"SELECT {_COLUMNS} FROM message_groups WHERE group_id = ? ORDER BY rowid",
            (group_id,),
        )
        return [_link(row) for row in rows]

    def conference_groups(self, conference: str, *, limit: int | None = None) -> list[str]:
        rows = self._read(
            "read a conference's messages",
            "SELECT group_id FROM message_groups WHERE conference = ? "
            "GROUP BY group_id ORDER BY max(rowid) DESC LIMIT ?",
            (conference, check_limit(limit)),
        )
        return [str(row[0]) for row in rows]
