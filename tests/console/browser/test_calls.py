"""Video and voice calls between two consoles, in two real browsers, over the real line.

Washington's and Moscow's terminals run as ``hotline run`` processes (harness.py)
with calls that ring for 6 s and may reconnect for 4 s; each operator has a
browser context of their own in one headless chromium with a fake camera and
microphone. The media goes browser to browser (host candidates on this
machine); every signal goes through the terminals and the line, which the
harness can cut. Each test ends its call, so the next one starts clean.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from .harness import ConsolePair, wait_for
from .pages import call_id, call_stat, call_state, place_call, require_browser

require_browser()  # before Playwright is imported: skip locally, fail in CI

from playwright.sync_api import Locator, Page, Route, expect  # noqa: E402

#: The issue asks that the recorded duration be within a second of the measured one.
DURATION_WITHIN = 1.0


@pytest.fixture
def open_as(open_as: Callable[[str], Page]) -> Iterator[Callable[[str], Page]]:
    """The package's ``open_as``, and no script error on any page the test opened."""
    errors: list[str] = []

    def open_(user: str) -> Page:
        page = open_as(user)
        page.on("pageerror", lambda error: errors.append(f"{user}: {error}"))
        return page

    yield open_
    assert errors == [], errors


def _calls_pages(consoles: ConsolePair, open_as: Callable[[str], Page]) -> tuple[Page, Page]:
    """Washington's operator on /calls; Moscow's on the traffic view (a call rings anywhere)."""
    washington = open_as("wash-op")
    moscow = open_as("mos-op")
    washington.goto(f"{consoles.washington.url}/calls")
    moscow.goto(f"{consoles.moscow.url}/traffic")
    return washington, moscow


def _ringing(consoles: ConsolePair, page: Page, call: str) -> Locator:
    """The banner of ``call`` ringing on Moscow's ``page``; if it never shows, say where it is."""
    banner = page.locator(f"[data-testid=incoming-call][data-call-id='{call}']")
    try:
        expect(banner).to_be_visible()
    except AssertionError as exc:
        where = {
            console.party: (
                [c for c in console.calls() if c["id"] == call],
                console.status()["peers"][0]["state"],
            )
            for console in (consoles.washington, consoles.moscow)
        }
        raise AssertionError(f"call {call} never rang at Moscow: {where}") from exc
    return banner


def _answer(consoles: ConsolePair, page: Page, call: str) -> None:
    _ringing(consoles, page, call).locator("[data-testid=call-answer]").click()


def _frames_increase(page: Page, *, what: str) -> tuple[int, int]:
    """framesDecoded read twice, a second apart, after the first frame; both readings."""
    wait_for(
        lambda: (call_stat(page, "frames-decoded") or 0) > 0,
        what=f"{what}: a first frame",
        timeout=15,
    )
    first = call_stat(page, "frames-decoded") or 0
    time.sleep(1.0)
    second = call_stat(page, "frames-decoded") or 0
    assert second > first, f"{what}: frames decoded did not increase ({first} -> {second})"
    return first, second


def _connected_call(
    consoles: ConsolePair, washington: Page, moscow: Page, *, kind: str = "video"
) -> tuple[str, float]:
    """Washington calls Moscow, Moscow answers; (call id, monotonic time the answer was seen)."""
    place_call(washington, "Moscow", kind=kind)
    call = call_id(washington)
    _answer(consoles, moscow, call)
    expect(call_state(washington)).to_have_attribute("data-state", "connected")
    seen = time.monotonic()
    expect(call_state(moscow)).to_have_attribute("data-state", "connected")
    return call, seen


def _ended(page: Page, outcome: str) -> None:
    state = call_state(page)
    expect(state).to_have_attribute("data-state", "ended")
    expect(state).to_have_attribute("data-outcome", outcome)


