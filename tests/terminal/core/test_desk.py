"""The desk registry: each kind to one desk, events to every desk, hooks in order."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.store import Direction, MessageRecord, MessageState
from hotline.terminal.core.desk import (
    Acknowledged,
    Desk,
    DeskEvent,
    DeskRegistry,
    MessageAccepted,
)
from hotline.terminal.desks import DESKS


class Recorder(Desk):
    """A desk that notes what it is given (built without services: they are not used)."""

    def __init__(self, kinds: frozenset[str] = frozenset()) -> None:
        self.kinds = kinds  # type: ignore[misc]
        self.got: list[Any] = []

    def received(self, record: MessageRecord) -> None:
        self.got.append(("received", record.kind))

    def notice(self, event: DeskEvent) -> None:
        self.got.append(("notice", type(event).__name__))

    def load(self) -> None:
        self.got.append("load")

    def tick(self) -> None:
        self.got.append("tick")


class Other(Recorder):
    pass


def record(kind: str) -> MessageRecord:
    return MessageRecord(
        id=f"m-{kind}",
        peer="Moscow",
        direction=Direction.IN,
        channel="main",
        serial=1,
        time_group="231600Z",
        precedence="routine",
        sent_at="2026-11-23T16:00:00.000000Z",
        kind=kind,
        text="",
        body=b"x",
        envelope=b"x",
        envelope_hash=bytes(32),
        state=MessageState.DELIVERED,
        created_at="2026-11-23T16:00:00.000000Z",
        transmitted_at=None,
        delivered_at="2026-11-23T16:00:00.000000Z",
        receipt=b"x",
    )


def test_each_kind_goes_to_its_desk_and_every_desk_hears_of_it() -> None:
    calls, notes = Recorder(frozenset({"call"})), Other()
    registry = DeskRegistry([calls, notes])
    registry.received([record("call"), record("text")])
    assert calls.got == [
        ("received", "call"),
        ("notice", "MessageAccepted"),
        ("notice", "MessageAccepted"),
    ]
    assert notes.got == [("notice", "MessageAccepted"), ("notice", "MessageAccepted")]
    assert registry.for_kind("call") is calls
    assert registry.for_kind("text") is None
    assert registry.kinds == {"call"}


def test_two_desks_cannot_claim_one_kind() -> None:
    with pytest.raises(ValueError, match="'ack' is claimed by both Recorder and Other"):
        DeskRegistry([Recorder(frozenset({"ack"})), Other(frozenset({"ack"}))])


def test_get_finds_a_desk_by_type_or_says_there_is_none() -> None:
    one = Recorder()
    registry = DeskRegistry([one])
    assert registry.get(Recorder) is one
    with pytest.raises(LookupError, match="no Other"):
        registry.get(Other)


def test_hooks_run_on_every_desk_in_order() -> None:
    first, second = Recorder(), Other()
    registry = DeskRegistry([first, second])
    registry.load()
    registry.tick()
    registry.announce(MessageAccepted(record=record("text")))
    assert first.got == second.got == ["load", "tick", ("notice", "MessageAccepted")]
    assert isinstance(Acknowledged.__dataclass_fields__, dict)


def test_the_shipped_desks_claim_distinct_kinds() -> None:
    claimed: dict[str, str] = {}
    for desk in DESKS:
        for kind in desk.kinds:
            assert kind not in claimed, f"{kind} claimed by {claimed[kind]} and {desk.__name__}"
            claimed[kind] = desk.__name__
    assert {"ack", "call", "presence", "notification"} <= set(claimed)
