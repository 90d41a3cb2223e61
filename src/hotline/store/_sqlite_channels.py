"""The SQLite statements behind channels with their own people (tables ``channels``,
``channel_members``, ``peer_channels``, ``channel_announcements``).

A mixin of :class:`~hotline.store.SQLiteStore`. The triggers are the second
line behind the checks here: a channel is never deleted and its version only
rises, a membership is closed once and never deleted, and a peer's
announcement (and the note of ours to each peer) is append-only.
"""

# ruff: noqa: S608
# (the statements only ever join constant column lists; every value is bound)

from __future__ import annotations

import json

from hotline.errors import StoreError
from hotline.store._sqlite_core import SQLiteCore
from hotline.store.interfaces._channels import (
    ChannelMemberRecord,
    ChannelRecord,
    ChannelStore,
    PeerChannelRecord,
)

__all__ = ["SQLiteChannelStore"]

_MEMBER_COLUMNS = "channel, user, role, added_at, added_by, removed_at, removed_by"
_INSERT_MEMBER = (
    "INSERT INTO channel_members (channel, user, role, added_at, added_by) VALUES (?, ?, ?, ?, ?)"
)
_PEER_COLUMNS = "peer, channel, version, members, received_at, message_id"


def _channel(row: tuple[object, ...]) -> ChannelRecord:
    name, created_at, created_by, version = row
    return ChannelRecord(
        name=str(name),
        created_at=str(created_at),
        created_by=str(created_by),
        version=int(version),  # type: ignore[call-overload]
    )


def _member(row: tuple[object, ...]) -> ChannelMemberRecord:
    channel, user, role, added_at, added_by, removed_at, removed_by = row
    return ChannelMemberRecord(
        channel=str(channel),
        user=str(user),
        role=str(role),
        added_at=str(added_at),
        added_by=str(added_by),
        removed_at=None if removed_at is None else str(removed_at),
        removed_by=None if removed_by is None else str(removed_by),
    )


def _announcement(row: tuple[object, ...]) -> PeerChannelRecord:
    peer, channel, version, members, received_at, message_id = row
    return PeerChannelRecord(
        peer=str(peer),
        channel=str(channel),
        version=int(version),  # type: ignore[call-overload]
        members=tuple((str(name), str(role)) for name, role in json.loads(str(members))),
        received_at=str(received_at),
        message_id=str(message_id),
    )


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise StoreError(f"{what} must be a non-empty str, not {value!r}")
    return value


def _check_member(member: ChannelMemberRecord) -> tuple[str, str, str, str, str]:
    if member.removed_at is not None or member.removed_by is not None:
        raise StoreError(f"a new membership of {member.user} cannot be closed already")
    return (
        _text(member.channel, "a membership's channel"),
        _text(member.user, "a membership's user"),
        _text(member.role, "a membership's role"),
        _text(member.added_at, "a membership's added_at"),
        _text(member.added_by, "a membership's added_by"),
    )


