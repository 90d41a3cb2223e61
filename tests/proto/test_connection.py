"""The Connection, driven through ConnectionPair: handshake, frames, binding, close, errors."""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.errors import LocalProtocolError, RemoteProtocolError
from hotline.proto import (
    NEED_DATA,
    Close,
    CloseCode,
    Connection,
    ConnectionClosed,
    ConnectionState,
    Data,
    Event,
    Frame,
    Heartbeat,
    Hello,
    LinkTest,
    LinkTestReceipt,
    Receipt,
    Resume,
    WitnessCosignature,
    WitnessRefusal,
    WitnessRefusalCode,
    WitnessRequest,
    encode_frame,
)
from hotline.testing.connection_pair import ConnectionPair, Side

from .strategies import session_frames

S = ConnectionState
KEY_A = b"\xa0" * 32
KEY_B = b"\xb0" * 32
KEY_C = b"\xc0" * 32
SESSION = [
    Data(envelope=b"sealed envelope"),
    Receipt(receipt=b"signed receipt"),
    Heartbeat(sent_at_ms=1_763_786_400_000),
    Heartbeat(sent_at_ms=1_763_786_401_000, echo_ms=1_763_786_400_500, held_ms=12),
    Resume(last_held=41),
    LinkTest(envelope=b"sealed test envelope"),
    LinkTestReceipt(receipt=b"signed test receipt"),
    WitnessRequest(checkpoint=b"signed checkpoint", old_size=3, proof=(b"\x11" * 32,)),
    WitnessCosignature(size=5, signature=b"cosignature line"),
    WitnessRefusal(size=5, known_size=4, code=WitnessRefusalCode.INCONSISTENT, reason="fork"),
]
BYE = Close(code=CloseCode.NORMAL, reason="bye")


@pytest.fixture
def pair(chunk_size: int | None) -> ConnectionPair:
    return ConnectionPair(key_a=KEY_A, key_b=KEY_B, chunk_size=chunk_size)


@pytest.fixture
def open_pair(pair: ConnectionPair) -> ConnectionPair:
    pair.handshake()
    return pair


def feed(conn: Connection, data: bytes, chunk_size: int | None) -> list[Event]:
    """Feed raw bytes (not from a peer Connection) and collect events."""
    step = chunk_size or max(len(data), 1)
    out: list[Event] = []
    for start in range(0, len(data), step):
        conn.receive_data(data[start : start + step])
        out.extend(conn.events())
    return out


def hello_from(sender: bytes, recipient: bytes, versions: tuple[int, ...] = (1,)) -> bytes:
    return encode_frame(
        Hello(versions=versions, sender_key=sender, recipient_key=recipient, agent="forger")
    )


# -- construction ----------------------------------------------------------------


def test_a_new_connection() -> None:
    conn = Connection(our_key=KEY_A, peer_key=KEY_B, versions=(1, 2), agent="hotline/0.1")
    assert conn.state is S.START
    assert conn.version is None
    assert conn.peer_agent is None
    assert conn.our_key == KEY_A
    assert conn.peer_key == KEY_B
    assert conn.max_frame_size == 1 << 20
    assert conn.hello() == Hello(
        versions=(1, 2), sender_key=KEY_A, recipient_key=KEY_B, agent="hotline/0.1"
    )
    assert conn.next_event() is NEED_DATA
    assert "START" in repr(conn)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"our_key": b"\x01" * 31}, "our_key must be 32 bytes"),
        ({"peer_key": "b" * 32}, "peer_key must be 32 bytes"),
        ({"peer_key": KEY_A}, "same key"),
        ({"versions": ()}, "versions must not be empty"),
        ({"versions": (0,)}, "version must be in"),
        ({"agent": "a" * 65}, "agent"),
        ({"max_frame_size": 0}, "max_frame_size"),
        ({"max_frame_size": 40}, "over the 40-byte limit"),
    ],
)
def test_construction_refuses_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    arguments: dict[str, Any] = {"our_key": KEY_A, "peer_key": KEY_B, **kwargs}
    with pytest.raises(LocalProtocolError, match=match):
        Connection(**arguments)


# -- handshake -------------------------------------------------------------------


