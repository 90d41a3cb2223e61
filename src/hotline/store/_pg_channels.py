"""The PostgreSQL statements behind channels with their own people (schema migration 9).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_channels`` (its checks and row readers are shared): ``channels``,
``channel_members``, ``peer_channels`` and ``channel_announcements``. The triggers are the second line
behind the checks here, as in SQLite: a channel is never deleted and its
version only rises, a membership is closed once and never deleted, and a
peer's announcement is append-only (none of the three can be truncated).

Two differences from SQLite: the column ``user`` is a reserved word in
PostgreSQL and is always written quoted, and an announcement's ``message_id``
is UTF-8 ``BYTEA``, as every message id is here.
"""

# Every interpolated name below is a module constant; values always go in as parameters.
# ruff: noqa: S608

from __future__ import annotations

import json

from hotline.errors import StoreError
from hotline.store._pg_core import PostgreSQLCore
from hotline.store._pg_messages import decode_text
from hotline.store._sqlite_channels import (
    _announced,
    _channel,
    _check_member,
    _member,
    _text,
)
from hotline.store.interfaces._channels import (
    ChannelMemberRecord,
    ChannelRecord,
    ChannelStore,
    PeerChannelRecord,
)

__all__ = ["PostgreSQLChannelStore"]

_CHANNEL_COLUMNS = "name, created_at, created_by, version"
_MEMBER_COLUMNS = 'channel, "user", role, added_at, added_by, removed_at, removed_by'
_INSERT_MEMBER = (
    'INSERT INTO channel_members (channel, "user", role, added_at, added_by) '
    "VALUES (%s, %s, %s, %s, %s)"
)
_PEER_COLUMNS = "peer, channel, version, members, received_at, message_id"
# The newest version of each (peer, channel); DISTINCT ON reads it in one pass of the key.
_NEWEST_ANNOUNCEMENTS = (
    f"SELECT DISTINCT ON (peer, channel) {_PEER_COLUMNS} FROM peer_channels "
    "WHERE channel = %(channel)s OR %(channel)s IS NULL "
    "ORDER BY peer, channel, version DESC"
)


def _announcement(row: tuple[object, ...]) -> PeerChannelRecord:
    peer, channel, version, members, received_at, message_id = row
    return PeerChannelRecord(
        peer=str(peer),
        channel=str(channel),
        version=int(version),  # type: ignore[call-overload]
        members=tuple((str(name), str(role)) for name, role in json.loads(str(members))),
        received_at=str(received_at),
        message_id=decode_text("id", message_id),
    )


