"""The calls API: placing, ringing, answering, declining, hanging up, ICE signals, presence.

Two real terminals (conftest.py) relay the signals between them; the browser's
part is played by requests carrying a minimal SDP with a DTLS fingerprint
(the terminal reads nothing else of it). Permissions, CSRF, the mapping of
the terminal's refusals to HTTP statuses, the event stream's topics and the
pages' call data are checked here; tests/console/browser/test_calls.py does
the same with real browsers and real media.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.console import format_duration
from hotline.console.schemas import MAX_SDP_CHARS
from hotline.terminal.desks.calls import CallDesk, PresenceDesk

from .conftest import ConsoleClient, Pair
from .routes.test_api import events


def fingerprint() -> str:
    return ":".join(f"{byte:02X}" for byte in secrets.token_bytes(32))


def fake_sdp(digest: str | None = None) -> str:
    """An SDP as far as the terminal reads it: one DTLS fingerprint (random unless given)."""
    return (
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
        f"a=fingerprint:sha-256 {digest or fingerprint()}\r\na=setup:actpass\r\n"
    )


def place(console: ConsoleClient, *, kind: str = "video", sdp: str | None = None) -> dict[str, Any]:
    body = {"to": other(console), "channel": "leaders", "kind": kind, "sdp": sdp or fake_sdp()}
    response = console.post("/api/calls", body)
    assert response.status_code == 201, response.text
    view: dict[str, Any] = response.json()
    return view


def other(console: ConsoleClient) -> str:
    return "Moscow" if console.terminal.party == "Washington" else "Washington"


def live(console: ConsoleClient, call_id: str) -> dict[str, Any]:
    response = console.get(f"/api/calls/{call_id}")
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


def wait_state(pair: Pair, console: ConsoleClient, call_id: str, state: str) -> dict[str, Any]:
    """Wait until ``console``'s terminal holds the call in ``state``; return its live view.

    The condition is read on the loop thread (the store's), so it reads the store
    directly; the view is then fetched through the API.
    """
    pair.wait_until(
        lambda: (
            (record := console.terminal.store.get_call(call_id)) is not None
            and record.state == state
        ),
        what=f"call {call_id} {state} at {console.terminal.party}",
    )
    return live(console, call_id)


def remote_rev(console: ConsoleClient, call_id: str) -> int:
    """The rev of the remote description ``console``'s terminal holds (on the loop thread)."""
    rev: int = console.terminal.desk(CallDesk).live_view(call_id)["remote"]["rev"]
    return rev


@pytest.fixture
def both(calm: Pair) -> Pair:
    """Both operators logged in, the line up (with heartbeats a loaded machine keeps up)."""
    calm.washington.login_as("wash-op")
    calm.moscow.login_as("mos-op")
    calm.wait_line_up()
    return calm


def ringing(pair: Pair, *, kind: str = "video") -> tuple[dict[str, Any], dict[str, Any]]:
    """Washington places a call; returns (Washington's view, Moscow's view) once it rings."""
    placed = place(pair.washington, kind=kind)
    return placed, wait_state(pair, pair.moscow, placed["id"], "ringing")


def connected(pair: Pair) -> tuple[str, str, str]:
    """A call Moscow has answered; returns (call id, Washington's and Moscow's fingerprints)."""
    wash_print, mos_print = fingerprint(), fingerprint()
    placed = place(pair.washington, sdp=fake_sdp(wash_print))
    call_id = placed["id"]
    wait_state(pair, pair.moscow, call_id, "ringing")
    answered = pair.moscow.post(f"/api/calls/{call_id}/answer", {"sdp": fake_sdp(mos_print)})
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "connected"
    wait_state(pair, pair.washington, call_id, "connected")
    return call_id, wash_print, mos_print


# -- a whole call, across the line --------------------------------------------------


def test_a_call_rings_is_answered_and_hangs_up_completed_on_both_sides(both: Pair) -> None:
    wash, mos = both.washington, both.moscow
    wash_print, mos_print = fingerprint(), fingerprint()
    placed = place(wash, sdp=fake_sdp(wash_print))
    call_id = placed["id"]
    assert placed["direction"] == "out"
    assert placed["caller"] == "Washington"
    assert placed["callee"] == "Moscow"
    assert placed["placed_by"] == "wash-op"
    assert placed["state"] in ("calling", "ringing")
    assert placed["our_fingerprint"] == f"sha-256 {wash_print}"
    assert placed["display"]["requested_at"].endswith("Z")

    # Moscow rings: the call is among its live calls, with Washington's signed offer.
    view = wait_state(both, mos, call_id, "ringing")
    live_calls = mos.get("/api/calls", params={"live": "true"}).json()
    assert [(c["id"], c["direction"], c["state"]) for c in live_calls] == [
        (call_id, "in", "ringing")
    ]
    assert view["remote"]["type"] == "offer"
    assert view["remote"]["rev"] == 1
    assert view["remote"]["fingerprint"] == f"sha-256 {wash_print}"
    assert f"a=fingerprint:sha-256 {wash_print}" in view["remote"]["sdp"]
    assert view["ring_deadline"] is not None
    wait_state(both, wash, call_id, "ringing")  # Washington hears it ring

    answered = mos.post(f"/api/calls/{call_id}/answer", {"sdp": fake_sdp(mos_print)})
    assert answered.status_code == 200, answered.text
    assert answered.json()["answered_by"] == "mos-op"
    view = wait_state(both, wash, call_id, "connected")
    assert view["remote"] == {
        "type": "answer",
        "sdp": view["remote"]["sdp"],
        "rev": 1,
        "fingerprint": f"sha-256 {mos_print}",
        "candidates": [],
    }
    assert f"a=fingerprint:sha-256 {mos_print}" in view["remote"]["sdp"]

    hung = wash.post(f"/api/calls/{call_id}/hangup", {})
    assert hung.status_code == 200, hung.text
    ended = hung.json()
    assert (ended["state"], ended["outcome"], ended["ended_by"]) == (
        "ended",
        "completed",
        "wash-op",
    )
    assert ended["remote"] is None  # after the end, nothing more for a browser to apply
    assert ended["display"]["duration"] is not None
    theirs = wait_state(both, mos, call_id, "ended")
    assert theirs["outcome"] == "completed"
    for console in (wash, mos):
        (record,) = [c for c in console.get("/api/calls").json() if c["id"] == call_id]
        assert record["outcome"] == "completed"
        assert record["duration"] is not None
        assert {record["our_fingerprint"], record["peer_fingerprint"]} == {
            f"sha-256 {wash_print}",
            f"sha-256 {mos_print}",
        }
        assert console.get("/api/calls", params={"live": "true"}).json() == []
    # Hanging up again changes nothing.
    again = wash.post(f"/api/calls/{call_id}/hangup", {"failed": True, "reason": "late"})
    assert again.status_code == 200
    assert again.json()["outcome"] == "completed"


def test_ice_candidates_restarts_and_media_state_reach_the_other_side(both: Pair) -> None:
    wash, mos = both.washington, both.moscow
    call_id, wash_print, mos_print = connected(both)
    candidate = {
        "candidate": "candidate:1 1 udp 2122260223 192.0.2.7 50000 typ host generation 0",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    response = wash.post(f"/api/calls/{call_id}/candidate", candidate)
    assert response.status_code == 204, response.text
    both.wait_until(
        lambda: (
            mos.terminal.desk(CallDesk).live_view(call_id)["remote"]["candidates"] == [candidate]
        ),
        what="the candidate at Moscow",
    )

    # The caller's browser lost its media path: its side shows "reconnecting".
    lost = wash.post(f"/api/calls/{call_id}/media", {"state": "disconnected"})
    assert lost.status_code == 200, lost.text
    assert lost.json()["state"] == "reconnecting"
    assert lost.json()["media"] == "disconnected"

    # ICE restart: the caller re-offers (same fingerprint), the callee answers.
    offer = wash.post(f"/api/calls/{call_id}/sdp", {"type": "offer", "sdp": fake_sdp(wash_print)})
    assert offer.status_code == 200, offer.text
    both.wait_until(lambda: remote_rev(mos, call_id) == 2, what="the re-offer")
    assert live(mos, call_id)["remote"]["type"] == "offer"
    answer = mos.post(f"/api/calls/{call_id}/sdp", {"type": "answer", "sdp": fake_sdp(mos_print)})
    assert answer.status_code == 200, answer.text
    both.wait_until(lambda: remote_rev(wash, call_id) == 2, what="the restart answer")
    back = wash.post(f"/api/calls/{call_id}/media", {"state": "connected"})
    assert back.json()["state"] == "connected"

    # Only the caller re-offers; and the fingerprint may not change mid-call.
    wrong_side = mos.post(f"/api/calls/{call_id}/sdp", {"type": "offer", "sdp": fake_sdp()})
    assert wrong_side.status_code == 409
    refused = wash.post(f"/api/calls/{call_id}/sdp", {"type": "offer", "sdp": fake_sdp()})
    assert refused.status_code == 409
    assert refused.json()["error"] == "CallError"


def test_a_declined_call_ends_declined_on_both_sides(both: Pair) -> None:
    placed, _ = ringing(both)
    call_id = placed["id"]
    # Only the called side can decline or answer.
    for action, body in (("decline", {}), ("answer", {"sdp": fake_sdp()})):
        response = both.washington.post(f"/api/calls/{call_id}/{action}", body)
        assert response.status_code == 409, response.text
        assert response.json()["error"] == "CallError"
    declined = both.moscow.post(f"/api/calls/{call_id}/decline", {})
    assert declined.status_code == 200, declined.text
    assert declined.json()["outcome"] == "declined"
    assert wait_state(both, both.washington, call_id, "ended")["outcome"] == "declined"
    # An ended call cannot be answered any more.
    late = both.moscow.post(f"/api/calls/{call_id}/answer", {"sdp": fake_sdp()})
    assert late.status_code == 409
    assert late.json()["error"] == "CallError"


def test_the_caller_hanging_up_before_an_answer_is_a_missed_call(both: Pair) -> None:
    placed, _ = ringing(both, kind="audio")
    hung = both.washington.post(f"/api/calls/{placed['id']}/hangup", {})
    assert hung.json()["outcome"] == "missed"
    assert hung.json()["kind"] == "audio"
    theirs = wait_state(both, both.moscow, placed["id"], "ended")
    assert theirs["outcome"] == "missed"


def test_a_browser_that_gives_up_fails_the_call_with_its_reason(both: Pair) -> None:
    call_id, _, _ = connected(both)
    reason = "DTLS fingerprint mismatch: the media came with sha-256 00:11"
    hung = both.moscow.post(f"/api/calls/{call_id}/hangup", {"failed": True, "reason": reason})
    assert hung.status_code == 200, hung.text
    assert (hung.json()["outcome"], hung.json()["reason"]) == ("failed", reason)
    theirs = wait_state(both, both.washington, call_id, "ended")
    assert (theirs["outcome"], theirs["reason"]) == ("failed", reason)


def test_a_call_to_a_peer_whose_line_is_down_fails_at_once(alone: ConsoleClient) -> None:
    placed = place(alone)
    assert placed["state"] == "ended"
    assert placed["outcome"] == "failed"
    assert "down" in placed["reason"]
    assert "Moscow" in placed["reason"]
    (record,) = alone.get("/api/calls").json()
    assert record["id"] == placed["id"]
    assert record["outcome"] == "failed"


def test_the_browser_gets_the_ice_servers_and_ring_time(wash: ConsoleClient) -> None:
    config = wash.get("/api/calls/config").json()
    assert config == {"ice_servers": [], "ring_timeout": 60.0}


# -- who may do what --------------------------------------------------------------------


def test_a_principal_may_call_and_answer_presence_but_not_ask_for_it(both: Pair) -> None:
    wash = both.washington
    wash.login_as("wash-principal")
    placed = place(wash)
    assert placed["placed_by"] == "wash-principal"
    asked = wash.post("/api/presence", {"to": "Moscow"})
    assert asked.status_code == 403
    assert asked.json()["error"] == "PermissionDenied"


@pytest.mark.parametrize("user", ["wash-auditor", "wash-admin"])
def test_those_who_may_only_read_see_calls_but_cannot_touch_them(pair: Pair, user: str) -> None:
    wash = pair.washington
    wash.login_as(user)
    assert wash.get("/api/calls").status_code == 200
    assert wash.get("/api/presence").status_code == 200
    assert wash.get("/api/calls/config").status_code == 200
    for path, body in [
        ("/api/calls", {"to": "Moscow", "sdp": fake_sdp()}),
        ("/api/calls/call-0/answer", {"sdp": fake_sdp()}),
        ("/api/calls/call-0/decline", {}),
        ("/api/calls/call-0/hangup", {}),
        ("/api/calls/call-0/sdp", {"type": "offer", "sdp": fake_sdp()}),
        ("/api/calls/call-0/candidate", {"candidate": "candidate:1"}),
        ("/api/calls/call-0/media", {"state": "connected"}),
        ("/api/presence", {"to": "Moscow"}),
        ("/api/presence/presence-0/answer", {}),
    ]:
        response = wash.post(path, body)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["error"] == "PermissionDenied"
    assert wash.on_loop(lambda: wash.terminal.store.list_calls(10)) == []


def test_every_call_route_needs_the_csrf_token(both: Pair) -> None:
    wash = both.washington
    placed, _ = ringing(both)
    call_id = placed["id"]
    for path, body in [
        ("/api/calls", {"to": "Moscow", "sdp": fake_sdp()}),
        (f"/api/calls/{call_id}/hangup", {}),
        (f"/api/calls/{call_id}/media", {"state": "connected"}),
        (f"/api/calls/{call_id}/candidate", {"candidate": "candidate:1"}),
        ("/api/presence", {"to": "Moscow"}),
    ]:
        for token in ("", "not-the-token"):
            response = wash.post(path, body, csrf=token)
            assert response.status_code == 403, (path, token)
            assert response.json()["error"] == "PermissionDenied"
            assert "CSRF" in response.json()["detail"]
    for path in (f"/api/calls/{call_id}/answer", f"/api/calls/{call_id}/decline"):
        assert both.moscow.post(path, {"sdp": fake_sdp()}, csrf="").status_code == 403
    # Nothing happened: still one call, still ringing; no presence request.
    assert [c["id"] for c in wash.get("/api/calls").json()] == [call_id]
    assert live(both.moscow, call_id)["state"] == "ringing"
    assert wash.get("/api/presence").json() == []


# -- refusals, by status ------------------------------------------------------------------


def test_an_unknown_call_is_404(wash: ConsoleClient) -> None:
    for method, path, body in [
        ("GET", "/api/calls/call-nothing", None),
        ("POST", "/api/calls/call-nothing/hangup", {}),
        ("POST", "/api/calls/call-nothing/answer", {"sdp": fake_sdp()}),
        ("POST", "/api/calls/call-nothing/media", {"state": "failed"}),
    ]:
        response = wash.get(path) if method == "GET" else wash.post(path, body)
        assert response.status_code == 404, (path, response.text)
        assert response.json()["error"] == "UnknownCall"
    unknown_peer = wash.post("/api/calls", {"to": "Beijing", "sdp": fake_sdp()})
    assert unknown_peer.status_code == 404
    assert unknown_peer.json()["error"] == "UnknownPeer"


@pytest.mark.parametrize(
    "body",
    [
        {"to": "Moscow", "kind": "hologram", "sdp": fake_sdp()},
        {"to": "Moscow", "sdp": "v=0\r\nno fingerprint here\r\n"},
        {"to": "Moscow", "sdp": "a=fingerprint:sha-1 " + ":".join(["AB"] * 20)},
        {"to": "Moscow", "sdp": fake_sdp() + "a=x\r\n" * (MAX_SDP_CHARS // 4)},
        {"to": "Moscow", "channel": "Not A Channel", "sdp": fake_sdp()},
        {"to": "Moscow", "sdp": fake_sdp(), "surprise": 1},
        {"to": "Moscow"},
        {"to": "", "sdp": fake_sdp()},
    ],
)
def test_a_bad_call_is_422_and_nothing_is_placed(wash: ConsoleClient, body: dict[str, Any]) -> None:
    response = wash.post("/api/calls", body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "InvalidArgument"
    assert response.json()["detail"]
    assert wash.get("/api/calls").json() == []


def test_bad_signals_during_a_call_are_422(both: Pair) -> None:
    wash = both.washington
    call_id, _, _ = connected(both)
    for path, body in [
        ("media", {"state": "sleepy"}),
        ("candidate", {"candidate": "candidate:1", "sdpMLineIndex": -1}),
        ("candidate", {"candidate": "x" * 5000}),
        ("candidate", {"candidate": "candidate:1", "usernameFragment": "abc"}),
        ("sdp", {"type": "pranswer", "sdp": fake_sdp()}),
        ("hangup", {"reason": "x" * 501}),
    ]:
        response = wash.post(f"/api/calls/{call_id}/{path}", body)
        assert response.status_code == 422, (path, body, response.text)
        assert response.json()["error"] == "InvalidArgument"
    assert live(wash, call_id)["state"] == "connected"


# -- presence ----------------------------------------------------------------------------


def test_a_presence_request_shows_at_the_peer_until_answered(both: Pair) -> None:
    wash, mos = both.washington, both.moscow
    asked = wash.post("/api/presence", {"to": "Moscow", "channel": "leaders", "note": "at 1400Z"})
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert (request["direction"], request["requested_by"], request["answered_at"]) == (
        "out",
        "wash-op",
        None,
    )
    assert request["display"]["requested_at"].endswith("Z")
    both.wait_until(lambda: len(mos.terminal.desk(PresenceDesk).recent()) == 1, what="the request")
    (incoming,) = mos.get("/api/presence", params={"open_only": "true"}).json()
    assert (incoming["id"], incoming["direction"], incoming["note"]) == (
        request["id"],
        "in",
        "at 1400Z",
    )
    # Every page of Moscow's console carries it (the banner shows before any refresh).
    page = mos.get("/traffic").text
    assert [r["id"] for r in page_data(page, "presence-recent-data")] == [request["id"]]

    # A principal answers it; the requesting side learns who, and when.
    mos.login_as("mos-principal")
    answered = mos.post(f"/api/presence/{request['id']}/answer", {})
    assert answered.status_code == 200, answered.text
    assert answered.json()["answered_by"] == "mos-principal"
    assert mos.get("/api/presence", params={"open_only": "true"}).json() == []
    both.wait_until(
        lambda: wash.terminal.desk(PresenceDesk).recent()[0].answered_by == "mos-principal",
        what="the answer at Washington",
    )
    (seen,) = wash.get("/api/presence").json()
    assert seen["display"]["answered_at"].endswith("Z")
    twice = mos.post(f"/api/presence/{request['id']}/answer", {})
    assert twice.status_code == 409
    assert twice.json()["error"] == "CallError"


def test_presence_refusals(both: Pair) -> None:
    wash = both.washington
    assert wash.post("/api/presence", {"to": "Beijing"}).status_code == 404
    assert wash.post("/api/presence", {"to": "Moscow", "note": "x" * 501}).status_code == 422
    assert wash.post("/api/presence", {"to": "Moscow", "channel": "NO"}).status_code == 422
    unknown = wash.post("/api/presence/presence-nothing/answer", {})
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["error"] == "UnknownCall"


# -- the event stream ------------------------------------------------------------------------


def test_the_event_stream_tells_of_calls_and_presence(both: Pair) -> None:
    mos = both.moscow
    mos.state.event_ping = 0.2
    seen: set[str] = set()
    with mos.client.stream("GET", "/api/events") as response:
        stream = events(response.iter_lines())
        assert next(stream)[0] == "ready"
        place(both.washington)
        both.washington.post("/api/presence", {"to": "Moscow"})
        for name, data in stream:
            if name == "change":
                seen |= set(data["topics"])
            if {"calls", "presence"} <= seen:
                break
    assert {"calls", "presence"} <= seen


# -- pages --------------------------------------------------------------------------------


def page_data(html: str, element_id: str) -> Any:
    start = html.index(f'id="{element_id}">') + len(f'id="{element_id}">')
    return json.loads(html[start : html.index("</script>", start)])


def test_every_page_carries_a_ringing_call_and_the_calls_page_its_controls(both: Pair) -> None:
    placed, _ = ringing(both)
    mos = both.moscow
    for path in ("/", "/traffic", "/shift", "/reports", "/notify", "/calls"):
        html = mos.get(path).text
        (call,) = page_data(html, "calls-live-data")
        assert (call["id"], call["state"], call["direction"]) == (placed["id"], "ringing", "in")
        assert 'id="incoming-call-template"' in html
        assert 'data-testid="call-answer"' in html
        assert 'src="/static/call.js"' in html
        assert 'src="/static/callboard.js"' in html
        assert 'id="nav-calls"' in html
    calls_page = mos.get("/calls").text
    assert 'data-testid="call-video-Washington"' in calls_page
    assert 'data-testid="call-audio-Washington"' in calls_page
    assert 'data-testid="presence-ask-Washington"' in calls_page
    assert [c["id"] for c in page_data(calls_page, "calls-data")] == [placed["id"]]
    traffic = both.washington.get("/traffic").text
    assert [c["id"] for c in page_data(traffic, "calls-data")] == [placed["id"]]
    assert 'id="call-row-template"' in traffic


def test_an_auditor_sees_the_calls_page_without_buttons(pair: Pair) -> None:
    wash = pair.washington
    wash.login_as("wash-auditor")
    html = wash.get("/calls").text
    assert 'data-testid="call-peer-Moscow"' in html
    for hook in ("call-video-Moscow", "presence-ask-Moscow", "call-answer", "presence-answer"):
        assert f'data-testid="{hook}"' not in html


def test_the_calls_page_is_in_the_users_language(pair: Pair) -> None:
    mos = pair.moscow
    mos.login_as("mos-principal")  # Russian
    html = mos.get("/calls").text
    assert "Видеозвонок" in html
    assert "Звонки" in html
    strings = page_data(html, "console-strings")
    assert strings["Video call from %(party)s on channel %(channel)s"].startswith("Видеозвонок")


# -- display ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(None, None), (0.0, "0:00"), (59.4, "0:59"), (61.0, "1:01"), (3725.2, "1:02:05")],
)
def test_durations_are_shown_as_clock_readings(seconds: float | None, shown: str | None) -> None:
    assert format_duration(seconds) == shown


@given(st.floats(min_value=0, max_value=10 * 86400, allow_nan=False))
def test_a_shown_duration_reads_back_to_the_rounded_seconds(seconds: float) -> None:
    shown = format_duration(seconds)
    assert shown is not None
    parts = [int(part) for part in shown.split(":")]
    total = 0
    for part in parts:
        total = total * 60 + part
    assert total == round(seconds)
    assert all(0 <= part < 60 for part in parts[1:])