def test_handshake_both_sides_at_once(pair: ConnectionPair) -> None:
    pair.handshake()
    for conn in (pair.a, pair.b):
        assert conn.state is S.OPEN
        assert conn.version == 1
    assert pair.a.peer_agent == "hotline-test-b"
    assert pair.b.peer_agent == "hotline-test-a"


def test_handshake_one_after_the_other(pair: ConnectionPair) -> None:
    # States are read as tuples: mypy would keep an `is` narrowing of
    # pair.a.state across pair.send(), which is what changes it.
    pair.send(Side.A, pair.a.hello())
    assert (pair.a.state, pair.b.state) == (S.HELLO_SENT, S.HELLO_RECEIVED)
    assert pair.a.version is None
    assert pair.b.version is None
    pair.send(Side.B, pair.b.hello())
    assert (pair.a.state, pair.b.state) == (S.OPEN, S.OPEN)
    assert pair.a.version == pair.b.version == 1


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [((1,), (1,), 1), ((1, 2, 3), (2, 3, 4), 3), ((5, 1), (1, 5), 5), ((1, 9), (9,), 9)],
)
def test_version_negotiation_picks_the_highest_common(
    chunk_size: int | None, ours: tuple[int, ...], theirs: tuple[int, ...], expected: int
) -> None:
    pair = ConnectionPair(versions_a=ours, versions_b=theirs, chunk_size=chunk_size)
    pair.handshake()
    assert pair.a.version == pair.b.version == expected


def test_no_common_version_is_a_version_mismatch(chunk_size: int | None) -> None:
    pair = ConnectionPair(versions_a=(1, 2), versions_b=(3,), chunk_size=chunk_size)
    pair.a.send(pair.a.hello())
    with pytest.raises(RemoteProtocolError, match="no common protocol version") as info:
        pair.deliver(Side.A, pair.b.send(pair.b.hello()))
    assert info.value.close_code is CloseCode.VERSION_MISMATCH
    assert pair.a.state is S.ERROR
    assert pair.a.version is None


def test_sender_key_other_than_the_pinned_peer_is_refused(chunk_size: int | None) -> None:
    # B's certificate pinned KEY_B, but the Hello claims to come from KEY_C.
    conn = Connection(our_key=KEY_A, peer_key=KEY_B)
    with pytest.raises(RemoteProtocolError, match="TLS authenticated") as info:
        feed(conn, hello_from(KEY_C, KEY_A), chunk_size)
    assert info.value.close_code is CloseCode.IDENTITY_MISMATCH
    assert conn.state is S.ERROR


def test_hello_addressed_to_someone_else_is_refused(chunk_size: int | None) -> None:
    conn = Connection(our_key=KEY_A, peer_key=KEY_B)
    conn.send(conn.hello())
    with pytest.raises(RemoteProtocolError, match="addressed to") as info:
        feed(conn, hello_from(KEY_B, KEY_C), chunk_size)
    assert info.value.close_code is CloseCode.IDENTITY_MISMATCH


def test_our_own_hello_reflected_back_is_refused(chunk_size: int | None) -> None:
    conn = Connection(our_key=KEY_A, peer_key=KEY_B)
    with pytest.raises(RemoteProtocolError) as info:
        feed(conn, conn.send(conn.hello()), chunk_size)
    assert info.value.close_code is CloseCode.IDENTITY_MISMATCH


def test_mismatched_pinning_fails_on_both_sides(chunk_size: int | None) -> None:
    # A pinned the wrong key for B: each side refuses the other's Hello.
    a = Connection(our_key=KEY_A, peer_key=KEY_C)
    b = Connection(our_key=KEY_B, peer_key=KEY_A)
    to_b, to_a = a.send(a.hello()), b.send(b.hello())
    for conn, data in ((a, to_a), (b, to_b)):
        with pytest.raises(RemoteProtocolError) as info:
            feed(conn, data, chunk_size)
        assert info.value.close_code is CloseCode.IDENTITY_MISMATCH


@pytest.mark.parametrize(
    "overrides",
    [
        {"sender_key": KEY_C},
        {"recipient_key": KEY_C},
        {"versions": (1, 2)},
    ],
)
def test_sending_a_hello_other_than_ours_is_refused(overrides: dict[str, Any]) -> None:
    conn = Connection(our_key=KEY_A, peer_key=KEY_B)
    fields: dict[str, Any] = {
        "versions": (1,),
        "sender_key": KEY_A,
        "recipient_key": KEY_B,
        "agent": "x",
        **overrides,
    }
    with pytest.raises(LocalProtocolError):
        conn.send(Hello(**fields))
    assert conn.state is S.START