def _records(
    consoles: ConsolePair, call: str, outcome: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both terminals' one record of ``call``, once both have ended it with ``outcome``."""
    wait_for(
        lambda: all(
            c.call(call)["state"] == "ended" for c in (consoles.washington, consoles.moscow)
        ),
        what=f"call {call} ended on both terminals",
        timeout=15,
    )
    ours, theirs = consoles.washington.call(call), consoles.moscow.call(call)
    assert (ours["outcome"], theirs["outcome"]) == (outcome, outcome), (ours, theirs)
    return ours, theirs


def test_a_video_call_rings_connects_shows_frames_and_is_recorded(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    washington, moscow = _calls_pages(consoles, open_as)
    place_call(washington, "Moscow", kind="video")
    call = call_id(washington)

    # Moscow's console rings on the page it happens to show, naming the caller.
    banner = _ringing(consoles, moscow, call)
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-kind", "video")
    expect(banner).to_contain_text("Washington")
    expect(banner).to_contain_text("leaders")
    expect(call_state(washington)).to_have_attribute("data-state", "ringing")

    banner.locator("[data-testid=call-answer]").click()
    expect(banner).to_be_hidden()
    expect(call_state(washington)).to_have_attribute("data-state", "connected")
    answer_seen = time.monotonic()
    expect(call_state(moscow)).to_have_attribute("data-state", "connected")
    expect(washington.locator("[data-testid=call-remote-video]")).to_be_visible()
    expect(moscow.locator("[data-testid=call-local-video]")).to_be_visible()

    # Media flows both ways: decoded frames increase on both sides.
    for page, side in ((washington, "Washington"), (moscow, "Moscow")):
        first, second = _frames_increase(page, what=side)
        print(f"\n{side}: frames decoded {first} -> {second} a second later")
    caller_ms = call_stat(washington, "first-frame-ms")
    callee_ms = call_stat(moscow, "first-frame-ms")
    assert caller_ms is not None
    assert callee_ms is not None
    print(
        f"click -> first decoded frame: Washington (from 'Video call', through the ringing) "
        f"{caller_ms} ms; Moscow (from 'Answer') {callee_ms} ms"
    )
    expect(washington.locator("[data-testid=call-view]")).to_have_attribute("data-verified", "true")
    expect(moscow.locator("[data-testid=call-view]")).to_have_attribute("data-verified", "true")
    expect(washington.locator("[data-testid=call-stats]")).to_have_attribute(
        "data-rtt-ms", re.compile(r"^\d")
    )

    washington.click("[data-testid=call-hangup]")
    measured = time.monotonic() - answer_seen
    _ended(washington, "completed")
    _ended(moscow, "completed")
    ours, theirs = _records(consoles, call, "completed")
    print(f"recorded duration {ours['duration']:.3f} s, measured {measured:.3f} s")
    for record in (ours, theirs):
        assert abs(record["duration"] - measured) < DURATION_WITHIN, (record, measured)
        assert record["kind"] == "video"
        assert record["caller"] == "Washington"
        assert record["callee"] == "Moscow"
        assert record["our_fingerprint"].startswith("sha-256 ")
        assert record["peer_fingerprint"].startswith("sha-256 ")
    assert ours["our_fingerprint"] == theirs["peer_fingerprint"]
    assert ours["peer_fingerprint"] == theirs["our_fingerprint"]
    assert (ours["placed_by"], ours["answered_by"], ours["ended_by"]) == (
        "wash-op",
        "mos-op",
        "wash-op",
    )

    # Moscow's traffic view lists the call beside the messages, live.
    row = moscow.locator(f"[data-testid=call-row][data-id='{call}']")
    expect(row).to_have_attribute("data-outcome", "completed")
    expect(row.locator("[data-testid=caller-fingerprint]")).to_have_text(theirs["peer_fingerprint"])
    expect(row.locator("[data-testid=callee-fingerprint]")).to_have_text(theirs["our_fingerprint"])


#: Counts the oscillators the page's WebAudio makes (the ring tone is made of them).
COUNT_OSCILLATORS = """
window.__oscillators = 0;
const made = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.__oscillators += 1;
  return made.apply(this, arguments);
};
"""


def test_a_declined_call_rings_audibly_and_ends_declined_on_both_sides(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    washington = open_as("wash-op")
    moscow = open_as("mos-op")
    moscow.add_init_script(COUNT_OSCILLATORS)
    washington.goto(f"{consoles.washington.url}/calls")
    moscow.goto(f"{consoles.moscow.url}/shift")
    moscow.click("#sound-toggle")  # browsers play sound only after a click
    place_call(washington, "Moscow", kind="audio")
    call = call_id(washington)
    banner = _ringing(consoles, moscow, call)
    expect(banner).to_have_attribute("data-kind", "audio")
    wait_for(lambda: moscow.evaluate("window.__oscillators") > 0, what="the ring tone", timeout=5)
    banner.locator("[data-testid=call-decline]").click()
    expect(banner).to_be_hidden()
    _ended(washington, "declined")
    # An audio call has no video at all.
    expect(washington.locator("[data-testid=call-view] video")).to_have_count(0)
    _records(consoles, call, "declined")
    # Declined: it stops ringing (a tone every 2 s while it rang).
    rung = moscow.evaluate("window.__oscillators")
    time.sleep(2.5)
    assert moscow.evaluate("window.__oscillators") == rung


def test_an_unanswered_call_rings_out_as_missed_on_both_sides(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    washington, moscow = _calls_pages(consoles, open_as)
    place_call(washington, "Moscow", kind="video")
    call = call_id(washington)
    banner = _ringing(consoles, moscow, call)
    expect(banner).to_be_visible()
    # [calls] ring_timeout = 6 s in the harness: it stops ringing on its own.
    expect(banner).to_be_hidden(timeout=15_000)
    _ended(washington, "missed")
    ours, _ = _records(consoles, call, "missed")
    assert ours["answered_at"] is None
    assert ours["duration"] is None
    expect(call_state(washington)).to_contain_text(ours["reason"])


def _line_is(consoles: ConsolePair, state: str, *, timeout: float = 25) -> None:
    wait_for(
        lambda: (
            consoles.washington.peer_state("Moscow") == state
            and consoles.moscow.peer_state("Washington") == state
        ),
        what=f"the line {state} on both sides",
        timeout=timeout,
    )


def test_a_line_lost_mid_call_reconnects_then_fails_and_a_call_on_a_dead_line_fails_at_once(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    washington, moscow = _calls_pages(consoles, open_as)
    call, _ = _connected_call(consoles, washington, moscow, kind="audio")
    wait_for(lambda: (call_stat(moscow, "audio-packets") or 0) > 0, what="audio at Moscow")
    try:
        consoles.cut(0)
        consoles.cut(1)
        for page in (washington, moscow):
            expect(call_state(page)).to_have_attribute("data-state", "reconnecting")
        # [calls] reconnect_timeout = 4 s in the harness.
        for page in (washington, moscow):
            expect(call_state(page)).to_have_attribute("data-state", "ended", timeout=15_000)
            expect(call_state(page)).to_have_attribute("data-outcome", "failed")
            expect(call_state(page)).to_contain_text("line")
        ours, theirs = _records(consoles, call, "failed")
        for record in (ours, theirs):
            assert "line" in record["reason"], record

        # A call to a peer whose line is down fails at once, never a silent ring.
        _line_is(consoles, "down")
        washington.click("[data-testid=call-close]")
        clicked = time.monotonic()
        place_call(washington, "Moscow", kind="video")
        _ended(washington, "failed")
        shown_after = time.monotonic() - clicked
        print(f"\ncall on a dead line shown failed {shown_after:.3f} s after the click")
        dead = call_id(washington)
        record = consoles.washington.call(dead)
        assert record["outcome"] == "failed"
        assert "down" in record["reason"]
        expect(call_state(washington)).to_contain_text(record["reason"])
    finally:
        healed = time.monotonic()
        consoles.heal(0)
        consoles.heal(1)
        # A dial left hanging on a cut route may first run out its 10 s TLS handshake
        # timeout (harness.py), once per route: both routes up may take a while.
        _line_is(consoles, "up", timeout=45)
        print(f"line up again {time.monotonic() - healed:.2f} s after the heal")


def test_tampered_signaling_is_refused_by_the_callee(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    washington, moscow = _calls_pages(consoles, open_as)
    forged = "sha-256 " + ":".join(["AB"] * 32)

    def tamper(route: Route) -> None:
        # Someone between the terminal and the browser swaps the caller's fingerprint.
        response = route.fetch()
        body = response.json()
        if body.get("remote") and body["remote"].get("sdp"):
            body["remote"]["sdp"] = re.sub(
                r"a=fingerprint:\S+ \S+", f"a=fingerprint:{forged}", body["remote"]["sdp"]
            )
        route.fulfill(response=response, json=body)

    moscow.route(re.compile(r"/api/calls/call-[0-9a-f]+$"), tamper)
    place_call(washington, "Moscow", kind="video")
    call = call_id(washington)
    _answer(consoles, moscow, call)
    notice = moscow.locator("[data-testid=call-notice]")
    expect(notice).to_contain_text("DTLS fingerprint mismatch")
    expect(notice).to_contain_text(forged)
    _ended(moscow, "failed")
    _ended(washington, "failed")
    ours, theirs = _records(consoles, call, "failed")
    for record in (ours, theirs):
        assert "fingerprint" in record["reason"], record
    assert theirs["answered_at"] is None  # no answer ever went to a forged offer


def test_an_ice_restart_renegotiates_through_the_line_and_media_keeps_flowing(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    washington, moscow = _calls_pages(consoles, open_as)
    call, _ = _connected_call(consoles, washington, moscow)
    _frames_increase(moscow, what="Moscow before the restart")
    panel = "[data-testid=call-view]"
    expect(moscow.locator(panel)).to_have_attribute("data-remote-rev", "1")
    washington.evaluate("window.hotlineCall.pc.restartIce()")
    # The caller's new offer reaches Moscow through the terminals (rev 2), Moscow's
    # answer comes back the same way (rev 2 on Washington's side).
    expect(moscow.locator(panel)).to_have_attribute("data-remote-rev", "2")
    expect(washington.locator(panel)).to_have_attribute("data-remote-rev", "2")
    assert washington.evaluate("window.hotlineCall.pc.signalingState") == "stable"
    for page, side in ((washington, "Washington"), (moscow, "Moscow")):
        _frames_increase(page, what=f"{side} after the restart")
    expect(call_state(washington)).to_have_attribute("data-state", "connected")
    moscow.click("[data-testid=call-hangup]")
    _ended(washington, "completed")
    ours, _ = _records(consoles, call, "completed")
    assert ours["ended_by"] == "mos-op"


def test_a_presence_request_shows_until_answered_and_the_requester_sees_the_answer(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    washington, moscow = _calls_pages(consoles, open_as)
    moscow.goto(f"{consoles.moscow.url}/")  # any page: the line view here
    washington.click("[data-testid=presence-ask-Moscow]")
    result = washington.locator("[data-testid=call-result][data-presence-id]")
    result.wait_for()
    request = result.get_attribute("data-presence-id")
    shown = moscow.locator(f"[data-testid=presence-request][data-id='{request}']")
    expect(shown).to_be_visible()
    expect(shown).to_contain_text("Washington")
    row = washington.locator(f"[data-testid=presence-row][data-id='{request}']")
    expect(row).to_have_attribute("data-answered", "false")

    moscow.reload()  # still there on the next page: until someone answers it
    expect(shown).to_be_visible()
    shown.locator("[data-testid=presence-answer]").click()
    expect(shown).to_be_hidden()

    answered = washington.locator(f"[data-testid=presence-answered][data-id='{request}']")
    expect(answered).to_be_visible()
    expect(answered).to_contain_text("mos-op")
    expect(row).to_have_attribute("data-answered", "true")
    expect(row).to_contain_text("mos-op")
    answered.locator("[data-testid=presence-dismiss]").click()
    expect(answered).to_be_hidden()


def test_without_a_camera_api_the_page_says_why_and_places_nothing(
    consoles: ConsolePair, open_as: Callable[[str], Page]
) -> None:
    washington = open_as("wash-op")
    # As over plain HTTP on a network address: the browser offers no mediaDevices.
    washington.add_init_script(
        "Object.defineProperty(navigator, 'mediaDevices', {value: undefined})"
    )
    washington.goto(f"{consoles.washington.url}/calls")
    before = len(consoles.washington.calls())
    expect(washington.locator("[data-testid=insecure-context]")).to_be_visible()
    place_call(washington, "Moscow", kind="video")
    expect(washington.locator("[data-testid=call-result]")).to_contain_text("HTTPS")
    expect(washington.locator("[data-testid=call-view]")).to_be_hidden()
    assert len(consoles.washington.calls()) == before
