"""Calls between two real terminals (TLS, sessions, stores), with the browsers' part played here.

The browser's SDP is replaced by a minimal SDP with a DTLS fingerprint line:
the terminals never parse more of it than that. Everything else is the real
path: signals are sealed messages over the proxied routes, the records are
the stores' rows, and the line is cut with :class:`~hotline.testing.RouteProxy`.
The browser side (real Chromium, real WebRTC) is tests/console/browser/test_calls.py.
"""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path
from typing import Any

import pytest

from hotline.errors import CallError, PermissionDenied
from hotline.store import Direction
from hotline.terminal import Operator, Terminal, verify_store
from hotline.terminal.config import CallSettings, LinkSettings
from hotline.terminal.desks.accounts import authenticate, create_user
from hotline.terminal.desks.calls import CallDesk, PresenceDesk
from hotline.testing import run_virtual, virtual_clock
from tests.terminal.core.test_routes import Line, both_up, journal, two_routes
from tests.terminal.helpers import refusals, wait_until

PASSWORD = "correct horse battery"
CALLS = CallSettings(ring_timeout=2.0, reconnect_timeout=1.0)
#: Calmer than test_routes' 50 ms heartbeats: a call fails at once if the line goes down
#: before the answer, so a loaded machine must not make the line look down (dead after 0.5 s).
CALL_LINK = LinkSettings(
    heartbeat_interval=0.1,
    dead_after=5,
    reconnect_initial=0.02,
    reconnect_cap=0.2,
    test_interval=3600,
    test_deadline=1.0,
)


def fake_sdp(fingerprint: str | None = None) -> str:
    """An SDP as far as the terminal reads it: one DTLS fingerprint (random unless given)."""
    digest = fingerprint or ":".join(f"{b:02X}" for b in secrets.token_bytes(32))
    return (
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
        f"a=fingerprint:sha-256 {digest}\r\na=setup:actpass\r\n"
    )


def person(terminal: Terminal, name: str, role: str = "operator") -> Operator:
    create_user(terminal.store, terminal.clock, name=name, role=role, password=PASSWORD)
    return authenticate(terminal.store, name, PASSWORD)


def state(terminal: Terminal, call_id: str) -> str:
    return terminal.desk(CallDesk).get(call_id).state


async def connected_call(line: Line, was: Operator, mos: Operator) -> str:
    """Washington calls Moscow, Moscow answers; returns the call id once both are connected."""
    # After a heal a dial may first wait out a handshake left hanging on the cut (10 s).
    await wait_until(lambda: both_up(line), within=20, what="line up")
    call = line.washington.desk(CallDesk).place(
        to="Moscow", channel="leaders", kind="video", sdp=fake_sdp(), operator=was
    )
    await wait_until(lambda: state(line.washington, call.id) == "ringing", what="ringing")
    line.moscow.desk(CallDesk).answer(call.id, sdp=fake_sdp(), operator=mos)
    await wait_until(lambda: state(line.washington, call.id) == "connected", what="answered")
    return call.id


def run(tmp_path: Path, scenario: Any, calls: CallSettings = CALLS) -> None:
    async def main() -> None:
        async with two_routes(tmp_path, calls=calls, link=CALL_LINK) as line:
            was, mos = person(line.washington, "was-op"), person(line.moscow, "mos-op")
            await scenario(line, was, mos)

    run_virtual(main())


