"""Video and voice calls between consoles, and requests for the principal at the machine."""

from __future__ import annotations

from hotline.terminal.desks.calls.desk import (
    CALL_KIND,
    MEDIA_STATES,
    CallDesk,
    LiveCall,
    SendSignal,
    call_json,
)
from hotline.terminal.desks.calls.presence import (
    MAX_PRESENCE_NOTE_CHARS,
    PRESENCE_KIND,
    PresenceDesk,
    presence_json,
)
from hotline.terminal.desks.calls.state import (
    CALL_TABLE,
    CALLS,
    LIVE_STATES,
    MAX_SDP_BYTES,
    CallEvent,
    CallState,
    next_state,
    sdp_fingerprint,
)

__all__ = [
    "CALLS",
    "CALL_KIND",
    "CALL_TABLE",
    "CallDesk",
    "CallEvent",
    "CallState",
    "LIVE_STATES",
    "LiveCall",
    "MAX_PRESENCE_NOTE_CHARS",
    "MAX_SDP_BYTES",
    "MEDIA_STATES",
    "PRESENCE_KIND",
    "PresenceDesk",
    "SendSignal",
    "call_json",
    "next_state",
    "presence_json",
    "sdp_fingerprint",
]
