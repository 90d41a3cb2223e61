"""The failover policy on a fake clock: which route carries traffic, and when it moves."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.link import FailoverPolicy, LineState, RouteState
from hotline.testing import FakeClock

R1, R2, R3 = "10.0.1.2:7000", "10.0.2.2:7000", "10.0.3.2:7000"


def policy(*routes: str, **kwargs: Any) -> FailoverPolicy:
    return FailoverPolicy(routes=routes or (R1, R2), uniform=lambda: 0.0, **kwargs)


def test_no_session_no_active_route_and_line_down() -> None:
    p = policy()
    assert p.select(0.0) is None
    assert p.line_state(0.0) is LineState.DOWN
    assert [v.state for v in p.views(0.0)] == [RouteState.DOWN, RouteState.DOWN]


def test_first_up_route_in_card_order_carries_traffic() -> None:
    p = policy()
    p.opened(R2, 0.0)
    assert p.select(0.0) == R2
    p.opened(R1, 0.1)
    # Sticky: R1 coming up does not move traffic off a healthy R2.
    assert p.select(0.1) == R2
    assert p.line_state(0.1) is LineState.UP


def test_silence_moves_traffic_to_the_other_route_before_the_session_is_declared_dead() -> None:
    clock = FakeClock()
    p = policy()
    p.opened(R1, clock.monotonic())
    p.opened(R2, clock.monotonic())
    assert p.select(clock.monotonic()) == R1
    # Heartbeats every 0.5 s on both routes; route 1 is cut after the first.
    clock.advance(0.5)
    p.heard(R1, clock.monotonic())
    p.heard(R2, clock.monotonic())
    for _ in range(2):
        clock.advance(0.5)
        p.heard(R2, clock.monotonic())
        assert p.select(clock.monotonic()) == R1  # one missed heartbeat is not yet silence
    clock.advance(0.01)
    assert p.state(R1, clock.monotonic()) is RouteState.SILENT
    assert p.select(clock.monotonic()) == R2
    assert p.line_state(clock.monotonic()) is LineState.DEGRADED
    # Silence of silent_after (1.0 s) < dead window (1.5 s): traffic moved first.
    assert p.silent_after < p.heartbeat_interval * p.dead_after


def test_traffic_does_not_flap_back_when_the_first_route_recovers() -> None:
    p = policy()
    p.opened(R1, 0.0)
    p.opened(R2, 0.0)
    assert p.select(0.0) == R1
    p.closed(R1, 1.0)
    assert p.select(1.0) == R2
    p.heard(R2, 2.0)
    p.opened(R1, 2.0)
    assert p.select(2.0) == R2


def test_a_much_faster_route_takes_over() -> None:
    p = policy()
    p.opened(R1, 0.0)
    p.opened(R2, 0.0)
    assert p.select(0.0) == R1
    p.rtt_sample(R1, 0.200)
    p.rtt_sample(R2, 0.150)
    assert p.select(0.1) == R1  # not twice as fast: stays
    for _ in range(40):
        p.rtt_sample(R2, 0.050)
    assert p.select(0.2) == R2
    assert p.view(R2, 0.2).rtt == pytest.approx(0.050, abs=0.005)


def test_loopback_scale_rtt_differences_never_move_traffic() -> None:
    p = policy()
    p.opened(R1, 0.0)
    p.opened(R2, 0.0)
    p.rtt_sample(R1, 0.004)
    p.rtt_sample(R2, 0.0005)
    assert p.select(0.0) == R1  # 8x faster but only 3.5 ms: below the margin


def test_a_silent_route_still_carries_traffic_when_nothing_is_up() -> None:
    p = policy()
    p.opened(R1, 0.0)
    p.opened(R2, 0.0)
    p.heard(R2, 0.5)
    assert p.select(0.0) == R1
    # Both silent: keep the current one rather than move to an equally silent route.
    assert p.select(5.0) == R1
    p.closed(R1, 5.0)
    assert p.select(5.0) == R2  # the most recently heard of the silent ones
    assert p.line_state(5.0) is LineState.DEGRADED
    p.closed(R2, 6.0)
    assert p.select(6.0) is None
    assert p.active is None


def test_backoff_grows_per_route_and_resets_only_when_a_session_opens() -> None:
    p = policy(reconnect_initial=0.1, reconnect_cap=2.0)
    delays = [p.retry_delay(R1) for _ in range(7)]
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    assert p.retry_delay(R2) == 0.1  # routes back off independently
    assert p.view(R1, 0.0).failures == 7
    p.closed(R1, 0.0)  # a TLS connection that never opened a session: no reset
    assert p.retry_delay(R1) == 2.0
    p.opened(R1, 1.0)
    assert p.view(R1, 1.0).failures == 0
    assert p.retry_delay(R1) == 0.1


def test_a_new_session_forgets_the_old_paths_rtt() -> None:
    p = policy()
    p.opened(R1, 0.0)
    p.rtt_sample(R1, 0.3)
    p.closed(R1, 1.0)
    assert p.view(R1, 1.0).rtt is None
    p.opened(R1, 2.0)
    assert p.view(R1, 2.0).rtt is None
    p.rtt_sample(R1, -1.0)  # nonsense (a clock step): ignored
    assert p.view(R1, 2.0).rtt is None


def test_refreshed_card_keeps_known_routes_state() -> None:
    p = policy()
    p.opened(R2, 0.0)
    assert p.select(0.0) == R2
    p.set_routes((R3, R2))
    assert p.routes == (R3, R2)
    assert p.state(R2, 0.1) is RouteState.UP
    assert p.select(0.1) == R2
    p.set_routes((R3,))
    assert p.active is None
    with pytest.raises(ValueError, match="not one of this peer's routes"):
        p.heard(R1, 0.0)


@pytest.mark.parametrize(
    ("routes", "match"),
    [((), "at least one route"), ((R1, R1), "listed twice")],
)
def test_bad_route_lists(routes: tuple[str, ...], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        FailoverPolicy(routes=routes)


def test_bad_timing() -> None:
    with pytest.raises(ValueError):
        FailoverPolicy(routes=(R1,), heartbeat_interval=0)
    with pytest.raises(ValueError):
        FailoverPolicy(routes=(R1,), dead_after=0)


def test_dead_after_one_means_silent_is_the_dead_window() -> None:
    p = policy(dead_after=1)
    assert p.silent_after == p.heartbeat_interval


_event = st.tuples(
    st.sampled_from(["opened", "closed", "heard", "rtt", "tick"]),
    st.sampled_from([R1, R2, R3]),
    st.floats(min_value=0.0, max_value=2.0),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_event, max_size=60))
def test_invariants_under_any_sequence_of_events(events: list[tuple[str, str, float]]) -> None:
    """The active route always has a session, and is up whenever some route is up."""
    p = policy(R1, R2, R3)
    now = 0.0
    for kind, route, amount in events:
        now += amount if kind == "tick" else 0.0
        if kind == "opened":
            p.opened(route, now)
        elif kind == "closed":
            p.closed(route, now)
        elif kind == "heard":
            p.heard(route, now)
        elif kind == "rtt":
            p.rtt_sample(route, amount / 10)
        active = p.select(now)
        states = {r: p.state(r, now) for r in p.routes}
        if active is None:
            assert all(s is RouteState.DOWN for s in states.values())
        else:
            assert states[active] is not RouteState.DOWN
            if any(s is RouteState.UP for s in states.values()):
                assert states[active] is RouteState.UP
        assert sum(v.active for v in p.views(now)) == (active is not None)
        line = p.line_state(now)
        assert (line is LineState.DOWN) == (active is None)
