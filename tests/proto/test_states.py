"""The session state table: its rules and the lookup's errors.

The doc that prints it is checked in tests/test_state_tables.py, with the call and meeting tables.
"""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.errors import LocalProtocolError, RemoteProtocolError
from hotline.proto import (
    FRAME_TYPES,
    TRANSITIONS,
    Close,
    CloseCode,
    ConnectionClosed,
    ConnectionState,
    Data,
    Direction,
    Event,
    Heartbeat,
    Hello,
    LinkTest,
    LinkTestReceipt,
    Receipt,
    Resume,
    WitnessCosignature,
    WitnessRefusal,
    WitnessRequest,
    transition,
)
from hotline.proto.states import SESSION_TABLE

S = ConnectionState
SEND = Direction.SEND
RECV = Direction.RECEIVE
SESSION_FRAMES: tuple[type[Event], ...] = (
    Data,
    Receipt,
    Heartbeat,
    Resume,
    LinkTest,
    LinkTestReceipt,
    WitnessRequest,
    WitnessCosignature,
    WitnessRefusal,
)
ALL_EVENTS: tuple[type[Event], ...] = (*FRAME_TYPES.values(), ConnectionClosed)


def test_every_state_has_a_row() -> None:
    assert set(TRANSITIONS) == set(ConnectionState)


def test_the_handshake_paths() -> None:
    assert transition(S.START, SEND, Hello) is S.HELLO_SENT
    assert transition(S.START, RECV, Hello) is S.HELLO_RECEIVED
    assert transition(S.HELLO_SENT, RECV, Hello) is S.OPEN
    assert transition(S.HELLO_RECEIVED, SEND, Hello) is S.OPEN


@pytest.mark.parametrize("frame", SESSION_FRAMES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("direction", list(Direction), ids=lambda d: d.value)
def test_open_session_frames_keep_the_state(direction: Direction, frame: type[Event]) -> None:
    assert transition(S.OPEN, direction, frame) is S.OPEN


@pytest.mark.parametrize("frame", SESSION_FRAMES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("state", [S.START, S.HELLO_SENT, S.HELLO_RECEIVED])
def test_no_session_frames_before_open(state: ConnectionState, frame: type[Event]) -> None:
    with pytest.raises(LocalProtocolError, match=f"can't send {frame.__name__} in state"):
        transition(state, SEND, frame)
    with pytest.raises(RemoteProtocolError) as info:
        transition(state, RECV, frame)
    assert info.value.close_code is CloseCode.PROTOCOL_ERROR


@pytest.mark.parametrize("state", [S.START, S.HELLO_SENT, S.HELLO_RECEIVED, S.OPEN, S.CLOSING])
def test_every_live_state_can_close_and_end(state: ConnectionState) -> None:
    assert transition(state, SEND, Close) is S.CLOSING
    assert transition(state, RECV, Close) is S.CLOSED
    assert transition(state, RECV, ConnectionClosed) is S.CLOSED


def test_one_hello_each_way() -> None:
    for state in (S.HELLO_SENT, S.OPEN):
        with pytest.raises(LocalProtocolError):
            transition(state, SEND, Hello)
    for state in (S.HELLO_RECEIVED, S.OPEN, S.CLOSED):
        with pytest.raises(RemoteProtocolError):
            transition(state, RECV, Hello)


@pytest.mark.parametrize("frame", [Hello, *SESSION_FRAMES], ids=lambda c: c.__name__)
def test_closing_drains_but_sends_nothing_but_close(frame: type[Event]) -> None:
    assert transition(S.CLOSING, RECV, frame) is S.CLOSING
    with pytest.raises(LocalProtocolError):
        transition(S.CLOSING, SEND, frame)


@pytest.mark.parametrize(
    ("link_frame", "message_frame"),
    [(LinkTest, Data), (LinkTestReceipt, Receipt)],
    ids=["LinkTest~Data", "LinkTestReceipt~Receipt"],
)
@pytest.mark.parametrize("state", list(ConnectionState), ids=lambda s: s.name)
@pytest.mark.parametrize("direction", list(Direction), ids=lambda d: d.value)
def test_link_tests_are_allowed_exactly_where_data_and_receipt_are(
    direction: Direction,
    state: ConnectionState,
    link_frame: type[Event],
    message_frame: type[Event],
) -> None:
    moves = TRANSITIONS[state]
    assert moves.get((direction, link_frame)) is moves.get((direction, message_frame))


def test_where_link_tests_may_go() -> None:
    # Spelled out, so the mirror test above cannot pass by both being wrong.
    for frame in (LinkTest, LinkTestReceipt):
        allowed = {
            (state, direction)
            for state, moves in TRANSITIONS.items()
            for direction in Direction
            if (direction, frame) in moves
        }
        assert allowed == {(S.OPEN, SEND), (S.OPEN, RECV), (S.CLOSING, RECV)}


def test_closed_allows_only_the_close_exchange_and_eof() -> None:
    assert TRANSITIONS[S.CLOSED] == {
        (SEND, Close): S.CLOSED,
        (RECV, Close): S.CLOSED,
        (RECV, ConnectionClosed): S.CLOSED,
    }


def test_error_allows_only_sending_close() -> None:
    assert TRANSITIONS[S.ERROR] == {(SEND, Close): S.ERROR}


def test_connection_closed_is_never_sent() -> None:
    for moves in TRANSITIONS.values():
        assert (SEND, ConnectionClosed) not in moves


def test_table_keys_are_known_events_and_states() -> None:
    for moves in TRANSITIONS.values():
        for (direction, event), target in moves.items():
            assert isinstance(direction, Direction)
            assert event in ALL_EVENTS
            assert isinstance(target, ConnectionState)


def test_every_state_but_error_is_reachable_from_start() -> None:
    seen = {S.START}
    queue = deque([S.START])
    while queue:
        for target in TRANSITIONS[queue.popleft()].values():
            if target not in seen:
                seen.add(target)
                queue.append(target)
    # ERROR is entered by the Connection on an exception, never by a table move.
    assert seen == set(ConnectionState) - {S.ERROR}


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        TRANSITIONS[S.OPEN] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        TRANSITIONS[S.OPEN][(SEND, Hello)] = S.OPEN  # type: ignore[index]


def test_forbidden_messages_name_event_and_state() -> None:
    with pytest.raises(LocalProtocolError, match="can't send Data in state START"):
        transition(S.START, SEND, Data)
    with pytest.raises(RemoteProtocolError, match="peer sent Resume in state HELLO_SENT"):
        transition(S.HELLO_SENT, RECV, Resume)


@given(
    st.sampled_from(list(ConnectionState)),
    st.sampled_from(list(Direction)),
    st.sampled_from(ALL_EVENTS),
)
def test_lookup_agrees_with_the_table(
    state: ConnectionState, direction: Direction, event: type[Event]
) -> None:
    expected = TRANSITIONS[state].get((direction, event))
    if expected is not None:
        assert transition(state, direction, event) is expected
        return
    error = LocalProtocolError if direction is SEND else RemoteProtocolError
    with pytest.raises(error):
        transition(state, direction, event)


def test_transitions_is_the_session_table_by_state() -> None:
    assert {
        (state, event): target
        for state, moves in TRANSITIONS.items()
        for event, target in moves.items()
    } == dict(SESSION_TABLE.transitions)
    assert SESSION_TABLE.initial is S.START
    assert SESSION_TABLE.final == {S.CLOSED, S.ERROR}