class SQLiteChannelStore(SQLiteCore, ChannelStore):
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
                "INSERT INTO channels (name, created_at, created_by, version) VALUES (?, ?, ?, ?)",
                (
                    name,
                    _text(channel.created_at, "a channel's created_at"),
                    _text(channel.created_by, "a channel's created_by"),
                    channel.version,
                ),
            )
            connection.executemany(_INSERT_MEMBER, rows)

    def get_channel(self, name: str) -> ChannelRecord | None:
        rows = self._read(
            "read a channel",
            "SELECT name, created_at, created_by, version FROM channels WHERE name = ?",
            (name,),
        )
        return _channel(rows[0]) if rows else None

    def list_channels(self) -> list[ChannelRecord]:
        rows = self._read(
            "list channels",
            "SELECT name, created_at, created_by, version FROM channels ORDER BY name",
        )
        return [_channel(row) for row in rows]

    def _set_version(self, channel: str, version: int) -> None:
        held = self.get_channel(channel)
        if held is None:
            raise StoreError(f"no channel named {channel}")
        if version <= held.version:
            raise StoreError(
                f"channel {channel}: version {version} is not above the held {held.version}"
            )
        self._live().execute("UPDATE channels SET version = ? WHERE name = ?", (version, channel))

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
                "UPDATE channel_members SET removed_at = ?, removed_by = ? "
                "WHERE channel = ? AND user = ? AND removed_at IS NULL",
                (_text(at, "removed_at"), _text(by, "removed_by"), channel, user),
            ).rowcount
            if changed != 1:
                raise StoreError(f"{user} is not a member of channel {channel}")

    def channel_members(self, channel: str, *, history: bool = False) -> list[ChannelMemberRecord]:
        only_open = "" if history else " AND removed_at IS NULL"
        rows = self._read(
            "read a channel's members",
            f"SELECT {_MEMBER_COLUMNS} FROM channel_members WHERE channel = ?{only_open} "
            "ORDER BY id",
            (channel,),
        )
        return [_member(row) for row in rows]

    def add_peer_channel(self, announcement: PeerChannelRecord) -> bool:
        if announcement.version < 1:
            raise StoreError(f"an announcement's version starts at 1, not {announcement.version}")
        members = json.dumps([[name, role] for name, role in announcement.members])
        with self._writing(f"keep {announcement.peer}'s channel announcement") as connection:
            held = self._read(
                "find an announcement",
                "SELECT 1 FROM peer_channels WHERE peer = ? AND channel = ? AND version = ?",
                (announcement.peer, announcement.channel, announcement.version),
            )
            if held:
                return False
            connection.execute(
                f"INSERT INTO peer_channels ({_PEER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    _text(announcement.peer, "an announcement's peer"),
                    _text(announcement.channel, "an announcement's channel"),
                    announcement.version,
                    members,
                    _text(announcement.received_at, "an announcement's received_at"),
                    _text(announcement.message_id, "an announcement's message_id"),
                ),
            )
        return True

    def peer_channels(self, *, channel: str | None = None) -> list[PeerChannelRecord]:
        newest = (
            "p.version = (SELECT max(q.version) FROM peer_channels q "
            "WHERE q.peer = p.peer AND q.channel = p.channel)"
        )
        where, parameters = (
            (newest, ())
            if channel is None
            else (
                f"p.channel = ? AND {newest}",
                (channel,),
            )
        )
        rows = self._read(
            "read the peers' channel announcements",
            f"SELECT {_PEER_COLUMNS} FROM peer_channels p WHERE {where} ORDER BY p.peer, p.channel",
            parameters,
        )
        return [_announcement(row) for row in rows]

    def add_channel_announcement(
        self, *, peer: str, channel: str, version: int, message_id: str
    ) -> None:
        row = _announced(peer, channel, version, message_id)
        with self._writing(f"note channel {channel}'s announcement to {peer}") as connection:
            if not self._read(
                "find a message", "SELECT 1 FROM messages WHERE id = ?", (message_id,)
            ):
                raise StoreError(f"the announcement message {message_id} is not stored")
            if self._read(
                "find an announcement",
                "SELECT 1 FROM channel_announcements WHERE peer = ? AND channel = ? "
                "AND version = ?",
                row[:3],
            ):
                raise StoreError(f"version {version} of channel {channel} was announced to {peer}")
            connection.execute(
                "INSERT INTO channel_announcements (peer, channel, version, message_id) "
                "VALUES (?, ?, ?, ?)",
                row,
            )

    def announced_channels(self) -> dict[tuple[str, str], int]:
        rows = self._read(
            "read the channel announcements sent",
            "SELECT peer, channel, max(version) FROM channel_announcements GROUP BY peer, channel",
            (),
        )
        return {(str(peer), str(channel)): int(str(version)) for peer, channel, version in rows}


def _announced(peer: str, channel: str, version: int, message_id: str) -> tuple[str, str, int, str]:
    """The row noting an announcement sent, checked (StoreError naming what is wrong)."""
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoreError(f"an announcement's version starts at 1, not {version!r}")
    return (
        _text(peer, "an announcement's peer"),
        _text(channel, "an announcement's channel"),
        version,
        _text(message_id, "an announcement's message_id"),
    )
