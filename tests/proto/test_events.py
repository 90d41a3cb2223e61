"""Protocol events: construction, invariants, immutability, the NEED_DATA sentinel."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

import pytest
from hypothesis import given

from hotline.errors import LocalProtocolError
from hotline.proto import (
    FRAME_TYPES,
    NEED_DATA,
    Close,
    CloseCode,
    ConnectionClosed,
    Data,
    Event,
    Frame,
    Heartbeat,
    Hello,
    LinkTest,
    LinkTestReceipt,
    NeedData,
    Receipt,
    Resume,
    WitnessCosignature,
    WitnessRefusal,
    WitnessRequest,
)

from .strategies import frames, heartbeats, uint64

KEY_A = b"\xaa" * 32
KEY_B = b"\xbb" * 32


def hello(**overrides: Any) -> Hello:
    fields: dict[str, Any] = {
        "versions": (1,),
        "sender_key": KEY_A,
        "recipient_key": KEY_B,
        "agent": "hotline",
    }
    fields.update(overrides)
    return Hello(**fields)


def test_valid_events_keep_their_fields() -> None:
    h = hello(versions=(3, 1, 65535), agent="x" * 64)
    assert h.versions == (3, 1, 65535)
    assert h.agent == "x" * 64
    assert Data(envelope=b"e").envelope == b"e"
    assert Receipt(receipt=b"r").receipt == b"r"
    assert Heartbeat(sent_at_ms=0).sent_at_ms == 0
    assert Heartbeat(sent_at_ms=2**64 - 1).sent_at_ms == 2**64 - 1
    assert Resume(last_held=0).last_held == 0
    assert LinkTest(envelope=b"t").envelope == b"t"
    assert LinkTestReceipt(receipt=b"r").receipt == b"r"
    close = Close(code=CloseCode.SHUTTING_DOWN, reason="é" * 200)
    assert close.code is CloseCode.SHUTTING_DOWN
    assert ConnectionClosed(clean=True).clean is True


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"versions": ()}, "must not be empty"),
        ({"versions": [1]}, "must be a tuple"),
        ({"versions": (0,)}, "1..65535"),
        ({"versions": (65536,)}, "1..65535"),
        ({"versions": (-1,)}, "1..65535"),
        ({"versions": (True,)}, "must be an int"),
        ({"versions": (1.0,)}, "must be an int"),
        ({"versions": (2, 2)}, "distinct"),
        ({"sender_key": b"\x00" * 31}, "sender_key must be 32 bytes"),
        ({"sender_key": b"\x00" * 33}, "sender_key must be 32 bytes"),
        ({"recipient_key": bytearray(32)}, "recipient_key must be bytes"),
        ({"recipient_key": "k" * 32}, "recipient_key must be bytes"),
        ({"agent": "x" * 65}, "at most 64"),
        ({"agent": b"hotline"}, "agent must be a str"),
        ({"agent": "\ud800"}, "not valid Unicode"),
    ],
)
def test_hello_refuses_broken_invariants(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(LocalProtocolError, match=match):
        hello(**overrides)


@pytest.mark.parametrize(
    ("build", "match"),
    # The entries marked type: ignore[arg-type] pass a wrong type on purpose:
    # the events check their field types at run time, for frames a peer sent.
    [
        (lambda: Data(envelope=b""), "envelope must not be empty"),
        (lambda: Data(envelope="text"), "envelope must be bytes"),  # type: ignore[arg-type]
        (lambda: Data(envelope=memoryview(b"x")), "envelope must be bytes"),  # type: ignore[arg-type]
        (lambda: Receipt(receipt=b""), "receipt must not be empty"),
        (lambda: Receipt(receipt=None), "receipt must be bytes"),  # type: ignore[arg-type]
        (lambda: Heartbeat(sent_at_ms=-1), "0..18446744073709551615"),
        (lambda: Heartbeat(sent_at_ms=2**64), "0..18446744073709551615"),
        (lambda: Heartbeat(sent_at_ms=1.5), "must be an int"),  # type: ignore[arg-type]
        (lambda: Heartbeat(sent_at_ms=False), "must be an int"),
        (lambda: Heartbeat(sent_at_ms=1, echo_ms=1), "both present or both absent"),
        (lambda: Heartbeat(sent_at_ms=1, held_ms=0), "both present or both absent"),
        (lambda: Heartbeat(sent_at_ms=1, echo_ms=-1, held_ms=0), "echo_ms must be in"),
        (lambda: Heartbeat(sent_at_ms=1, echo_ms=0, held_ms=2**64), "held_ms must be in"),
        (lambda: Heartbeat(sent_at_ms=1, echo_ms=True, held_ms=0), "echo_ms must be an int"),
        (lambda: Heartbeat(sent_at_ms=1, echo_ms=0, held_ms=0.5), "held_ms must be an int"),  # type: ignore[arg-type]
        (lambda: Heartbeat(sent_at_ms=1, echo_ms="0", held_ms=0), "echo_ms must be an int"),  # type: ignore[arg-type]
        (lambda: LinkTest(envelope=b""), "envelope must not be empty"),
        (lambda: LinkTest(envelope=bytearray(b"x")), "envelope must be bytes"),  # type: ignore[arg-type]
        (lambda: LinkTest(envelope=None), "envelope must be bytes"),  # type: ignore[arg-type]
        (lambda: LinkTestReceipt(receipt=b""), "receipt must not be empty"),
        (lambda: LinkTestReceipt(receipt="r"), "receipt must be bytes"),  # type: ignore[arg-type]
        (lambda: Resume(last_held=-1), "last_held must be in"),
        (lambda: Resume(last_held="7"), "must be an int"),  # type: ignore[arg-type]
        (lambda: Close(code=0, reason=""), "must be a CloseCode"),  # type: ignore[arg-type]
        (lambda: Close(code=CloseCode.NORMAL, reason="x" * 201), "at most 200"),
        (lambda: Close(code=CloseCode.NORMAL, reason=None), "reason must be a str"),  # type: ignore[arg-type]
        (lambda: Close(code=CloseCode.NORMAL, reason="\udfff"), "not valid Unicode"),
        (lambda: ConnectionClosed(clean=1), "must be a bool"),  # type: ignore[arg-type]
    ],
)
def test_events_refuse_broken_invariants(build: Any, match: str) -> None:
    with pytest.raises(LocalProtocolError, match=match):
        build()


def test_events_are_keyword_only() -> None:
    # Positional arguments are refused on purpose (call-arg), so a field
    # added later cannot silently shift the meaning of a positional call.
    with pytest.raises(TypeError):
        Data(b"x")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        LinkTest(b"x")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Heartbeat(1, 2, 3)  # type: ignore[call-arg]


def test_heartbeat_echo_fields_default_to_absent() -> None:
    # terminal/core/session.py builds Heartbeat(sent_at_ms=...) alone: that stays valid.
    beat = Heartbeat(sent_at_ms=5)
    assert beat.echo_ms is None
    assert beat.held_ms is None
    assert beat != Heartbeat(sent_at_ms=5, echo_ms=0, held_ms=0)


@given(heartbeats)
def test_heartbeat_echo_fields_come_as_a_pair(beat: Heartbeat) -> None:
    assert (beat.echo_ms is None) == (beat.held_ms is None)


@given(uint64, uint64, uint64)
def test_heartbeat_keeps_any_uint64_echo(sent: int, echo: int, held: int) -> None:
    beat = Heartbeat(sent_at_ms=sent, echo_ms=echo, held_ms=held)
    assert (beat.sent_at_ms, beat.echo_ms, beat.held_ms) == (sent, echo, held)
    with pytest.raises(LocalProtocolError):
        dataclasses.replace(beat, held_ms=None)
    assert dataclasses.replace(beat, echo_ms=None, held_ms=None) == Heartbeat(sent_at_ms=sent)


@given(frames)
def test_events_are_frozen_and_hashable(frame: Frame) -> None:
    field = dataclasses.fields(frame)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(frame, field, getattr(frame, field))
    assert hash(frame) == hash(dataclasses.replace(frame))
    assert frame == dataclasses.replace(frame)


def test_events_have_no_instance_dict() -> None:
    # slots=True: no per-event __dict__, and no stray attributes.
    data = Data(envelope=b"x")
    assert not hasattr(data, "__dict__")
    with pytest.raises((AttributeError, TypeError)):
        data.extra = 1  # type: ignore[attr-defined]


def test_replace_revalidates() -> None:
    with pytest.raises(LocalProtocolError):
        dataclasses.replace(Data(envelope=b"x"), envelope=b"")


def test_frame_types_name_every_frame_class_once() -> None:
    # Append only: the first six are the original names, in their original order.
    assert list(FRAME_TYPES) == [
        *("hello", "data", "receipt", "heartbeat", "resume", "close"),
        *("test", "test_receipt"),
        *("witness", "cosigned", "refused"),
    ]
    assert list(FRAME_TYPES.values()) == [
        *(Hello, Data, Receipt, Heartbeat, Resume, Close),
        *(LinkTest, LinkTestReceipt),
        *(WitnessRequest, WitnessCosignature, WitnessRefusal),
    ]
    # Typed as any event class: the point is what FRAME_TYPES holds at run time.
    closed: type[Event] = ConnectionClosed
    assert closed not in FRAME_TYPES.values()
    with pytest.raises(TypeError):
        FRAME_TYPES["new"] = Data  # type: ignore[index]


def test_every_event_derives_from_event() -> None:
    for cls in (*FRAME_TYPES.values(), ConnectionClosed):
        assert issubclass(cls, Event)


def test_frame_alias_covers_exactly_the_frame_types() -> None:
    assert set(typing.get_args(Frame)) == set(FRAME_TYPES.values())


def test_link_test_frames_are_distinct_from_data_and_receipt() -> None:
    # Same bytes, different meaning: a link test must never compare equal to a message.
    # Typed as Event, as a session sees them, so the comparison is one mypy allows.
    link_test: Event = LinkTest(envelope=b"x")
    data: Event = Data(envelope=b"x")
    test_receipt: Event = LinkTestReceipt(receipt=b"x")
    receipt: Event = Receipt(receipt=b"x")
    assert link_test != data
    assert test_receipt != receipt


def test_need_data_is_a_single_enum_member() -> None:
    assert NEED_DATA is NeedData.NEED_DATA
    assert list(NeedData) == [NEED_DATA]
    assert repr(NEED_DATA) == "NEED_DATA"
    assert not isinstance(NEED_DATA, Event)
