"""The channel desk: channel membership here, its announcement to the peers, theirs to us.

Restricted means configured: a channel this terminal has created (with at least
one member) is restricted to its current members; a channel never configured
stays open to every console user, as every channel was before. A channel is
never deleted and never left without members (nobody could then read it in
the console), so removing its last member is refused.

Each change raises the channel's version and, in the same transaction as the
change and its journal entry, queues to every peer the announcement (kind
``channel``, docs/protocol/channels.md)::

    {"op": "announce", "channel": <name>, "version": <n>,
     "members": [{"name": <user>, "role": <role>}, ...]}

signed and sealed like any message, so it is on both records. Each
announcement queued is noted per peer (``announced_channels``): a peer added
after a change, or one never yet told, is sent the current announcement of
every channel when the terminal starts or the peer is added while it runs,
once (the note is written in the transaction that queues it).

An announcement that arrives is checked and kept per peer (every version, the
newest shown); one that does not fit is journaled as refused content and ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hotline.crypto import Precedence
from hotline.errors import InvalidArgument, UnknownUser
from hotline.store import (
    ChannelMemberRecord,
    ChannelRecord,
    MessageRecord,
    PeerChannelRecord,
)
from hotline.terminal.core.desk import Desk, DeskEvent, DeskServices, LineAdded
from hotline.terminal.core.inbox import refuse_content
from hotline.terminal.core.outbox import Draft, check_channel, decode_body
from hotline.utc import format_utc

__all__ = [
    "CHANNEL_KIND",
    "CHANNEL_ROLES",
    "ChannelDesk",
    "ChannelView",
    "channel_json",
    "parse_member",
]

CHANNEL_KIND = "channel"
#: A member's role in a channel: ``principal`` for the person the channel serves
#: (a minister), ``member`` for the staff who work it.
CHANNEL_ROLES = ("member", "principal")
#: An announced member's name, as a peer's console user names go (check_user_name's rule).
_ANNOUNCED_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,63}$")
#: A peer may announce at most this many members of one channel.
MAX_ANNOUNCED_MEMBERS = 1000


def parse_member(text: str) -> tuple[str, str]:
    """``USER`` or ``USER:ROLE`` (the CLI's ``--member``) as ``(user, role)``; role ``member``."""
    user, _, role = text.partition(":")
    role = role or "member"
    if role not in CHANNEL_ROLES:
        raise InvalidArgument(
            f"{text!r}: the role in a channel is one of {', '.join(CHANNEL_ROLES)}, not {role!r}"
        )
    if not user:
        raise InvalidArgument(f"{text!r}: name a user (USER or USER:ROLE)")
    return user, role


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelView:
    """One channel as ``show`` gives it: ours, with history, and each peer's announced members."""

    name: str
    #: None for a channel only a peer has configured (it stays open here).
    channel: ChannelRecord | None
    members: tuple[ChannelMemberRecord, ...]
    history: tuple[ChannelMemberRecord, ...]
    peers: tuple[PeerChannelRecord, ...]


def _member_json(member: ChannelMemberRecord) -> dict[str, Any]:
    return {
        "name": member.user,
        "role": member.role,
        "added_at": member.added_at,
        "added_by": member.added_by,
        "removed_at": member.removed_at,
        "removed_by": member.removed_by,
    }


def channel_json(view: ChannelView) -> dict[str, Any]:
    """A channel as the control API and ``hotline channel show --json`` give it."""
    ours = view.channel
    return {
        "name": view.name,
        "restricted": ours is not None,
        "created_at": None if ours is None else ours.created_at,
        "created_by": None if ours is None else ours.created_by,
        "version": None if ours is None else ours.version,
        "members": [_member_json(member) for member in view.members],
        "history": [_member_json(member) for member in view.history],
        "peers": [
            {
                "peer": announced.peer,
                "version": announced.version,
                "members": [{"name": name, "role": role} for name, role in announced.members],
                "received_at": announced.received_at,
                "message_id": announced.message_id,
            }
            for announced in view.peers
        ],
    }


class ChannelDesk(Desk):
    """Keeps channel membership, announces it to the peers, and keeps theirs."""

    kinds = frozenset({CHANNEL_KIND})

    def __init__(self, services: DeskServices) -> None:
        super().__init__(services)
        self._store = services.store
        self._clock = services.clock
        #: channel -> {user: role}: read on every message a console shows, so held in memory.
        self._members: dict[str, dict[str, str]] = {}
        self._load_members()

    def _load_members(self) -> None:
        self._members = {
            channel.name: {m.user: m.role for m in self._store.channel_members(channel.name)}
            for channel in self._store.list_channels()
        }

    def load(self) -> None:
        """The terminal starts: read the members, and tell every peer what it was never told."""
        self._load_members()
        self.announce_missing()

    def notice(self, event: DeskEvent) -> None:
        if isinstance(event, LineAdded):
            self.announce_missing(peers=[event.peer.party])

    def announce_missing(self, *, peers: Sequence[str] | None = None) -> list[MessageRecord]:
        """Send each peer (of ``peers``; default all) every channel's current list it lacks.

        A peer lacks a channel's announcement when the newest version noted as
        sent to it is older than the channel's version (or none was sent): it
        was added after the change. Each is queued and noted in one
        transaction, so a restart never sends it twice. Returns what was queued.
        """
        channels = self._store.list_channels()
        if not channels:
            return []
        sent = self._store.announced_channels()
        parties = [p.party for p in self._store.list_peers()] if peers is None else list(peers)
        queued: list[MessageRecord] = []
        with self._store.transaction():
            for channel in channels:
                late = [
                    party
                    for party in parties
                    if sent.get((party, channel.name), 0) < channel.version
                ]
                if late:
                    members = list(self._members.get(channel.name, {}).items())
                    queued += self._announce(channel.name, channel.version, members, to=late)
        for record in queued:
            self.services.lines.wake(record.peer)
        return queued

    # -- reading -------------------------------------------------------------

    def list_channels(self) -> list[ChannelView]:
        """Every channel configured here or announced by a peer, by name."""
        names = {channel.name for channel in self._store.list_channels()}
        names |= {announced.channel for announced in self._store.peer_channels()}
        return [self.show(name) for name in sorted(names)]

    def show(self, name: str) -> ChannelView:
        """One channel: ours (None if not configured here) and each peer's announced members.

        InvalidArgument if neither this terminal nor any peer has configured it.
        """
        channel = self._store.get_channel(name)
        peers = tuple(self._store.peer_channels(channel=name))
        if channel is None and not peers:
            known = ", ".join(sorted(self._members)) or "none"
            raise InvalidArgument(f"no channel named {name!r} is configured (configured: {known})")
        return ChannelView(
            name=name,
            channel=channel,
            members=tuple(self._store.channel_members(name)),
            history=tuple(self._store.channel_members(name, history=True)),
            peers=peers,
        )

    def members(self, name: str) -> set[str]:
        """The users who may read ``name`` now (empty for a channel never configured)."""
        return set(self._members.get(name, {}))

    def is_restricted(self, name: str) -> bool:
        """Whether ``name`` is configured, so only its members read, send and acknowledge on it."""
        return name in self._members

    def may_read(self, user: str, channel: str) -> bool:
        """Whether console user ``user`` may read (send, acknowledge) on ``channel``."""
        members = self._members.get(channel)
        return members is None or user in members

    # -- changing -------------------------------------------------------------

    def create_channel(self, name: str, members: Sequence[tuple[str, str]], by: str) -> ChannelView:
        """Configure ``name`` with its first ``(user, role)`` members; announce it to every peer."""
        check_channel(name)
        if not members:
            raise InvalidArgument(f"channel {name}: name at least one member")
        users = [user for user, _ in members]
        repeated = sorted({user for user in users if users.count(user) > 1})
        if repeated:
            raise InvalidArgument(f"channel {name}: {', '.join(repeated)} named more than once")
        self._check(members)
        if self._store.get_channel(name) is not None:
            raise InvalidArgument(f"channel {name} is already configured")
        at = format_utc(self._clock.now())
        channel = ChannelRecord(name=name, created_at=at, created_by=by, version=1)
        rows = tuple(
            ChannelMemberRecord(channel=name, user=user, role=role, added_at=at, added_by=by)
            for user, role in members
        )
        with self._store.transaction():
            self._store.add_channel(channel, rows)
            self.services.journal(
                "channel created",
                {
                    "channel": name,
                    "by": by,
                    "version": 1,
                    "members": [{"name": user, "role": role} for user, role in members],
                },
            )
            queued = self._announce(name, 1, list(members))
        self._after_change(name, queued)
        return self.show(name)

    def add_member(self, name: str, user: str, by: str, *, role: str = "member") -> ChannelView:
        """Add ``user`` (or change their role) on a configured channel; announce the new list."""
        current = self._current(name)
        self._check([(user, role)])
        if current.get(user) == role:
            raise InvalidArgument(f"{user} is already a {role} of channel {name}")
        version = self._version(name) + 1
        at = format_utc(self._clock.now())
        with self._store.transaction():
            if user in current:  # a new role is a new spell: the old one closes
                self._store.remove_channel_member(name, user, at=at, by=by, version=version)
                version += 1
            self._store.add_channel_member(
                ChannelMemberRecord(channel=name, user=user, role=role, added_at=at, added_by=by),
                version=version,
            )
            self.services.journal(
                "channel member added",
                {"channel": name, "user": user, "role": role, "by": by, "version": version},
            )
            members = [*((u, r) for u, r in current.items() if u != user), (user, role)]
            queued = self._announce(name, version, members)
        self._after_change(name, queued)
        return self.show(name)

    def remove_member(self, name: str, user: str, by: str) -> ChannelView:
        """Remove ``user`` from a configured channel (their history stays); announce it."""
        current = self._current(name)
        if user not in current:
            raise InvalidArgument(f"{user} is not a member of channel {name}")
        if len(current) == 1:
            raise InvalidArgument(
                f"{user} is the last member of channel {name}: add another first "
                "(a channel without members could be read by nobody in the console)"
            )
        version = self._version(name) + 1
        at = format_utc(self._clock.now())
        with self._store.transaction():
            self._store.remove_channel_member(name, user, at=at, by=by, version=version)
            self.services.journal(
                "channel member removed",
                {"channel": name, "user": user, "by": by, "version": version},
            )
            queued = self._announce(
                name, version, [(u, r) for u, r in current.items() if u != user]
            )
        self._after_change(name, queued)
        return self.show(name)

    def _current(self, name: str) -> dict[str, str]:
        if name not in self._members:
            known = ", ".join(sorted(self._members)) or "none"
            raise InvalidArgument(f"no channel named {name!r} is configured (configured: {known})")
        return dict(self._members[name])

    def _version(self, name: str) -> int:
        channel = self._store.get_channel(name)
        if channel is None:
            raise InvalidArgument(f"no channel named {name!r} is configured")
        return channel.version

    def _check(self, members: Iterable[tuple[str, str]]) -> None:
        """UnknownUser naming every user this terminal does not have; InvalidArgument for a role."""
        unknown = []
        for user, role in members:
            if role not in CHANNEL_ROLES:
                raise InvalidArgument(
                    f"the role in a channel is one of {', '.join(CHANNEL_ROLES)}, not {role!r}"
                )
            if self._store.get_user(user) is None:
                unknown.append(user)
        if unknown:
            raise UnknownUser(
                f"no user named {', '.join(repr(u) for u in unknown)} on this terminal "
                "(hotline user add creates one)"
            )

    def _announce(
        self,
        name: str,
        version: int,
        members: Sequence[tuple[str, str]],
        *,
        to: Sequence[str] | None = None,
    ) -> list[MessageRecord]:
        """Queue the announcement to every peer (or those named), noting each (in a transaction)."""
        listed = ", ".join(f"{user} ({role})" for user, role in members)
        body = {
            "op": "announce",
            "channel": name,
            "version": version,
            "members": [{"name": user, "role": role} for user, role in members],
        }
        peers = self._store.list_peers()
        if to is not None:
            peers = [peer for peer in peers if peer.party in to]
        queued = self.services.outbox.queue_many(
            [
                Draft(
                    peer=peer,
                    text=f"CHANNEL {name} version {version}: members {listed}",
                    channel=name,
                    precedence=Precedence.ROUTINE,
                    kind=CHANNEL_KIND,
                    extra_body=body,
                )
                for peer in peers
            ]
        )
        for record in queued:
            self._store.add_channel_announcement(
                peer=record.peer, channel=name, version=version, message_id=record.id
            )
        return queued

    def _after_change(self, name: str, queued: Sequence[MessageRecord]) -> None:
        self._members[name] = {m.user: m.role for m in self._store.channel_members(name)}
        for record in queued:
            self.services.lines.wake(record.peer)
        self.services.events.publish("channels", name)

    # -- the peers' announcements ----------------------------------------------

    def received(self, record: MessageRecord) -> None:
        try:
            announced = _parse_announcement(decode_body(record.body))
        except (InvalidArgument, KeyError, TypeError, ValueError) as exc:
            refuse_content(
                self._store, self._clock, record, what="channel announcement", reason=str(exc)
            )
            return
        name, version, members = announced
        if name != record.channel:
            refuse_content(
                self._store,
                self._clock,
                record,
                what="channel announcement",
                reason=f"announces channel {name} in a message on channel {record.channel}",
            )
            return
        at = format_utc(self._clock.now())
        kept = self._store.add_peer_channel(
            PeerChannelRecord(
                peer=record.peer,
                channel=name,
                version=version,
                members=members,
                received_at=at,
                message_id=record.id,
            )
        )
        if kept:
            self.services.journal(
                "channel announced",
                {
                    "peer": record.peer,
                    "id": record.id,
                    "channel": name,
                    "version": version,
                    "members": [{"name": user, "role": role} for user, role in members],
                },
            )
            self.services.events.publish("channels", name)


def _parse_announcement(
    body: Mapping[str, Any],
) -> tuple[str, int, tuple[tuple[str, str], ...]]:
    """The announcement's channel, version and members; InvalidArgument if it does not fit."""
    if body.get("op") != "announce":
        raise InvalidArgument(f"unknown channel operation {body.get('op')!r}")
    name = body["channel"]
    if not isinstance(name, str):
        raise InvalidArgument("the channel must be a string")
    check_channel(name)
    version = body["version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InvalidArgument(f"the version must be a positive integer, not {version!r}")
    listed = body["members"]
    if not isinstance(listed, list) or len(listed) > MAX_ANNOUNCED_MEMBERS:
        raise InvalidArgument(f"the members must be a list of at most {MAX_ANNOUNCED_MEMBERS}")
    members: list[tuple[str, str]] = []
    for entry in listed:
        if not isinstance(entry, dict):
            raise InvalidArgument("each member must be a map of name and role")
        member, role = entry["name"], entry["role"]
        if not isinstance(member, str) or not _ANNOUNCED_NAME.match(member):
            raise InvalidArgument(f"member name {member!r} is not a user name")
        if role not in CHANNEL_ROLES:
            raise InvalidArgument(f"member {member}: unknown role {role!r}")
        if any(member == seen for seen, _ in members):
            raise InvalidArgument(f"member {member} is announced twice")
        members.append((member, role))
    return name, version, tuple(members)
