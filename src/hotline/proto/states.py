"""The session state machine of the hotline protocol, as one table of data.

Theory of operation
===================

Everything that moves the session from one state to another lives in this file,
in :data:`SESSION_TABLE` (a :class:`~hotline.statetable.StateTable`, the shape
the call and meeting tables share; :data:`TRANSITIONS` is the same table indexed
by state); :class:`~hotline.proto.connection.Connection` only looks transitions
up, and docs/protocol/session.md prints the same table (rendered by
scripts/make_state_table.py, checked by a test). Add a transition here and the
code, the docs and the tests move together.

The table is role-agnostic. hotline has no client and no server: the two
terminals are peers, either may dial, and both run the same machine. A
connection tracks one state for the whole session, changed by the events it
*sends* and the events it *receives* (:class:`Direction`). That is possible
because the protocol is symmetric:

1. **Hello.** Both sides send :class:`Hello` at once, without waiting. Sending
   ours moves START to HELLO_SENT; receiving theirs moves START to
   HELLO_RECEIVED; whichever comes second moves to OPEN. The byte stream is
   ordered, so a peer's Data can never arrive before its Hello, and a correct
   peer sends Data only once it has *our* Hello too.
2. **Open.** In OPEN both sides send and receive :class:`Data`,
   :class:`Receipt`, :class:`Heartbeat`, :class:`Resume`, :class:`LinkTest`,
   :class:`LinkTestReceipt` and the witnessing frames (:class:`WitnessRequest`,
   :class:`WitnessCosignature`, :class:`WitnessRefusal`) freely; none of them
   changes the state. Which answer belongs to which request is the record
   layer's business, not the session's.
3. **Close.** Either side may send :class:`Close` from any state but ERROR
   (even before its Hello, to refuse a session early): we enter CLOSING and
   send nothing else. While CLOSING we keep receiving, so frames already in
   flight are drained, not lost. Receiving the peer's Close moves any state to
   CLOSED. A side that receives Close first answers with Close; a Close that
   crosses one in flight, or answers one, lands in CLOSED too. Close is thus
   idempotent: a redundant one is never an error.
4. **End of stream.** The transport's EOF arrives as :class:`ConnectionClosed`
   and moves any state to CLOSED. It is *clean* iff the peer's Close came
   first, i.e. iff we were already CLOSED.
5. **Errors.** A pair missing from the table is a protocol violation: sending
   one raises :class:`~hotline.errors.LocalProtocolError` (our bug, and the
   state does not change), receiving one raises
   :class:`~hotline.errors.RemoteProtocolError`, after which the connection is
   in ERROR. The Connection itself enters ERROR on any other remote error (bad
   bytes, wrong identity, no common version) and on ``send_failed()``. From
   ERROR the only move left is to send Close, so the peer can learn why.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import Final

from hotline.errors import LocalProtocolError, RemoteProtocolError
from hotline.proto.events import (
    Close,
    CloseCode,
    ConnectionClosed,
    Data,
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
)
from hotline.statetable import StateTable

__all__ = [
    "ConnectionState",
    "Direction",
    "SESSION_TABLE",
    "TRANSITIONS",
    "transition",
]


class ConnectionState(Enum):
    """Where a session stands. See the theory of operation at the top of this module."""

    START = "START"
    HELLO_SENT = "HELLO_SENT"
    HELLO_RECEIVED = "HELLO_RECEIVED"
    OPEN = "OPEN"
    CLOSING = "CLOSING"
    CLOSED = "CLOSED"
    ERROR = "ERROR"


class Direction(Enum):
    """Whether an event is one we send or one we receive."""

    SEND = "send"
    RECEIVE = "receive"


_S = ConnectionState
_SEND = Direction.SEND
_RECV = Direction.RECEIVE

# The frames of an open session: they flow both ways and leave the state alone.
# A link test goes wherever an envelope and its receipt may: it tests the path
# that Data and Receipt take, so it must be allowed exactly when they are.
# Witnessing is symmetric too: each terminal is the log for its own record and
# the witness for its peer's, so requests and answers flow both ways.
_SESSION_FRAMES: Final = (
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

# Every state but ERROR may start a close, end on the peer's Close, or end on EOF.
_ENDINGS: Final[Mapping[tuple[Direction, type[Event]], ConnectionState]] = {
    (_SEND, Close): _S.CLOSING,
    (_RECV, Close): _S.CLOSED,
    (_RECV, ConnectionClosed): _S.CLOSED,
}

_TABLE: dict[ConnectionState, dict[tuple[Direction, type[Event]], ConnectionState]] = {
    _S.START: {
        (_SEND, Hello): _S.HELLO_SENT,
        (_RECV, Hello): _S.HELLO_RECEIVED,
        **_ENDINGS,
    },
    _S.HELLO_SENT: {
        (_RECV, Hello): _S.OPEN,
        **_ENDINGS,
    },
    _S.HELLO_RECEIVED: {
        (_SEND, Hello): _S.OPEN,
        **_ENDINGS,
    },
    _S.OPEN: {
        **{(_SEND, frame): _S.OPEN for frame in _SESSION_FRAMES},
        **{(_RECV, frame): _S.OPEN for frame in _SESSION_FRAMES},
        **_ENDINGS,
    },
    _S.CLOSING: {
        # Drain: whatever the peer sent before it saw our Close still arrives,
        # and is still handed to the caller (an envelope in flight is not lost).
        **{(_RECV, frame): _S.CLOSING for frame in (Hello, *_SESSION_FRAMES)},
        # Includes sending Close again: harmless, and keeps Close idempotent.
        **_ENDINGS,
    },
    _S.CLOSED: {
        # Our answer to the peer's Close, and a Close that crossed ours.
        (_SEND, Close): _S.CLOSED,
        (_RECV, Close): _S.CLOSED,
        (_RECV, ConnectionClosed): _S.CLOSED,
    },
    _S.ERROR: {
        # Tell the peer why we are giving up; nothing else.
        (_SEND, Close): _S.ERROR,
    },
}

#: Everything the session meets, in the order the docs print it: what we send,
#: then what we receive (ConnectionClosed is the transport's EOF, never sent).
_SENT_EVENTS: Final = (
    Hello,
    Data,
    Receipt,
    LinkTest,
    LinkTestReceipt,
    WitnessRequest,
    WitnessCosignature,
    WitnessRefusal,
    Heartbeat,
    Resume,
    Close,
)
_EVENTS: Final[tuple[tuple[Direction, type[Event]], ...]] = (
    *((_SEND, event) for event in _SENT_EVENTS),
    *((_RECV, event) for event in (*_SENT_EVENTS, ConnectionClosed)),
)


def _refuse(state: ConnectionState, event: tuple[Direction, type[Event]]) -> Exception:
    """A forbidden send is our bug; a forbidden receive is the peer's."""
    direction, event_type = event
    name = event_type.__name__
    if direction is Direction.SEND:
        return LocalProtocolError(f"can't send {name} in state {state.name}")
    return RemoteProtocolError(
        f"peer sent {name} in state {state.name}", close_code=CloseCode.PROTOCOL_ERROR
    )


