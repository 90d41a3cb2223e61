"""The call state table and DTLS fingerprints read from SDP."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.errors import CallError, InvalidArgument
from hotline.terminal.desks.calls import (
    CALL_TABLE,
    CallEvent,
    CallState,
    next_state,
    sdp_fingerprint,
)


def test_every_live_state_can_end_and_ended_is_final() -> None:
    for state in (
        CallState.CALLING,
        CallState.RINGING,
        CallState.CONNECTED,
        CallState.RECONNECTING,
    ):
        assert next_state(state, CallEvent.HUNG_UP) is CallState.ENDED
        assert next_state(state, CallEvent.FAILED) is CallState.ENDED
    for event in CallEvent:
        with pytest.raises(CallError, match="ended"):
            next_state(CallState.ENDED, event)
    assert not [key for key in CALL_TABLE if key[0] is CallState.ENDED]


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (CallState.CONNECTED, CallEvent.ANSWERED),  # answered twice
        (CallState.CONNECTED, CallEvent.DECLINED),  # declined after the answer
        (CallState.CONNECTED, CallEvent.RING_TIMEOUT),
        (CallState.RINGING, CallEvent.PATH_LOST),  # no media before the answer
        (CallState.RINGING, CallEvent.RENEGOTIATED),
        (CallState.CONNECTED, CallEvent.RECONNECT_TIMEOUT),
    ],
)
def test_steps_not_in_the_table_are_refused(state: CallState, event: CallEvent) -> None:
    with pytest.raises(CallError, match=f"cannot be {event}"):
        next_state(state, event)


def test_the_happy_path_and_a_reconnection() -> None:
    state = CallState.CALLING
    for event, expected in [
        (CallEvent.RANG, CallState.RINGING),
        (CallEvent.ANSWERED, CallState.CONNECTED),
        (CallEvent.PATH_LOST, CallState.RECONNECTING),
        (CallEvent.RENEGOTIATED, CallState.RECONNECTING),
        (CallEvent.PATH_BACK, CallState.CONNECTED),
        (CallEvent.HUNG_UP, CallState.ENDED),
    ]:
        state = next_state(state, event)
        assert state is expected


digests = st.binary(min_size=32, max_size=32).map(lambda b: ":".join(f"{x:02x}" for x in b))


@given(digest=digests, lines=st.integers(min_value=1, max_value=4))
def test_the_fingerprint_of_an_sdp_round_trips(digest: str, lines: int) -> None:
    sdp = "v=0\r\n" + "".join(
        f"m=audio {9 + i} UDP/TLS/RTP/SAVPF 111\r\na=fingerprint:SHA-256 {digest}\r\n"
        for i in range(lines)
    )
    assert sdp_fingerprint(sdp) == f"sha-256 {digest.upper()}"


@pytest.mark.parametrize(
    ("sdp", "match"),
    [
        ("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n", "no a=fingerprint"),
        (
            "a=fingerprint:sha-256 " + ":".join(["AA"] * 32) + "\r\n"
            "a=fingerprint:sha-256 " + ":".join(["BB"] * 32) + "\r\n",
            "disagree",
        ),
        ("a=fingerprint:sha-1 " + ":".join(["AA"] * 20) + "\r\n", "sha-256 or stronger"),
        ("a=fingerprint:sha-256 " + ":".join(["AA"] * 20) + "\r\n", "sha-256 or stronger"),
        ("x" * 40_000, "over 32768 bytes"),
    ],
)
def test_sdp_without_one_strong_fingerprint_is_refused(sdp: str, match: str) -> None:
    with pytest.raises(InvalidArgument, match=match):
        sdp_fingerprint(sdp)