def test_a_completed_call_is_on_both_records_with_the_same_times(tmp_path: Path) -> None:
    async def scenario(line: Line, was: Operator, mos: Operator) -> None:
        await wait_until(lambda: both_up(line), what="line up")
        offer, answer = fake_sdp(), fake_sdp()
        call = line.washington.desk(CallDesk).place(
            to="Moscow", channel="leaders", kind="video", sdp=offer, operator=was
        )
        assert call.state == "calling"
        await wait_until(lambda: line.moscow.store.get_call(call.id) is not None, what="offer")
        ringing = line.moscow.desk(CallDesk).live_view(call.id)
        assert ringing["state"] == "ringing"
        assert ringing["caller"] == "Washington"
        assert ringing["remote"]["type"] == "offer"
        assert ringing["remote"]["sdp"] == offer
        assert ringing["remote"]["fingerprint"] == call.our_fingerprint
        await wait_until(lambda: state(line.washington, call.id) == "ringing", what="ringing")

        line.moscow.desk(CallDesk).answer(call.id, sdp=answer, operator=mos)
        await wait_until(lambda: state(line.washington, call.id) == "connected", what="answer")
        view = line.washington.desk(CallDesk).live_view(call.id)
        assert view["remote"] == {
            "type": "answer",
            "sdp": answer,
            "rev": 1,
            "fingerprint": line.moscow.desk(CallDesk).get(call.id).our_fingerprint,
            "candidates": [],
        }
        # A trickled candidate reaches the other side's browser view.
        candidate = {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "sdpMid": "0",
                     "sdpMLineIndex": 0}  # fmt: skip
        line.washington.desk(CallDesk).add_candidate(call.id, candidate=candidate, operator=was)
        await wait_until(
            lambda: (
                line.moscow.desk(CallDesk).live_view(call.id)["remote"]["candidates"] == [candidate]
            ),
            what="candidate relayed",
        )
        await asyncio.sleep(0.3)
        line.washington.desk(CallDesk).hang_up(call.id, operator=was)
        await wait_until(lambda: state(line.moscow, call.id) == "ended", what="hang-up relayed")

        ours, theirs = (
            line.washington.desk(CallDesk).get(call.id),
            line.moscow.desk(CallDesk).get(call.id),
        )
        assert (ours.direction, theirs.direction) == (Direction.OUT, Direction.IN)
        for field in ("requested_at", "answered_at", "ended_at", "outcome", "kind", "channel"):
            assert getattr(ours, field) == getattr(theirs, field), field
        assert ours.outcome == "completed"
        assert ours.duration == theirs.duration
        assert ours.duration is not None
        assert 0.3 <= ours.duration < 5
        assert (ours.placed_by, ours.answered_by, ours.ended_by) == ("was-op", "mos-op", "was-op")
        assert (theirs.placed_by, theirs.answered_by, theirs.ended_by) == (
            "was-op",
            "mos-op",
            "was-op",
        )
        assert ours.our_fingerprint == theirs.peer_fingerprint
        assert ours.peer_fingerprint == theirs.our_fingerprint
        # The journal holds the whole record on both sides.
        for terminal in (line.washington, line.moscow):
            [ended] = [e for e in journal(terminal, "call ended") if e["id"] == call.id]
            assert ended["outcome"] == "completed"
            assert ended["duration_ms"] == round(ours.duration * 1000)
            assert ended["caller"] == "Washington"
            assert ended["callee"] == "Moscow"
        # Every signal is an ordinary message: both stores verify, signatures and chains.
        for terminal in (line.washington, line.moscow):
            report = verify_store(terminal.store, terminal.identity)
            assert report.ok, report.summary()
            assert report.sent >= 2  # offer and hang-up (Washington), ringing and answer (Moscow)
        # Hanging up again changes nothing; answering an ended call is refused.
        assert line.washington.desk(CallDesk).hang_up(call.id, operator=was) == ours
        with pytest.raises(CallError, match="ended"):
            line.moscow.desk(CallDesk).answer(call.id, sdp=fake_sdp(), operator=mos)

    run(tmp_path, scenario)


