"""Protocol events: construction, invariants, immutability, the NEED_DATA sentinel."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given

from hotline.errors import CloseCode, LocalProtocolError
from hotline.proto import (
    FRAME_TYPES,
    NEED_DATA,
    Close,
    ConnectionClosed,
    Data,
    Event,
    Heartbeat,
    Hello,
    NeedData,
    Receipt,
    Resume,
)

from .strategies import frames

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
    [
        (lambda: Data(envelope=b""), "envelope must not be empty"),
        (lambda: Data(envelope="text"), "envelope must be bytes"),
        (lambda: Data(envelope=memoryview(b"x")), "envelope must be bytes"),
        (lambda: Receipt(receipt=b""), "receipt must not be empty"),
        (lambda: Receipt(receipt=None), "receipt must be bytes"),
        (lambda: Heartbeat(sent_at_ms=-1), "0..18446744073709551615"),
        (lambda: Heartbeat(sent_at_ms=2**64), "0..18446744073709551615"),
        (lambda: Heartbeat(sent_at_ms=1.5), "must be an int"),
        (lambda: Heartbeat(sent_at_ms=False), "must be an int"),
        (lambda: Resume(last_held=-1), "last_held must be in"),
        (lambda: Resume(last_held="7"), "must be an int"),
        (lambda: Close(code=0, reason=""), "must be a CloseCode"),
        (lambda: Close(code=CloseCode.NORMAL, reason="x" * 201), "at most 200"),
        (lambda: Close(code=CloseCode.NORMAL, reason=None), "reason must be a str"),
        (lambda: Close(code=CloseCode.NORMAL, reason="\udfff"), "not valid Unicode"),
        (lambda: ConnectionClosed(clean=1), "must be a bool"),
    ],
)
def test_events_refuse_broken_invariants(build: Any, match: str) -> None:
    with pytest.raises(LocalProtocolError, match=match):
        build()


def test_events_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Data(b"x")  # type: ignore[misc]


@given(frames)
def test_events_are_frozen_and_hashable(frame: Event) -> None:
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
    assert set(FRAME_TYPES) == {"hello", "data", "receipt", "heartbeat", "resume", "close"}
    assert set(FRAME_TYPES.values()) == {Hello, Data, Receipt, Heartbeat, Resume, Close}
    assert ConnectionClosed not in FRAME_TYPES.values()
    with pytest.raises(TypeError):
        FRAME_TYPES["new"] = Data  # type: ignore[index]


def test_every_event_derives_from_event() -> None:
    for cls in (*FRAME_TYPES.values(), ConnectionClosed):
        assert issubclass(cls, Event)


def test_need_data_is_a_single_enum_member() -> None:
    assert NEED_DATA is NeedData.NEED_DATA
    assert list(NeedData) == [NEED_DATA]
    assert repr(NEED_DATA) == "NEED_DATA"
    assert not isinstance(NEED_DATA, Event)
