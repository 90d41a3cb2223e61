"""The witnessing frames: their invariants, their wire form, and where the session allows them.

The generic suites (test_events, test_framing, test_states, test_connection) hold
these frames to every rule the others keep; this file tests what is theirs alone.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.errors import LocalProtocolError, RemoteProtocolError
from hotline.proto import (
    TRANSITIONS,
    UINT64_MAX,
    WITNESS_CHECKPOINT_MAX_SIZE,
    WITNESS_COSIGNATURE_MAX_SIZE,
    WITNESS_HASH_SIZE,
    WITNESS_PROOF_MAX_HASHES,
    WITNESS_REASON_MAX_CHARS,
    Close,
    CloseCode,
    Connection,
    ConnectionState,
    Data,
    Direction,
    Event,
    WitnessCosignature,
    WitnessRefusal,
    WitnessRefusalCode,
    WitnessRequest,
    decode_frame,
    encode_frame,
    transition,
)
from hotline.testing.connection_pair import ConnectionPair, Side

from .strategies import witness_cosignatures, witness_refusals, witness_requests

S = ConnectionState
KEY_A = b"\xa0" * 32
KEY_B = b"\xb0" * 32
HASH = bytes(range(WITNESS_HASH_SIZE))
WITNESS_FRAMES: tuple[type[Event], ...] = (WitnessRequest, WitnessCosignature, WitnessRefusal)
SAMPLES: list[WitnessRequest | WitnessCosignature | WitnessRefusal] = [
    WitnessRequest(checkpoint=b"example.com/log\n7\nroot\n\n- sig\n", old_size=5, proof=(HASH,)),
    WitnessCosignature(size=7, signature="— peer/witness AAAA\n".encode()),
    WitnessRefusal(size=7, known_size=6, code=WitnessRefusalCode.OLD_SIZE_MISMATCH, reason="6"),
]


# -- the events -------------------------------------------------------------------


def test_refusal_codes_are_the_documented_numbers() -> None:
    # Wire values: once sent, a number keeps its meaning for ever.
    assert {code.name: int(code) for code in WitnessRefusalCode} == {
        "OLD_SIZE_MISMATCH": 1,
        "INCONSISTENT": 2,
        "ROLLBACK": 3,
        "BAD_SIGNATURE": 4,
        "UNKNOWN_LOG": 5,
    }


def test_the_bounds_are_the_documented_ones() -> None:
    assert WITNESS_CHECKPOINT_MAX_SIZE == 8192
    assert WITNESS_COSIGNATURE_MAX_SIZE == 4096
    assert WITNESS_HASH_SIZE == 32
    # C2SP tlog-witness: "The client MUST NOT send more than 63 consistency proof lines."
    assert WITNESS_PROOF_MAX_HASHES == 63
    assert WITNESS_REASON_MAX_CHARS == 200


def test_requests_at_their_bounds_are_valid() -> None:
    request = WitnessRequest(
        checkpoint=b"c" * WITNESS_CHECKPOINT_MAX_SIZE,
        old_size=UINT64_MAX,
        proof=(HASH,) * WITNESS_PROOF_MAX_HASHES,
    )
    assert decode_frame(encode_frame(request)[4:]) == request
    assert WitnessRequest(checkpoint=b"c", old_size=0, proof=()).proof == ()
    # Same size as the cosigned one: nothing to prove, so a proof may be empty.
    assert WitnessRequest(checkpoint=b"c", old_size=9, proof=()).old_size == 9


def test_answers_at_their_bounds_are_valid() -> None:
    cosigned = WitnessCosignature(size=UINT64_MAX, signature=b"s" * WITNESS_COSIGNATURE_MAX_SIZE)
    assert decode_frame(encode_frame(cosigned)[4:]) == cosigned
    refusal = WitnessRefusal(
        size=UINT64_MAX - 1,
        known_size=UINT64_MAX,
        code=WitnessRefusalCode.ROLLBACK,
        reason="é" * WITNESS_REASON_MAX_CHARS,
    )
    assert decode_frame(encode_frame(refusal)[4:]) == refusal


def request(**overrides: Any) -> WitnessRequest:
    fields: dict[str, Any] = {"checkpoint": b"note", "old_size": 3, "proof": (HASH,)}
    return WitnessRequest(**(fields | overrides))


def refusal(**overrides: Any) -> WitnessRefusal:
    fields: dict[str, Any] = {
        "size": 8,
        "known_size": 9,
        "code": WitnessRefusalCode.INCONSISTENT,
        "reason": "",
    }
    return WitnessRefusal(**(fields | overrides))


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: request(checkpoint=b""), "checkpoint must not be empty"),
        (lambda: request(checkpoint="note"), "checkpoint must be bytes"),
        (lambda: request(checkpoint=bytearray(b"n")), "checkpoint must be bytes"),
        (lambda: request(checkpoint=b"n" * 8193), "checkpoint must be at most 8192 bytes"),
        (lambda: request(old_size=-1), "old_size must be in"),
        (lambda: request(old_size=2**64), "old_size must be in"),
        (lambda: request(old_size=False), "old_size must be an int"),
        (lambda: request(proof=[HASH]), "proof must be a tuple, not list"),
        (lambda: request(proof=HASH), "proof must be a tuple, not bytes"),
        (lambda: request(proof=(HASH,) * 64), "at most 63 hashes, not 64"),
        (lambda: request(proof=(HASH[:31],)), "proof hash must be 32 bytes, not 31"),
        (lambda: request(proof=(HASH, HASH + b"!")), "proof hash must be 32 bytes, not 33"),
        (lambda: request(proof=(HASH.hex(),)), "proof hash must be bytes"),
        (lambda: request(old_size=0), "proof must be empty when old_size is 0"),
        (lambda: WitnessCosignature(size=-1, signature=b"s"), "size must be in"),
        (lambda: WitnessCosignature(size=1, signature=b""), "signature must not be empty"),
        (lambda: WitnessCosignature(size=1, signature="s"), "signature must be bytes"),  # type: ignore[arg-type]
        (lambda: WitnessCosignature(size=1, signature=b"s" * 4097), "at most 4096 bytes"),
        (lambda: WitnessCosignature(size=1, signature=b"\x80"), "not valid UTF-8"),
        (lambda: WitnessCosignature(size=1, signature=b"\xed\xa0\x80"), "not valid UTF-8"),
        (lambda: refusal(size=-1), "size must be in"),
        (lambda: refusal(known_size=2**64), "known_size must be in"),
        (lambda: refusal(code=2), "code must be a WitnessRefusalCode, not int"),
        (lambda: refusal(code=CloseCode.PROTOCOL_ERROR), "must be a WitnessRefusalCode"),
        (lambda: refusal(reason="r" * 201), "at most 200 characters"),
        (lambda: refusal(reason=b"why"), "reason must be a str"),
        (lambda: refusal(reason="\ud800"), "not valid Unicode"),
        (
            lambda: refusal(code=WitnessRefusalCode.ROLLBACK, size=9, known_size=9),
            "ROLLBACK refusal needs size < known_size",
        ),
        (
            lambda: refusal(code=WitnessRefusalCode.ROLLBACK, size=0, known_size=0),
            "ROLLBACK refusal needs size < known_size",
        ),
        (
            lambda: refusal(code=WitnessRefusalCode.UNKNOWN_LOG, known_size=1),
            "UNKNOWN_LOG refusal has known_size 0",
        ),
    ],
)
def test_witness_frames_refuse_broken_invariants(build: Any, match: str) -> None:
    with pytest.raises(LocalProtocolError, match=match):
        build()


@pytest.mark.parametrize("code", list(WitnessRefusalCode), ids=lambda c: c.name)
def test_every_code_has_a_valid_refusal(code: WitnessRefusalCode) -> None:
    known_size = 0 if code is WitnessRefusalCode.UNKNOWN_LOG else 9
    refused = WitnessRefusal(size=4, known_size=known_size, code=code, reason=code.name)
    assert refused.code is code


@given(witness_requests)
def test_replace_revalidates_a_request(original: WitnessRequest) -> None:
    with pytest.raises(LocalProtocolError):
        dataclasses.replace(original, proof=(HASH,) * (WITNESS_PROOF_MAX_HASHES + 1))
    assert dataclasses.replace(original) == original


# -- the wire form ----------------------------------------------------------------


@given(st.one_of(witness_requests, witness_cosignatures, witness_refusals))
def test_round_trip(frame: WitnessRequest | WitnessCosignature | WitnessRefusal) -> None:
    decoded = decode_frame(encode_frame(frame)[4:])
    assert type(decoded) is type(frame)
    assert decoded == frame


@given(witness_refusals)
def test_a_decoded_refusal_carries_the_enum(frame: WitnessRefusal) -> None:
    decoded = decode_frame(encode_frame(frame)[4:])
    assert isinstance(decoded, WitnessRefusal)
    assert type(decoded.code) is WitnessRefusalCode


def test_the_maps_use_the_wire_names() -> None:
    request_map = cbor2.loads(encode_frame(SAMPLES[0])[4:])
    assert request_map == {
        "t": "witness",
        "checkpoint": b"example.com/log\n7\nroot\n\n- sig\n",
        "old_size": 5,
        "proof": [HASH],
    }
    assert cbor2.loads(encode_frame(SAMPLES[1])[4:]) == {
        "t": "cosigned",
        "size": 7,
        "signature": "— peer/witness AAAA\n".encode(),
    }
    assert cbor2.loads(encode_frame(SAMPLES[2])[4:]) == {
        "t": "refused",
        "size": 7,
        "known_size": 6,
        "code": 1,
        "reason": "6",
    }


def test_a_proof_hash_of_the_wrong_size_names_the_problem() -> None:
    body = cbor2.dumps({"t": "witness", "checkpoint": b"n", "old_size": 1, "proof": [b"\x00"]})
    with pytest.raises(RemoteProtocolError, match="proof hash must be 32 bytes") as info:
        decode_frame(body)
    assert info.value.close_code is CloseCode.PROTOCOL_ERROR


def test_an_unknown_refusal_code_names_it() -> None:
    body = cbor2.dumps({"t": "refused", "size": 1, "known_size": 1, "code": 9, "reason": ""})
    with pytest.raises(RemoteProtocolError, match="refused frame has unknown code 9") as info:
        decode_frame(body)
    assert info.value.close_code is CloseCode.PROTOCOL_ERROR


def test_a_largest_request_fits_a_frame() -> None:
    # The largest request is a few KiB: well inside the 1 MiB frame, with room to spare.
    largest = WitnessRequest(
        checkpoint=b"\xff" * WITNESS_CHECKPOINT_MAX_SIZE,
        old_size=UINT64_MAX,
        proof=(HASH,) * WITNESS_PROOF_MAX_HASHES,
    )
    assert len(encode_frame(largest)) < 16 * 1024


# -- the session --------------------------------------------------------------------


@pytest.mark.parametrize("frame", WITNESS_FRAMES, ids=lambda c: c.__name__)
def test_where_the_witness_frames_may_go(frame: type[Event]) -> None:
    allowed = {
        (state, direction)
        for state, moves in TRANSITIONS.items()
        for direction in Direction
        if (direction, frame) in moves
    }
    # Both ways in OPEN, and drained when the peer sent it before seeing our Close.
    assert allowed == {
        (S.OPEN, Direction.SEND),
        (S.OPEN, Direction.RECEIVE),
        (S.CLOSING, Direction.RECEIVE),
    }
    for direction in Direction:
        assert transition(S.OPEN, direction, frame) is S.OPEN


@pytest.mark.parametrize("frame", SAMPLES, ids=lambda f: type(f).__name__)
@pytest.mark.parametrize("side", list(Side), ids=lambda s: s.name)
def test_each_side_may_witness_the_other(
    frame: WitnessRequest | WitnessCosignature | WitnessRefusal, side: Side
) -> None:
    pair = ConnectionPair(key_a=KEY_A, key_b=KEY_B)
    pair.handshake()
    assert pair.send(side, frame) == [frame]
    assert pair.a.state is pair.b.state is S.OPEN


def test_a_request_and_its_answer_amid_messages() -> None:
    pair = ConnectionPair(key_a=KEY_A, key_b=KEY_B, chunk_size=1)
    pair.handshake()
    ask, answer = SAMPLES[0], SAMPLES[1]
    data = pair.a.send(Data(envelope=b"m1")) + pair.a.send(ask) + pair.a.send(Data(envelope=b"m2"))
    assert pair.deliver(Side.B, data) == [Data(envelope=b"m1"), ask, Data(envelope=b"m2")]
    assert pair.send(Side.B, answer) == [answer]


@pytest.mark.parametrize("frame", SAMPLES, ids=lambda f: type(f).__name__)
@pytest.mark.parametrize("when", ["start", "hello-sent", "hello-received"])
def test_refused_before_the_session_is_established(
    frame: WitnessRequest | WitnessCosignature | WitnessRefusal, when: str
) -> None:
    ours = Connection(our_key=KEY_A, peer_key=KEY_B)
    peer = Connection(our_key=KEY_B, peer_key=KEY_A)
    if when == "hello-sent":
        ours.send(ours.hello())
    if when == "hello-received":
        ours.receive_data(peer.send(peer.hello()))
        assert list(ours.events()) == [peer.hello()]
    state = ours.state
    # Sending one is our bug, and changes nothing...
    with pytest.raises(LocalProtocolError, match=f"can't send {type(frame).__name__} in state"):
        ours.send(frame)
    assert ours.state is state
    # ...receiving one is the peer's, and ends the session.
    ours.receive_data(encode_frame(frame))
    with pytest.raises(RemoteProtocolError, match=f"peer sent {type(frame).__name__}") as info:
        list(ours.events())
    assert info.value.close_code is CloseCode.PROTOCOL_ERROR
    assert ours.state is S.ERROR


@pytest.mark.parametrize("frame", SAMPLES, ids=lambda f: type(f).__name__)
def test_refused_after_the_peers_close(
    frame: WitnessRequest | WitnessCosignature | WitnessRefusal,
) -> None:
    pair = ConnectionPair(key_a=KEY_A, key_b=KEY_B)
    pair.handshake()
    data = pair.a.send(Close(code=CloseCode.NORMAL, reason="bye")) + encode_frame(frame)
    with pytest.raises(
        RemoteProtocolError, match=f"peer sent {type(frame).__name__} in state CLOSED"
    ):
        pair.deliver(Side.B, data)
    assert pair.b.state is S.ERROR


@pytest.mark.parametrize("frame", SAMPLES, ids=lambda f: type(f).__name__)
def test_drained_while_closing(frame: WitnessRequest | WitnessCosignature | WitnessRefusal) -> None:
    # An answer already in flight when we closed still reaches us: the record
    # layer keeps a cosignature, or journals a refusal, that crossed our Close.
    pair = ConnectionPair(key_a=KEY_A, key_b=KEY_B)
    pair.handshake()
    in_flight = pair.b.send(frame)
    pair.a.send(Close(code=CloseCode.NORMAL, reason="bye"))
    assert pair.deliver(Side.A, in_flight) == [frame]
    assert pair.a.state is S.CLOSING
    with pytest.raises(LocalProtocolError, match="in state CLOSING"):
        pair.a.send(frame)
