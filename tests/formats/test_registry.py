"""The format table, rendering by code, and the notification body that carries a notice."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import cbor2
import pytest

from hotline.errors import NotificationInvalid, UnknownFormat
from hotline.formats import (
    FORMATS,
    LAUNCH,
    get_format,
    notification_body,
    read_notification_body,
    render_text,
    summary,
)
from hotline.utc import format_utc

from .examples import EXAMPLES, NOW, example, with_value


def test_formats_by_code_and_version() -> None:
    assert get_format("launch") is LAUNCH
    assert get_format("launch", 1) is LAUNCH
    with pytest.raises(UnknownFormat) as caught:
        get_format("weather")
    assert str(caught.value) == (
        "unknown notification format 'weather'; known formats: flight, launch, exercise, "
        "meeting, meeting-reply, ceasefire, codeword"
    )
    with pytest.raises(UnknownFormat, match="version 2 is not known here"):
        get_format("launch", 2)
    with pytest.raises(UnknownFormat):
        get_format(None)  # type: ignore[arg-type]


def test_the_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        FORMATS["weather"] = LAUNCH  # type: ignore[index]


@pytest.mark.parametrize("code", FORMATS)
def test_rendering_by_code(code: str) -> None:
    for language in ("en", "id", "ru"):
        assert render_text(code, EXAMPLES[code], language) == FORMATS[code].render(
            EXAMPLES[code], language
        )
        assert summary(code, EXAMPLES[code], language) == FORMATS[code].summary(
            EXAMPLES[code], language
        )
    with pytest.raises(UnknownFormat):
        render_text("weather", EXAMPLES[code], "en")


def test_rendering_refuses_invalid_data() -> None:
    with pytest.raises(NotificationInvalid):
        render_text("flight", {**EXAMPLES["flight"], "count": 0}, "en")
    with pytest.raises(NotificationInvalid):
        summary("flight", {}, "ru")


# -- the notification body ---------------------------------------------------------


@pytest.mark.parametrize("code", FORMATS)
def test_a_body_holds_the_english_text_the_format_and_the_canonical_data(code: str) -> None:
    body = notification_body(code, EXAMPLES[code], now=NOW)
    assert set(body) == {"text", "format", "version", "data"}
    assert body["format"] == code
    assert body["version"] == 1
    assert body["data"] == FORMATS[code].validate(EXAMPLES[code], now=NOW)
    assert body["text"] == FORMATS[code].render(body["data"], "en")
    # It travels as canonical CBOR inside the envelope, and comes back the same.
    received = cbor2.loads(cbor2.dumps(body, canonical=True))
    assert received == body
    fmt, data = read_notification_body(received, sent_at=NOW)
    assert fmt is FORMATS[code]
    assert data == body["data"]


def test_a_body_is_not_made_from_invalid_data() -> None:
    with pytest.raises(NotificationInvalid):
        notification_body("codeword", {"word": "x1", "number": 1}, now=NOW)
    with pytest.raises(UnknownFormat):
        notification_body("weather", {}, now=NOW)


def late_launch() -> dict[str, Any]:
    start = NOW + timedelta(hours=12)
    window = {"start": format_utc(start), "end": format_utc(start + timedelta(hours=1))}
    return with_value(example("launch"), "window", window)


def test_a_late_launch_body_needs_the_override_and_is_flagged() -> None:
    with pytest.raises(NotificationInvalid, match="late-notice override"):
        notification_body("launch", late_launch(), now=NOW)
    body = notification_body("launch", late_launch(), now=NOW, override=True)
    assert body["data"]["late_notice"] is True
    assert body["text"].splitlines()[1].startswith("LATE NOTICE")


def test_a_receiver_accepts_a_flagged_late_notice_and_refuses_an_unflagged_one() -> None:
    body = notification_body("launch", late_launch(), now=NOW, override=True)
    assert read_notification_body(body, sent_at=NOW)[1]["late_notice"] is True
    # A sender that dropped the flag sent a late notice as if it were on time.
    unflagged = {**body, "data": {**body["data"], "late_notice": False}}
    with pytest.raises(NotificationInvalid):
        read_notification_body(unflagged, sent_at=NOW)
    # Without the sending time the flag is taken as given.
    assert read_notification_body(unflagged)[1]["late_notice"] is False


@pytest.mark.parametrize(
    ("body", "paths"),
    [
        ([], [""]),
        ({}, ["format", "version", "data"]),
        ({"format": "flight", "version": "1", "data": {}}, ["version"]),
        ({"format": "flight", "version": True, "data": {}}, ["version"]),
        ({"format": 1, "version": 1, "data": []}, ["format", "data"]),
        ({"format": "flight", "version": 1, "data": {}, "text": 5}, ["text"]),
    ],
)
def test_a_malformed_body_is_refused_by_field(body: Any, paths: list[str]) -> None:
    with pytest.raises(NotificationInvalid) as caught:
        read_notification_body(body)
    assert [p.path for p in caught.value.problems] == paths


def test_a_body_of_an_unknown_format_or_version_is_unknown() -> None:
    body = notification_body("flight", EXAMPLES["flight"], now=NOW)
    with pytest.raises(UnknownFormat):
        read_notification_body({**body, "format": "weather"})
    with pytest.raises(UnknownFormat):
        read_notification_body({**body, "version": 2})


def test_a_body_survives_json_too() -> None:
    body = notification_body("meeting", EXAMPLES["meeting"], now=NOW)
    assert read_notification_body(json.loads(json.dumps(body)))[1] == body["data"]
