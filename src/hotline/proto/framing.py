"""Framing: how protocol events become bytes on the wire, and back.

Each frame is a 4-byte big-endian unsigned length ``N`` followed by ``N`` bytes
holding one canonical CBOR map (docs/protocol/framing.md is the normative text)::

    +--------+--------+--------+--------+=================================+
    |        length N (uint32, big endian)      | CBOR map, N bytes       |
    +--------+--------+--------+--------+=================================+

The map's ``"t"`` key names the frame type (see ``FRAME_TYPES``); the other keys
are that type's fields. Keys a receiver does not know are ignored, so a later
version may add fields without breaking older peers.

Nothing here keeps session state: :class:`FrameReader` only reassembles frames
from however the transport chose to split the bytes, and :func:`encode_frame`
/ :func:`decode_frame` translate single frames. Everything that can go wrong with
the peer's bytes ends as :class:`~hotline.errors.RemoteProtocolError`; cbor2 raises
many kinds of exceptions on malformed input, and this module is the one place
that converts them.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Mapping
from typing import Any, Final

import cbor2

from hotline.errors import LocalProtocolError, RemoteProtocolError
from hotline.proto.events import (
    FRAME_TYPES,
    Close,
    CloseCode,
    Data,
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
)

__all__ = [
    "DEFAULT_MAX_FRAME_SIZE",
    "FRAME_SIZE_LIMIT",
    "FrameReader",
    "LENGTH_PREFIX_SIZE",
    "check_max_frame_size",
    "decode_frame",
    "encode_frame",
    "max_envelope_size",
]

#: The largest frame body, in bytes, a version-1 terminal sends or accepts: 1 MiB.
DEFAULT_MAX_FRAME_SIZE: Final = 1 << 20
#: The largest value the 4-byte length prefix can carry.
FRAME_SIZE_LIMIT: Final = (1 << 32) - 1
#: Size of the length prefix in front of each frame body.
LENGTH_PREFIX_SIZE: Final = 4

_LENGTH = struct.Struct(">I")

# Legitimate frames nest two levels deep (map, then the versions or proof array). The
# bound leaves room for extra keys from later versions while keeping hostile
# nesting from costing more than a few frames of work.
_MAX_CBOR_DEPTH: Final = 32

_TYPE_KEY: Final = "t"
_WIRE_NAMES: Final[Mapping[type[Frame], str]] = {cls: name for name, cls in FRAME_TYPES.items()}


def check_max_frame_size(max_frame_size: int) -> int:
    """Return ``max_frame_size`` if the length prefix can express it, else LocalProtocolError."""
    if type(max_frame_size) is not int or not 1 <= max_frame_size <= FRAME_SIZE_LIMIT:
        raise LocalProtocolError(
            f"max_frame_size must be an int in 1..{FRAME_SIZE_LIMIT}, not {max_frame_size!r}"
        )
    return max_frame_size


# ---------------------------------------------------------------------------
# Encoding


def _to_map(frame: Frame) -> dict[str, object]:
    """The CBOR map for one frame. Field names here are the wire names: never rename."""
    fields: dict[str, object]
    if isinstance(frame, Hello):
        fields = {
            "versions": list(frame.versions),
            "sender_key": frame.sender_key,
            "recipient_key": frame.recipient_key,
            "agent": frame.agent,
        }
    elif isinstance(frame, Data):
        fields = {"envelope": frame.envelope}
    elif isinstance(frame, Receipt):
        fields = {"receipt": frame.receipt}
    elif isinstance(frame, Heartbeat):
        fields = {"sent_at_ms": frame.sent_at_ms}
        # Omitted, not null, when absent: a heartbeat without them is byte for
        # byte what a terminal that predates them sends.
        if frame.echo_ms is not None:
            fields["echo_ms"] = frame.echo_ms
        if frame.held_ms is not None:
            fields["held_ms"] = frame.held_ms
    elif isinstance(frame, Resume):
        fields = {"last_held": frame.last_held}
        # Omitted, not null, when absent: byte for byte what older terminals send.
        if frame.last_hash is not None:
            fields["last_hash"] = frame.last_hash
    elif isinstance(frame, Close):
        # int() so the encoding never depends on how cbor2 treats IntEnum.
        fields = {"code": int(frame.code), "reason": frame.reason}
    elif isinstance(frame, LinkTest):
        fields = {"envelope": frame.envelope}
    elif isinstance(frame, LinkTestReceipt):
        fields = {"receipt": frame.receipt}
    elif isinstance(frame, WitnessRequest):
        fields = {
            "checkpoint": frame.checkpoint,
            "old_size": frame.old_size,
            "proof": list(frame.proof),
        }
    elif isinstance(frame, WitnessCosignature):
        fields = {"size": frame.size, "signature": frame.signature}
    elif isinstance(frame, WitnessRefusal):
        fields = {
            "size": frame.size,
            "known_size": frame.known_size,
            "code": int(frame.code),
            "reason": frame.reason,
        }
    else:
        raise LocalProtocolError(f"{type(frame).__name__} is not a frame and cannot be sent")
    fields[_TYPE_KEY] = _WIRE_NAMES[type(frame)]
    return fields


def encode_frame(frame: Frame, *, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> bytes:
    """Length prefix plus canonical CBOR body; LocalProtocolError if over ``max_frame_size``."""
    body = cbor2.dumps(_to_map(frame), canonical=True)
    if len(body) > max_frame_size:
        raise LocalProtocolError(
            f"{type(frame).__name__} frame is {len(body)} bytes, "
            f"over the {max_frame_size}-byte limit"
        )
    return _LENGTH.pack(len(body)) + body


def max_envelope_size(max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> int:
    """The largest envelope a :class:`Data` frame can carry under ``max_frame_size``.

    Callers check an envelope against this before sealing it, so an oversized
    message is refused as ``MessageTooLarge`` up front instead of failing at send.
    """
    check_max_frame_size(max_frame_size)
    # Overhead of the map without the envelope's own bytes and length header.
    fixed = len(cbor2.dumps(_to_map(Data(envelope=b"\x00")), canonical=True)) - 2
    best = 0
    # A CBOR byte-string header is 1, 2, 3 or 5 bytes for the lengths a frame can
    # hold; try each and keep the longest envelope that fits.
    for header, largest in ((1, 23), (2, 0xFF), (3, 0xFFFF), (5, 0xFFFFFFFF)):
        best = max(best, min(largest, max_frame_size - fixed - header))
    return best


# ---------------------------------------------------------------------------
# Decoding


def _remote(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(message, close_code=CloseCode.PROTOCOL_ERROR)


def _field(fields: Mapping[Any, Any], name: str, kind: type, frame_type: str) -> Any:
    # Checks presence and CBOR type only; ranges and sizes are the event's own
    # invariants, checked in its __post_init__.
    if name not in fields:
        raise _remote(f"{frame_type} frame lacks {name!r}")
    value = fields[name]
    # type() rather than isinstance(): CBOR true must not pass for an integer.
    if type(value) is not kind:
        raise _remote(
            f"{frame_type} frame field {name!r} must be {kind.__name__}, not {type(value).__name__}"
        )
    return value


def _optional_field(fields: Mapping[Any, Any], name: str, kind: type, frame_type: str) -> Any:
    # Absent means None. A present key must have the right type: senders omit
    # a field they do not set, so even a CBOR null here is a broken sender.
    if name not in fields:
        return None
    return _field(fields, name, kind, frame_type)


def _from_map(fields: Mapping[Any, Any]) -> Frame:
    frame_type = fields.get(_TYPE_KEY)
    if type(frame_type) is not str:
        raise _remote(f"frame has no text {_TYPE_KEY!r} key naming its type")
    if frame_type == "hello":
        versions = _field(fields, "versions", list, frame_type)
        return Hello(
            versions=tuple(versions),
            sender_key=_field(fields, "sender_key", bytes, frame_type),
            recipient_key=_field(fields, "recipient_key", bytes, frame_type),
            agent=_field(fields, "agent", str, frame_type),
        )
    if frame_type == "data":
        return Data(envelope=_field(fields, "envelope", bytes, frame_type))
    if frame_type == "receipt":
        return Receipt(receipt=_field(fields, "receipt", bytes, frame_type))
    if frame_type == "heartbeat":
        return Heartbeat(
            sent_at_ms=_field(fields, "sent_at_ms", int, frame_type),
            echo_ms=_optional_field(fields, "echo_ms", int, frame_type),
            held_ms=_optional_field(fields, "held_ms", int, frame_type),
        )
    if frame_type == "resume":
        return Resume(
            last_held=_field(fields, "last_held", int, frame_type),
            last_hash=_optional_field(fields, "last_hash", bytes, frame_type),
        )
    if frame_type == "close":
        code = _field(fields, "code", int, frame_type)
        try:
            close_code = CloseCode(code)
        except ValueError:
            raise _remote(f"close frame has unknown code {code}") from None
        return Close(code=close_code, reason=_field(fields, "reason", str, frame_type))
    if frame_type == "test":
        return LinkTest(envelope=_field(fields, "envelope", bytes, frame_type))
    if frame_type == "test_receipt":
        return LinkTestReceipt(receipt=_field(fields, "receipt", bytes, frame_type))
    if frame_type == "witness":
        # Each hash's type and size are WitnessRequest's own checks.
        proof = _field(fields, "proof", list, frame_type)
        return WitnessRequest(
            checkpoint=_field(fields, "checkpoint", bytes, frame_type),
            old_size=_field(fields, "old_size", int, frame_type),
            proof=tuple(proof),
        )
    if frame_type == "cosigned":
        return WitnessCosignature(
            size=_field(fields, "size", int, frame_type),
            signature=_field(fields, "signature", bytes, frame_type),
        )
    if frame_type == "refused":
        code = _field(fields, "code", int, frame_type)
        try:
            refusal_code = WitnessRefusalCode(code)
        except ValueError:
            # Like close codes: new refusal codes come only with a new version.
            raise _remote(f"refused frame has unknown code {code}") from None
        return WitnessRefusal(
            size=_field(fields, "size", int, frame_type),
            known_size=_field(fields, "known_size", int, frame_type),
            code=refusal_code,
            reason=_field(fields, "reason", str, frame_type),
        )
    raise _remote(f"unknown frame type {frame_type[:40]!r}")


def decode_frame(body: bytes) -> Frame:
    """Decode one frame body (without its length prefix); RemoteProtocolError if invalid."""
    stream = io.BytesIO(body)
    try:
        decoded = cbor2.CBORDecoder(
            stream,
            max_depth=_MAX_CBOR_DEPTH,
            allow_indefinite=False,
            allow_duplicate_keys=False,
        ).decode()
    except MemoryError:
        raise
    except Exception as exc:
        # cbor2 raises CBORDecodeError, but also ValueError, TypeError,
        # OverflowError, RecursionError... from its tag decoders: every one of
        # them means the peer's bytes are not valid CBOR for us.
        raise _remote(f"frame body is not valid CBOR: {exc}") from exc
    if stream.tell() != len(body):
        raise _remote(f"frame body has {len(body) - stream.tell()} bytes after the CBOR map")
    if not isinstance(decoded, Mapping):
        raise _remote(f"frame body must be a CBOR map, not {type(decoded).__name__}")
    try:
        return _from_map(decoded)
    except LocalProtocolError as exc:
        # The event refused its own fields: a bug on the peer's side, not ours.
        raise _remote(f"invalid frame: {exc}") from exc


class FrameReader:
    """Reassembles frames from a byte stream split anywhere by the transport.

    The length is checked as soon as its 4 bytes have arrived, so a peer cannot
    make us buffer a body we would refuse anyway.
    """

    __slots__ = ("_buffer", "_max_frame_size")

    def __init__(self, *, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        self._max_frame_size = check_max_frame_size(max_frame_size)
        self._buffer = bytearray()

    @property
    def buffered(self) -> int:
        """How many bytes are held that do not yet form a whole frame (or are not yet read)."""
        return len(self._buffer)

    def feed(self, data: bytes) -> None:
        """Append bytes received from the transport."""
        self._buffer += data

    def next_frame(self) -> Frame | None:
        """The next whole frame, or None if more bytes are needed. RemoteProtocolError if bad."""
        if len(self._buffer) < LENGTH_PREFIX_SIZE:
            return None
        (length,) = _LENGTH.unpack_from(self._buffer)
        if not 1 <= length <= self._max_frame_size:
            raise RemoteProtocolError(
                f"frame length {length} is outside 1..{self._max_frame_size}",
                close_code=CloseCode.FRAME_TOO_LARGE,
            )
        end = LENGTH_PREFIX_SIZE + length
        if len(self._buffer) < end:
            return None
        body = bytes(self._buffer[LENGTH_PREFIX_SIZE:end])
        del self._buffer[:end]
        return decode_frame(body)
