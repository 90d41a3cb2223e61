"""Where a call can go: the call state table, and DTLS fingerprints taken from SDP.

A call is kept by both parties (docs/protocol/calls.md). Each side runs the
same table over the events it sees: its own console's actions, the peer's
signals, its clock (ring and reconnect timeouts) and the line. The table is
data, not code (a :class:`~hotline.statetable.StateTable`, the shape the
session and meeting tables share), so the rules can be read in one place,
printed into the docs by scripts/make_state_table.py and tested as a whole
(every pair not in it is refused with :class:`~hotline.errors.CallError`).

This module is pure: no clock, no store, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from hotline.errors import CallError, InvalidArgument
from hotline.statetable import StateTable

__all__ = [
    "CALLS",
    "CALL_TABLE",
    "LIVE_STATES",
    "MAX_SDP_BYTES",
    "CallEvent",
    "CallState",
    "next_state",
    "sdp_fingerprint",
]

#: The largest SDP accepted from a browser or a peer (a sealed body holds at most 64 KiB).
MAX_SDP_BYTES = 32_768


class CallState(StrEnum):
    CALLING = "calling"  # our offer is queued for the peer
    RINGING = "ringing"  # the callee's consoles are ringing
    CONNECTED = "connected"  # answered; media flows (as far as we know)
    RECONNECTING = "reconnecting"  # the line or the media path is lost, for now
    ENDED = "ended"  # final: the record has an outcome


class CallEvent(StrEnum):
    RANG = "rang"  # the callee's terminal says it is ringing
    ANSWERED = "answered"  # the callee answered (here, or the peer's answer arrived)
    DECLINED = "declined"
    HUNG_UP = "hung-up"  # either side hung up (outcome decided by the rules in calls.py)
    RING_TIMEOUT = "ring-timeout"
    PATH_LOST = "path-lost"  # the line went down or our browser lost the media path
    PATH_BACK = "path-back"  # both line and media path are back
    RECONNECT_TIMEOUT = "reconnect-timeout"
    FAILED = "failed"  # a signal refused, a terminal restarted, the line lost while ringing
    RENEGOTIATED = "renegotiated"  # an ICE restart's offer or answer


_C, _R, _OK, _RE, _END = (
    CallState.CALLING,
    CallState.RINGING,
    CallState.CONNECTED,
    CallState.RECONNECTING,
    CallState.ENDED,
)

#: (state, event) -> next state. Anything else is refused.
_MOVES: dict[tuple[CallState, CallEvent], CallState] = {
    (_C, CallEvent.RANG): _R,
    (_C, CallEvent.ANSWERED): _OK,  # the answer overtook the ringing signal (never on one line)
    (_R, CallEvent.ANSWERED): _OK,
    (_C, CallEvent.DECLINED): _END,
    (_R, CallEvent.DECLINED): _END,
    (_C, CallEvent.RING_TIMEOUT): _END,
    (_R, CallEvent.RING_TIMEOUT): _END,
    (_OK, CallEvent.PATH_LOST): _RE,
    (_RE, CallEvent.PATH_LOST): _RE,
    (_RE, CallEvent.PATH_BACK): _OK,
    (_OK, CallEvent.PATH_BACK): _OK,
    (_RE, CallEvent.RECONNECT_TIMEOUT): _END,
    (_OK, CallEvent.RENEGOTIATED): _OK,
    (_RE, CallEvent.RENEGOTIATED): _RE,
    **{(state, CallEvent.HUNG_UP): _END for state in (_C, _R, _OK, _RE)},
    **{(state, CallEvent.FAILED): _END for state in (_C, _R, _OK, _RE)},
}


def _refuse(state: CallState, event: CallEvent) -> CallError:
    if state == CallState.ENDED:
        return CallError(f"the call has ended; cannot {event}")
    return CallError(f"a call that is {state} cannot be {event}")


#: The call's state table (docs/protocol/calls.md prints it). Anything not in
#: it is refused with CallError.
CALLS: StateTable[CallState, CallEvent] = StateTable(
    name="calls",
    states=tuple(CallState),
    events=tuple(CallEvent),
    initial=_C,
    final=frozenset({_END}),
    transitions=_MOVES,
    refuse=_refuse,
)

#: (state, event) -> next state: :data:`CALLS`' transitions. Read-only.
CALL_TABLE: Mapping[tuple[CallState, CallEvent], CallState] = CALLS.transitions

LIVE_STATES = frozenset(set(CallState) - CALLS.final)


def next_state(state: CallState | str, event: CallEvent) -> CallState:
    """The state ``event`` takes a call in ``state`` to; CallError if the table has no such step."""
    try:
        current = CallState(state)
    except ValueError:
        # A stored record naming no state we know: nothing can move it.
        raise CallError(f"a call that is {state} cannot be {event}") from None
    return CALLS.next(current, event)


_FINGERPRINT_LINE = re.compile(
    r"^a=fingerprint:(\S+) ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2})+)\s*$", re.M
)
_HASHES = {"sha-256": 32, "sha-384": 48, "sha-512": 64}


def sdp_fingerprint(sdp: str) -> str:
    """The DTLS certificate fingerprint an SDP offers, as ``"sha-256 AB:CD:..."``.

    Every ``a=fingerprint`` line must agree (a browser bundles all media on one
    DTLS transport); a missing, weak-hash or disagreeing fingerprint is a
    InvalidArgument, because the call could then not be bound to the signed one.
    """
    if len(sdp.encode("utf-8")) > MAX_SDP_BYTES:
        raise InvalidArgument(f"the SDP is over {MAX_SDP_BYTES} bytes")
    found = {
        f"{algorithm.lower()} {digest.upper()}"
        for algorithm, digest in _FINGERPRINT_LINE.findall(sdp)
    }
    if not found:
        raise InvalidArgument("the SDP carries no a=fingerprint line (no DTLS certificate)")
    if len(found) > 1:
        raise InvalidArgument("the SDP's a=fingerprint lines disagree")
    fingerprint = found.pop()
    algorithm, digest = fingerprint.split(" ")
    if _HASHES.get(algorithm) != len(digest.split(":")):
        raise InvalidArgument(
            f"the SDP's fingerprint uses {algorithm!r}; sha-256 or stronger is needed"
        )
    return fingerprint
