"""What the console shows: sparklines, message states, traffic order, the status view."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from hotline.console import (
    SPARKLINE_HEIGHT,
    SPARKLINE_SPAN,
    SPARKLINE_WIDTH,
    message_row,
    message_state,
    sparkline,
    status_view,
    traffic,
)
from hotline.store import Direction, MessageState
from hotline.terminal.api.models import Message

from .conftest import ConsoleClient, Pair

NOW = 1_800_000_000.0
POINT = re.compile(r"([ML])(-?[0-9.]+),(-?[0-9.]+)")


def points(path: str) -> list[tuple[str, float, float]]:
    return [(move, float(x), float(y)) for move, x, y in POINT.findall(path)]


def test_sparkline_scales_the_last_hour_into_its_box() -> None:
    history = [(NOW - 3600, 10.0), (NOW - 1800, 20.0), (NOW, 40.0)]
    spark = sparkline(history, now=NOW)
    assert spark["samples"] == 3
    assert spark["max_ms"] == 40.0
    drawn = points(spark["path"])
    assert [move for move, _, _ in drawn] == ["M", "L", "L"]
    assert [x for _, x, _ in drawn] == [0.0, SPARKLINE_WIDTH / 2, float(SPARKLINE_WIDTH)]
    assert drawn[2][2] == 1.0  # the peak touches the top (one unit in)
    assert drawn[0][2] > drawn[1][2] > drawn[2][2]  # larger RTT is higher up


def test_sparkline_leaves_gaps_where_the_route_was_down_and_drops_old_samples() -> None:
    history = [
        (NOW - 7200, 99.0),  # older than an hour: not drawn
        (NOW - 3000, 10.0),
        (NOW - 2000, None),  # down
        (NOW - 1000, 12.0),
        (NOW - 500, 14.0),
    ]
    spark = sparkline(history, now=NOW)
    assert [move for move, _, _ in points(spark["path"])] == ["M", "M", "L"]
    # The lone sample before the gap is drawn as a short dash, not left invisible.
    assert spark["path"].split("M")[1].endswith("h1")
    assert spark["max_ms"] == 14.0
    assert spark["samples"] == 3


def test_an_empty_sparkline() -> None:
    assert sparkline([], now=NOW) == {
        "path": "",
        "max_ms": None,
        "samples": 0,
        "width": SPARKLINE_WIDTH,
        "height": SPARKLINE_HEIGHT,
    }
    assert sparkline([(NOW, None)], now=NOW)["path"] == ""


@given(
    st.lists(
        st.tuples(
            st.floats(min_value=NOW - 2 * SPARKLINE_SPAN, max_value=NOW + 100),
            st.none() | st.floats(min_value=0, max_value=60_000),
        ),
        max_size=50,
    )
)
def test_sparkline_points_stay_inside_the_box(history: list[tuple[float, float | None]]) -> None:
    history.sort(key=lambda sample: sample[0])
    spark = sparkline(history, now=NOW)
    drawn = points(spark["path"])
    assert len(drawn) == spark["samples"]
    for _, x, y in drawn:
        assert 0 <= x <= SPARKLINE_WIDTH
        assert 0 <= y <= SPARKLINE_HEIGHT


# -- messages ----------------------------------------------------------------------


def test_rows_say_what_happened_to_a_message(wash: ConsoleClient) -> None:
    sent = wash.send("hello", precedence="priority")
    assert sent["state"] == "queued"
    assert sent["direction"] == "out"
    assert [step["state"] for step in sent["times"]] == ["queued"]
    record = wash.on_loop(lambda: wash.terminal.store.get_message(sent["id"]))
    assert record is not None
    assert message_state(record, None) == str(record.state)
    row = message_row(record, ack=None, line_state="down", language="ru")
    assert row["line_state"] == "down"
    assert row["times"][0]["display"].endswith("Z")
    assert row["text"] == "hello"


def test_a_row_is_the_shared_message_shape_with_the_consoles_keys_beside_it(
    wash: ConsoleClient,
) -> None:
    sent = wash.send("hello", precedence="priority")
    record = wash.on_loop(lambda: wash.terminal.store.get_message(sent["id"]))
    assert record is not None
    deadline = "2026-11-23T16:00:00Z"
    row = message_row(record, ack=None, line_state="up", language="ru", deadline=deadline)
    shared = Message.of(record, ack=None, deadline=deadline).model_dump(mode="json")
    # Every key the control API gives a message, with the same value; the console's own beside them.
    assert {key: row[key] for key in shared} == shared
    assert row["ack_deadline"] == deadline
    assert row["display"]["ack_deadline"].endswith("Z")  # written for the reader, in UTC
    assert set(row) - set(shared) == {
        "line_state",
        "times",
        "acknowledgement",
        "notice",
        "meeting",
        "display",
    }


def test_traffic_puts_flash_first_then_newest_first(wash: ConsoleClient) -> None:
    ids = [
        wash.send(f"message {index}", precedence=precedence)["id"]
        for index, precedence in enumerate(["routine", "flash", "priority", "immediate", "flash"])
    ]
    rows = wash.on_loop(lambda: traffic(wash.terminal, limit=100, language="en"))
    assert [row["id"] for row in rows] == [ids[4], ids[1], ids[3], ids[2], ids[0]]
    limited = wash.on_loop(lambda: traffic(wash.terminal, limit=2, language="en"))
    # The window is the newest messages; FLASH goes first within it.
    assert [row["id"] for row in limited] == [ids[4], ids[3]]


def test_the_traffic_leaves_out_acknowledgements_carried_as_messages(pair: Pair) -> None:
    pair.washington.login_as("wash-op")
    pair.moscow.login_as("mos-op")
    pair.wait_line_up()
    sent = pair.washington.send("please acknowledge")
    moscow = pair.moscow
    pair.wait_until(
        lambda: moscow.terminal.store.get_message(sent["id"]) is not None, what="delivery"
    )
    assert moscow.post(f"/api/messages/{sent['id']}/ack").status_code == 201
    pair.wait_until(
        lambda: bool(pair.washington.terminal.store.acknowledgements([sent["id"]])),
        what="the acknowledgement",
    )
    kinds = {r.kind for r in pair.washington.on_loop(pair.washington.terminal.store.list_messages)}
    assert "ack" in kinds  # it is stored as a message ...
    rows = pair.washington.get("/api/messages").json()
    assert [row["id"] for row in rows] == [sent["id"]]  # ... but the traffic shows the original
    assert rows[0]["state"] == "acknowledged"
    assert rows[0]["acknowledgement"]["by"] == "mos-op"
    incoming = moscow.get("/api/messages").json()
    assert incoming[0]["direction"] == "in"
    assert incoming[0]["state"] == "acknowledged"
    assert [step["state"] for step in incoming[0]["times"]] == ["sent", "received", "acknowledged"]


def test_status_view_has_each_peer_route_and_zone(wash: ConsoleClient) -> None:
    status = wash.on_loop(lambda: status_view(wash.terminal, language="en"))
    assert status["party"] == "Washington"
    assert status["exercise"] is False
    (peer,) = status["peers"]
    assert peer["party"] == "Moscow"
    assert peer["timezone"] == "UTC"
    assert peer["state"] in ("up", "degraded", "down")
    for route in peer["routes"]:
        assert set(route) >= {"address", "state", "active", "rtt_ms", "last_test", "sparkline"}
    assert status["unacknowledged_alarms"] == 0


def test_message_states_in_both_directions(pair: Pair) -> None:
    pair.washington.login_as("wash-op")
    pair.wait_line_up()
    sent = pair.washington.send("state check")
    pair.wait_until(
        lambda: (
            (message := pair.washington.terminal.store.get_message(sent["id"])) is not None
            and message.state is MessageState.DELIVERED
        ),
        what="delivery",
    )
    out = pair.washington.get("/api/messages").json()[0]
    assert out["state"] == "delivered"
    assert [step["state"] for step in out["times"]] == ["queued", "sent", "delivered"]
    record = pair.moscow.on_loop(lambda: pair.moscow.terminal.store.get_message(sent["id"]))
    assert record is not None
    assert record.direction is Direction.IN
    assert message_state(record, None) == "delivered"


def test_an_acknowledged_flash_is_no_longer_pinned_first(pair: Pair) -> None:
    """A FLASH waits at the top until acknowledged; then newer traffic goes above it."""
    pair.washington.login_as("wash-op")
    pair.moscow.login_as("mos-op")
    pair.wait_line_up()
    flash = pair.washington.send("flash: acknowledge", precedence="flash")
    later = pair.washington.send("routine, sent later")
    rows = pair.washington.get("/api/messages").json()
    assert [row["id"] for row in rows][:2] == [flash["id"], later["id"]]
    moscow = pair.moscow
    pair.wait_until(
        lambda: moscow.terminal.store.get_message(flash["id"]) is not None, what="delivery"
    )
    assert moscow.post(f"/api/messages/{flash['id']}/ack").status_code == 201
    pair.wait_until(
        lambda: bool(pair.washington.terminal.store.acknowledgements([flash["id"]])),
        what="the acknowledgement",
    )
    rows = pair.washington.get("/api/messages").json()
    assert [row["id"] for row in rows][:2] == [later["id"], flash["id"]]