def test_another_agent_string_may_be_sent() -> None:
    conn = Connection(our_key=KEY_A, peer_key=KEY_B)
    conn.send(Hello(versions=(1,), sender_key=KEY_A, recipient_key=KEY_B, agent="other"))
    assert conn.state is S.HELLO_SENT


# -- the open session ------------------------------------------------------------


@pytest.mark.parametrize("side", list(Side), ids=lambda s: s.name)
@pytest.mark.parametrize("frame", SESSION, ids=lambda f: type(f).__name__)
def test_every_session_frame_both_ways(open_pair: ConnectionPair, side: Side, frame: Event) -> None:
    assert open_pair.send(side, frame) == [frame]
    assert open_pair.a.state is open_pair.b.state is S.OPEN


def test_a_link_test_and_its_receipt(open_pair: ConnectionPair) -> None:
    # A sends a link test; B answers on the same connection; neither moves the state.
    test = LinkTest(envelope=b"TEST envelope")
    assert open_pair.send(Side.A, test) == [test]
    answer = LinkTestReceipt(receipt=b"receipt for the test")
    assert open_pair.send(Side.B, answer) == [answer]
    assert open_pair.a.state is open_pair.b.state is S.OPEN


def test_heartbeat_echo_arrives_intact(open_pair: ConnectionPair) -> None:
    first = Heartbeat(sent_at_ms=1_000)
    assert open_pair.send(Side.A, first) == [first]
    echo = Heartbeat(sent_at_ms=77_000, echo_ms=first.sent_at_ms, held_ms=40)
    (received,) = open_pair.send(Side.B, echo)
    assert isinstance(received, Heartbeat)
    assert (received.echo_ms, received.held_ms) == (1_000, 40)


def test_many_frames_in_one_read(open_pair: ConnectionPair) -> None:
    data = b"".join(open_pair.a.send(frame) for frame in SESSION)
    assert open_pair.deliver(Side.B, data) == SESSION


def test_a_large_envelope(open_pair: ConnectionPair) -> None:
    if open_pair.chunk_size == 1:
        open_pair.chunk_size = 4096  # a byte at a time over 1 MiB would only test patience
    envelope = bytes(range(256)) * 4000
    assert open_pair.send(Side.A, Data(envelope=envelope)) == [Data(envelope=envelope)]


def test_an_envelope_over_the_frame_limit_cannot_be_sent(open_pair: ConnectionPair) -> None:
    with pytest.raises(LocalProtocolError, match="over the"):
        open_pair.a.send(Data(envelope=b"\x00" * (1 << 20)))
    assert open_pair.a.state is S.OPEN


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(list(Side)), session_frames), max_size=12),
    st.sampled_from([None, 1, 3, 7]),
)
def test_random_conversations_arrive_intact(
    conversation: list[tuple[Side, Event]], chunk_size: int | None
) -> None:
    pair = ConnectionPair(chunk_size=chunk_size)
    pair.handshake()
    for side, frame in conversation:
        pair.send(side, frame)
    assert pair.a.state is pair.b.state is S.OPEN


# -- closing ---------------------------------------------------------------------


def test_orderly_close(open_pair: ConnectionPair) -> None:
    open_pair.send(Side.A, BYE)
    # A tuple, so mypy does not carry the narrowing of a.state past the send.
    assert (open_pair.a.state, open_pair.b.state) == (S.CLOSING, S.CLOSED)
    open_pair.send(Side.B, BYE)
    assert open_pair.a.state is S.CLOSED
    assert open_pair.hang_up(Side.B) == [ConnectionClosed(clean=True)]
    assert open_pair.hang_up(Side.A) == [ConnectionClosed(clean=True)]
    assert open_pair.a.version == 1  # the negotiated version outlives the session


def test_pair_close_helper(open_pair: ConnectionPair) -> None:
    open_pair.close(Side.B, Close(code=CloseCode.SHUTTING_DOWN, reason="maintenance"))
    assert open_pair.a.state is open_pair.b.state is S.CLOSED


