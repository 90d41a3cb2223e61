"""Channels with their own people: membership here, announced to the peer, kept there."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.crypto import Precedence
from hotline.errors import InvalidArgument, UnknownUser
from hotline.store import Direction
from hotline.terminal import Terminal, verify_store
from hotline.terminal.core.outbox import Draft
from hotline.terminal.desks.accounts import create_user
from hotline.terminal.desks.channels import (
    CHANNEL_KIND,
    ChannelDesk,
    channel_json,
    parse_member,
)
from hotline.testing import run_virtual, virtual_clock
from tests.terminal.helpers import make_pair, refusals, wait_until

PASSWORD = "correct horse battery"


def test_parse_member_reads_user_and_role() -> None:
    assert parse_member("alice") == ("alice", "member")
    assert parse_member("alice:principal") == ("alice", "principal")
    with pytest.raises(InvalidArgument, match="role"):
        parse_member("alice:boss")
    with pytest.raises(InvalidArgument, match="name a user"):
        parse_member(":member")


def test_membership_is_announced_and_kept_by_the_peer(tmp_path: Path) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        moscow = Terminal.open(moscow_dir, clock=virtual_clock())
        await washington.start()
        await moscow.start()
        try:
            for name in ("hegseth", "aide", "clerk"):
                create_user(
                    washington.store,
                    washington.clock,
                    name=name,
                    role="operator",
                    password=PASSWORD,
                )
            desk = washington.desk(ChannelDesk)
            assert not desk.is_restricted("defence")
            assert desk.may_read("clerk", "defence")
            with pytest.raises(UnknownUser, match="'ghost'"):
                desk.create_channel(
                    "defence", [("hegseth", "principal"), ("ghost", "member")], "root"
                )
            assert not desk.is_restricted("defence")
            desk.create_channel("defence", [("hegseth", "principal"), ("aide", "member")], "root")
            assert desk.is_restricted("defence")
            assert desk.members("defence") == {"hegseth", "aide"}
            assert desk.may_read("aide", "defence")
            assert not desk.may_read("clerk", "defence")
            assert desk.may_read("clerk", "leaders")  # never configured: open as before
            with pytest.raises(InvalidArgument, match="already configured"):
                desk.create_channel("defence", [("clerk", "member")], "root")

            await wait_until(
                lambda: bool(moscow.store.peer_channels(channel="defence")),
                what="Moscow keeps the announcement",
            )
            [announced] = moscow.store.peer_channels(channel="defence")
            assert (announced.peer, announced.version) == ("Washington", 1)
            assert announced.members == (("hegseth", "principal"), ("aide", "member"))

            desk.add_member("defence", "clerk", "root")
            desk.remove_member("defence", "aide", "root")
            view = desk.show("defence")
            assert view.channel is not None
            assert view.channel.version == 3
            assert [(m.user, m.role) for m in view.members] == [
                ("hegseth", "principal"),
                ("clerk", "member"),
            ]
            assert [m.user for m in view.history if m.removed_at is not None] == ["aide"]
            with pytest.raises(InvalidArgument, match="not a member"):
                desk.remove_member("defence", "aide", "root")
            desk.add_member("defence", "clerk", "root", role="principal")  # a role change
            assert channel_json(desk.show("defence"))["version"] == 5
            desk.remove_member("defence", "clerk", "root")
            with pytest.raises(InvalidArgument, match="last member"):
                desk.remove_member("defence", "hegseth", "root")
            await wait_until(
                lambda: moscow.store.peer_channels(channel="defence")[0].version == 6,
                what="Moscow holds the newest announcement",
            )
            assert moscow.store.peer_channels(channel="defence")[0].members == (
                ("hegseth", "principal"),
            )
            shown = channel_json(moscow.desk(ChannelDesk).show("defence"))
            assert shown["restricted"] is False
            assert shown["peers"][0]["members"] == [{"name": "hegseth", "role": "principal"}]
            # Moscow never configured it: on Moscow's console it stays open.
            assert not moscow.desk(ChannelDesk).is_restricted("defence")
            kinds = [e.kind for e in washington.store.iter_journal()]
            assert kinds.count("channel created") == 1
            assert kinds.count("channel member added") == 2
            assert kinds.count("channel member removed") == 2  # a role change is an "added"
            sent = [
                m
                for m in washington.store.iter_messages(peer="Moscow", direction=Direction.OUT)
                if m.kind == CHANNEL_KIND
            ]
            assert len(sent) == 5
            # Membership survives a restart (read back from the store).
            washington.desk(ChannelDesk).load()
            assert washington.desk(ChannelDesk).members("defence") == {"hegseth"}
            for terminal in (washington, moscow):
                assert verify_store(terminal.store, terminal.identity).ok
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"op": "rename", "channel": "defence", "version": 1, "members": []}, "operation"),
        ({"op": "announce", "channel": "defence", "version": 0, "members": []}, "version"),
        (
            {"op": "announce", "channel": "defence", "version": 1, "members": [{"name": "x"}]},
            "role",
        ),
        (
            {
                "op": "announce",
                "channel": "defence",
                "version": 1,
                "members": [{"name": "a", "role": "member"}, {"name": "a", "role": "member"}],
            },
            "twice",
        ),
        ({"op": "announce", "channel": "leaders", "version": 1, "members": []}, "on channel"),
    ],
)
def test_a_malformed_announcement_is_refused(
    tmp_path: Path, body: dict[str, object], reason: str
) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        moscow = Terminal.open(moscow_dir, clock=virtual_clock())
        await washington.start()
        await moscow.start()
        try:
            [record] = washington.outbox.queue_many(
                [
                    Draft(
                        peer=washington.store.list_peers()[0],
                        text="CHANNEL defence",
                        channel="defence",
                        precedence=Precedence.ROUTINE,
                        kind=CHANNEL_KIND,
                        extra_body=body,
                    )
                ]
            )
            washington.desk(ChannelDesk).services.lines.wake("Moscow")
            await wait_until(
                lambda: any(e.data.get("id") == record.id for e in refusals(moscow.store)),
                what="Moscow refuses the announcement",
            )
            [refusal] = [e for e in refusals(moscow.store) if e.data.get("id") == record.id]
            assert reason in refusal.data["reason"]
            assert moscow.store.peer_channels() == []
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())
