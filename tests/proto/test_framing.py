"""Framing: the length prefix, the CBOR body, fixed vectors, and what the decoder refuses."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hotline.errors import LocalProtocolError, RemoteProtocolError
from hotline.proto import (
    DEFAULT_MAX_FRAME_SIZE,
    FRAME_SIZE_LIMIT,
    Close,
    CloseCode,
    ConnectionClosed,
    Data,
    Frame,
    FrameReader,
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
    decode_frame,
    encode_frame,
    max_envelope_size,
)
from hotline.proto.framing import check_max_frame_size

from .strategies import frames, heartbeats, link_test_receipts, link_tests, uint64

KEY_A = bytes(range(32))
KEY_B = bytes(range(32, 64))

# Fixed vectors: the exact bytes version 1 puts on the wire. They also appear in
# docs/protocol/framing.md; a change here is a wire-format change.
VECTORS: list[tuple[Frame, str]] = [
    (Data(envelope=b"x"), "00000013a26174646461746168656e76656c6f70654178"),
    (Receipt(receipt=b"\x01\x02"), "00000016a2617467726563656970746772656365697074420102"),
    (
        Heartbeat(sent_at_ms=1_700_000_000_000),
        "00000021a26174696865617274626561746a73656e745f61745f6d731b0000018bcfe56800",
    ),
    (Resume(last_held=7), "00000015a2617466726573756d65696c6173745f68656c6407"),
    (
        Resume(last_held=7, last_hash=bytes(range(32))),
        "00000041a3617466726573756d65696c6173745f686173685820000102030405060708090a0b0c0d0e0f"
        "101112131415161718191a1b1c1d1e1f696c6173745f68656c6407",
    ),
    (
        Close(code=CloseCode.NORMAL, reason="bye"),
        "0000001aa3617465636c6f736564636f64650066726561736f6e63627965",
    ),
    (
        Heartbeat(sent_at_ms=1_700_000_000_250, echo_ms=1_699_999_999_000, held_ms=250),
        "0000003ca4617469686561727462656174676563686f5f6d731b0000018bcfe564186768656c645f6d73"
        "18fa6a73656e745f61745f6d731b0000018bcfe568fa",
    ),
    (LinkTest(envelope=b"x"), "00000013a26174647465737468656e76656c6f70654178"),
    (
        LinkTestReceipt(receipt=b"\x01\x02"),
        "0000001ba261746c746573745f726563656970746772656365697074420102",
    ),
    (
        WitnessRequest(checkpoint=b"x", old_size=0, proof=()),
        "00000029a46174677769746e6573736570726f6f6680686f6c645f73697a65006a636865636b706f696e74"
        "4178",
    ),
    (
        WitnessRequest(checkpoint=b"x", old_size=1, proof=(bytes(range(32)),)),
        "0000004ba46174677769746e6573736570726f6f66815820000102030405060708090a0b0c0d0e0f1011"
        "12131415161718191a1b1c1d1e1f686f6c645f73697a65016a636865636b706f696e744178",
    ),
    (
        WitnessCosignature(size=2, signature="— w AAAA\n".encode()),
        "00000028a3617468636f7369676e65646473697a6502697369676e61747572654be28094207720414141410a",
    ),
    (
        WitnessRefusal(
            size=5, known_size=9, code=WitnessRefusalCode.OLD_SIZE_MISMATCH, reason="old"
        ),
        "0000002ea56174677265667573656464636f6465016473697a650566726561736f6e636f6c646a6b6e6f"
        "776e5f73697a6509",
    ),
    (
        Hello(versions=(1,), sender_key=KEY_A, recipient_key=KEY_B, agent="hotline"),
        "0000007fa561746568656c6c6f656167656e7467686f746c696e656876657273696f6e7381016a73656e"
        "6465725f6b65795820000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f6d"
        "726563697069656e745f6b65795820202122232425262728292a2b2c2d2e2f303132333435363738393a"
        "3b3c3d3e3f",
    ),
]


def feed_all(
    data: bytes, chunk_size: int | None, *, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE
) -> tuple[list[Frame], FrameReader]:
    """Feed ``data`` whole or in chunks, collecting every frame after each piece."""
    reader = FrameReader(max_frame_size=max_frame_size)
    step = len(data) if chunk_size is None else chunk_size
    out: list[Frame] = []
    for start in range(0, len(data), max(step, 1)):
        reader.feed(data[start : start + max(step, 1)])
        while (frame := reader.next_frame()) is not None:
            out.append(frame)
    return out, reader


def framed(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


def framed_map(fields: dict[Any, Any]) -> bytes:
    return framed(cbor2.dumps(fields, canonical=True))


# -- encoding ----------------------------------------------------------------


@pytest.mark.parametrize(("frame", "wire"), VECTORS, ids=lambda v: type(v).__name__)
def test_encoding_matches_fixed_vectors(frame: Frame, wire: str) -> None:
    assert encode_frame(frame).hex() == wire


@pytest.mark.parametrize(("frame", "wire"), VECTORS, ids=lambda v: type(v).__name__)
def test_decoding_fixed_vectors(frame: Frame, wire: str, chunk_size: int | None) -> None:
    decoded, reader = feed_all(bytes.fromhex(wire), chunk_size)
    assert decoded == [frame]
    assert reader.buffered == 0


def test_framing_doc_lists_the_vectors() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "protocol" / "framing.md").read_text(
        encoding="utf-8"
    )
    for frame, wire in VECTORS:
        assert wire in doc, f"docs/protocol/framing.md lacks the {type(frame).__name__} vector"


def test_body_is_canonical_cbor() -> None:
    for frame, wire in VECTORS:
        body = bytes.fromhex(wire)[4:]
        assert cbor2.dumps(cbor2.loads(body), canonical=True) == body, frame


def test_encode_refuses_frames_over_the_limit() -> None:
    frame = Data(envelope=b"\x00" * 100)
    size = len(encode_frame(frame)) - 4
    assert len(encode_frame(frame, max_frame_size=size)) == size + 4
    with pytest.raises(LocalProtocolError, match="over the"):
        encode_frame(frame, max_frame_size=size - 1)


def test_encode_refuses_non_frames() -> None:
    with pytest.raises(LocalProtocolError, match="not a frame"):
        encode_frame(ConnectionClosed(clean=True))  # type: ignore[arg-type]


@pytest.mark.parametrize("max_frame_size", [23, 24, 40, 41, 300, 70_000, DEFAULT_MAX_FRAME_SIZE])
def test_max_envelope_size_is_exact(max_frame_size: int) -> None:
    largest = max_envelope_size(max_frame_size)
    assert largest > 0
    encode_frame(Data(envelope=b"\x00" * largest), max_frame_size=max_frame_size)
    with pytest.raises(LocalProtocolError):
        encode_frame(Data(envelope=b"\x00" * (largest + 1)), max_frame_size=max_frame_size)


def test_max_envelope_size_when_nothing_fits() -> None:
    assert max_envelope_size(10) == 0


@pytest.mark.parametrize("bad", [0, -1, FRAME_SIZE_LIMIT + 1, 1.5, True])
def test_max_frame_size_must_fit_the_prefix(bad: Any) -> None:
    with pytest.raises(LocalProtocolError, match="max_frame_size"):
        check_max_frame_size(bad)
    with pytest.raises(LocalProtocolError):
        FrameReader(max_frame_size=bad)


def test_encoding_omits_absent_echo_fields() -> None:
    body = cbor2.loads(encode_frame(Heartbeat(sent_at_ms=9))[4:])
    assert body == {"t": "heartbeat", "sent_at_ms": 9}
    body = cbor2.loads(encode_frame(Heartbeat(sent_at_ms=9, echo_ms=0, held_ms=0))[4:])
    assert body == {"t": "heartbeat", "sent_at_ms": 9, "echo_ms": 0, "held_ms": 0}


def test_link_test_frames_use_their_own_wire_names() -> None:
    assert cbor2.loads(encode_frame(LinkTest(envelope=b"e"))[4:]) == {"t": "test", "envelope": b"e"}
    assert cbor2.loads(encode_frame(LinkTestReceipt(receipt=b"r"))[4:]) == {
        "t": "test_receipt",
        "receipt": b"r",
    }


# -- round trips ---------------------------------------------------------------


@given(frames)
def test_round_trip_every_frame_type(frame: Frame) -> None:
    wire = encode_frame(frame)
    assert struct.unpack(">I", wire[:4])[0] == len(wire) - 4
    assert decode_frame(wire[4:]) == frame


@given(heartbeats)
def test_round_trip_heartbeats_with_and_without_echo(beat: Heartbeat) -> None:
    decoded = decode_frame(encode_frame(beat)[4:])
    assert isinstance(decoded, Heartbeat)
    assert (decoded.sent_at_ms, decoded.echo_ms, decoded.held_ms) == (
        beat.sent_at_ms,
        beat.echo_ms,
        beat.held_ms,
    )


@given(st.one_of(link_tests, link_test_receipts))
def test_round_trip_link_test_frames(frame: LinkTest | LinkTestReceipt) -> None:
    decoded = decode_frame(encode_frame(frame)[4:])
    assert type(decoded) is type(frame)
    assert decoded == frame


@given(uint64, uint64, uint64, st.booleans())
def test_round_trip_echo_fields_bytewise(sent: int, echo: int, held: int, whole: bool) -> None:
    beat = Heartbeat(sent_at_ms=sent, echo_ms=echo, held_ms=held)
    decoded, reader = feed_all(encode_frame(beat), None if whole else 1)
    assert decoded == [beat]
    assert reader.buffered == 0


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(frames, max_size=8), st.data())
def test_round_trip_concatenated_frames_split_anywhere(frames_in: list[Frame], data: Any) -> None:
    stream = b"".join(encode_frame(frame) for frame in frames_in)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    reader = FrameReader()
    out: list[Frame] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        reader.feed(stream[start:end])
        while (frame := reader.next_frame()) is not None:
            out.append(frame)
    assert out == frames_in
    assert reader.buffered == 0


def test_a_whole_stream_of_every_vector(chunk_size: int | None) -> None:
    stream = b"".join(bytes.fromhex(wire) for _, wire in VECTORS)
    decoded, _ = feed_all(stream, chunk_size)
    assert decoded == [frame for frame, _ in VECTORS]


# -- the length prefix ---------------------------------------------------------


def test_partial_prefix_needs_more(chunk_size: int | None) -> None:
    decoded, reader = feed_all(b"\x00\x00\x00", chunk_size)
    assert decoded == []
    assert reader.buffered == 3


def test_partial_body_needs_more(chunk_size: int | None) -> None:
    wire = encode_frame(Data(envelope=b"abc"))
    decoded, reader = feed_all(wire[:-1], chunk_size)
    assert decoded == []
    assert reader.buffered == len(wire) - 1


@pytest.mark.parametrize("length", [0, 65, 0xFFFFFFFF])
def test_bad_length_is_refused_as_soon_as_the_prefix_arrives(
    length: int, chunk_size: int | None
) -> None:
    # Only the 4 prefix bytes are fed: the decoder must not wait for the body.
    with pytest.raises(RemoteProtocolError) as info:
        feed_all(struct.pack(">I", length), chunk_size, max_frame_size=64)
    assert info.value.close_code is CloseCode.FRAME_TOO_LARGE


def test_default_limit_is_one_mebibyte(chunk_size: int | None) -> None:
    assert DEFAULT_MAX_FRAME_SIZE == 1_048_576
    with pytest.raises(RemoteProtocolError) as info:
        feed_all(struct.pack(">I", 1_048_577), chunk_size)
    assert info.value.close_code is CloseCode.FRAME_TOO_LARGE


def test_frame_of_exactly_the_maximum_is_accepted(chunk_size: int | None) -> None:
    limit = 64
    envelope = b"\x00" * max_envelope_size(limit)
    wire = encode_frame(Data(envelope=envelope), max_frame_size=limit)
    assert len(wire) == 4 + limit
    decoded, _ = feed_all(wire, chunk_size, max_frame_size=limit)
    assert decoded == [Data(envelope=envelope)]


# -- bodies the decoder refuses ------------------------------------------------


def _remote(data: bytes, chunk_size: int | None) -> RemoteProtocolError:
    with pytest.raises(RemoteProtocolError) as info:
        feed_all(data, chunk_size)
    return info.value


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"\xff", id="lone-break"),
        pytest.param(b"\x1c", id="reserved-additional-info"),
        pytest.param(b"\xa1\x61t", id="truncated-map"),
        pytest.param(b"\x62\xff\xfe", id="invalid-utf8"),
        pytest.param(b"\xc1\x1b" + b"\xff" * 8, id="bad-epoch-datetime-tag"),
        pytest.param(b"\xc0\x63abc", id="bad-string-datetime-tag"),
        pytest.param(b"\xbf\x61t\x64data\xff", id="indefinite-map"),
        pytest.param(b"\xa2\x61t\x64data\x61t\x64data", id="duplicate-key"),
        pytest.param(bytes([0x81] * 64) + b"\x00", id="too-deep"),
        pytest.param(b"\x5b\x00\x00\x00\xff\xff\xff\xff\xff", id="huge-bytes-claim"),
    ],
)
def test_invalid_cbor_is_a_protocol_error(body: bytes, chunk_size: int | None) -> None:
    assert _remote(framed(body), chunk_size).close_code is CloseCode.PROTOCOL_ERROR


@pytest.mark.parametrize(
    "value",
    [[], [1, 2], 7, b"bytes", "text", None, True, 1.5],
    ids=lambda v: type(v).__name__,
)
def test_non_map_body_is_a_protocol_error(value: Any, chunk_size: int | None) -> None:
    error = _remote(framed(cbor2.dumps(value)), chunk_size)
    assert error.close_code is CloseCode.PROTOCOL_ERROR
    assert "must be a CBOR map" in str(error)


def test_bytes_after_the_map_are_a_protocol_error(chunk_size: int | None) -> None:
    body = encode_frame(Data(envelope=b"x"))[4:] + b"\x00"
    error = _remote(framed(body), chunk_size)
    assert error.close_code is CloseCode.PROTOCOL_ERROR
    assert "after the CBOR map" in str(error)


# Raw frame maps as a peer might send them: CBOR allows keys of any type.
DATA: dict[object, object] = {"t": "data", "envelope": b"x"}
HELLO: dict[object, object] = {
    "t": "hello",
    "versions": [1],
    "sender_key": KEY_A,
    "recipient_key": KEY_B,
    "agent": "",
}
CLOSE: dict[object, object] = {"t": "close", "code": 0, "reason": ""}
WITNESS: dict[object, object] = {"t": "witness", "checkpoint": b"note", "old_size": 3, "proof": []}
COSIGNED: dict[object, object] = {"t": "cosigned", "size": 3, "signature": b"sig"}
REFUSED: dict[object, object] = {
    "t": "refused",
    "size": 3,
    "known_size": 4,
    "code": 2,
    "reason": "",
}
H = bytes(32)


def _without(fields: dict[object, object], key: str) -> dict[object, object]:
    return {k: v for k, v in fields.items() if k != key}


WITNESS_ILL_FORMED = [
    pytest.param(_without(WITNESS, "checkpoint"), id="witness-no-checkpoint"),
    pytest.param(_without(WITNESS, "old_size"), id="witness-no-old-size"),
    pytest.param(_without(WITNESS, "proof"), id="witness-no-proof"),
    pytest.param({**WITNESS, "checkpoint": b""}, id="witness-empty-checkpoint"),
    pytest.param({**WITNESS, "checkpoint": "note"}, id="witness-text-checkpoint"),
    pytest.param({**WITNESS, "checkpoint": b"n" * 8193}, id="witness-checkpoint-over-8k"),
    pytest.param({**WITNESS, "old_size": -1}, id="witness-negative-old-size"),
    pytest.param({**WITNESS, "old_size": 2**64}, id="witness-bignum-old-size"),
    pytest.param({**WITNESS, "old_size": True}, id="witness-bool-old-size"),
    pytest.param({**WITNESS, "old_size": 3.0}, id="witness-float-old-size"),
    pytest.param({**WITNESS, "proof": H}, id="witness-proof-not-array"),
    pytest.param({**WITNESS, "proof": None}, id="witness-proof-null"),
    pytest.param({**WITNESS, "proof": [H[:31]]}, id="witness-short-hash"),
    pytest.param({**WITNESS, "proof": [H + b"\x00"]}, id="witness-long-hash"),
    pytest.param({**WITNESS, "proof": [H, b""]}, id="witness-empty-hash"),
    pytest.param({**WITNESS, "proof": [H.hex()]}, id="witness-text-hash"),
    pytest.param({**WITNESS, "proof": [[H]]}, id="witness-nested-hash"),
    pytest.param({**WITNESS, "proof": [H] * 64}, id="witness-64-hashes"),
    pytest.param({**WITNESS, "old_size": 0, "proof": [H]}, id="witness-proof-from-zero"),
    pytest.param(_without(COSIGNED, "size"), id="cosigned-no-size"),
    pytest.param(_without(COSIGNED, "signature"), id="cosigned-no-signature"),
    pytest.param({**COSIGNED, "size": -3}, id="cosigned-negative-size"),
    pytest.param({**COSIGNED, "size": "3"}, id="cosigned-text-size"),
    pytest.param({**COSIGNED, "signature": b""}, id="cosigned-empty-signature"),
    pytest.param({**COSIGNED, "signature": "sig"}, id="cosigned-text-signature"),
    pytest.param({**COSIGNED, "signature": b"\xff\xfe"}, id="cosigned-signature-not-utf8"),
    pytest.param({**COSIGNED, "signature": b"s" * 4097}, id="cosigned-signature-over-4k"),
    pytest.param(_without(REFUSED, "size"), id="refused-no-size"),
    pytest.param(_without(REFUSED, "known_size"), id="refused-no-known-size"),
    pytest.param(_without(REFUSED, "code"), id="refused-no-code"),
    pytest.param(_without(REFUSED, "reason"), id="refused-no-reason"),
    pytest.param({**REFUSED, "code": 0}, id="refused-code-0"),
    pytest.param({**REFUSED, "code": 6}, id="refused-unknown-code"),
    pytest.param({**REFUSED, "code": "INCONSISTENT"}, id="refused-text-code"),
    pytest.param({**REFUSED, "code": True}, id="refused-bool-code"),
    pytest.param({**REFUSED, "known_size": -1}, id="refused-negative-known-size"),
    pytest.param({**REFUSED, "size": 2**64}, id="refused-bignum-size"),
    pytest.param({**REFUSED, "reason": "r" * 201}, id="refused-long-reason"),
    pytest.param({**REFUSED, "reason": b"why"}, id="refused-bytes-reason"),
    pytest.param(
        {**REFUSED, "code": 3, "size": 4, "known_size": 4}, id="refused-rollback-not-smaller"
    ),
    pytest.param({**REFUSED, "code": 5, "known_size": 1}, id="refused-unknown-log-known-size"),
    pytest.param({**WITNESS, "t": "WITNESS"}, id="witness-wrong-case"),
    pytest.param({**COSIGNED, "t": "cosignature"}, id="cosigned-wrong-name"),
]


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"envelope": b"x"}, id="no-t"),
        pytest.param({"t": b"data", "envelope": b"x"}, id="t-bytes"),
        pytest.param({"t": 1, "envelope": b"x"}, id="t-int"),
        pytest.param({"t": "DATA", "envelope": b"x"}, id="t-wrong-case"),
        pytest.param({"t": "ping"}, id="unknown-type"),
        pytest.param({"t": "data"}, id="data-missing-envelope"),
        pytest.param({"t": "data", "envelope": b""}, id="data-empty"),
        pytest.param({"t": "data", "envelope": "x"}, id="data-text-envelope"),
        pytest.param({"t": "data", "envelope": [1]}, id="data-array-envelope"),
        pytest.param({"t": "receipt", "receipt": b""}, id="receipt-empty"),
        pytest.param({"t": "receipt", "envelope": b"x"}, id="receipt-wrong-key"),
        pytest.param({"t": "heartbeat", "sent_at_ms": -1}, id="heartbeat-negative"),
        pytest.param({"t": "heartbeat", "sent_at_ms": 1.0}, id="heartbeat-float"),
        pytest.param({"t": "heartbeat", "sent_at_ms": True}, id="heartbeat-bool"),
        pytest.param({"t": "heartbeat", "sent_at_ms": 2**64}, id="heartbeat-bignum"),
        pytest.param({"t": "heartbeat", "sent_at_ms": 1, "echo_ms": 1}, id="heartbeat-echo-only"),
        pytest.param({"t": "heartbeat", "sent_at_ms": 1, "held_ms": 1}, id="heartbeat-held-only"),
        pytest.param(
            {"t": "heartbeat", "sent_at_ms": 1, "echo_ms": None, "held_ms": 1},
            id="heartbeat-echo-null",
        ),
        pytest.param(
            {"t": "heartbeat", "sent_at_ms": 1, "echo_ms": None, "held_ms": None},
            id="heartbeat-both-null",
        ),
        pytest.param(
            {"t": "heartbeat", "sent_at_ms": 1, "echo_ms": "1", "held_ms": 1},
            id="heartbeat-echo-text",
        ),
        pytest.param(
            {"t": "heartbeat", "sent_at_ms": 1, "echo_ms": 1, "held_ms": -1},
            id="heartbeat-held-negative",
        ),
        pytest.param(
            {"t": "heartbeat", "sent_at_ms": 1, "echo_ms": 1, "held_ms": 1.0},
            id="heartbeat-held-float",
        ),
        pytest.param(
            {"t": "heartbeat", "sent_at_ms": 1, "echo_ms": False, "held_ms": 1},
            id="heartbeat-echo-bool",
        ),
        pytest.param(
            {"t": "heartbeat", "sent_at_ms": 1, "echo_ms": 2**64, "held_ms": 1},
            id="heartbeat-echo-bignum",
        ),
        pytest.param(
            {"t": "heartbeat", "echo_ms": 1, "held_ms": 1}, id="heartbeat-echo-without-sent"
        ),
        pytest.param({"t": "resume", "last_held": 1, "last_hash": b"x"}, id="resume-hash-short"),
        pytest.param(
            {"t": "resume", "last_held": 1, "last_hash": "00" * 32}, id="resume-hash-text"
        ),
        pytest.param({"t": "resume", "last_held": 1, "last_hash": None}, id="resume-hash-null"),
        pytest.param(
            {"t": "resume", "last_held": 0, "last_hash": bytes(32)}, id="resume-hash-with-zero"
        ),
        pytest.param({"t": "test"}, id="test-missing-envelope"),
        pytest.param({"t": "test", "envelope": b""}, id="test-empty"),
        pytest.param({"t": "test", "envelope": "x"}, id="test-text-envelope"),
        pytest.param({"t": "test", "envelope": 1}, id="test-int-envelope"),
        pytest.param({"t": "test", "receipt": b"x"}, id="test-wrong-key"),
        pytest.param({"t": "test_receipt"}, id="test-receipt-missing"),
        pytest.param({"t": "test_receipt", "receipt": b""}, id="test-receipt-empty"),
        pytest.param({"t": "test_receipt", "receipt": ["r"]}, id="test-receipt-array"),
        pytest.param({"t": "test_receipt", "envelope": b"x"}, id="test-receipt-wrong-key"),
        pytest.param({"t": "TEST", "envelope": b"x"}, id="test-wrong-case"),
        pytest.param({"t": "test-receipt", "receipt": b"x"}, id="test-receipt-wrong-spelling"),
        pytest.param({"t": "resume"}, id="resume-missing"),
        *WITNESS_ILL_FORMED,
        pytest.param({"t": "resume", "last_held": "1"}, id="resume-text"),
        pytest.param({**HELLO, "versions": []}, id="hello-no-versions"),
        pytest.param({**HELLO, "versions": [0]}, id="hello-version-0"),
        pytest.param({**HELLO, "versions": [70000]}, id="hello-version-too-big"),
        pytest.param({**HELLO, "versions": [1, 1]}, id="hello-versions-repeat"),
        pytest.param({**HELLO, "versions": 1}, id="hello-versions-int"),
        pytest.param({**HELLO, "versions": ["1"]}, id="hello-versions-text"),
        pytest.param({**HELLO, "sender_key": KEY_A[:31]}, id="hello-short-key"),
        pytest.param({**HELLO, "recipient_key": KEY_B + b"\x00"}, id="hello-long-key"),
        pytest.param({**HELLO, "agent": "a" * 65}, id="hello-long-agent"),
        pytest.param({k: v for k, v in HELLO.items() if k != "agent"}, id="hello-no-agent"),
        pytest.param({**CLOSE, "code": 99}, id="close-unknown-code"),
        pytest.param({**CLOSE, "code": -1}, id="close-negative-code"),
        pytest.param({**CLOSE, "code": "NORMAL"}, id="close-text-code"),
        pytest.param({**CLOSE, "reason": "r" * 201}, id="close-long-reason"),
        pytest.param({**CLOSE, "reason": b"bye"}, id="close-bytes-reason"),
    ],
)
def test_ill_formed_frames_are_protocol_errors(
    fields: dict[Any, Any], chunk_size: int | None
) -> None:
    error = _remote(framed_map(fields), chunk_size)
    assert error.close_code is CloseCode.PROTOCOL_ERROR


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {**DATA, "future": [1, {"nested": b"\x00"}], 7: None, b"k": 1.5},
            Data(envelope=b"x"),
            id="data",
        ),
        pytest.param(
            {**HELLO, "features": ["zstd"]},
            Hello(versions=(1,), sender_key=KEY_A, recipient_key=KEY_B, agent=""),
            id="hello",
        ),
        pytest.param(
            {**CLOSE, "retry_after_ms": 5000},
            Close(code=CloseCode.NORMAL, reason=""),
            id="close",
        ),
        pytest.param(
            {"t": "heartbeat", "sent_at_ms": 3, "echo": 1, "held": None},
            Heartbeat(sent_at_ms=3),
            id="heartbeat-near-miss-keys",
        ),
        pytest.param(
            {"t": "heartbeat", "sent_at_ms": 3, "echo_ms": 1, "held_ms": 2, "jitter_ms": "x"},
            Heartbeat(sent_at_ms=3, echo_ms=1, held_ms=2),
            id="heartbeat-echo",
        ),
        pytest.param(
            {"t": "test", "envelope": b"e", "route": "backup"},
            LinkTest(envelope=b"e"),
            id="test",
        ),
        pytest.param(
            {"t": "test_receipt", "receipt": b"r", "envelope": 7},
            LinkTestReceipt(receipt=b"r"),
            id="test-receipt",
        ),
        pytest.param(
            {**WITNESS, "origin": "example.com/log", "new_size": 9},
            WitnessRequest(checkpoint=b"note", old_size=3, proof=()),
            id="witness",
        ),
        pytest.param(
            {**COSIGNED, "timestamp": 1_700_000_000},
            WitnessCosignature(size=3, signature=b"sig"),
            id="cosigned",
        ),
        pytest.param(
            {**REFUSED, "old_size": 1},
            WitnessRefusal(size=3, known_size=4, code=WitnessRefusalCode.INCONSISTENT, reason=""),
            id="refused",
        ),
    ],
)
def test_unknown_extra_keys_are_ignored(
    fields: dict[Any, Any], expected: Frame, chunk_size: int | None
) -> None:
    decoded, _ = feed_all(framed_map(fields), chunk_size)
    assert decoded == [expected]


def test_heartbeat_without_echo_keys_still_decodes(chunk_size: int | None) -> None:
    # What a terminal from before the echo fields sends: it must keep working.
    decoded, _ = feed_all(framed_map({"t": "heartbeat", "sent_at_ms": 42}), chunk_size)
    assert decoded == [Heartbeat(sent_at_ms=42)]
    beat = decoded[0]
    assert isinstance(beat, Heartbeat)
    assert beat.echo_ms is None
    assert beat.held_ms is None


def test_half_an_echo_pair_names_the_problem() -> None:
    body = cbor2.dumps({"t": "heartbeat", "sent_at_ms": 1, "echo_ms": 1}, canonical=True)
    with pytest.raises(RemoteProtocolError, match="both present or both absent") as info:
        decode_frame(body)
    assert info.value.close_code is CloseCode.PROTOCOL_ERROR


def test_null_echo_field_names_its_type() -> None:
    body = cbor2.dumps({"t": "heartbeat", "sent_at_ms": 1, "echo_ms": None, "held_ms": 1})
    with pytest.raises(RemoteProtocolError, match="'echo_ms' must be int, not NoneType"):
        decode_frame(body)


def test_non_canonical_encoding_is_still_accepted(chunk_size: int | None) -> None:
    # Senders must be canonical; receivers are liberal (keys out of order,
    # an integer in a longer form than needed).
    body = b"\xa2" + cbor2.dumps("sent_at_ms") + b"\x1a\x00\x00\x00\x05" + cbor2.dumps("t")
    body += cbor2.dumps("heartbeat")
    decoded, _ = feed_all(framed(body), chunk_size)
    assert decoded == [Heartbeat(sent_at_ms=5)]


# -- the fuzz invariant ----------------------------------------------------------


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_frames_or_remote_protocol_error(data: bytes) -> None:
    reader = FrameReader(max_frame_size=4096)
    reader.feed(data)
    try:
        while reader.next_frame() is not None:
            pass
    except RemoteProtocolError:
        pass


_cbor_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=20)
    | st.binary(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
_field_names = st.sampled_from(
    [
        *("t", "versions", "sender_key", "recipient_key", "agent"),
        *("envelope", "receipt", "sent_at_ms", "last_held", "code", "reason"),
        *("echo_ms", "held_ms"),
        *("checkpoint", "old_size", "proof", "size", "signature", "known_size"),
    ]
)
_type_names = st.sampled_from(
    [
        *("hello", "data", "receipt", "heartbeat", "resume", "close"),
        *("test", "test_receipt", "witness", "cosigned", "refused", "x"),
    ]
)


@settings(max_examples=300)
@given(_type_names, st.dictionaries(_field_names, _cbor_values, max_size=6))
def test_structured_garbage_gives_a_frame_or_remote_protocol_error(
    frame_type: str, fields: dict[str, Any]
) -> None:
    # Near-miss maps (right keys, random values) reach the field checks that
    # random bytes almost never do.
    body = cbor2.dumps({**fields, "t": frame_type}, canonical=True)
    try:
        frame = decode_frame(body)
    except RemoteProtocolError:
        return
    assert isinstance(
        frame,
        Hello
        | Data
        | Receipt
        | Heartbeat
        | Resume
        | Close
        | LinkTest
        | LinkTestReceipt
        | WitnessRequest
        | WitnessCosignature
        | WitnessRefusal,
    )