def test_declined_and_missed_calls(tmp_path: Path) -> None:
    async def scenario(line: Line, was: Operator, mos: Operator) -> None:
        await wait_until(lambda: both_up(line), what="line up")
        declined = line.washington.desk(CallDesk).place(
            to="Moscow", channel="leaders", kind="audio", sdp=fake_sdp(), operator=was
        )
        await wait_until(lambda: line.moscow.store.get_call(declined.id) is not None)
        with pytest.raises(CallError, match="called party"):
            line.washington.desk(CallDesk).decline(declined.id, operator=was)
        line.moscow.desk(CallDesk).decline(declined.id, operator=mos)
        await wait_until(lambda: state(line.washington, declined.id) == "ended", what="decline")
        for terminal in (line.washington, line.moscow):
            record = terminal.desk(CallDesk).get(declined.id)
            assert (record.outcome, record.ended_by, record.duration) == (
                "declined",
                "mos-op",
                None,
            )

        missed = line.washington.desk(CallDesk).place(
            to="Moscow", channel="leaders", kind="video", sdp=fake_sdp(), operator=was
        )
        await wait_until(
            lambda: (
                state(line.washington, missed.id) == "ended"
                and state(line.moscow, missed.id) == "ended"
            ),
            within=6,
            what="ring timeout on both sides",
        )
        for terminal in (line.washington, line.moscow):
            record = terminal.desk(CallDesk).get(missed.id)
            assert record.outcome == "missed", record
            assert record.reason == "no answer within 2 s"
            assert record.answered_at is None

        # The caller gives up before an answer: missed on both records, with the reason.
        cancelled = line.washington.desk(CallDesk).place(
            to="Moscow", channel="leaders", kind="video", sdp=fake_sdp(), operator=was
        )
        await wait_until(lambda: line.moscow.store.get_call(cancelled.id) is not None)
        line.washington.desk(CallDesk).hang_up(cancelled.id, operator=was)
        await wait_until(lambda: state(line.moscow, cancelled.id) == "ended")
        assert (
            line.moscow.desk(CallDesk).get(cancelled.id).reason
            == "the caller hung up before an answer"
        )
        assert line.moscow.desk(CallDesk).get(cancelled.id).outcome == "missed"

    run(tmp_path, scenario)


def test_a_call_to_a_peer_whose_line_is_down_fails_at_once(tmp_path: Path) -> None:
    async def scenario(line: Line, was: Operator, mos: Operator) -> None:
        await wait_until(lambda: both_up(line), what="line up")
        for proxy in line.proxies:
            proxy.cut()
        await wait_until(lambda: line.state(line.washington, "Moscow") == "down", what="down")
        call = line.washington.desk(CallDesk).place(
            to="Moscow", channel="leaders", kind="video", sdp=fake_sdp(), operator=was
        )
        assert (call.state, call.outcome) == ("ended", "failed")
        assert call.reason == "the line to Moscow is down"
        assert call.ended_at == call.requested_at
        assert line.washington.desk(CallDesk).get(call.id) == call  # on the record
        for proxy in line.proxies:
            proxy.heal()
        await wait_until(lambda: both_up(line), within=20, what="line back")
        await asyncio.sleep(0.3)  # virtual: three heartbeats of an open line
        assert line.moscow.store.get_call(call.id) is None  # nothing was sent

    run(tmp_path, scenario)


def test_a_call_survives_a_short_line_outage(tmp_path: Path) -> None:
    async def scenario(line: Line, was: Operator, mos: Operator) -> None:
        # A short outage: reconnecting, then connected again by itself.
        call_id = await connected_call(line, was, mos)
        line.proxies[0].cut()
        line.proxies[1].cut()
        await wait_until(
            lambda: (
                state(line.washington, call_id) == "reconnecting"
                and state(line.moscow, call_id) == "reconnecting"
            ),
            what="reconnecting on both sides",
        )
        line.proxies[0].heal()
        line.proxies[1].heal()
        await wait_until(
            lambda: (
                state(line.washington, call_id) == "connected"
                and state(line.moscow, call_id) == "connected"
            ),
            within=20,
            what="connected again",
        )
        assert any(e["id"] == call_id for e in journal(line.washington, "call reconnected"))
        line.washington.desk(CallDesk).hang_up(call_id, operator=was)
        await wait_until(lambda: state(line.moscow, call_id) == "ended")
        assert line.moscow.desk(CallDesk).get(call_id).outcome == "completed"

    # Long enough for the line to come back after the heal (a redial may wait out a
    # handshake left hanging on the cut route).
    run(tmp_path, scenario, CallSettings(ring_timeout=2, reconnect_timeout=20))


