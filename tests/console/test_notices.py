# ruff: noqa: RUF001
# Russian words and the multiplication sign are what these renderings must say.
"""Notifications as the console shows them: titles, summaries, renderings, meetings, form schemas."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.console import (
    NOTIFY_FORMATS,
    format_catalogue,
    meeting_of,
    meeting_view,
    notice_view,
    read_codebook,
    unit_labels,
)
from hotline.formats import (
    FINAL_STATES,
    FORMATS,
    MEETING_TRANSITIONS,
    TITLES,
    VALUES,
    MeetingState,
)
from hotline.store import MeetingRecord, MessageRecord
from hotline.terminal import UI_LANGUAGES

from .conftest import FLIGHT, MEETING, ConsoleClient

NOW = "2026-11-23T16:00:00.000000Z"


def _meeting(state: str) -> MeetingRecord:
    return MeetingRecord(
        proposal_id="a" * 32, peer="Moscow", state=state, data="{}", updated_at=NOW
    )


def _sent(console: ConsoleClient, code: str, data: dict[str, object]) -> MessageRecord:
    response = console.notify(code, data)
    assert response.status_code == 201, response.text
    record = console.on_loop(lambda: console.terminal.store.get_message(response.json()["id"]))
    assert record is not None
    return record


# -- form schemas ---------------------------------------------------------------------


@pytest.mark.parametrize("language", UI_LANGUAGES)
def test_the_catalogue_has_every_format_titled_in_the_language(language: str) -> None:
    catalogue = format_catalogue(language)
    assert catalogue["language"] == language
    assert [f["code"] for f in catalogue["formats"]] == list(FORMATS)
    for entry in catalogue["formats"]:
        fmt = FORMATS[entry["code"]]
        assert entry["title"] == TITLES[fmt.code][language]
        assert entry["fields"] == fmt.schema()["fields"]  # the validator's own description
        assert entry["offered"] is (fmt.code in NOTIFY_FORMATS)
    assert "meeting-reply" not in NOTIFY_FORMATS
    json.dumps(catalogue)  # travels as JSON to the page


def test_every_unit_a_number_field_names_has_a_word() -> None:
    def units(fields: list[dict[str, Any]]) -> set[str]:
        found: set[str] = set()
        for spec in fields:
            if spec.get("unit"):
                found.add(str(spec["unit"]))
            for key in ("fields", "variants"):
                found |= units(spec.get(key, []))
            if "item" in spec:
                found |= units([spec["item"]])
        return found

    named = set().union(*(units(fmt.schema()["fields"]) for fmt in FORMATS.values()))
    assert named == {"km", "degree"}
    for language in UI_LANGUAGES:
        assert named <= set(unit_labels(language))
    assert unit_labels("ru")["km"] == "км"


# -- meetings -------------------------------------------------------------------------


@pytest.mark.parametrize("state", list(MeetingState))
def test_a_meeting_offers_exactly_the_replies_the_table_allows(state: MeetingState) -> None:
    view = meeting_view(_meeting(state.value), language="ru")
    assert {s["value"] for s in view["next_states"]} == {str(s) for s in MEETING_TRANSITIONS[state]}
    assert view["final"] is (state in FINAL_STATES)
    assert view["state_label"] == VALUES["meeting_state"][state.value]["ru"]
    assert all(s["label"] for s in view["next_states"])


def test_a_meeting_in_a_state_this_console_does_not_know_is_shown_as_stored() -> None:
    view = meeting_view(_meeting("postponed"), language="en")
    assert view["state_label"] == "postponed"
    assert view["next_states"] == []
    assert view["final"] is True


def test_a_reply_finds_its_proposals_meeting(alone: ConsoleClient) -> None:
    proposal = _sent(alone, "meeting", MEETING)
    reply = _sent(alone, "meeting-reply", {"proposal": proposal.id, "state": "cancelled"})
    meetings = {m.proposal_id: m for m in alone.on_loop(alone.terminal.store.list_meetings)}
    assert meeting_of(proposal, meetings) is meetings[proposal.id]
    assert meeting_of(reply, meetings) is meetings[proposal.id]
    assert meetings[proposal.id].state == "cancelled"
    flight = _sent(alone, "flight", FLIGHT)
    assert meeting_of(flight, meetings) is None


# -- notices ----------------------------------------------------------------------------


def test_a_text_message_has_no_notice(alone: ConsoleClient) -> None:
    row = alone.send("plain words")
    record = alone.on_loop(lambda: alone.terminal.store.get_message(row["id"]))
    assert record is not None
    assert notice_view(record, language="en") is None


@pytest.mark.parametrize(
    ("language", "title", "label"),
    [
        ("en", "Flight notification", "Aircraft type: Tu-95MS"),
        ("id", "Pemberitahuan penerbangan", "Jenis pesawat: Tu-95MS"),
        ("ru", "Уведомление о полётах", "Тип воздушных судов: Tu-95MS"),
    ],
)
def test_a_notice_reads_in_each_language(
    alone: ConsoleClient, language: str, title: str, label: str
) -> None:
    record = _sent(alone, "flight", FLIGHT)
    brief = notice_view(record, language=language)
    assert brief is not None
    assert brief["title"] == title
    assert brief["summary"].startswith(f"{title}: 2 × Tu-95MS")
    assert brief["line"] == brief["summary"][len(title) + 2 :]
    assert "rendered" not in brief
    full = notice_view(record, language=language, full=True)
    assert full is not None
    assert label in full["rendered"]
    assert json.loads(full["data_json"]) == full["data"]


def test_a_notice_this_terminal_cannot_read_falls_back_to_its_signed_text(
    alone: ConsoleClient,
) -> None:
    record = _sent(alone, "flight", FLIGHT)
    body = cbor2.loads(record.body)
    for change in ({"format": "teleport"}, {"version": 9}, {"data": {"count": "many"}}):
        odd = dataclasses.replace(record, body=cbor2.dumps({**body, **change}, canonical=True))
        view = notice_view(odd, language="ru", full=True)
        assert view is not None
        assert view["known"] is False
        assert view["summary"] == record.text.splitlines()[0]  # the English as signed
        assert view["rendered"] is None
        assert view["format"] == change.get("format", body["format"])


def test_code_words_are_read_from_this_sides_codebook(alone: ConsoleClient) -> None:
    record = _sent(alone, "codeword", {"word": "nightfall", "number": 7})
    codebook = alone.terminal.files.paths.root / "codebook.json"
    codebook.write_text(
        json.dumps({"NIGHTFALL": {"en": "Stand down.", "id": "Berhenti.", "ru": "Отбой."}}),
        encoding="utf-8",
    )
    book = alone.on_loop(lambda: read_codebook(alone.terminal))
    view = notice_view(record, language="ru", full=True, codebook=book)
    assert view is not None
    assert "Отбой." in view["rendered"]
    detail = alone.get(f"/api/messages/{record.id}").json()
    assert "Stand down." in detail["notice"]["rendered"]

    codebook.write_text("{not json", encoding="utf-8")
    assert alone.on_loop(lambda: read_codebook(alone.terminal)) is None  # logged, not fatal
    detail = alone.get(f"/api/messages/{record.id}").json()
    assert "(not in the local codebook)" in detail["notice"]["rendered"]


@given(st.sampled_from(sorted(TITLES)), st.text(max_size=40))
def test_the_line_is_the_summary_without_its_title(code: str, rest: str) -> None:
    from hotline.console.notices import _after_title

    title = TITLES[code]["en"]
    assert _after_title(f"{title}: {rest}", title) == rest
    assert _after_title(rest, title) == rest or rest.startswith(f"{title}: ")
