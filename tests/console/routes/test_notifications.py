# ruff: noqa: RUF001
# Russian words and the multiplication sign are what these renderings must say.
"""Formatted notifications through the console's API: send, refuse per field, check, meetings, overdue."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hotline.formats import get_format
from hotline.terminal.desks.deadlines import DeadlineWatch
from hotline.utc import format_utc

from ..conftest import FLIGHT, MEETING, ConsoleClient, Pair


def arrived(pair: Pair, console: ConsoleClient, message_id: str) -> None:
    pair.wait_until(
        lambda: console.terminal.store.get_message(message_id) is not None, what="arrival"
    )


def ack_status(html: str) -> str:
    """The one line a message page says about who acknowledged it."""
    match = re.search(r'<p id="ack-status"[^>]*>(.*?)</p>', html, re.S)
    assert match is not None
    return " ".join(match.group(1).split())


def stored(console: ConsoleClient) -> int:
    return len(console.on_loop(lambda: console.terminal.store.list_messages()))


# -- sending ---------------------------------------------------------------------------


def test_a_flight_notice_is_sent_and_arrives_formatted_in_the_readers_language(
    pair: Pair,
) -> None:
    washington, moscow = pair.washington, pair.moscow
    washington.login_as("wash-op")
    moscow.login_as("mos-principal")  # reads Russian
    pair.wait_line_up()

    response = washington.notify("flight", FLIGHT, precedence="priority")
    assert response.status_code == 201, response.text
    row = response.json()
    assert row["kind"] == "notification"
    assert row["state"] == "queued"
    assert row["notice"]["format"] == "flight"
    assert row["notice"]["title"] == "Flight notification"
    assert row["notice"]["line"].startswith("2 × Tu-95MS")
    assert row["ack_deadline"].endswith("Z")
    assert row["overdue"] is False
    canonical = get_format("flight").validate(FLIGHT, now=None)
    assert row["notice"]["data"] == canonical  # normalised before it was signed

    arrived(pair, moscow, row["id"])
    [incoming] = [m for m in moscow.get("/api/messages").json() if m["id"] == row["id"]]
    assert incoming["direction"] == "in"
    notice = incoming["notice"]
    assert notice["known"] is True
    assert notice["title"] == "Уведомление о полётах"
    assert notice["summary"].startswith("Уведомление о полётах: 2 × Tu-95MS")
    assert "Flight" not in notice["summary"]
    assert notice["data"] == canonical
    assert incoming["text"].startswith("FLIGHT NOTIFICATION")  # the signed English stays

    detail = moscow.get(f"/api/messages/{row['id']}").json()
    assert "Тип воздушных судов: Tu-95MS" in detail["notice"]["rendered"]
    assert "Наименьшее расстояние до границы: 20 км" in detail["notice"]["rendered"]
    assert '"aircraft_type": "Tu-95MS"' in detail["notice"]["data_json"]
    assert detail["can_acknowledge"] is True  # a principal acknowledges
    assert detail["can_reply"] is False  # not a meeting; and a principal does not send


def test_an_invalid_notice_is_refused_field_by_field_and_nothing_is_sent(
    alone: ConsoleClient,
) -> None:
    data = copy.deepcopy(FLIGHT)
    del data["aircraft_type"]
    data["count"] = 0
    data["corridor"][1]["lat"] = 95
    data["window"]["end"] = "2026-11-23T13:00:00Z"
    data["area"] = {"name": "Barents Sea"}
    response = alone.notify("flight", data)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "NotificationInvalid"
    problems = {p["field"]: p["message"] for p in body["problems"]}
    assert problems == {
        "aircraft_type": "required",
        "count": "must be at least 1",
        "corridor[1].lat": "must be at most 90",
        "corridor": "give only one of area, corridor",
        "window.end": "must be later than start",
    }
    assert all(p["detail"] for p in body["problems"])  # the English original travels too
    assert {p["code"] for p in body["problems"]} == {
        "required",
        "too_small",
        "too_large",
        "only_one_of",
        "not_later",
    }
    assert stored(alone) == 0


def test_problems_are_in_the_users_language(alone: ConsoleClient) -> None:
    assert alone.post("/api/language", {"language": "ru"}).status_code == 200
    data = {**FLIGHT, "count": 0, "closest_approach_km": "twenty"}
    body = alone.notify("flight", data).json()
    problems = {p["field"]: p for p in body["problems"]}
    assert problems["count"]["message"] == "не меньше 1"
    assert problems["count"]["detail"] == "must be at least 1"
    assert problems["closest_approach_km"]["message"] == "должно быть числом"
    assert problems["count"]["params"] == {"limit": 1}


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"to": "Moscow", "format": "telegram", "data": {}}, 422, "UnknownFormat"),
        ({"to": "Beijing", "format": "flight", "data": FLIGHT}, 404, "UnknownPeer"),
        ({"to": "Moscow", "format": "flight", "data": []}, 422, "InvalidArgument"),
        ({"to": "Moscow", "format": "flight", "data": FLIGHT, "extra": 1}, 422, "InvalidArgument"),
        (
            {"to": "Moscow", "format": "flight", "data": FLIGHT, "precedence": "x"},
            422,
            "InvalidArgument",
        ),
    ],
)
def test_a_malformed_request_is_refused(
    alone: ConsoleClient, body: dict[str, Any], status: int, error: str
) -> None:
    response = alone.post("/api/notifications", body)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert stored(alone) == 0


def test_an_auditor_may_read_the_formats_but_not_send(pair: Pair) -> None:
    console = pair.washington
    console.login_as("wash-auditor")
    formats = console.get("/api/formats")
    assert formats.status_code == 200
    assert "flight" in {f["code"] for f in formats.json()["formats"]}
    for path in ("/api/notifications", "/api/notifications/validate"):
        response = console.post(path, {"to": "Moscow", "format": "flight", "data": FLIGHT})
        assert response.status_code == 403, path
        assert response.json()["error"] == "PermissionDenied"
    assert stored(console) == 0


def test_sending_needs_the_csrf_token(wash: ConsoleClient) -> None:
    response = wash.post(
        "/api/notifications", {"to": "Moscow", "format": "flight", "data": FLIGHT}, csrf=""
    )
    assert response.status_code == 403
    assert stored(wash) == 0


def test_the_formats_are_described_for_the_form_in_the_users_language(wash: ConsoleClient) -> None:
    wash.post("/api/language", {"language": "id"})
    catalogue = wash.get("/api/formats").json()
    assert catalogue["language"] == "id"
    assert catalogue["units"]["km"] == "km"
    assert catalogue["units"]["degree"] == "°"
    by_code = {f["code"]: f for f in catalogue["formats"]}
    assert by_code["flight"]["title"] == "Pemberitahuan penerbangan"
    assert by_code["flight"]["fields"] == get_format("flight").schema()["fields"]
    assert by_code["meeting-reply"]["offered"] is False  # replied to from the proposal
    assert by_code["launch"]["offered"] is True


# -- checking without sending ----------------------------------------------------------------


def _launch(start: datetime) -> dict[str, Any]:
    return {
        "window": {
            "start": format_utc(start),
            "end": format_utc(start + timedelta(hours=2)),
        },
        "launch_area": {"name": "Plesetsk"},
        "impact_area": {"circle": {"centre": {"lat": 65, "lon": 170}, "radius": 50, "unit": "km"}},
    }


def test_the_check_finds_problems_or_previews_without_sending(alone: ConsoleClient) -> None:
    good = alone.post("/api/notifications/validate", {"format": "flight", "data": FLIGHT})
    assert good.status_code == 200
    assert good.json()["valid"] is True
    assert good.json()["problems"] == []
    assert good.json()["preview"].startswith("FLIGHT NOTIFICATION (flight v1)")
    bad = alone.post("/api/notifications/validate", {"format": "flight", "data": {}})
    assert bad.status_code == 200
    assert bad.json()["valid"] is False
    assert {p["field"] for p in bad.json()["problems"]} == {
        "aircraft_type",
        "count",
        "area",
        "closest_approach_km",
        "window",
    }
    assert stored(alone) == 0


def test_a_launch_notice_with_12_hours_lead_needs_the_override(alone: ConsoleClient) -> None:
    soon = datetime.now(UTC) + timedelta(hours=12)
    data = _launch(soon)
    refused = alone.post("/api/notifications/validate", {"format": "launch", "data": data}).json()
    assert refused["valid"] is False
    assert [p["field"] for p in refused["problems"]] == ["window.start"]
    assert "override" in refused["problems"][0]["message"]
    assert alone.notify("launch", data).status_code == 422
    checked = alone.post(
        "/api/notifications/validate", {"format": "launch", "data": data, "override": True}
    ).json()
    assert checked["valid"] is True
    assert "LATE NOTICE" in checked["preview"]
    sent = alone.notify("launch", data, override=True)
    assert sent.status_code == 201
    assert sent.json()["notice"]["data"]["late_notice"] is True
    assert stored(alone) == 1


# -- meetings ----------------------------------------------------------------------------------


def _meeting_state(console: ConsoleClient, proposal: str) -> str | None:
    meeting = console.terminal.store.get_meeting(proposal)
    return None if meeting is None else meeting.state


def test_a_meeting_moves_along_with_the_same_state_on_both_sides(pair: Pair) -> None:
    washington, moscow = pair.washington, pair.moscow
    washington.login_as("wash-op")
    moscow.login_as("mos-op")
    pair.wait_line_up()
    proposal = washington.notify("meeting", MEETING).json()
    assert proposal["meeting"]["state"] == "proposed"
    assert [s["value"] for s in proposal["meeting"]["next_states"]] == [
        "agreed-in-principle",
        "cancelled",
    ]
    arrived(pair, moscow, proposal["id"])
    detail = moscow.get(f"/api/messages/{proposal['id']}").json()
    assert detail["meeting"]["state"] == "proposed"
    assert detail["can_reply"] is True

    # Scheduling before agreeing in principle breaks the state table: refused, per field.
    skipped = {"proposal": proposal["id"], "state": "held"}
    check = moscow.post(
        "/api/notifications/validate",
        {"format": "meeting-reply", "data": skipped, "to": "Washington"},
    ).json()
    assert check["valid"] is False
    assert [p["field"] for p in check["problems"]] == ["state"]
    unknown = {"proposal": "0" * 32, "state": "cancelled"}
    check = moscow.post(
        "/api/notifications/validate", {"format": "meeting-reply", "data": unknown}
    ).json()
    assert [p["field"] for p in check["problems"]] == ["proposal"]

    agreed = moscow.notify(
        "meeting-reply", {"proposal": proposal["id"], "state": "agreed-in-principle"}
    )
    assert agreed.status_code == 201, agreed.text
    assert agreed.json()["meeting"]["state"] == "agreed-in-principle"
    pair.wait_until(
        lambda: _meeting_state(washington, proposal["id"]) == "agreed-in-principle",
        what="the reply to reach Washington",
    )
    scheduled = washington.notify(
        "meeting-reply",
        {
            "proposal": proposal["id"],
            "state": "scheduled",
            "time": "2026-12-01T10:00:00Z",
            "format": "in-person",
            "place": "Geneva",
        },
    )
    assert scheduled.status_code == 201, scheduled.text
    pair.wait_until(
        lambda: _meeting_state(moscow, proposal["id"]) == "scheduled",
        what="the schedule to reach Moscow",
    )
    for console in (washington, moscow):
        [meeting] = console.get("/api/meetings").json()
        assert meeting["proposal"] == proposal["id"]
        assert meeting["state"] == "scheduled"
        row = next(m for m in console.get("/api/messages").json() if m["id"] == proposal["id"])
        assert row["meeting"]["state"] == "scheduled"
        assert row["meeting"]["state_label"] == "scheduled"
    page = moscow.get(f"/messages/{proposal['id']}").text
    assert re.search(r'id="meeting-state"[^>]*data-state="scheduled"', page)
    assert 'id="meeting-reply-form"' in page  # held or cancelled may still follow


# -- deadlines ---------------------------------------------------------------------------------


def test_an_unacknowledged_flash_goes_overdue_on_both_sides_until_acknowledged(
    quick: Pair,
) -> None:
    washington, moscow = quick.washington, quick.moscow
    washington.login_as("wash-op")
    moscow.login_as("mos-op")
    quick.wait_line_up()
    sent = washington.send("Answer at once.", precedence="flash")
    quick.wait_until(
        lambda: (
            washington.terminal.desk(DeadlineWatch).is_overdue(sent["id"])
            and moscow.terminal.desk(DeadlineWatch).is_overdue(sent["id"])
        ),
        what="overdue on both sides",
    )
    for console in (washington, moscow):
        row = next(m for m in console.get("/api/messages").json() if m["id"] == sent["id"])
        assert row["overdue"] is True
        assert row["display"]["ack_deadline"].endswith("Z")
        alarms = console.get("/api/status").json()["alarms"]
        assert "ack-overdue" in {alarm["kind"] for alarm in alarms}
        page = console.get(f"/messages/{sent['id']}").text
        assert re.search(r'data-overdue="true"', page)
        assert re.search(r'<span id="overdue-badge"[^>]*>OVERDUE</span>', page)
    # The sender's page says exactly which holds: delivered, nobody has acknowledged it.
    assert ack_status(washington.get(f"/messages/{sent['id']}").text) == (
        "delivered — nobody has acknowledged it yet"
    )

    assert moscow.post(f"/api/messages/{sent['id']}/ack").status_code == 201
    quick.wait_until(
        lambda: not washington.terminal.desk(DeadlineWatch).is_overdue(sent["id"]),
        what="the acknowledgement to end the overdue",
    )
    for console in (washington, moscow):
        row = next(m for m in console.get("/api/messages").json() if m["id"] == sent["id"])
        assert row["overdue"] is False
        assert row["state"] == "acknowledged"
    page = washington.get(f"/messages/{sent['id']}").text
    assert re.search(r'<span id="overdue-badge"[^>]*hidden>', page)
    assert ack_status(page).startswith("acknowledged by mos-op at ")