def test_simultaneous_close(open_pair: ConnectionPair) -> None:
    from_a, from_b = open_pair.a.send(BYE), open_pair.b.send(BYE)
    assert open_pair.deliver(Side.B, from_a) == [BYE]
    assert open_pair.deliver(Side.A, from_b) == [BYE]
    assert open_pair.a.state is open_pair.b.state is S.CLOSED
    assert open_pair.hang_up(Side.A) == [ConnectionClosed(clean=True)]


def test_redundant_close_is_tolerated(open_pair: ConnectionPair) -> None:
    open_pair.send(Side.A, BYE)
    open_pair.send(Side.A, BYE)  # again, from CLOSING
    open_pair.send(Side.B, BYE)
    open_pair.send(Side.B, BYE)  # again, from CLOSED
    assert open_pair.a.state is open_pair.b.state is S.CLOSED


def test_closing_drains_frames_in_flight(open_pair: ConnectionPair) -> None:
    in_flight = b"".join(open_pair.b.send(frame) for frame in SESSION)
    open_pair.send(Side.A, BYE)
    assert open_pair.deliver(Side.A, in_flight) == SESSION
    assert open_pair.a.state is S.CLOSING


@pytest.mark.parametrize(
    "frame", [*SESSION, Hello], ids=lambda f: getattr(f, "__name__", None) or type(f).__name__
)
def test_closing_side_sends_nothing_but_close(open_pair: ConnectionPair, frame: Any) -> None:
    open_pair.send(Side.A, BYE)
    event = open_pair.a.hello() if frame is Hello else frame
    with pytest.raises(LocalProtocolError, match="in state CLOSING"):
        open_pair.a.send(event)
    assert open_pair.a.state is S.CLOSING


def test_close_before_hello(pair: ConnectionPair) -> None:
    refusal = Close(code=CloseCode.SHUTTING_DOWN, reason="not now")
    pair.send(Side.A, refusal)
    assert pair.a.state is S.CLOSING
    assert pair.b.state is S.CLOSED
    assert pair.a.version is pair.b.version is None


def test_peer_hello_can_arrive_while_closing(pair: ConnectionPair) -> None:
    hello_b = pair.b.send(pair.b.hello())
    pair.a.send(BYE)
    assert pair.deliver(Side.A, hello_b) == [pair.b.hello()]
    assert pair.a.state is S.CLOSING
    assert pair.a.version is None


def test_frames_after_the_peers_close_are_refused(open_pair: ConnectionPair) -> None:
    data = open_pair.a.send(BYE)
    # A misbehaving A keeps talking after its Close: forge the bytes directly.
    data += encode_frame(Data(envelope=b"late"))
    with pytest.raises(RemoteProtocolError, match="peer sent Data in state CLOSED"):
        open_pair.deliver(Side.B, data)
    assert open_pair.b.state is S.ERROR


@pytest.mark.parametrize(
    "frame",
    [LinkTest(envelope=b"late"), LinkTestReceipt(receipt=b"late")],
    ids=lambda f: type(f).__name__,
)
def test_link_tests_after_the_peers_close_are_refused(
    open_pair: ConnectionPair, frame: LinkTest | LinkTestReceipt
) -> None:
    data = open_pair.a.send(BYE) + encode_frame(frame)
    with pytest.raises(
        RemoteProtocolError, match=f"peer sent {type(frame).__name__} in state CLOSED"
    ):
        open_pair.deliver(Side.B, data)
    assert open_pair.b.state is S.ERROR


# -- end of stream ---------------------------------------------------------------


@pytest.mark.parametrize("when", ["start", "hello-sent", "open", "closing"])
def test_eof_without_close_is_unclean(pair: ConnectionPair, when: str) -> None:
    if when != "start":
        pair.a.send(pair.a.hello())
    if when in ("open", "closing"):
        pair.deliver(Side.A, pair.b.send(pair.b.hello()))
    if when == "closing":
        pair.a.send(BYE)
    assert pair.hang_up(Side.B) == [ConnectionClosed(clean=False)]
    assert pair.a.state is S.CLOSED


