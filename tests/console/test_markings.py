"""Handling markings in the console, two real terminals in process: eyes-only text never
reaches another user's browser (HTML and JSON bytes), the embargo counts down, a release
turns the message into a public statement on both sides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .conftest import Pair

SECRET = "Deploy the reserve to sector nine"


def _arrived(pair: Pair, message_id: str) -> bool:
    return pair.moscow.terminal.store.get_message(message_id) is not None


def test_eyes_only_embargo_and_release(pair: Pair) -> None:
    wash, moscow = pair.washington, pair.moscow
    pair.wait_line_up()
    wash.login_as("wash-op")
    until = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    markings = {"eyes_only": ["mos-principal"], "embargoed_until": until, "not_for_release": True}
    sent = wash.send(SECRET, markings=markings)
    assert sent["markings"] == markings
    # The sender's own users are held to the markings too: wash-op is not named.
    assert sent["text"] == ""
    assert sent["marking"]["readable"] is False
    pair.wait_until(lambda: _arrived(pair, sent["id"]), what="the marked message to arrive")

    moscow.login_as("mos-op")
    for path in (
        "/api/messages",
        f"/api/messages/{sent['id']}",
        "/traffic",
        f"/messages/{sent['id']}",
    ):
        response = moscow.get(path)
        assert response.status_code == 200, path
        assert SECRET.encode() not in response.content, path
    shown = moscow.get(f"/api/messages/{sent['id']}").json()
    assert shown["marking"]["banner"] == [
        "EYES ONLY mos-principal",
        f"EMBARGOED UNTIL {until}",
        "NOT FOR RELEASE",
    ]
    assert shown["marking"]["hidden_reason"] == "eyes-only"
    assert shown["can_release"] is False  # release_by = "sender": only Washington
    page = moscow.get(f"/messages/{sent['id']}").text
    assert 'data-testid="text-withheld"' in page
    assert "EYES ONLY mos-principal" in page

    moscow.login_as("mos-principal")
    row = moscow.get(f"/api/messages/{sent['id']}").json()
    assert row["text"] == SECRET
    assert 0 < row["marking"]["countdown"] <= 7200
    page = moscow.get(f"/messages/{sent['id']}").text
    assert SECRET in page
    assert 'id="embargo-countdown"' in page
    assert 'aria-live="polite"' in page

    # Washington releases it: both sides record the release, and everyone reads it.
    detail = wash.get(f"/api/messages/{sent['id']}").json()
    assert detail["can_release"] is True
    released = wash.post(f"/api/messages/{sent['id']}/release", {"public_text": "Reserve moved."})
    assert released.status_code == 201, released.text
    assert released.json()["released_by"] == "Washington"
    again = wash.post(f"/api/messages/{sent['id']}/release", {})
    assert (again.status_code, again.json()["error"]) == (422, "ReleaseRefused")
    pair.wait_until(
        lambda: moscow.terminal.store.release_of(sent["id"]) is not None,
        what="the release to arrive",
    )
    moscow.login_as("mos-op")
    row = moscow.get(f"/api/messages/{sent['id']}").json()
    assert row["text"] == SECRET
    assert row["marking"]["released"] is True
    assert row["marking"]["banner"] == [f"RELEASED {row['release']['released_at']}"]
    assert row["marking"]["public_text"] == "Reserve moved."
    assert "Reserve moved." in moscow.get(f"/messages/{sent['id']}").text


def test_a_classification_must_be_agreed(pair: Pair) -> None:
    wash = pair.washington
    wash.login_as("wash-op")
    response = wash.post(
        "/api/messages",
        {"to": "Moscow", "text": "x", "markings": {"classification": "COSMIC TOP SECRET"}},
    )
    assert response.status_code == 422
    assert "no classification is" in response.json()["detail"]


def test_an_unmarked_message_cannot_be_released(pair: Pair) -> None:
    wash = pair.washington
    wash.login_as("wash-op")
    sent = wash.send("plain")
    assert sent["marking"]["marked"] is False
    response = wash.post(f"/api/messages/{sent['id']}/release", {})
    assert (response.status_code, response.json()["error"]) == (422, "ReleaseRefused")
    wash.login_as("wash-auditor")
    response = wash.post(f"/api/messages/{sent['id']}/release", {})
    assert response.status_code == 403
