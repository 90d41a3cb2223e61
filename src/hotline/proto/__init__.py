"""hotline.proto: the hotline wire protocol, sans-IO.

This package contains no networking code at all, and reads no clock: it turns
bytes into events and events into bytes, and keeps the session's state machine
(h11 and wsproto are the model). ``hotline.link`` drives it over TLS; tests
drive it in memory (``hotline.testing.ConnectionPair``).

The normative description is docs/protocol/framing.md (bytes on the wire) and
docs/protocol/session.md (hello, version negotiation, states).
"""

from __future__ import annotations

from hotline.proto.connection import Connection
from hotline.proto.events import (
    AGENT_MAX_CHARS,
    CLOSE_REASON_MAX_CHARS,
    FRAME_TYPES,
    KEY_SIZE,
    NEED_DATA,
    UINT64_MAX,
    VERSION_MAX,
    WITNESS_CHECKPOINT_MAX_SIZE,
    WITNESS_COSIGNATURE_MAX_SIZE,
    WITNESS_HASH_SIZE,
    WITNESS_PROOF_MAX_HASHES,
    WITNESS_REASON_MAX_CHARS,
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
    WitnessRefusalCode,
    WitnessRequest,
)
from hotline.proto.framing import (
    DEFAULT_MAX_FRAME_SIZE,
    FRAME_SIZE_LIMIT,
    LENGTH_PREFIX_SIZE,
    FrameReader,
    check_max_frame_size,
    decode_frame,
    encode_frame,
    max_envelope_size,
)
from hotline.proto.states import TRANSITIONS, ConnectionState, Direction, transition

__all__ = [
    "AGENT_MAX_CHARS",
    "CLOSE_REASON_MAX_CHARS",
    "Close",
    "CloseCode",
    "Connection",
    "ConnectionClosed",
    "ConnectionState",
    "DEFAULT_MAX_FRAME_SIZE",
    "Data",
    "Direction",
    "Event",
    "FRAME_SIZE_LIMIT",
    "FRAME_TYPES",
    "Frame",
    "FrameReader",
    "Heartbeat",
    "Hello",
    "KEY_SIZE",
    "LENGTH_PREFIX_SIZE",
    "LinkTest",
    "LinkTestReceipt",
    "NEED_DATA",
    "NeedData",
    "Receipt",
    "Resume",
    "TRANSITIONS",
    "UINT64_MAX",
    "VERSION_MAX",
    "WITNESS_CHECKPOINT_MAX_SIZE",
    "WITNESS_COSIGNATURE_MAX_SIZE",
    "WITNESS_HASH_SIZE",
    "WITNESS_PROOF_MAX_HASHES",
    "WITNESS_REASON_MAX_CHARS",
    "WitnessCosignature",
    "WitnessRefusal",
    "WitnessRefusalCode",
    "WitnessRequest",
    "check_max_frame_size",
    "decode_frame",
    "encode_frame",
    "max_envelope_size",
    "transition",
]
