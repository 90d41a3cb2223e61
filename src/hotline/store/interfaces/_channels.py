"""Channels with their own people: who on this terminal may read and answer a channel.

A channel is a label every message carries in its signed header (``leaders``
by default). Configured here, it gains members: console users, each with a
role in the channel (``member``, ``principal``). Membership is history: a
member added is a row, a member removed is that row closed with the time and
who removed them, and nothing is ever deleted, so the store can say who could
read a channel at any moment. Each membership change raises the channel's
version, and the terminal announces the new list to every peer
(docs/protocol/channels.md); the peers' announcements are kept here too, one
row per announced version, so the console can name who on the other side may
acknowledge. Which version was announced to which peer is kept as well, so a
peer added after a change (or never yet told) is sent the current list once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

__all__ = [
    "ChannelMemberRecord",
    "ChannelRecord",
    "ChannelStore",
    "PeerChannelRecord",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelRecord:
    """A configured channel: its name, who made it and when, and its membership version."""

    name: str
    created_at: str
    created_by: str
    #: 1 when created; one more for every membership change since.
    version: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelMemberRecord:
    """One spell of one user's membership of a channel (open while ``removed_at`` is None)."""

    channel: str
    user: str
    role: str
    added_at: str
    added_by: str
    removed_at: str | None = None
    removed_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerChannelRecord:
    """A peer's announcement of its members of one channel, as received."""

    peer: str
    channel: str
    version: int
    #: (name, role) pairs, in the order announced.
    members: tuple[tuple[str, str], ...]
    received_at: str
    #: The incoming message that carried it.
    message_id: str


class ChannelStore(ABC):
    """Channels, their members (with history), and the peers' announced members.

    Contract: channel names are unique; a user has at most one open
    membership of a channel; a membership is closed once (its ``removed_at``
    set) and never deleted; a channel's version only rises. A peer's
    announcement is kept once per (peer, channel, version). Every violation is
    a StoreError, and a refused call changes nothing.
    """

    @abstractmethod
    def add_channel(self, channel: ChannelRecord, members: tuple[ChannelMemberRecord, ...]) -> None:
        """Create a channel with its first members, all or none (StoreError if it exists)."""

    @abstractmethod
    def get_channel(self, name: str) -> ChannelRecord | None: ...

    @abstractmethod
    def list_channels(self) -> list[ChannelRecord]:
        """Every configured channel, by name."""

    @abstractmethod
    def add_channel_member(self, member: ChannelMemberRecord, *, version: int) -> None:
        """Open a membership and set the channel's version (StoreError if already open)."""

    @abstractmethod
    def remove_channel_member(
        self, channel: str, user: str, *, at: str, by: str, version: int
    ) -> None:
        """Close ``user``'s open membership and set the version (StoreError if none is open)."""

    @abstractmethod
    def channel_members(self, channel: str, *, history: bool = False) -> list[ChannelMemberRecord]:
        """The open memberships in the order they were opened; with ``history``, every spell."""

    @abstractmethod
    def add_peer_channel(self, announcement: PeerChannelRecord) -> bool:
        """Keep a peer's announcement; False (nothing stored) if that version is already held."""

    @abstractmethod
    def peer_channels(self, *, channel: str | None = None) -> list[PeerChannelRecord]:
        """Each peer's newest announcement of each channel (of ``channel`` only, if given),
        by peer then channel."""

    @abstractmethod
    def add_channel_announcement(
        self, *, peer: str, channel: str, version: int, message_id: str
    ) -> None:
        """Note that ``version`` of ``channel`` was announced to ``peer`` by that (stored) message.

        StoreError if that version was already noted for that peer, or the
        message is not stored.
        """

    @abstractmethod
    def announced_channels(self) -> dict[tuple[str, str], int]:
        """The newest version of each channel announced to each peer, by (peer, channel)."""