def test_partial_frame_at_eof_is_unclean(open_pair: ConnectionPair) -> None:
    open_pair.send(Side.B, BYE)
    partial = encode_frame(Data(envelope=b"cut off"))[:-2]
    assert open_pair.deliver(Side.A, partial) == []
    assert open_pair.hang_up(Side.B) == [ConnectionClosed(clean=False)]


def test_after_eof(open_pair: ConnectionPair) -> None:
    conn = open_pair.a
    conn.receive_data(b"")
    closed = conn.next_event()
    assert closed == ConnectionClosed(clean=False)
    assert conn.next_event() is closed  # stable, and events() terminates
    assert list(conn.events()) == [closed]
    conn.receive_data(b"")  # a repeated EOF is harmless
    with pytest.raises(LocalProtocolError, match="after EOF"):
        conn.receive_data(b"more")


def test_frames_before_eof_come_first(open_pair: ConnectionPair) -> None:
    open_pair.a.receive_data(open_pair.b.send(Data(envelope=b"last words")) + open_pair.b.send(BYE))
    open_pair.a.receive_data(b"")
    assert list(open_pair.a.events()) == [
        Data(envelope=b"last words"),
        BYE,
        ConnectionClosed(clean=True),
    ]


# -- forbidden sends and receives ------------------------------------------------


@pytest.mark.parametrize("frame", SESSION, ids=lambda f: type(f).__name__)
@pytest.mark.parametrize("when", ["start", "hello-sent", "hello-received"])
def test_session_frames_cannot_be_sent_before_open(
    pair: ConnectionPair, frame: Event, when: str
) -> None:
    if when == "hello-sent":
        pair.a.send(pair.a.hello())
    if when == "hello-received":
        pair.deliver(Side.A, pair.b.send(pair.b.hello()))
    before = pair.a.state
    with pytest.raises(LocalProtocolError, match=f"can't send {type(frame).__name__}"):
        pair.a.send(frame)
    assert pair.a.state is before


def test_hello_cannot_be_sent_twice(open_pair: ConnectionPair) -> None:
    with pytest.raises(LocalProtocolError, match="can't send Hello in state OPEN"):
        open_pair.a.send(open_pair.a.hello())


def test_connection_closed_cannot_be_sent(open_pair: ConnectionPair) -> None:
    with pytest.raises(LocalProtocolError, match="can't send ConnectionClosed"):
        open_pair.a.send(ConnectionClosed(clean=True))


def test_non_events_cannot_be_sent(open_pair: ConnectionPair) -> None:
    with pytest.raises(LocalProtocolError, match="not a protocol event"):
        open_pair.a.send(b"raw bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize("frame", SESSION, ids=lambda f: type(f).__name__)
def test_session_frame_before_hello_is_refused(frame: Frame, chunk_size: int | None) -> None:
    conn = Connection(our_key=KEY_A, peer_key=KEY_B)
    conn.send(conn.hello())
    with pytest.raises(RemoteProtocolError, match="in state HELLO_SENT") as info:
        feed(conn, encode_frame(frame), chunk_size)
    assert info.value.close_code is CloseCode.PROTOCOL_ERROR
    assert conn.state is S.ERROR


def test_second_hello_is_refused(open_pair: ConnectionPair) -> None:
    with pytest.raises(RemoteProtocolError, match="peer sent Hello in state OPEN"):
        open_pair.deliver(Side.A, hello_from(KEY_B, KEY_A))


def test_oversized_frame_is_refused_at_its_prefix(open_pair: ConnectionPair) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        open_pair.deliver(Side.A, struct.pack(">I", (1 << 20) + 1))
    assert info.value.close_code is CloseCode.FRAME_TOO_LARGE


# -- the ERROR state ---------------------------------------------------------------


def test_after_a_remote_error(open_pair: ConnectionPair) -> None:
    conn = open_pair.a
    with pytest.raises(RemoteProtocolError) as first:
        open_pair.deliver(Side.A, struct.pack(">I", 0))
    assert conn.state is S.ERROR
    # The same error again, however often it is asked.
    for _ in range(2):
        with pytest.raises(RemoteProtocolError) as again:
            conn.next_event()
        assert str(again.value) == str(first.value)
        assert again.value.close_code is CloseCode.FRAME_TOO_LARGE
    conn.receive_data(encode_frame(Data(envelope=b"ignored")))  # discarded, no error
    with pytest.raises(LocalProtocolError, match="in state ERROR"):
        conn.send(Data(envelope=b"x"))
    # Only Close may go out, to tell the peer why.
    wire = conn.send(Close(code=CloseCode(first.value.close_code), reason=str(first.value)[:200]))
    close = open_pair.deliver(Side.B, wire)[0]
    assert isinstance(close, Close)
    assert close.code is CloseCode.FRAME_TOO_LARGE
    assert conn.state is S.ERROR


def test_send_failed(open_pair: ConnectionPair) -> None:
    conn = open_pair.a
    conn.send_failed()
    assert conn.state is S.ERROR
    with pytest.raises(LocalProtocolError, match="send_failed"):
        conn.next_event()
    with pytest.raises(LocalProtocolError):
        conn.send(Heartbeat(sent_at_ms=1))
    conn.send(Close(code=CloseCode.SHUTTING_DOWN, reason=""))


def test_send_failed_keeps_an_earlier_remote_error(open_pair: ConnectionPair) -> None:
    with pytest.raises(RemoteProtocolError):
        open_pair.deliver(Side.A, struct.pack(">I", 0))
    open_pair.a.send_failed()
    with pytest.raises(RemoteProtocolError):
        open_pair.a.next_event()


# -- the fuzz invariant ----------------------------------------------------------


@settings(max_examples=300)
@given(st.binary(max_size=200), st.sampled_from([None, 1, 5]))
def test_arbitrary_bytes_to_an_open_connection(data: bytes, chunk_size: int | None) -> None:
    pair = ConnectionPair(key_a=KEY_A, key_b=KEY_B)
    pair.handshake()
    try:
        events = feed(pair.a, data, chunk_size)
    except RemoteProtocolError:
        assert pair.a.state is S.ERROR
        return
    assert all(isinstance(event, Event) for event in events)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(session_frames, min_size=1, max_size=4), st.data())