def test_a_call_whose_line_stays_down_fails_on_both_records(tmp_path: Path) -> None:
    async def scenario(line: Line, was: Operator, mos: Operator) -> None:
        call_id = await connected_call(line, was, mos)
        line.proxies[0].cut()
        line.proxies[1].cut()
        await wait_until(
            lambda: (
                state(line.washington, call_id) == "ended"
                and state(line.moscow, call_id) == "ended"
            ),
            within=10,
            what="failed on both sides",
        )
        for terminal, peer in ((line.washington, "Moscow"), (line.moscow, "Washington")):
            record = terminal.desk(CallDesk).get(call_id)
            assert record.outcome == "failed"
            assert record.reason == f"the line to {peer} is down for 1 s"
        line.proxies[0].heal()
        line.proxies[1].heal()
        await wait_until(lambda: both_up(line), within=20, what="line back")
        # The queued hang-ups arrive after the end: each record stays as it was.
        await asyncio.sleep(0.5)
        assert (
            line.washington.desk(CallDesk).get(call_id).reason
            == "the line to Moscow is down for 1 s"
        )

    run(tmp_path, scenario)


def test_the_media_path_restarts_through_the_line(tmp_path: Path) -> None:
    async def scenario(line: Line, was: Operator, mos: Operator) -> None:
        call_id = await connected_call(line, was, mos)
        ours = line.washington.desk(CallDesk).get(call_id).our_fingerprint
        assert ours is not None
        # The caller's browser lost the media path: reconnecting, and it restarts ICE.
        line.washington.desk(CallDesk).report_media(call_id, state="disconnected", operator=was)
        assert state(line.washington, call_id) == "reconnecting"
        assert state(line.moscow, call_id) == "connected"  # its browser still sees media
        with pytest.raises(CallError, match="fingerprint changed"):
            line.washington.desk(CallDesk).renegotiate(
                call_id, sdp_type="offer", sdp=fake_sdp(), operator=was
            )
        with pytest.raises(CallError, match="only an answer"):
            line.moscow.desk(CallDesk).renegotiate(
                call_id, sdp_type="offer", sdp=fake_sdp(), operator=mos
            )
        reoffer = fake_sdp(ours.split(" ")[1])
        line.washington.desk(CallDesk).renegotiate(
            call_id, sdp_type="offer", sdp=reoffer, operator=was
        )
        await wait_until(
            lambda: line.moscow.desk(CallDesk).live_view(call_id)["remote"]["rev"] == 2,
            what="re-offer",
        )
        assert line.moscow.desk(CallDesk).live_view(call_id)["remote"]["type"] == "offer"
        theirs = line.moscow.desk(CallDesk).get(call_id).our_fingerprint
        assert theirs is not None
        reanswer = fake_sdp(theirs.split(" ")[1])
        line.moscow.desk(CallDesk).renegotiate(
            call_id, sdp_type="answer", sdp=reanswer, operator=mos
        )
        await wait_until(
            lambda: line.washington.desk(CallDesk).live_view(call_id)["remote"]["sdp"] == reanswer,
            what="re-answer",
        )
        line.washington.desk(CallDesk).report_media(call_id, state="connected", operator=was)
        assert state(line.washington, call_id) == "connected"

        # Not back within reconnect_timeout: failed, and the peer's record says so too.
        line.washington.desk(CallDesk).report_media(call_id, state="failed", operator=was)
        await wait_until(lambda: state(line.moscow, call_id) == "ended", what="failed")
        for terminal in (line.washington, line.moscow):
            record = terminal.desk(CallDesk).get(call_id)
            assert (record.outcome, record.reason) == (
                "failed",
                "the media path is lost for 1 s",
            )

    run(tmp_path, scenario)


