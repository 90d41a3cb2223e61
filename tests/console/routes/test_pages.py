"""The HTML pages: the stable hooks the browser tests rely on, roles, language, exercise."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from hotline.console import STATIC_DIR, create_console_app
from hotline.formats import FORMATS
from hotline.terminal.core import ALARM_KINDS

from ..conftest import FLIGHT, MEETING, ConsoleClient, Pair, TestClient


def data_block(html: str, block: str) -> Any:
    match = re.search(rf'<script type="application/json" id="{block}">(.*?)</script>', html, re.S)
    assert match is not None, block
    return json.loads(match.group(1))


def test_every_page_has_the_header(wash: ConsoleClient) -> None:
    for path in ("/", "/traffic", "/notify", "/reports", "/record", "/shift"):
        html = wash.get(path).text
        for hook in (
            'id="nav-line"',
            'id="nav-traffic"',
            'id="nav-notify"',
            'id="nav-reports"',
            'id="nav-record"',
            'id="nav-shift"',
            '<select id="language"',
            'id="logout"',
            'id="alarm-banner"',
            'id="sound-toggle"',
            '<meta name="csrf-token"',
        ):
            assert hook in html, (path, hook)
        for language in ("en", "id", "ru"):
            assert f'<option value="{language}"' in html
        assert "wash-op" in html
        assert "Operator" in html
        assert 'id="exercise-banner"' not in html
        clocks = re.findall(r'data-testid="clock" data-timezone="([^"]+)"', html)
        assert clocks == ["UTC", "UTC", "UTC"]  # ZULU, Washington's zone, Moscow's (cards)
        strings = data_block(html, "console-strings")
        assert isinstance(strings, dict)
        assert strings["FLASH"] == "FLASH"


def test_the_line_view_carries_the_status_for_the_script(wash: ConsoleClient) -> None:
    html = wash.get("/").text
    status = data_block(html, "status-data")
    assert isinstance(status, dict)
    assert [peer["party"] for peer in status["peers"]] == ["Moscow"]
    for template in ('id="peer-template"', 'id="route-template"', 'id="alarm-template"'):
        assert template in html
    assert 'data-testid="route"' in html
    assert 'data-testid="alarm-ack"' in html  # operators acknowledge alarms


def test_the_traffic_view_has_the_compose_form_for_an_operator(wash: ConsoleClient) -> None:
    sent = wash.send("on the page", precedence="flash")
    html = wash.get("/traffic").text
    for hook in (
        '<select id="compose-to"',
        'id="compose-channel"',
        '<select id="compose-precedence"',
        'id="compose-text"',
        'type="checkbox" id="compose-exercise"',
        'id="compose-send"',
        'id="compose-result"',
        'data-testid="message"',
        'data-testid="message-link"',
    ):
        assert hook in html, hook
    assert '<option value="Moscow">Moscow</option>' in html
    messages = data_block(html, "messages-data")
    assert isinstance(messages, list)
    assert messages[0]["id"] == sent["id"]


def test_an_auditor_gets_no_compose_form(pair: Pair) -> None:
    console = pair.washington
    console.login_as("wash-auditor")
    html = console.get("/traffic").text
    assert 'id="compose-form"' not in html
    assert 'id="compose-send"' not in html
    assert "Auditor" in html
    line = console.get("/").text
    assert 'data-testid="alarm-ack"' not in line
    shift = console.get("/shift").text
    assert 'id="note-form"' not in shift


def test_the_message_page_shows_the_checks_and_the_acknowledge_button(pair: Pair) -> None:
    pair.washington.login_as("wash-op")
    pair.moscow.login_as("mos-op")
    pair.wait_line_up()
    sent = pair.washington.send("acknowledge me", precedence="flash")
    pair.wait_until(
        lambda: pair.moscow.terminal.store.get_message(sent["id"]) is not None, what="arrival"
    )
    html = pair.moscow.get(f"/messages/{sent['id']}").text
    assert 'id="ack"' in html
    assert re.search(r'id="signature-status"[^>]*data-status="verified"', html)
    assert re.search(r'id="receipt-status"[^>]*data-status="verified"', html)
    assert 'id="ack-status"' in html
    assert "not yet acknowledged" in html
    assert "acknowledge me" in html
    assert pair.moscow.post(f"/api/messages/{sent['id']}/ack").status_code == 201
    again = pair.moscow.get(f"/messages/{sent['id']}").text
    assert 'id="ack"' not in again
    assert "acknowledged by mos-op at " in again
    pair.wait_until(
        lambda: bool(pair.washington.terminal.store.acknowledgements([sent["id"]])),
        what="the acknowledgement",
    )
    theirs = pair.washington.get(f"/messages/{sent['id']}").text
    assert "acknowledged by mos-op at " in theirs
    assert 'id="ack"' not in theirs  # outgoing: nothing to acknowledge here


def test_outgoing_status_lines_before_acknowledgement(lone: Pair) -> None:
    console = lone.washington
    console.login_as("wash-op")
    sent = console.send("still queued")
    html = console.get(f"/messages/{sent['id']}").text
    assert "not delivered" in html
    assert re.search(r'id="receipt-status"[^>]*data-status="none"', html)


def test_an_unknown_message_page_is_a_404_page(wash: ConsoleClient) -> None:
    response = wash.get("/messages/" + "0" * 32)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "UnknownMessage" in response.text


def test_the_pages_speak_indonesian_and_keep_message_texts_as_written(pair: Pair) -> None:
    console = pair.moscow
    console.login_as("mos-op-id")  # an Indonesian-speaking operator
    pair.wait_line_up()
    pair.washington.login_as("wash-op")
    sent = pair.washington.send("Agreed: the call at 1400Z")
    pair.wait_until(
        lambda: console.terminal.store.get_message(sent["id"]) is not None, what="arrival"
    )
    html = console.get("/traffic").text
    assert '<html lang="id">' in html
    assert ">Lalu lintas<" in html
    assert data_block(html, "console-strings")["FLASH"] == "KILAT"
    messages = data_block(html, "messages-data")
    assert messages[0]["text"] == "Agreed: the call at 1400Z"
    detail = console.get(f"/messages/{sent['id']}").text
    assert "Agreed: the call at 1400Z" in detail
    assert "belum dikonfirmasi" in detail


def test_the_shift_page_carries_the_notes(wash: ConsoleClient) -> None:
    wash.post("/api/shift-notes", {"text": "<b>not markup</b>"})
    html = wash.get("/shift").text
    assert 'id="note-form"' in html
    notes = data_block(html, "notes-data")
    assert notes[0]["text"] == "<b>not markup</b>"
    assert "<b>not markup</b>" not in html  # escaped in the data block


def test_message_text_is_escaped_on_the_page(wash: ConsoleClient) -> None:
    sent = wash.send("</script><script>alert(1)</script>")
    for path in ("/traffic", f"/messages/{sent['id']}"):
        html = wash.get(path).text
        assert "<script>alert(1)</script>" not in html


def test_exercise_mode_shows_the_banner_everywhere(pair: Pair) -> None:
    terminal = pair.washington.terminal
    terminal.settings = dataclasses.replace(terminal.settings, exercise=True)
    app = create_console_app(terminal)
    client = TestClient(app, follow_redirects=False)
    client.portal = pair.portal
    assert 'id="exercise-banner"' in client.get("/login").text
    token, _ = pair.portal.call(
        app.state.console.sessions.create, pair.washington.operators["wash-op"]
    )
    client.cookies.set("hotline_session", token)
    for path in ("/", "/traffic", "/shift"):
        assert 'id="exercise-banner"' in client.get(path).text
    assert "checked disabled" in client.get("/traffic").text  # every message is EXERCISE


# -- formatted notifications, deadlines ----------------------------------------------


def test_the_notify_page_carries_the_formats_and_the_form_hooks(wash: ConsoleClient) -> None:
    html = wash.get("/notify").text
    for hook in (
        '<select id="notify-format"',
        '<select id="notify-to"',
        '<select id="notify-precedence"',
        'id="notify-channel"',
        'type="checkbox" id="notify-exercise"',
        'type="checkbox" id="notify-override"',
        'id="notify-override-row" class="notify-override" hidden',
        '<fieldset id="notify-fields" class="notify-fields">',
        'id="notify-errors"',
        'id="notify-check"',
        'id="notify-send"',
        'id="notify-result"',
        '<script src="/static/notify.js" defer></script>',
    ):
        assert hook in html, hook
    offered = re.findall(
        r'<option value="([a-z-]+)"', html.split('id="notify-format"')[1].split("</select>")[0]
    )
    assert offered == [code for code in FORMATS if code != "meeting-reply"]
    catalogue = data_block(html, "formats-data")
    assert isinstance(catalogue, dict)
    assert [f["code"] for f in catalogue["formats"]] == list(FORMATS)
    assert '<option value="flight" selected>' in html
    assert '<option value="launch" selected>' in wash.get("/notify?format=launch").text
    assert '<option value="flight" selected>' in wash.get("/notify?format=nonsense").text


def test_an_auditor_sees_the_formats_but_no_way_to_send(pair: Pair) -> None:
    console = pair.washington
    console.login_as("wash-auditor")
    html = console.get("/notify").text
    assert 'id="notify-read-only"' in html
    assert '<fieldset id="notify-fields" class="notify-fields" disabled>' in html
    for hook in ('id="notify-send"', 'id="notify-check"', 'id="notify-to"', 'id="notify-override"'):
        assert hook not in html, hook
    assert data_block(html, "formats-data")


def test_a_notification_page_renders_the_data_in_the_readers_language(pair: Pair) -> None:
    pair.washington.login_as("wash-op")
    pair.moscow.login_as("mos-op-id")  # reads Indonesian
    pair.wait_line_up()
    sent = pair.washington.notify("flight", FLIGHT).json()
    pair.wait_until(
        lambda: pair.moscow.terminal.store.get_message(sent["id"]) is not None, what="arrival"
    )
    html = pair.moscow.get(f"/messages/{sent['id']}").text
    assert 'id="format-badge" data-format="flight">Pemberitahuan penerbangan<' in html
    rendered = re.search(r'<pre id="notification-rendered"[^>]*lang="id">(.*?)</pre>', html, re.S)
    assert rendered is not None
    assert "Jenis pesawat: Tu-95MS" in rendered.group(1)
    assert "Aircraft type" not in rendered.group(1)
    assert '<details id="notification-data" class="notification-data">' in html  # collapsed
    assert "&#34;aircraft_type&#34;: &#34;Tu-95MS&#34;" in html  # the data, escaped
    assert '<details id="notification-signed-text"' in html
    assert 'id="ack-deadline"' in html
    assert 'id="meeting"' not in html  # not a meeting


def test_a_meeting_proposal_page_offers_a_reply_to_operators_only(pair: Pair) -> None:
    pair.washington.login_as("wash-op")
    proposal = pair.washington.notify("meeting", MEETING).json()
    html = pair.washington.get(f"/messages/{proposal['id']}").text
    assert re.search(r'id="meeting-state"[^>]*data-state="proposed"', html)
    assert 'id="meeting-reply-form"' in html
    assert '<select id="meeting-reply-precedence"' in html
    assert 'id="meeting-reply-send"' in html
    assert '<script src="/static/notify.js" defer></script>' in html
    assert data_block(html, "formats-data")
    pair.washington.login_as("wash-auditor")
    html = pair.washington.get(f"/messages/{proposal['id']}").text
    assert re.search(r'id="meeting-state"[^>]*data-state="proposed"', html)
    assert 'id="meeting-reply-form"' not in html
    assert "notify.js" not in html


def test_rows_carry_the_notice_deadline_and_overdue_hooks(wash: ConsoleClient) -> None:
    wash.notify("flight", FLIGHT)
    html = wash.get("/traffic").text
    for hook in (
        'data-testid="format-badge"',
        'data-testid="meeting-state"',
        'data-testid="overdue"',
        'id="traffic-notify-link" href="/notify"',
    ):
        assert hook in html, hook
    rows = data_block(html, "messages-data")
    assert isinstance(rows, list)
    [row] = rows
    assert row["notice"]["format"] == "flight"
    assert row["overdue"] is False
    assert row["ack_deadline"]


def test_every_alarm_kind_has_a_label_in_the_line_view() -> None:
    script = (Path(STATIC_DIR) / "console.js").read_text(encoding="utf-8")
    table = script.split("const ALARM_KINDS = {")[1].split("};")[0]
    labelled = set(re.findall(r'"([a-z-]+)": t\(', table))
    assert labelled == set(ALARM_KINDS)  # ack-overdue included