def test_mutated_valid_streams_to_an_open_connection(frames: list[Event], data: Any) -> None:
    # Random bytes rarely get past the length prefix; flipping bytes inside a
    # valid stream reaches the CBOR decoder and the field checks.
    pair = ConnectionPair(key_a=KEY_A, key_b=KEY_B)
    pair.handshake()
    stream = bytearray(b"".join(pair.b.send(frame) for frame in frames))
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(stream) - 1))
        stream[index] = data.draw(st.integers(0, 255))
    try:
        pair.deliver(Side.A, bytes(stream) + data.draw(st.sampled_from([b"", b"\x00"])))
        pair.hang_up(Side.B)
    except RemoteProtocolError:
        assert pair.a.state is S.ERROR


def test_standalone_fuzz_harness_runs() -> None:
    # fuzz/proto_fuzz.py is run by hand for long sessions; keep it working.
    path = Path(__file__).resolve().parents[2] / "fuzz" / "proto_fuzz.py"
    spec = importlib.util.spec_from_file_location("proto_fuzz", path)
    assert spec is not None
    assert spec.loader is not None
    harness = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(harness)
    harness.run_without_atheris(iterations=300, seed=1)


# -- the ConnectionPair helper itself ----------------------------------------------


def test_pair_notices_events_other_than_expected(open_pair: ConnectionPair) -> None:
    with pytest.raises(AssertionError, match="received"):
        open_pair.send(Side.A, Data(envelope=b"x"), expect=[Data(envelope=b"y")])


def test_pair_accepts_an_explicit_expectation(open_pair: ConnectionPair) -> None:
    frame = Heartbeat(sent_at_ms=5)
    assert open_pair.send(Side.B, frame, expect=[frame]) == [frame]


def test_pair_handshake_notices_failure() -> None:
    pair = ConnectionPair(versions_a=(1,), versions_b=(2,))
    with pytest.raises(RemoteProtocolError):
        pair.handshake()


def test_pair_generates_distinct_keys() -> None:
    pair = ConnectionPair()
    assert len(pair.key_a) == len(pair.key_b) == 32
    assert pair.key_a != pair.key_b
    assert pair.a.peer_key == pair.b.our_key == pair.key_b
    assert Side.A.other is Side.B
    assert Side.B.other is Side.A


def test_pair_refuses_a_zero_chunk_size() -> None:
    with pytest.raises(ValueError):
        ConnectionPair(chunk_size=0)
