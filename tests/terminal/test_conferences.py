"""Conferences between real in-process terminals over TLS on 127.0.0.1 (docs/protocol/conferences.md).

Three (or four) terminals, each knowing the others unless a test leaves a
link out: a convener creates a conference, every member checks its links and
answers, a message to the conference reaches every member with one payload
hash, and roster changes reach every member (the removed one too).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.crypto import body_commitment
from hotline.errors import InvalidArgument, UnknownConference, UnknownPeer
from hotline.store import MessageState
from hotline.terminal import Terminal
from hotline.terminal.desks.conferences import ConferenceDesk, Roster
from hotline.testing import run_virtual, virtual_clock

from .helpers import make_mesh, refusals, wait_until


@contextlib.asynccontextmanager
async def running(directories: dict[str, Path]) -> AsyncIterator[dict[str, Terminal]]:
    terminals: dict[str, Terminal] = {}
    try:
        for party, directory in directories.items():
            terminals[party] = Terminal.open(directory, clock=virtual_clock())
            await terminals[party].start()
        yield terminals
    finally:
        for terminal in terminals.values():
            await terminal.stop()


def desk(terminal: Terminal) -> ConferenceDesk:
    return terminal.desk(ConferenceDesk)


def answers(terminal: Terminal, name: str) -> dict[str, str | None]:
    return {m.party: m.answer for m in desk(terminal).show(name).members}


def test_every_member_joins_and_one_payload_reaches_all(tmp_path: Path) -> None:
    directories = make_mesh(tmp_path, ["Vienna", "Kyiv", "Tbilisi"])

    async def main() -> None:
        async with running(directories) as t:
            created = desk(t["Vienna"]).convene("ops", ["Kyiv", "Tbilisi"])
            assert created.version == 1
            assert [m.party for m in created.members] == ["Vienna", "Kyiv", "Tbilisi"]
            assert answers(t["Vienna"], "ops") == {
                "Vienna": "convener",
                "Kyiv": "invited",
                "Tbilisi": "invited",
            }
            await wait_until(
                lambda: (
                    answers(t["Vienna"], "ops")
                    == {"Vienna": "convener", "Kyiv": "joined", "Tbilisi": "joined"}
                ),
                what="both members to join",
            )
            # Every member holds the very roster the convener signed.
            signed = t["Vienna"].store.latest_roster(created.id)
            assert signed is not None
            for member in ("Kyiv", "Tbilisi"):
                held = t[member].store.latest_roster(created.id)
                assert held is not None
                assert held.roster == signed.roster
                assert held.group_id == signed.group_id
                assert desk(t[member]).show("ops").role == "member"
                assert desk(t[member]).show(created.id).convener == "Vienna"
            assert Roster.decode(signed.roster).version == 1

            group = desk(t["Vienna"]).send("ops", text="situation report 1")
            assert sorted(r.peer for r in group.records) == ["Kyiv", "Tbilisi"]
            assert {body_commitment(r.body) for r in group.records} == {group.payload_hash}

            def arrived(party: str) -> bool:
                return len(t[party].store.group_members(group.group_id)) == 1

            await wait_until(lambda: arrived("Kyiv") and arrived("Tbilisi"), what="the copies")
            for party in ("Kyiv", "Tbilisi"):
                [link] = t[party].store.group_members(group.group_id)
                assert link.payload_hash == group.payload_hash
                assert link.conference == created.id
            # A member writes to the conference too: to the convener and the other member.
            reply = desk(t["Kyiv"]).send(created.id, text="Kyiv copies")
            assert sorted(r.peer for r in reply.records) == ["Tbilisi", "Vienna"]
            await wait_until(
                lambda: all(
                    t["Kyiv"].store.get_message(r.id).state is MessageState.DELIVERED  # type: ignore[union-attr]
                    for r in reply.records
                ),
                what="the member's message to be delivered",
            )
            assert set(t["Vienna"].store.conference_groups(created.id)) >= {
                group.group_id,
                reply.group_id,
            }
            # Both sides journal every roster version and every answer.
            for party in ("Vienna", "Kyiv"):
                kinds = [e.kind for e in t[party].store.iter_journal()]
                assert "conference roster" in kinds
                assert "conference answer" in kinds
            assert not refusals(t["Vienna"].store)

    run_virtual(main())


def test_a_member_without_a_link_refuses_and_sending_is_refused(tmp_path: Path) -> None:
    # Kyiv and Tbilisi both know Vienna, but not each other.
    directories = make_mesh(
        tmp_path,
        ["Vienna", "Kyiv", "Tbilisi"],
        links=[("Vienna", "Kyiv"), ("Vienna", "Tbilisi")],
    )

    async def main() -> None:
        async with running(directories) as t:
            desk(t["Vienna"]).convene("ops", ["Kyiv", "Tbilisi"])
            await wait_until(
                lambda: (
                    answers(t["Vienna"], "ops")
                    == {"Vienna": "convener", "Kyiv": "refused", "Tbilisi": "refused"}
                ),
                what="both members to refuse",
            )
            shown = {m.party: m.missing for m in desk(t["Vienna"]).show("ops").members}
            assert shown == {"Vienna": (), "Kyiv": ("Tbilisi",), "Tbilisi": ("Kyiv",)}
            with pytest.raises(InvalidArgument, match="Kyiv has no line to Tbilisi"):
                desk(t["Vienna"]).send("ops", text="nobody hears this")
            # A member knows its own answer: it refuses to send as well.
            with pytest.raises(InvalidArgument, match="Kyiv has no line to Tbilisi"):
                desk(t["Kyiv"]).send("ops", text="nor this")
            assert t["Vienna"].store.conference_groups(desk(t["Vienna"]).show("ops").id) == [
                t["Vienna"].store.latest_roster(desk(t["Vienna"]).show("ops").id).group_id  # type: ignore[union-attr]
            ]

    run_virtual(main())


def test_roster_changes_reach_every_member_and_the_removed_one(tmp_path: Path) -> None:
    directories = make_mesh(tmp_path, ["Vienna", "Kyiv", "Tbilisi", "Yerevan"])

    async def main() -> None:
        async with running(directories) as t:
            conference = desk(t["Vienna"]).convene("ops", ["Kyiv", "Tbilisi"])

            def version(party: str) -> int | None:
                roster = t[party].store.latest_roster(conference.id)
                return None if roster is None else Roster.decode(roster.roster).version

            await wait_until(lambda: version("Kyiv") == version("Tbilisi") == 1, what="v1")
            removed = desk(t["Vienna"]).remove_party("ops", "Tbilisi")
            assert removed.version == 2
            assert [m.party for m in removed.members] == ["Vienna", "Kyiv"]
            await wait_until(lambda: version("Kyiv") == version("Tbilisi") == 2, what="v2")
            assert not desk(t["Tbilisi"]).show("ops").active
            with pytest.raises(InvalidArgument, match="no longer a member"):
                desk(t["Tbilisi"]).send("ops", text="still here?")
            added = desk(t["Vienna"]).add_party("ops", "Yerevan")
            assert [m.party for m in added.members] == ["Vienna", "Kyiv", "Yerevan"]
            await wait_until(
                lambda: version("Kyiv") == version("Yerevan") == 3, what="v3 to every member"
            )
            # The removed party is not told of later versions.
            assert version("Tbilisi") == 2
            await wait_until(
                lambda: (
                    answers(t["Vienna"], "ops")
                    == {"Vienna": "convener", "Kyiv": "joined", "Yerevan": "joined"}
                ),
                what="the members of v3 to join",
            )
            assert desk(t["Yerevan"]).show("ops").version == 3
            with pytest.raises(InvalidArgument, match="only Vienna, the convener"):
                desk(t["Kyiv"]).add_party("ops", "Tbilisi")

    run_virtual(main())


def test_a_roster_not_from_the_convener_is_refused(tmp_path: Path) -> None:
    directories = make_mesh(tmp_path, ["Vienna", "Kyiv", "Tbilisi"])

    async def main() -> None:
        async with running(directories) as t:
            conference = desk(t["Vienna"]).convene("ops", ["Kyiv", "Tbilisi"])
            await wait_until(
                lambda: (
                    t["Tbilisi"].store.latest_roster(conference.id) is not None
                    and t["Kyiv"].store.latest_roster(conference.id) is not None
                ),
                what="v1",
            )
            # Kyiv forges version 2, dropping Vienna's rival... signed by Kyiv, not Vienna.
            forged = desk(t["Kyiv"]).roster("ops")
            body = {
                "op": "roster",
                "conference": {**forged.to_map(), "version": 2},
            }
            group = t["Kyiv"].outbox.queue_group(
                peers=[t["Kyiv"].store.get_peer("Tbilisi")],  # type: ignore[list-item]
                text="forged",
                kind="conference",
                extra_body=body,
                conference=conference.id,
            )
            for record in group.records:
                t["Kyiv"]._queued(t["Kyiv"].lines["Tbilisi"], record)
            await wait_until(
                lambda: any(
                    "not signed by its convener" in str(e.data.get("reason"))
                    for e in refusals(t["Tbilisi"].store)
                ),
                what="Tbilisi to refuse the forged roster",
            )
            assert desk(t["Tbilisi"]).show("ops").version == 1

    run_virtual(main())


def test_create_refuses_what_it_cannot_convene(tmp_path: Path) -> None:
    directories = make_mesh(tmp_path, ["Vienna", "Kyiv", "Tbilisi"])

    async def main() -> None:
        async with running(directories) as t:
            vienna = desk(t["Vienna"])
            with pytest.raises(InvalidArgument, match="not a conference name"):
                vienna.convene("Ops Room", ["Kyiv", "Tbilisi"])
            with pytest.raises(InvalidArgument, match="at least 2 other parties"):
                vienna.convene("ops", ["Kyiv"])
            with pytest.raises(InvalidArgument, match="Kyiv named more than once"):
                vienna.convene("ops", ["Kyiv", "Kyiv", "Tbilisi"])
            with pytest.raises(InvalidArgument, match="Vienna is us"):
                vienna.convene("ops", ["Vienna", "Kyiv", "Tbilisi"])
            with pytest.raises(UnknownPeer, match="no line to Paris, Rome"):
                vienna.convene("ops", ["Kyiv", "Paris", "Rome"])
            assert vienna.list() == []
            vienna.convene("ops", ["Kyiv", "Tbilisi"])
            with pytest.raises(InvalidArgument, match="named 'ops' exists here already"):
                vienna.convene("ops", ["Kyiv", "Tbilisi"])
            with pytest.raises(UnknownConference):
                vienna.show("nothing")

    run_virtual(main())
