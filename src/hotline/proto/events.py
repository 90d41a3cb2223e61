"""The events of the hotline wire protocol: immutable values, one class per frame type.

A :class:`~hotline.proto.connection.Connection` turns bytes into these events and
these events into bytes. Eleven of them are *frames*, things that travel on the wire
(:class:`Hello`, :class:`Data`, :class:`Receipt`, :class:`Heartbeat`,
:class:`Resume`, :class:`Close`, :class:`LinkTest`, :class:`LinkTestReceipt`,
and the witnessing exchange :class:`WitnessRequest`, :class:`WitnessCosignature`
and :class:`WitnessRefusal`);
:class:`ConnectionClosed` is not a frame but reports the end of the byte stream;
:data:`NEED_DATA` is the sentinel ``next_event()`` returns when it needs more
bytes.

Each event checks its own invariants when it is built and raises
:class:`~hotline.errors.LocalProtocolError` if one is broken: building a bad event
is a bug in the caller. When the bad values come from the peer, the decoder in
:mod:`hotline.proto.framing` turns that error into a
:class:`~hotline.errors.RemoteProtocolError`, the way h11 does.

Envelopes and receipts (including the TEST envelopes of link tests and their
receipts) are opaque ``bytes`` here: another layer signs, seals and parses them.
This module only knows their size is bounded by the frame size. Likewise the
signed checkpoints and cosignatures of the witnessing exchange are opaque here
(the record layer parses and verifies them); this module bounds their sizes and
checks the shape of the consistency proof.

The classes are ``@final``: do not subclass them, the codec and the state table
key on the exact type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum
from types import MappingProxyType
from typing import Final, TypeAlias, final

from hotline.errors import LocalProtocolError

__all__ = [
    "AGENT_MAX_CHARS",
    "CLOSE_REASON_MAX_CHARS",
    "Close",
    "CloseCode",
    "ConnectionClosed",
    "Data",
    "Event",
    "FRAME_TYPES",
    "Frame",
    "Heartbeat",
    "Hello",
    "KEY_SIZE",
    "LinkTest",
    "LinkTestReceipt",
    "NEED_DATA",
    "NeedData",
    "Receipt",
    "Resume",
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
]

#: Size in bytes of an Ed25519 public key, the only kind of key a Hello names.
KEY_SIZE: Final = 32
#: Protocol versions are unsigned 16-bit numbers; 0 is reserved and never offered.
VERSION_MAX: Final = 0xFFFF
#: Integers on the wire are CBOR unsigned integers, at most 64 bits.
UINT64_MAX: Final = (1 << 64) - 1
#: Upper bound on ``Hello.agent``, counted in characters (code points).
AGENT_MAX_CHARS: Final = 64
#: Upper bound on ``Close.reason``, counted in characters (code points).
CLOSE_REASON_MAX_CHARS: Final = 200
#: Upper bound on ``WitnessRequest.checkpoint`` (a signed note), in bytes: 8 KiB.
WITNESS_CHECKPOINT_MAX_SIZE: Final = 8 * 1024
#: Upper bound on ``WitnessCosignature.signature`` (note signature lines), in bytes: 4 KiB.
WITNESS_COSIGNATURE_MAX_SIZE: Final = 4 * 1024
#: Size of each hash of a consistency proof: SHA-256, as RFC 6962 hashes the tree.
WITNESS_HASH_SIZE: Final = 32
#: Most hashes a consistency proof may hold: C2SP tlog-witness's bound ("MUST NOT send
#: more than 63 consistency proof lines"), enough for any tree of fewer than 2**62 entries.
WITNESS_PROOF_MAX_HASHES: Final = 63
#: Upper bound on ``WitnessRefusal.reason``, counted in characters (code points).
WITNESS_REASON_MAX_CHARS: Final = 200


class NeedData(Enum):
    """The type of :data:`NEED_DATA`; an enum so ``event is NEED_DATA`` narrows under mypy."""

    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return "NEED_DATA"


#: Returned by ``Connection.next_event()`` when no complete event is buffered yet.
NEED_DATA: Final = NeedData.NEED_DATA


class Event:
    """Base of every protocol event. Abstract: build one of the concrete classes."""

    __slots__ = ()


# The checks below are shared by several events. Each raises LocalProtocolError
# naming the field, because the message is what an operator reads in the journal
# when a peer's frame is refused.


def _check_bytes(name: str, value: object, *, size: int | None = None, empty: bool = True) -> None:
    if type(value) is not bytes:
        raise LocalProtocolError(f"{name} must be bytes, not {type(value).__name__}")
    if size is not None and len(value) != size:
        raise LocalProtocolError(f"{name} must be {size} bytes, not {len(value)}")
    if not empty and not value:
        raise LocalProtocolError(f"{name} must not be empty")


def _check_uint(name: str, value: object, *, low: int = 0, high: int = UINT64_MAX) -> None:
    # bool is a subclass of int, and CBOR true/false decode to bool: refuse them.
    if type(value) is not int:
        raise LocalProtocolError(f"{name} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise LocalProtocolError(f"{name} must be in {low}..{high}, not {value}")


def _check_text(name: str, value: object, *, max_chars: int) -> None:
    if type(value) is not str:
        raise LocalProtocolError(f"{name} must be a str, not {type(value).__name__}")
    if len(value) > max_chars:
        raise LocalProtocolError(f"{name} must be at most {max_chars} characters, not {len(value)}")
    # A lone surrogate is a valid Python str but has no UTF-8 form, so CBOR
    # cannot carry it: refuse it here rather than fail inside the encoder.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise LocalProtocolError(f"{name} is not valid Unicode text") from None


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Hello(Event):
    """The first frame each side sends: which versions it speaks, and who talks to whom.

    ``sender_key`` and ``recipient_key`` are Ed25519 public keys. Repeating inside
    the session the two keys that TLS authenticated binds the session to them: a
    Hello meant for another terminal, or replayed from another session between
    other parties, is refused with ``IDENTITY_MISMATCH``.
    """

    versions: tuple[int, ...]
    sender_key: bytes
    recipient_key: bytes
    agent: str

    def __post_init__(self) -> None:
        if type(self.versions) is not tuple:
            raise LocalProtocolError(
                f"versions must be a tuple, not {type(self.versions).__name__}"
            )
        if not self.versions:
            raise LocalProtocolError("versions must not be empty")
        for version in self.versions:
            _check_uint("version", version, low=1, high=VERSION_MAX)
        # A repeated version is meaningless and hints at a broken peer; refusing
        # it keeps the set that negotiation works on well defined.
        if len(set(self.versions)) != len(self.versions):
            raise LocalProtocolError(f"versions must be distinct: {self.versions}")
        _check_bytes("sender_key", self.sender_key, size=KEY_SIZE)
        _check_bytes("recipient_key", self.recipient_key, size=KEY_SIZE)
        _check_text("agent", self.agent, max_chars=AGENT_MAX_CHARS)


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Data(Event):
    """Carries one envelope (signed, sealed, serialised elsewhere) to the peer."""

    envelope: bytes

    def __post_init__(self) -> None:
        _check_bytes("envelope", self.envelope, empty=False)


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt(Event):
    """Carries one receipt (a signed acknowledgement, parsed elsewhere) to the peer."""

    receipt: bytes

    def __post_init__(self) -> None:
        # An empty receipt acknowledges nothing; refuse it like an empty envelope.
        _check_bytes("receipt", self.receipt, empty=False)


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat(Event):
    """A keep-alive that also lets the peer measure the round trip in its own clock.

    ``sent_at_ms`` is the sender's clock reading, passed in by the caller. The
    two echo fields come as a pair: ``echo_ms`` is the ``sent_at_ms`` of the
    latest Heartbeat this side has received from the peer on this connection,
    and ``held_ms`` how many milliseconds passed here between receiving that
    heartbeat and sending this one. The peer, reading its own clock ``now_ms``
    on arrival, gets the round-trip time as ``now_ms - echo_ms - held_ms``:
    only differences of each side's own clock enter, so the two clocks never
    need to agree. Both are None until a heartbeat from the peer has arrived.
    """

    sent_at_ms: int
    echo_ms: int | None = None
    held_ms: int | None = None

    def __post_init__(self) -> None:
        _check_uint("sent_at_ms", self.sent_at_ms)
        # One without the other gives no round-trip time, and hints at a broken
        # sender: refuse it rather than guess the missing half.
        if (self.echo_ms is None) != (self.held_ms is None):
            raise LocalProtocolError("echo_ms and held_ms must be both present or both absent")
        if self.echo_ms is not None:
            _check_uint("echo_ms", self.echo_ms)
        if self.held_ms is not None:
            _check_uint("held_ms", self.held_ms)


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Resume(Event):
    """Says "the highest serial I hold, in order, from you"; the peer resends what follows.

    0 means "nothing yet". Serials themselves live inside envelopes; this frame
    only names a number. ``last_hash``, when present, is the hash of the held
    envelope ``last_held`` (never sent with 0): a sender restored from an older
    backup learns from it where its own chain stands at the peer
    (docs/protocol/delivery.md §5.1). Omitted by terminals that predate it.
    """

    last_held: int
    last_hash: bytes | None = None

    def __post_init__(self) -> None:
        _check_uint("last_held", self.last_held)
        if self.last_hash is not None:
            if type(self.last_hash) is not bytes or len(self.last_hash) != 32:
                raise LocalProtocolError("last_hash must be 32 bytes")
            if self.last_held == 0:
                raise LocalProtocolError("last_hash names a held envelope: never with last_held 0")


class CloseCode(IntEnum):
    """Why a session is being closed; sent in the CLOSE frame (docs/protocol/framing.md)."""

    NORMAL = 0
    PROTOCOL_ERROR = 1
    VERSION_MISMATCH = 2
    IDENTITY_MISMATCH = 3
    FRAME_TOO_LARGE = 4
    SHUTTING_DOWN = 5


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class Close(Event):
    """The sender is ending the session, and says why."""

    code: CloseCode
    reason: str

    def __post_init__(self) -> None:
        if not isinstance(self.code, CloseCode):
            raise LocalProtocolError(f"code must be a CloseCode, not {type(self.code).__name__}")
        _check_text("reason", self.reason, max_chars=CLOSE_REASON_MAX_CHARS)


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class LinkTest(Event):
    """Carries one TEST envelope (signed, sealed elsewhere), sent to test this route end to end.

    A link test is not a message: the peer answers it on the same connection
    with a :class:`LinkTestReceipt`, and it takes no serial and never enters the
    inbox (docs/protocol/linktest.md). Here it is opaque bytes, like
    :attr:`Data.envelope`; a frame type of its own keeps it from ever being
    mistaken for a message by a layer that only looks at the frame.
    """

    envelope: bytes

    def __post_init__(self) -> None:
        _check_bytes("envelope", self.envelope, empty=False)


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class LinkTestReceipt(Event):
    """Carries the signed receipt for one :class:`LinkTest` back on the same connection."""

    receipt: bytes

    def __post_init__(self) -> None:
        # Empty acknowledges nothing, as for Receipt.
        _check_bytes("receipt", self.receipt, empty=False)


# -- witnessing ----------------------------------------------------------------
#
# Terminals witness each other's logs over the session, after C2SP tlog-witness
# (an HTTP protocol there; a request and its answer here). The sender of a
# WitnessRequest is the log; the receiver is its witness, and answers with
# exactly one WitnessCosignature or WitnessRefusal. docs/protocol/framing.md §4.2
# says how the fields map onto tlog-witness's request and status codes.


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class WitnessRequest(Event):
    """Asks the peer to cosign a new checkpoint of the sender's log.

    ``checkpoint`` is the signed note (C2SP tlog-checkpoint, signed-note), opaque
    here: a checkpoint the witness cannot parse or verify is answered with a
    :class:`WitnessRefusal`, so it can be journaled as evidence, never with a
    protocol error that would only end the session. ``old_size`` is the size of the
    newest checkpoint of this log the receiver has cosigned, as the sender
    believes (0: none), and ``proof`` the RFC 6962 consistency proof from
    ``old_size`` to the new checkpoint's size. As in tlog-witness, the proof is
    empty when ``old_size`` is 0.
    """

    checkpoint: bytes
    old_size: int
    proof: tuple[bytes, ...]

    def __post_init__(self) -> None:
        _check_bytes("checkpoint", self.checkpoint, empty=False)
        if len(self.checkpoint) > WITNESS_CHECKPOINT_MAX_SIZE:
            raise LocalProtocolError(
                f"checkpoint must be at most {WITNESS_CHECKPOINT_MAX_SIZE} bytes, "
                f"not {len(self.checkpoint)}"
            )
        _check_uint("old_size", self.old_size)
        if type(self.proof) is not tuple:
            raise LocalProtocolError(f"proof must be a tuple, not {type(self.proof).__name__}")
        if len(self.proof) > WITNESS_PROOF_MAX_HASHES:
            raise LocalProtocolError(
                f"proof must hold at most {WITNESS_PROOF_MAX_HASHES} hashes, not {len(self.proof)}"
            )
        for node in self.proof:
            _check_bytes("proof hash", node, size=WITNESS_HASH_SIZE)
        # Nothing is consistent *from* the empty tree but trivially: a proof here
        # would be a sender that does not know what it is proving.
        if self.old_size == 0 and self.proof:
            raise LocalProtocolError("proof must be empty when old_size is 0")


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class WitnessCosignature(Event):
    """The witness's answer when it cosigned: the tree size, and its cosignature line(s).

    ``signature`` is one or more C2SP signed-note signature lines (tlog-cosignature,
    ``cosignature/v1``), UTF-8, opaque here: the requester appends them to its
    checkpoint and verifies them with the witness's key.
    """

    size: int
    signature: bytes

    def __post_init__(self) -> None:
        _check_uint("size", self.size)
        _check_bytes("signature", self.signature, empty=False)
        if len(self.signature) > WITNESS_COSIGNATURE_MAX_SIZE:
            raise LocalProtocolError(
                f"signature must be at most {WITNESS_COSIGNATURE_MAX_SIZE} bytes, "
                f"not {len(self.signature)}"
            )
        # Note signature lines are text; bytes with no UTF-8 reading cannot be one.
        try:
            self.signature.decode("utf-8")
        except UnicodeDecodeError:
            raise LocalProtocolError("signature is not valid UTF-8") from None


class WitnessRefusalCode(IntEnum):
    """Why a witness did not cosign; sent in the ``refused`` frame (docs/protocol/framing.md)."""

    #: The witness has cosigned ``known_size``, not the request's ``old_size``:
    #: resend with a proof from ``known_size`` (tlog-witness's 409 Conflict).
    OLD_SIZE_MISMATCH = 1
    #: The consistency proof does not verify, or the same size has another root: a fork.
    INCONSISTENT = 2
    #: The checkpoint is smaller than one the witness has already cosigned.
    ROLLBACK = 3
    #: The note's signature or origin line is wrong, or the note cannot be read.
    BAD_SIGNATURE = 4
    #: The witness knows no log of that origin from this peer.
    UNKNOWN_LOG = 5


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class WitnessRefusal(Event):
    """The witness's answer when it did not cosign, and why.

    ``size`` is the tree size of the refused checkpoint as the witness read it
    (0 if it could not read one); ``known_size`` the size of the newest checkpoint
    of this log the witness has cosigned (0: none). ``reason`` is text for the
    journal and the operator; ``code`` is what the requester acts on.
    """

    size: int
    known_size: int
    code: WitnessRefusalCode
    reason: str

    def __post_init__(self) -> None:
        _check_uint("size", self.size)
        _check_uint("known_size", self.known_size)
        if not isinstance(self.code, WitnessRefusalCode):
            raise LocalProtocolError(
                f"code must be a WitnessRefusalCode, not {type(self.code).__name__}"
            )
        _check_text("reason", self.reason, max_chars=WITNESS_REASON_MAX_CHARS)
        # Each follows from the code's own definition; a refusal that breaks one
        # would hand the requester (and the journal) a claim that cannot be true.
        if self.code is WitnessRefusalCode.ROLLBACK and not self.size < self.known_size:
            raise LocalProtocolError(
                f"a ROLLBACK refusal needs size < known_size, not {self.size} >= {self.known_size}"
            )
        if self.code is WitnessRefusalCode.UNKNOWN_LOG and self.known_size != 0:
            raise LocalProtocolError(
                f"an UNKNOWN_LOG refusal has known_size 0, not {self.known_size}"
            )


@final
@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionClosed(Event):
    """The peer's byte stream ended (EOF). Not a frame: it is never sent.

    ``clean`` is True iff the peer's Close frame arrived before the end, and no
    partial frame was left over.
    """

    clean: bool

    def __post_init__(self) -> None:
        if type(self.clean) is not bool:
            raise LocalProtocolError(f"clean must be a bool, not {type(self.clean).__name__}")


#: The events that travel on the wire, as one type.
Frame: TypeAlias = (
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
    | WitnessRefusal
)

#: Wire name (the ``"t"`` key of the frame map) of each frame type. Append only:
#: a name, once used, keeps its meaning for ever.
FRAME_TYPES: Final[Mapping[str, type[Frame]]] = MappingProxyType(
    {
        "hello": Hello,
        "data": Data,
        "receipt": Receipt,
        "heartbeat": Heartbeat,
        "resume": Resume,
        "close": Close,
        "test": LinkTest,
        "test_receipt": LinkTestReceipt,
        "witness": WitnessRequest,
        "cosigned": WitnessCosignature,
        "refused": WitnessRefusal,
    }
)
