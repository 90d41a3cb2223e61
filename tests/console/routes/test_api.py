"""The JSON API: send, read, acknowledge (across two terminals), alarms, notes, language, events."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hotline.console import BACKGROUND_HEADER, IDLE_TIMEOUT
from hotline.store import MessageState
from hotline.terminal import is_exercise

from ..conftest import ConsoleClient, Pair

# -- sending ----------------------------------------------------------------------


def test_a_sent_message_answers_with_its_id_and_state_at_once(alone: ConsoleClient) -> None:
    response = alone.post(
        "/api/messages",
        {"to": "Moscow", "text": "FLASH test\n  exactly as typed  ", "precedence": "flash"},
    )
    assert response.status_code == 201
    row = response.json()
    assert len(row["id"]) == 32
    assert row["state"] == "queued"
    assert row["line_state"] == "down"  # Moscow is not running: shown as queued, line down
    assert row["precedence"] == "flash"
    assert row["text"] == "FLASH test\n  exactly as typed  "  # never trimmed or altered
    record = alone.on_loop(lambda: alone.terminal.store.get_message(row["id"]))
    assert record is not None
    assert record.text == row["text"]
    listed = alone.get("/api/messages").json()
    assert [m["id"] for m in listed] == [row["id"]]


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"to": "Moscow", "text": ""}, 422, "InvalidArgument"),
        ({"to": "Moscow", "text": "   \n "}, 422, "InvalidArgument"),
        ({"to": "Moscow", "text": "x", "precedence": "urgent"}, 422, "InvalidArgument"),
        ({"to": "Moscow", "text": "x", "channel": "Not A Channel"}, 422, "InvalidArgument"),
        ({"to": "Beijing", "text": "x"}, 404, "UnknownPeer"),
        ({"to": "Moscow", "text": "x", "surprise": 1}, 422, "InvalidArgument"),
        ({"to": "Moscow", "text": "x" * 70_000}, 413, "MessageTooLarge"),
    ],
)
def test_a_bad_message_is_refused_with_the_error_class(
    alone: ConsoleClient, body: dict[str, Any], status: int, error: str
) -> None:
    response = alone.post("/api/messages", body)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["detail"]
    assert alone.on_loop(lambda: alone.terminal.store.list_messages()) == []


def test_an_exercise_message_is_marked_in_its_signed_body(alone: ConsoleClient) -> None:
    row = alone.send("drill", exercise=True)
    assert row["exercise"] is True
    record = alone.on_loop(lambda: alone.terminal.store.get_message(row["id"]))
    assert record is not None
    assert is_exercise(record)
    assert alone.send("real")["exercise"] is False


def test_message_detail_of_an_unknown_id(wash: ConsoleClient) -> None:
    response = wash.get("/api/messages/" + "f" * 32)
    assert response.status_code == 404
    assert response.json()["error"] == "UnknownMessage"


# -- acknowledging, across the line ------------------------------------------------


def test_flash_sent_received_acknowledged_and_shown_acknowledged(pair: Pair) -> None:
    washington, moscow = pair.washington, pair.moscow
    washington.login_as("wash-op")
    moscow.login_as("mos-op")
    pair.wait_line_up()
    sent = washington.send("Agreed: the call at 1400Z", precedence="flash")
    pair.wait_until(
        lambda: moscow.terminal.store.get_message(sent["id"]) is not None, what="arrival"
    )
    incoming = moscow.get("/api/messages").json()[0]
    assert incoming["id"] == sent["id"]
    assert incoming["direction"] == "in"
    assert incoming["precedence"] == "flash"
    assert incoming["text"] == "Agreed: the call at 1400Z"
    assert moscow.get(f"/api/messages/{sent['id']}").json()["can_acknowledge"] is True

    response = moscow.post(f"/api/messages/{sent['id']}/ack")
    assert response.status_code == 201
    assert response.json()["acknowledged_by"] == "mos-op"
    assert response.json()["id"] == sent["id"]
    again = moscow.post(f"/api/messages/{sent['id']}/ack")
    assert again.status_code == 422
    assert "already acknowledged" in again.json()["detail"]
    assert moscow.get(f"/api/messages/{sent['id']}").json()["can_acknowledge"] is False

    pair.wait_until(
        lambda: bool(washington.terminal.store.acknowledgements([sent["id"]])),
        what="the acknowledgement to come back",
    )
    row = washington.get("/api/messages").json()[0]
    assert row["state"] == "acknowledged"
    assert row["acknowledgement"]["by"] == "mos-op"
    assert washington.get(f"/api/messages/{sent['id']}").json()["state"] == "acknowledged"


def test_an_outgoing_message_cannot_be_acknowledged_here(wash: ConsoleClient) -> None:
    sent = wash.send("ours")
    response = wash.post(f"/api/messages/{sent['id']}/ack")
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidArgument"


# -- alarms -------------------------------------------------------------------------


def test_an_operator_acknowledges_an_alarm_and_it_stops_sounding(alone: ConsoleClient) -> None:
    alarm = alone.on_loop(
        lambda: alone.terminal.alarms.raise_alarm(
            kind="line-down", peer="Moscow", route=None, detail="every route is down"
        )
    )
    assert alarm is not None
    status = alone.get("/api/status").json()
    assert status["unacknowledged_alarms"] == 1
    assert status["alarms"][0]["kind"] == "line-down"
    response = alone.post(f"/api/alarms/{alarm.id}/ack")
    assert response.status_code == 200
    assert response.json()["acknowledged"] is True
    assert response.json()["acknowledged_by"] == "wash-op"
    status = alone.get("/api/status").json()
    assert status["unacknowledged_alarms"] == 0
    assert len(status["alarms"]) == 1  # still open until the line is back
    again = alone.post(f"/api/alarms/{alarm.id}/ack")
    assert (again.status_code, again.json()["error"]) == (404, "UnknownAlarm")


# -- shift log ------------------------------------------------------------------------


def test_shift_notes_are_signed_listed_newest_first_and_journaled(wash: ConsoleClient) -> None:
    first = wash.post("/api/shift-notes", {"text": "Line tested at 0600Z, all routes up."})
    second = wash.post("/api/shift-notes", {"text": "Moscow asked for a call at 1400Z."})
    assert first.status_code == second.status_code == 201
    assert first.json()["verified"] is True
    assert first.json()["author"] == "wash-op"
    notes = wash.get("/api/shift-notes").json()
    assert [n["id"] for n in notes] == [second.json()["id"], first.json()["id"]]
    journal = wash.on_loop(lambda: list(wash.terminal.store.iter_journal()))
    assert sum(1 for entry in journal if entry.kind == "shift note") == 2
    assert wash.post("/api/shift-notes", {"text": "   "}).status_code == 422


# -- language ----------------------------------------------------------------------


def test_switching_language_changes_the_session_and_the_users_default(wash: ConsoleClient) -> None:
    assert 'id="nav-line" href="/" class="current">Line<' in wash.get("/").text
    response = wash.post("/api/language", {"language": "ru"})
    assert response.status_code == 200
    assert response.json() == {"language": "ru"}
    page = wash.get("/").text
    assert '<html lang="ru">' in page
    assert ">Линия<" in page
    user = wash.on_loop(lambda: wash.terminal.store.get_user("wash-op"))
    assert user is not None
    assert user.language == "ru"
    refused = wash.post("/api/language", {"language": "fr"})
    assert refused.status_code == 422
    assert refused.json()["error"] == "InvalidArgument"


def test_api_display_times_follow_the_language(alone: ConsoleClient) -> None:
    alone.post("/api/language", {"language": "ru"})
    row = alone.send("время")
    assert any(
        month in row["times"][0]["display"]
        for month in (
            "янв",
            "фев",
            "мар",
            "апр",
            "мая",
            "июн",
            "июл",
            "авг",
            "сент",
            "окт",
            "нояб",
            "дек",
        )
    )
    assert row["text"] == "время"


# -- sessions ----------------------------------------------------------------------


def test_a_session_ends_after_the_idle_timeout(wash: ConsoleClient) -> None:
    assert wash.get("/api/status").status_code == 200
    wash.clock.advance(IDLE_TIMEOUT + 1)
    assert wash.get("/api/status").status_code == 401
    assert wash.get("/").status_code == 303


def test_background_refreshes_do_not_keep_an_idle_session_alive(wash: ConsoleClient) -> None:
    background = {BACKGROUND_HEADER: "1"}
    wash.clock.advance(IDLE_TIMEOUT / 2)
    assert wash.get("/api/status", headers=background).status_code == 200
    wash.clock.advance(IDLE_TIMEOUT / 2 + 1)
    assert wash.get("/api/status", headers=background).status_code == 401


def test_activity_keeps_a_session_alive(wash: ConsoleClient) -> None:
    wash.clock.advance(IDLE_TIMEOUT / 2)
    assert wash.get("/traffic").status_code == 200
    wash.clock.advance(IDLE_TIMEOUT / 2 + 1)
    assert wash.get("/api/status").status_code == 200


def test_the_api_description_is_served_behind_the_session(wash: ConsoleClient) -> None:
    schema = wash.get("/api/openapi.json").json()
    assert {"/api/messages", "/api/status", "/api/events"} <= set(schema["paths"])
    assert "/traffic" not in schema["paths"]  # pages are not API


# -- events -------------------------------------------------------------------------


def events(lines: Iterator[str], *, within: float = 10.0) -> Iterator[tuple[str, Any]]:
    """(event name, data) for each event of a stream; ("ping", None) for each comment."""
    deadline = time.monotonic() + within
    name = "message"
    for line in lines:
        if time.monotonic() > deadline:
            raise AssertionError("no such event in time")
        if line.startswith(":"):
            yield "ping", None
        elif line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield name, json.loads(line.removeprefix("data: "))
            name = "message"


def test_the_event_stream_tells_of_a_new_message(wash: ConsoleClient) -> None:
    wash.state.event_ping = 0.2
    with wash.client.stream("GET", "/api/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        stream = events(response.iter_lines())
        name, ready = next(stream)
        assert name == "ready"
        sent = wash.send("live")
        for name, data in stream:
            if name == "change" and "messages" in data["topics"]:
                assert data["seq"] > ready["seq"]
                break
        listed = wash.get("/api/messages").json()
        assert sent["id"] in [m["id"] for m in listed]


def test_the_event_stream_pings_when_nothing_happens(alone: ConsoleClient) -> None:
    alone.state.event_ping = 0.05
    with alone.client.stream("GET", "/api/events") as response:
        stream = events(response.iter_lines())
        assert next(stream)[0] == "ready"
        assert "ping" in {name for name, _ in (next(stream) for _ in range(3))}


def test_the_event_stream_ends_with_its_session(alone: ConsoleClient) -> None:
    alone.state.event_ping = 0.05
    with alone.client.stream("GET", "/api/events") as response:
        stream = events(response.iter_lines())
        assert next(stream)[0] == "ready"
        alone.on_loop(lambda: alone.state.sessions.delete(alone.token))
        remaining = list(stream)  # the server closes the stream
        assert len(remaining) <= 2


def test_delivery_changes_reach_the_stream_too(pair: Pair) -> None:
    pair.washington.login_as("wash-op")
    pair.wait_line_up()
    washington = pair.washington
    washington.state.event_ping = 0.2
    sent = washington.send("tell me when delivered")
    pair.wait_until(
        lambda: (
            (message := washington.terminal.store.get_message(sent["id"])) is not None
            and message.state is MessageState.DELIVERED
        ),
        what="delivery",
    )
    with washington.client.stream("GET", "/api/events") as response:
        stream = events(response.iter_lines())
        assert next(stream)[0] == "ready"
        washington.send("one more")
        assert any(name == "change" and "messages" in data["topics"] for name, data in stream)