#: The session's state table. ``SESSION_TABLE.next(state, (direction, event_type))``
#: is :func:`transition`. CLOSED and ERROR are final: every move left in them
#: (a redundant Close, the EOF) stays where it is.
SESSION_TABLE: Final[StateTable[ConnectionState, tuple[Direction, type[Event]]]] = StateTable(
    name="session",
    states=tuple(ConnectionState),
    events=_EVENTS,
    initial=_S.START,
    final=frozenset({_S.CLOSED, _S.ERROR}),
    transitions={
        (state, event): target for state, moves in _TABLE.items() for event, target in moves.items()
    },
    refuse=_refuse,
)

#: ``TRANSITIONS[state][(direction, event_type)]`` is the state after that event:
#: :data:`SESSION_TABLE` indexed by state first. A pair that is absent is
#: forbidden. Read-only.
TRANSITIONS: Final[
    Mapping[ConnectionState, Mapping[tuple[Direction, type[Event]], ConnectionState]]
] = MappingProxyType({state: SESSION_TABLE.moves(state) for state in ConnectionState})


def transition(
    state: ConnectionState, direction: Direction, event_type: type[Event]
) -> ConnectionState:
    """The state after ``event_type`` is sent or received in ``state``.

    Raises LocalProtocolError for a forbidden send and RemoteProtocolError (code
    PROTOCOL_ERROR) for a forbidden receive.
    """
    return SESSION_TABLE.next(state, (direction, event_type))