class PostgreSQLChannelStore(PostgreSQLCore, ChannelStore):
    """:class:`~hotline.store.interfaces.ChannelStore` on its three tables."""

    def add_channel(self, channel: ChannelRecord, members: tuple[ChannelMemberRecord, ...]) -> None:
        name = _text(channel.name, "a channel's name")
        rows = [_check_member(member) for member in members]
        if any(row[0] != name for row in rows):
            raise StoreError(f"every first member of channel {name} must be of that channel")
        if channel.version < 1:
            raise StoreError(f"channel {name}: the version starts at 1")
        with self._writing(f"create channel {name}") as connection:
            if self.get_channel(name) is not None:
                raise StoreError(f"channel {name} already exists")
            connection.execute(
                f"INSERT INTO channels ({_CHANNEL_COLUMNS}) VALUES (%s, %s, %s, %s)",
                (
                    name,
                    _text(channel.created_at, "a channel's created_at"),
                    _text(channel.created_by, "a channel's created_by"),
                    channel.version,
                ),
            )
            if rows:
                connection.cursor().executemany(_INSERT_MEMBER, rows)

    def get_channel(self, name: str) -> ChannelRecord | None:
        rows = self._read(
            "read a channel",
            f"SELECT {_CHANNEL_COLUMNS} FROM channels WHERE name = %s",
            (name,),
        )
        return _channel(rows[0]) if rows else None

    def list_channels(self) -> list[ChannelRecord]:
        rows = self._read("list channels", f"SELECT {_CHANNEL_COLUMNS} FROM channels ORDER BY name")
        return [_channel(row) for row in rows]

    def _set_version(self, channel: str, version: int) -> None:
        # Inside the caller's savepoint: a refusal here undoes nothing but that call.
        held = self.get_channel(channel)
        if held is None:
            raise StoreError(f"no channel named {channel}")
        if version <= held.version:
            raise StoreError(
                f"channel {channel}: version {version} is not above the held {held.version}"
            )
        self._live().execute("UPDATE channels SET version = %s WHERE name = %s", (version, channel))

    def add_channel_member(self, member: ChannelMemberRecord, *, version: int) -> None:
        row = _check_member(member)
        with self._writing(f"add {member.user} to channel {member.channel}") as connection:
            self._set_version(member.channel, version)
            if any(m.user == member.user for m in self.channel_members(member.channel)):
                raise StoreError(f"{member.user} is already a member of channel {member.channel}")
            connection.execute(_INSERT_MEMBER, row)

    def remove_channel_member(
        self, channel: str, user: str, *, at: str, by: str, version: int
    ) -> None:
        with self._writing(f"remove {user} from channel {channel}") as connection:
            self._set_version(channel, version)
            changed = connection.execute(
                "UPDATE channel_members SET removed_at = %s, removed_by = %s "
                'WHERE channel = %s AND "user" = %s AND removed_at IS NULL',
                (_text(at, "removed_at"), _text(by, "removed_by"), channel, user),
            ).rowcount
            if changed != 1:
                raise StoreError(f"{user} is not a member of channel {channel}")

    def channel_members(self, channel: str, *, history: bool = False) -> list[ChannelMemberRecord]:
        only_open = "" if history else " AND removed_at IS NULL"
        rows = self._read(
            "read a channel's members",
            f"SELECT {_MEMBER_COLUMNS} FROM channel_members WHERE channel = %s{only_open} "
            "ORDER BY id",
            (channel,),
        )
        return [_member(row) for row in rows]

    def add_peer_channel(self, announcement: PeerChannelRecord) -> bool:
        if announcement.version < 1:
            raise StoreError(f"an announcement's version starts at 1, not {announcement.version}")
        members = json.dumps([[name, role] for name, role in announcement.members])
        row = (
            _text(announcement.peer, "an announcement's peer"),
            _text(announcement.channel, "an announcement's channel"),
            announcement.version,
            members,
            _text(announcement.received_at, "an announcement's received_at"),
            _text(announcement.message_id, "an announcement's message_id").encode("utf-8"),
        )
        with self._writing(f"keep {announcement.peer}'s channel announcement") as connection:
            # One statement: a version already held is no error, and nothing is written.
            stored = connection.execute(
                f"INSERT INTO peer_channels ({_PEER_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (peer, channel, version) DO NOTHING",
                row,
            ).rowcount
        return stored == 1

    def peer_channels(self, *, channel: str | None = None) -> list[PeerChannelRecord]:
        rows = self._read(
            "read the peers' channel announcements",
            _NEWEST_ANNOUNCEMENTS,
            {"channel": channel},
        )
        return [_announcement(row) for row in rows]

    def add_channel_announcement(
        self, *, peer: str, channel: str, version: int, message_id: str
    ) -> None:
        peer, channel, version, message_id = _announced(peer, channel, version, message_id)
        encoded = message_id.encode("utf-8")
        with self._writing(f"note channel {channel}'s announcement to {peer}") as connection:
            if not self._read("find a message", "SELECT 1 FROM messages WHERE id = %s", (encoded,)):
                raise StoreError(f"the announcement message {message_id} is not stored")
            stored = connection.execute(
                "INSERT INTO channel_announcements (peer, channel, version, message_id) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (peer, channel, version) DO NOTHING",
                (peer, channel, version, encoded),
            ).rowcount
            if stored != 1:
                raise StoreError(f"version {version} of channel {channel} was announced to {peer}")

    def announced_channels(self) -> dict[tuple[str, str], int]:
        rows = self._read(
            "read the channel announcements sent",
            "SELECT peer, channel, max(version) FROM channel_announcements GROUP BY peer, channel",
            (),
        )
        return {(str(peer), str(channel)): int(str(version)) for peer, channel, version in rows}
