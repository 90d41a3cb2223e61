"""bench.ha_burst: its per-direction check catches each fault, and a tiny run holds.

The tiny run is real: a PostgreSQL server, Washington and Moscow's active and
standby ``hotline run`` processes, one SIGKILL of the active. Only the outcome
and the shape are asserted, never a timing.
"""

from __future__ import annotations

import dataclasses

from bench.ha_burst import check_direction, ha_burst

from hotline.store import Direction, MessageRecord, MessageState
from hotline.testing.postgresql import server_or_skip
from hotline.testing.store_conformance import make_message


def _pair(count: int) -> tuple[list[MessageRecord], list[MessageRecord]]:
    sent = [
        make_message(
            s,
            Direction.OUT,
            text=f"forward {s - 1:05d}",
            state=MessageState.DELIVERED,
            delivered_at="2026-12-01T00:00:00.000000Z",
            receipt=b"r",
        )
        for s in range(1, count + 1)
    ]
    received = [make_message(s, Direction.IN, id=m.id, text=m.text) for s, m in enumerate(sent, 1)]
    return sent, received


def test_a_clean_direction_holds() -> None:
    sent, received = _pair(4)
    shown = check_direction(sent, received, [m.id for m in sent], "forward", 4)
    assert shown["lost"] == shown["duplicated"] == shown["undelivered"] == 0
    assert shown["serials_in_order"]
    assert shown["texts_missing"] == shown["accepted_missing"] == 0


def test_each_fault_is_counted() -> None:
    sent, received = _pair(4)
    ids = [m.id for m in sent]
    assert check_direction(sent, received[:3], ids, "forward", 4)["lost"] == 1
    assert check_direction(sent, [*received, received[1]], ids, "forward", 4)["duplicated"] == 1
    swapped = [
        dataclasses.replace(received[0], serial=2),
        dataclasses.replace(received[1], serial=1),
        *received[2:],
    ]
    assert not check_direction(sent, swapped, ids, "forward", 4)["serials_in_order"]
    queued = [
        dataclasses.replace(sent[0], state=MessageState.QUEUED, receipt=None, delivered_at=None)
    ]
    assert check_direction([*queued, *sent[1:]], received, ids, "forward", 4)["undelivered"] == 1
    assert (
        check_direction(sent, received, [*ids, "never-stored"], "forward", 4)["accepted_missing"]
        == 1
    )
    assert check_direction(sent, received, ids, "forward", 5)["texts_missing"] == 1


def test_a_tiny_run_with_one_kill_holds() -> None:
    with server_or_skip() as server, server.database() as url:
        figures = ha_burst(url, n=1_200, kills=1, back=30, ahead=500)
    assert len(figures["failovers"]) == 1
    assert figures["failovers"][0]["active_s"] > 0
    forward = figures["directions"]["washington_to_moscow"]
    back = figures["directions"]["moscow_to_washington"]
    assert (forward["sent"], forward["received"], forward["lost"], forward["duplicated"]) == (
        1_200,
        1_200,
        0,
        0,
    )
    assert forward["serials_in_order"]
    assert back["serials_in_order"]
    assert back["lost"] == back["duplicated"] == back["texts_missing"] == 0
    assert all(figures["verify"].values()), figures["verify"]
