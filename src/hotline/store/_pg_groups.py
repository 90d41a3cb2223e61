"""The PostgreSQL statements behind group messages (schema migration 8, table ``message_groups``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_groups`` (its checks are shared). The table is append-only, by
trigger; its identity column ``seq`` keeps the order links were made in, which
SQLite reads from ``rowid``. Message ids are UTF-8 ``BYTEA``, as in ``messages``.
"""

from __future__ import annotations

from collections.abc import Sequence

from hotline.errors import StoreError
from hotline.store._pg_core import PostgreSQLCore, check_limit
from hotline.store._pg_messages import decode_text
from hotline.store._sqlite_groups import _check
from hotline.store.interfaces._groups import GroupLink, GroupStore

__all__ = ["PostgreSQLGroupStore"]

_INSERT = (
    "INSERT INTO message_groups (message_id, group_id, payload_hash, conference) "
    "VALUES (%s, %s, %s, %s)"
)
_COLUMNS = "message_id, group_id, payload_hash, conference"


def _link(row: tuple[object, ...]) -> GroupLink:
    message_id, group_id, payload_hash, conference = row
    return GroupLink(
        message_id=decode_text("id", message_id),
        group_id=str(group_id),
        payload_hash=bytes(payload_hash),  # type: ignore[call-overload]
        conference=None if conference is None else str(conference),
    )


class PostgreSQLGroupStore(PostgreSQLCore, GroupStore):
    """:class:`~hotline.store.interfaces.GroupStore` on ``message_groups``."""

    def add_group_links(self, links: Sequence[GroupLink]) -> None:
        rows = [_check(link) for link in links]
        if not rows:
            return
        encoded = [(row[0].encode("utf-8"), row[1], row[2], row[3]) for row in rows]
        with self._writing("link a group's messages") as connection:
            for row in encoded:
                if not self._read(
                    "find a message", "SELECT 1 FROM messages WHERE id = %s", (row[0],)
                ):
                    raise StoreError(
                        f"message {decode_text('id', row[0])} is not stored: it cannot join a group"
                    )
                linked = self._read(
                    "find a group link",
                    "SELECT group_id FROM message_groups WHERE message_id = %s",
                    (row[0],),
                )
                if linked:
                    raise StoreError(
                        f"message {decode_text('id', row[0])} already belongs to group "
                        f"{linked[0][0]}"
                    )
            connection.cursor().executemany(_INSERT, encoded)

    def group_links(self, message_ids: Sequence[str]) -> dict[str, GroupLink]:
        ids = [message_id.encode("utf-8") for message_id in dict.fromkeys(message_ids)]
        if not ids:
            return {}
        rows = self._read(
            "read group links",
            f"SELECT {_COLUMNS} FROM message_groups WHERE message_id = ANY(%s::bytea[])",  # noqa: S608
            (ids,),
        )
        return {link.message_id: link for link in map(_link, rows)}

    def group_members(self, group_id: str) -> list[GroupLink]:
        rows = self._read(
            "read a group",
            f"SELECT {_COLUMNS} FROM message_groups WHERE group_id = %s ORDER BY seq",  # noqa: S608
            (group_id,),
        )
        return [_link(row) for row in rows]

    def conference_groups(self, conference: str, *, limit: int | None = None) -> list[str]:
        rows = self._read(
            "read a conference's messages",
            "SELECT group_id FROM message_groups WHERE conference = %s "
            "GROUP BY group_id ORDER BY max(seq) DESC LIMIT %s",
            (conference, check_limit(limit)),
        )
        return [str(row[0]) for row in rows]
