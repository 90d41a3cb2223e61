"""The pure parts of the reliability benchmark: the fault schedule and the checks of what arrived.

Nothing here creates a namespace or starts a terminal; the suite's real
network test is tests/testing/test_netns.py.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import pytest
from bench.reliability import (
    FaultAction,
    FaultEvent,
    all_down_spans,
    analyse_direction,
    failover_times,
    fault_schedule,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.errors import ConfigError
from hotline.utc import format_utc, from_epoch

KILL_GAP = 5.0
BOUND = 3.0


# -- the fault schedule --------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    kills=st.integers(min_value=0, max_value=6),
    extra=st.floats(min_value=0, max_value=120),
    bound=st.floats(min_value=0.5, max_value=5.0),
)
def test_schedule_properties(seed: int, kills: int, extra: float, bound: float) -> None:
    duration = KILL_GAP * 2 * kills + 10 + extra
    events = fault_schedule(
        seed=seed, duration=duration, kills=kills, max_both_down=bound, kill_gap=KILL_GAP
    )
    assert list(events) == sorted(events, key=lambda e: e.at)
    assert all(0 <= e.at <= duration for e in events)

    # Never both routes down longer than the bound.
    assert all(end - start <= bound + 1e-6 for start, end in all_down_spans(events, 2))

    # Each route alternates cut, heal, ... and ends healed.
    for route in (1, 2):
        actions = [e.action for e in events if e.route == route]
        assert actions == [FaultAction.CUT, FaultAction.HEAL] * (len(actions) // 2)

    # Each party killed exactly `kills` times; kills spaced; each restarted before the next kill.
    party_events = [e for e in events if e.party is not None]
    assert Counter(e.party for e in party_events if e.action is FaultAction.KILL) == Counter(
        {"Washington": kills, "Moscow": kills} if kills else {}
    )
    kill_times = [e.at for e in party_events if e.action is FaultAction.KILL]
    assert all(b - a >= KILL_GAP - 1e-9 for a, b in itertools.pairwise(kill_times))
    for kill, restart in zip(party_events[::2], party_events[1::2], strict=True):
        assert kill.action is FaultAction.KILL
        assert restart.action is FaultAction.RESTART
        assert restart.party == kill.party
        assert 0 < restart.at - kill.at < KILL_GAP


def test_schedule_flaps_both_routes_over_a_long_run() -> None:
    events = fault_schedule(seed=7, duration=120, kills=10)
    cuts = Counter(e.route for e in events if e.action is FaultAction.CUT)
    assert cuts[1] >= 5
    assert cuts[2] >= 5
    assert all_down_spans(events, 2), "a long run should have both routes down at some point"


def test_schedule_is_a_function_of_the_seed() -> None:
    first = fault_schedule(seed=1, duration=100, kills=3)
    assert fault_schedule(seed=1, duration=100, kills=3) == first
    assert fault_schedule(seed=2, duration=100, kills=3) != first


def test_the_both_down_bound_is_enforced_not_lucky() -> None:
    # Long outages and short up times: unbounded, the two routes would overlap for long.
    loose = fault_schedule(
        seed=3, duration=200, kills=0, max_both_down=1000, up=(0.5, 1.0), down=(5.0, 9.0)
    )
    assert max(end - start for start, end in all_down_spans(loose, 2)) > 3.0
    tight = fault_schedule(
        seed=3, duration=200, kills=0, max_both_down=1.0, up=(0.5, 1.0), down=(5.0, 9.0)
    )
    assert max(end - start for start, end in all_down_spans(tight, 2)) <= 1.0 + 1e-6


@pytest.mark.parametrize(
    "kwargs",
    [
        {"duration": 30, "kills": 10},  # 20 kills 5 s apart do not fit in 30 s
        {"duration": 0, "kills": 0},
        {"duration": 60, "kills": -1},
        {"duration": 60, "kills": 1, "restart_delay": (1.0, 6.0)},  # past the kill gap
        {"duration": 60, "kills": 1, "up": (0.0, 1.0)},
    ],
)
def test_impossible_schedules_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ConfigError):
        fault_schedule(seed=1, **kwargs)


def test_fault_events_are_checked() -> None:
    with pytest.raises(ConfigError):
        FaultEvent(at=-1, action=FaultAction.CUT, route=1)
    with pytest.raises(ConfigError):
        FaultEvent(at=1, action=FaultAction.CUT, party="Moscow")
    with pytest.raises(ConfigError):
        FaultEvent(at=1, action=FaultAction.KILL, route=1, party="Moscow")


def test_all_down_spans_by_hand() -> None:
    events = [
        FaultEvent(at=1, action=FaultAction.CUT, route=1),
        FaultEvent(at=2, action=FaultAction.CUT, route=2),
        FaultEvent(at=3.5, action=FaultAction.HEAL, route=1),
        FaultEvent(at=4, action=FaultAction.HEAL, route=2),
        FaultEvent(at=5, action=FaultAction.KILL, party="Moscow"),
        FaultEvent(at=6, action=FaultAction.CUT, route=2),
        FaultEvent(at=7, action=FaultAction.CUT, route=1),
    ]
    assert all_down_spans(events, 2) == [(2, 3.5), (7, float("inf"))]
    assert all_down_spans(events, 3) == []


# -- what arrived --------------------------------------------------------------------


def stamp(seconds: float) -> str:
    return format_utc(from_epoch(1_800_000_000 + seconds))


def pair(n: int, prefix: str = "W->M") -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    sent = [
        {"id": f"id{i}", "serial": i + 1, "text": f"{prefix} {i:06d}", "sent_at": stamp(i)}
        for i in range(n)
    ]
    received = [{**m, "delivered_at": stamp(i + 0.5)} for i, m in enumerate(sent)]
    return sent, received


def test_a_clean_direction_reports_zeros() -> None:
    sent, received = pair(5)
    report = analyse_direction(accepted=[m["id"] for m in sent], sent=sent, received=received)
    assert report.ok
    assert (report.sent, report.accepted, report.received) == (5, 5, 5)


def test_a_lost_message_is_counted() -> None:
    sent, received = pair(5)
    report = analyse_direction(accepted=["id1"], sent=sent, received=received[:3])
    assert report.lost == 2
    assert not report.ok
    # An accepted id the sender never stored is lost too.
    assert analyse_direction(accepted=["ghost"], sent=sent, received=received).lost == 1


def test_a_duplicate_is_counted() -> None:
    sent, received = pair(4)
    report = analyse_direction(accepted=[], sent=sent, received=[*received, received[2]])
    assert report.duplicated == 1
    assert report.lost == 0


@pytest.mark.parametrize(
    "break_it",
    [
        # The receiver holds an id at a different serial than the sender.
        lambda sent, received: received[1].update(serial=3) or received[2].update(serial=2),
        # Arrival out of serial order.
        lambda sent, received: received[1].update(delivered_at=stamp(10)),
        # A gap in the sender's serial space.
        lambda sent, received: [
            m.update(serial=m["serial"] + 1) for m in (*sent[2:], *received[2:])
        ],
        # Serial order is not queue order.
        lambda sent, received: sent[1].update(text="W->M 000009"),
    ],
)
def test_disorder_is_counted(break_it: Any) -> None:
    sent, received = pair(5)
    break_it(sent, received)
    report = analyse_direction(accepted=[], sent=sent, received=received)
    assert report.out_of_order >= 1
    assert not report.ok


def test_queue_order_is_checked_per_prefix() -> None:
    sent, received = pair(4, prefix="F")
    sent[2]["text"] = received[2]["text"] = "W->M 000000"  # another stream: its own order
    sent[3]["text"] = received[3]["text"] = "W->M 000001"
    assert analyse_direction(accepted=[], sent=sent, received=received).ok


def test_failover_time_is_cut_to_first_arrival_queued_after_it() -> None:
    base = 1_800_000_000
    received = [
        # queued before the cut, arrived after it: not the measure
        {"sent_at": stamp(9.9), "delivered_at": stamp(10.05)},
        {"sent_at": stamp(10.2), "delivered_at": stamp(11.6)},
        {"sent_at": stamp(10.4), "delivered_at": stamp(11.62)},
        {"sent_at": stamp(30.1), "delivered_at": stamp(30.5)},
    ]
    times = failover_times(
        [(base + 10.0, base + 10.01), (base + 30.0, base + 30.01), (base + 50, base + 50.01)],
        received,
    )
    assert times[0] == pytest.approx(1.6, abs=1e-3)
    assert times[1] == pytest.approx(0.5, abs=1e-3)
    assert times[2] is None
