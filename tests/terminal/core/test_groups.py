"""Messages to several parties: one payload, sealed over each line, linked and proved on every side.

Real terminals on loopback, on the loop's virtual clock (docs/protocol/parties.md).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from hotline.crypto import Envelope, Precedence, salted
from hotline.errors import DeliveryError, InvalidArgument, UnknownPeer
from hotline.store import Direction, MessageState
from hotline.terminal import Terminal, verify_store
from hotline.terminal.core import PartyBlock, party_block
from hotline.terminal.core.outbox import Draft, decode_body
from hotline.testing import run_virtual, virtual_clock
from tests.terminal.helpers import make_mesh, wait_until

PARTIES = ("Washington", "Moscow", "London")


@contextlib.asynccontextmanager
async def running(directories: dict[str, Path]) -> AsyncIterator[dict[str, Terminal]]:
    terminals = {party: Terminal.open(d, clock=virtual_clock()) for party, d in directories.items()}
    try:
        for terminal in terminals.values():
            await terminal.start()
        yield terminals
    finally:
        for terminal in terminals.values():
            await terminal.stop()


def _received(terminal: Terminal, party: str) -> list[str]:
    return [m.text for m in terminal.store.iter_messages(peer=party, direction=Direction.IN)]


def _journal(terminal: Terminal, kind: str) -> list[dict[str, object]]:
    return [e.data for e in terminal.store.iter_journal() if e.kind == kind]


def test_one_payload_reaches_every_party_and_every_copy_commits_to_the_same_bytes(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with running(make_mesh(tmp_path, PARTIES)) as t:
            washington, moscow, london = t["Washington"], t["Moscow"], t["London"]
            group = washington.send_group(
                to=["Moscow", "London"], text="one text for both", precedence=Precedence.FLASH
            )
            assert [r.peer for r in group.records] == ["Moscow", "London"]
            assert len({r.id for r in group.records}) == 2  # a copy per line, own ids
            await wait_until(
                lambda: all(
                    s.state == "delivered" for s in washington.recipients(group.records[0].id)
                ),
                within=30,
                what="both receipts",
            )
            states = washington.recipients(group.records[1].id)
            assert [(s.party, s.state) for s in states] == [
                ("Moscow", "delivered"),
                ("London", "delivered"),
            ]
            assert _received(moscow, "Washington") == ["one text for both"]
            assert _received(london, "Washington") == ["one text for both"]
            # The payload hash is the body commitment in each signed header: equal.
            copies = [
                next(iter(side.store.iter_messages(peer="Washington", direction=Direction.IN)))
                for side in (moscow, london)
            ]
            headers = [Envelope.decode(c.envelope).header for c in copies]
            assert headers[0].body_commitment == headers[1].body_commitment == group.payload_hash
            assert headers[0].serial == headers[1].serial == 1  # each line's own serial
            for side, copy in zip((moscow, london), copies, strict=True):
                [link] = side.store.group_links([copy.id]).values()
                assert link.group_id == group.group_id
                assert link.payload_hash == group.payload_hash
                [entry] = [e for e in _journal(side, "message received") if e["id"] == copy.id]
                assert entry["group"] == group.group_id
                assert entry["payload"] == group.payload_hash.hex()
                # The recipient can read who else the sender named.
                block = party_block(_body(copy.body))
                assert block is not None
                assert sorted(block.names()) == ["London", "Moscow"]
            queued = [e for e in _journal(washington, "message queued") if "group" in e]
            assert {e["payload"] for e in queued} == {group.payload_hash.hex()}
            for side in t.values():
                report = verify_store(side.store, side.identity)
                assert report.ok, report.summary()

    run_virtual(scenario())


def test_an_unknown_or_repeated_party_refuses_the_whole_send(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_mesh(tmp_path, PARTIES)) as t:
            washington = t["Washington"]
            with pytest.raises(UnknownPeer, match="no line to Jakarta, Paris"):
                washington.send_group(to=["Moscow", "Jakarta", "Paris"], text="x")
            with pytest.raises(InvalidArgument, match="Moscow named more than once"):
                washington.send_group(to=["Moscow", "London", "Moscow"], text="x")
            with pytest.raises(InvalidArgument, match="at least one"):
                washington.send_group(to=[], text="x")
            # Nothing was queued on any line.
            for party in ("Moscow", "London"):
                assert not list(washington.store.iter_messages(peer=party, direction=Direction.OUT))

    run_virtual(scenario())


def test_a_copy_that_does_not_name_its_recipient_is_stored_but_not_linked(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with running(make_mesh(tmp_path, PARTIES)) as t:
            washington, moscow, london = t["Washington"], t["Moscow"], t["London"]
            # A sender that names only London but seals the copy to Moscow.
            block = PartyBlock(
                group_id="ab" * 16,
                to=((london.party, london.identity.signing_public),),
            )
            body = salted({"text": "not for you", "party": block.to_body()})
            moscow_peer = washington.store.get_peer("Moscow")
            assert moscow_peer is not None
            [record] = washington.outbox.queue_many(
                [Draft(peer=moscow_peer, text="not for you", salted_body=body)]
            )
            washington.lines["Moscow"].offer(record)
            await wait_until(
                lambda: (
                    washington.store.get_message(record.id).state  # type: ignore[union-attr]
                    is MessageState.DELIVERED
                ),
                within=30,
                what="the receipt",
            )
            assert _received(moscow, "Washington") == ["not for you"]  # the envelope held
            assert moscow.store.group_links([record.id]) == {}
            [refusal] = [e for e in _journal(moscow, "refusal") if e.get("what") == "group"]
            assert refusal["reason"] == "the recipients it names do not include us"

    run_virtual(scenario())


def _body(raw: bytes) -> dict[str, object]:
    decoded = decode_body(raw)
    assert decoded
    return decoded


@pytest.mark.parametrize(
    ("party", "complaint"),
    [
        ("x", "only group, to and conference"),
        ({"group": "nope", "to": []}, "group id is not valid"),
        ({"group": "ab" * 16, "to": []}, "1 to 256 recipients"),
        ({"group": "ab" * 16, "to": [{"p": "A", "k": b"1" * 31}]}, "32-byte signing key"),
        (
            {"group": "ab" * 16, "to": [{"p": "A", "k": b"2" * 32}, {"p": "B", "k": b"1" * 32}]},
            "sorted by key",
        ),
        ({"group": "ab" * 16, "to": [{"p": "A", "k": b"1" * 32}], "conference": ""}, "non-empty"),
    ],
)
def test_a_malformed_party_map_is_named(party: object, complaint: str) -> None:
    with pytest.raises(DeliveryError, match=complaint):
        party_block({"party": party})


def test_a_party_map_reads_back_equal() -> None:
    block = PartyBlock(
        group_id="cd" * 16,
        to=(("Moscow", b"\x01" * 32), ("London", b"\x02" * 32)),
        conference="ef" * 16,
    )
    assert party_block({"party": block.to_body()}) == block
    assert party_block({"text": "bilateral"}) is None