def test_a_wrong_dtls_fingerprint_in_signed_signaling_is_refused(tmp_path: Path) -> None:
    async def scenario(line: Line, was: Operator, mos: Operator) -> None:
        await wait_until(lambda: both_up(line), what="line up")
        call = line.washington.desk(CallDesk).place(
            to="Moscow", channel="leaders", kind="video", sdp=fake_sdp(), operator=was
        )
        await wait_until(lambda: state(line.washington, call.id) == "ringing")
        # Moscow's answer carries an SDP whose fingerprint is not the one it signs.
        line.moscow._send_signal(
            "call",
            "Washington",
            "leaders",
            "CALL: answered",
            {
                "call": {
                    "id": call.id,
                    "type": "answer",
                    "at": call.requested_at,
                    "sdp": fake_sdp(),
                    "fingerprint": "sha-256 " + ":".join(["AB"] * 32),
                    "by": "mos-op",
                }
            },
        )
        await wait_until(
            lambda: (
                state(line.washington, call.id) == "ended"
                and state(line.moscow, call.id) == "ended"
            ),
            what="refused and failed on both sides",
        )
        for terminal in (line.washington, line.moscow):
            record = terminal.desk(CallDesk).get(call.id)
            assert record.outcome == "failed"
            assert record.reason is not None
            assert "tampered signaling" in record.reason
        [refusal] = refusals(line.washington.store)
        assert refusal.data["what"] == "call signal"
        assert line.washington.desk(CallDesk).get(call.id).answered_at is None

    run(tmp_path, scenario)


def test_presence_requests_and_permissions(tmp_path: Path) -> None:
    async def scenario(line: Line, was: Operator, mos: Operator) -> None:
        await wait_until(lambda: both_up(line), what="line up")
        auditor = person(line.washington, "auditor", role="auditor")
        principal = person(line.moscow, "president", role="principal")
        with pytest.raises(PermissionDenied):
            line.washington.desk(CallDesk).place(
                to="Moscow", channel="leaders", kind="video", sdp=fake_sdp(), operator=auditor
            )
        with pytest.raises(PermissionDenied):
            line.washington.desk(PresenceDesk).request(
                to="Moscow", channel="leaders", operator=auditor
            )

        request = line.washington.desk(PresenceDesk).request(
            to="Moscow", channel="leaders", operator=was, note="call at 1500Z"
        )
        await wait_until(lambda: line.moscow.desk(PresenceDesk).recent(open_only=True) != [])
        [incoming] = line.moscow.desk(PresenceDesk).recent(open_only=True)
        assert (incoming.id, incoming.note, incoming.requested_by) == (
            request.id,
            "call at 1500Z",
            "was-op",
        )
        line.moscow.desk(PresenceDesk).answer(request.id, operator=principal)
        with pytest.raises(CallError, match="already answered"):
            line.moscow.desk(PresenceDesk).answer(request.id, operator=mos)
        await wait_until(
            lambda: line.washington.desk(PresenceDesk).recent()[0].answered_by == "president",
            what="answer back",
        )
        assert line.moscow.desk(PresenceDesk).recent(open_only=True) == []

        # A principal may take (and place) a call.
        call = line.moscow.desk(CallDesk).place(
            to="Washington", channel="leaders", kind="audio", sdp=fake_sdp(), operator=principal
        )
        await wait_until(lambda: line.washington.store.get_call(call.id) is not None)
        line.washington.desk(CallDesk).answer(call.id, sdp=fake_sdp(), operator=was)
        await wait_until(lambda: state(line.moscow, call.id) == "connected")
        line.moscow.desk(CallDesk).hang_up(call.id, operator=principal)
        await wait_until(lambda: state(line.washington, call.id) == "ended")

    run(tmp_path, scenario)


def test_calls_live_at_a_restart_end_failed(tmp_path: Path) -> None:
    async def main() -> None:
        async with two_routes(tmp_path, calls=CALLS, link=CALL_LINK) as line:
            was, mos = person(line.washington, "was-op"), person(line.moscow, "mos-op")
            call_id = await connected_call(line, was, mos)
            directory = line.washington_dir
        # Both terminals stopped mid-call; Washington starts again alone.
        washington = Terminal.open(directory, clock=virtual_clock())
        await washington.start()
        try:
            record = washington.desk(CallDesk).get(call_id)
            assert (record.outcome, record.reason) == (
                "failed",
                "the terminal restarted during the call",
            )
            # The hang-up waits, durably queued, for Moscow's line to come back.
            [newest] = washington.store.list_messages(peer="Moscow", limit=1)
            assert newest.kind == "call"
            assert newest.state == "queued"
            assert newest.text == "CALL ENDED: failed (the terminal restarted during the call)"
        finally:
            await washington.stop()

    run_virtual(main())
