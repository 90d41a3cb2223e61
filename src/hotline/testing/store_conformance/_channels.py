"""ChannelStore: channels, memberships kept as history, and the peers' announced members."""

from __future__ import annotations

import pytest

from hotline.errors import StoreError
from hotline.store import ChannelMemberRecord, ChannelRecord, PeerChannelRecord, Store
from hotline.testing.store_conformance._fixtures import at, make_message, make_user

__all__ = ["TestChannels"]


def _member(user: str, *, role: str = "member", second: int = 1) -> ChannelMemberRecord:
    return ChannelMemberRecord(
        channel="defence", user=user, role=role, added_at=at(second), added_by="admin"
    )


def _channel(store: Store, *users: str) -> None:
    for user in ("alice", "bob", "carol"):
        if store.get_user(user) is None:
            store.add_user(make_user(user))
    store.add_channel(
        ChannelRecord(name="defence", created_at=at(1), created_by="admin"),
        tuple(_member(user) for user in users),
    )


def _announcement(version: int, *members: tuple[str, str]) -> PeerChannelRecord:
    return PeerChannelRecord(
        peer="moscow",
        channel="defence",
        version=version,
        members=members,
        received_at=at(version),
        message_id=f"announce-{version}",
    )


class TestChannels:
    """Memberships open and close with their history kept; versions only rise."""

    def test_a_channel_reads_back_with_its_members(self, peered: Store) -> None:
        _channel(peered, "alice", "bob")
        assert peered.get_channel("defence") == ChannelRecord(
            name="defence", created_at=at(1), created_by="admin", version=1
        )
        assert peered.get_channel("leaders") is None
        assert [c.name for c in peered.list_channels()] == ["defence"]
        assert peered.channel_members("defence") == [_member("alice"), _member("bob")]
        assert peered.channel_members("leaders") == []

    def test_a_channel_is_created_once(self, peered: Store) -> None:
        _channel(peered, "alice")
        with pytest.raises(StoreError, match="already exists"):
            _channel(peered, "bob")
        assert [m.user for m in peered.channel_members("defence")] == ["alice"]

    def test_an_unknown_user_refuses_the_whole_channel(self, peered: Store) -> None:
        peered.add_user(make_user("alice"))
        with pytest.raises(StoreError):
            peered.add_channel(
                ChannelRecord(name="defence", created_at=at(1), created_by="admin"),
                (_member("alice"), _member("nobody")),
            )
        assert peered.get_channel("defence") is None
        assert peered.channel_members("defence", history=True) == []

    def test_removal_closes_the_membership_and_keeps_it(self, peered: Store) -> None:
        _channel(peered, "alice", "bob")
        peered.remove_channel_member("defence", "alice", at=at(5), by="admin", version=2)
        assert [m.user for m in peered.channel_members("defence")] == ["bob"]
        history = peered.channel_members("defence", history=True)
        assert history[0].removed_at == at(5)
        assert history[0].removed_by == "admin"
        peered.add_channel_member(_member("alice", role="principal", second=6), version=3)
        assert [(m.user, m.role) for m in peered.channel_members("defence")] == [
            ("bob", "member"),
            ("alice", "principal"),
        ]
        assert len(peered.channel_members("defence", history=True)) == 3
        channel = peered.get_channel("defence")
        assert channel is not None
        assert channel.version == 3

    def test_one_open_membership_per_user(self, peered: Store) -> None:
        _channel(peered, "alice")
        with pytest.raises(StoreError, match="already a member"):
            peered.add_channel_member(_member("alice", second=2), version=2)
        channel = peered.get_channel("defence")
        assert channel is not None
        assert channel.version == 1

    def test_removing_a_non_member_changes_nothing(self, peered: Store) -> None:
        _channel(peered, "alice")
        with pytest.raises(StoreError, match="not a member"):
            peered.remove_channel_member("defence", "bob", at=at(2), by="admin", version=2)
        channel = peered.get_channel("defence")
        assert channel is not None
        assert channel.version == 1

    def test_the_version_only_rises(self, peered: Store) -> None:
        _channel(peered, "alice")
        with pytest.raises(StoreError, match="version"):
            peered.add_channel_member(_member("bob", second=2), version=1)
        assert [m.user for m in peered.channel_members("defence")] == ["alice"]

    def test_a_member_of_an_unknown_channel_is_refused(self, peered: Store) -> None:
        peered.add_user(make_user("alice"))
        with pytest.raises(StoreError, match="no channel"):
            peered.add_channel_member(_member("alice"), version=2)

    def test_the_newest_announcement_of_each_peer_is_read(self, peered: Store) -> None:
        first = _announcement(1, ("ivan", "member"))
        second = _announcement(2, ("ivan", "member"), ("olga", "principal"))
        assert peered.add_peer_channel(second)
        assert peered.add_peer_channel(first)
        assert not peered.add_peer_channel(first)
        other = PeerChannelRecord(
            peer="beijing",
            channel="leaders",
            version=1,
            members=(("li", "principal"),),
            received_at=at(3),
            message_id="announce-b",
        )
        assert peered.add_peer_channel(other)
        assert peered.peer_channels() == [other, second]
        assert peered.peer_channels(channel="defence") == [second]
        assert peered.peer_channels(channel="chiefs") == []

    def test_an_announcement_of_an_unknown_peer_is_refused(self, peered: Store) -> None:
        stray = PeerChannelRecord(
            peer="nobody",
            channel="defence",
            version=1,
            members=(),
            received_at=at(1),
            message_id="m",
        )
        with pytest.raises(StoreError):
            peered.add_peer_channel(stray)
        assert peered.peer_channels() == []

    def test_announcements_sent_are_noted_once_per_version(self, peered: Store) -> None:
        first, second = make_message(1, kind="channel"), make_message(2, kind="channel")
        peered.add_outgoing(first)
        peered.add_outgoing(second)
        assert peered.announced_channels() == {}
        peered.add_channel_announcement(
            peer="moscow", channel="defence", version=1, message_id=first.id
        )
        peered.add_channel_announcement(
            peer="moscow", channel="defence", version=3, message_id=second.id
        )
        peered.add_channel_announcement(
            peer="moscow", channel="leaders", version=1, message_id=second.id
        )
        assert peered.announced_channels() == {("moscow", "defence"): 3, ("moscow", "leaders"): 1}
        with pytest.raises(StoreError, match="was announced"):
            peered.add_channel_announcement(
                peer="moscow", channel="defence", version=3, message_id=first.id
            )
        with pytest.raises(StoreError, match="not stored"):
            peered.add_channel_announcement(
                peer="moscow", channel="chiefs", version=1, message_id="no-such-message"
            )
        with pytest.raises(StoreError):
            peered.add_channel_announcement(
                peer="nobody", channel="chiefs", version=1, message_id=first.id
            )
        with pytest.raises(StoreError, match="starts at 1"):
            peered.add_channel_announcement(
                peer="moscow", channel="chiefs", version=0, message_id=first.id
            )
        assert peered.announced_channels() == {("moscow", "defence"): 3, ("moscow", "leaders"): 1}
