"""Meeting proposals and replies: their fields, and a reply moving a proposal along."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.errors import NotificationInvalid
from hotline.formats import (
    MEETING,
    MEETING_REPLY,
    MEETING_TRANSITIONS,
    Format,
    MeetingState,
    apply_reply,
)

from .examples import DROP, NOW, example, generic, leaf_paths, problem_paths, with_value
from .strategies import meeting_replies, meetings

PROPOSAL_ID = "0123456789abcdef0123456789abcdef"


def reply(state: str, **details: Any) -> dict[str, Any]:
    return {"proposal": PROPOSAL_ID, "state": state, **details}


#: (format, data, path to change, bad value, the path the problem must name)
CASES: list[tuple[Format, dict[str, Any], str, Any, str]] = [
    (MEETING, example("meeting"), "proposer", DROP, "proposer"),
    (MEETING, example("meeting"), "proposer", "", "proposer"),
    (MEETING, example("meeting"), "participants", DROP, "participants"),
    (MEETING, example("meeting"), "participants", [], "participants"),
    (MEETING, example("meeting"), "participants", "Vashington", "participants"),
    (MEETING, example("meeting"), "participants[1]", "  ", "participants[1]"),
    (MEETING, example("meeting"), "conditions", "none", "conditions"),
    (MEETING, example("meeting"), "conditions", ["x"] * 51, "conditions"),
    (MEETING, example("meeting"), "conditions[0]", 7, "conditions[0]"),
    (MEETING, example("meeting"), "time", DROP, "time"),
    (MEETING, example("meeting"), "time", "next week", "time"),
    (MEETING, example("meeting"), "format", DROP, "format"),
    (MEETING, example("meeting"), "format", "letter", "format"),
    (MEETING, example("meeting"), "place", "", "place"),
    (MEETING, example("meeting"), "place", {"city": "Vena"}, "place"),
    (MEETING_REPLY, example("meeting-reply"), "proposal", DROP, "proposal"),
    (MEETING_REPLY, example("meeting-reply"), "proposal", "0123", "proposal"),
    (MEETING_REPLY, example("meeting-reply"), "proposal", PROPOSAL_ID[:-1] + "g", "proposal"),
    (MEETING_REPLY, example("meeting-reply"), "state", DROP, "state"),
    (MEETING_REPLY, example("meeting-reply"), "state", "proposed", "state"),
    (MEETING_REPLY, example("meeting-reply"), "state", "postponed", "state"),
    (MEETING_REPLY, example("meeting-reply"), "time", "1 Dec", "time"),
    (MEETING_REPLY, example("meeting-reply"), "time", "tbd", "time"),  # scheduled
    (MEETING_REPLY, example("meeting-reply"), "format", "tbd", "format"),  # scheduled
    (MEETING_REPLY, example("meeting-reply"), "format", "fax", "format"),
    (MEETING_REPLY, example("meeting-reply"), "place", 1, "place"),
    (MEETING_REPLY, example("meeting-reply"), "note", "", "note"),
    (MEETING_REPLY, example("meeting-reply"), "note", "a\u202eb", "note"),
    (MEETING_REPLY, example("meeting-reply"), "note", "n" * 2001, "note"),
]


@pytest.mark.parametrize(
    ("fmt", "data", "path", "value", "expected"),
    CASES,
    ids=[f"{c[0].code}:{c[2]}={c[3]!r:.20}" for c in CASES],
)
def test_a_bad_field_is_named(
    fmt: Format, data: dict[str, Any], path: str, value: Any, expected: str
) -> None:
    fmt.validate(data, now=NOW)
    assert problem_paths(fmt, with_value(data, path, value)) == [expected]


@pytest.mark.parametrize("fmt", [MEETING, MEETING_REPLY], ids=lambda f: f.code)
def test_every_field_has_a_bad_value_in_the_table(fmt: Format) -> None:
    covered = {generic(expected) for f, _, _, _, expected in CASES if f is fmt}
    assert leaf_paths(fmt.fields) - covered == set()


def test_conditions_may_be_empty_or_left_out() -> None:
    without = with_value(example("meeting"), "conditions", DROP)
    assert MEETING.validate(without, now=NOW)["conditions"] == []
    assert MEETING.validate({**without, "conditions": []}, now=NOW)["conditions"] == []


def test_tbd_is_a_value_of_time_format_and_place() -> None:
    data = {**example("meeting"), "time": " TBD", "format": "Tbd", "place": "tbd "}
    clean = MEETING.validate(data, now=NOW)
    assert (clean["time"], clean["format"], clean["place"]) == ("tbd", "tbd", "tbd")


def test_reply_ids_are_lower_case() -> None:
    data = reply("cancelled", proposal=PROPOSAL_ID.upper())
    assert MEETING_REPLY.validate(data, now=NOW)["proposal"] == PROPOSAL_ID


# -- applying replies --------------------------------------------------------------


def test_proposed_then_agreed_in_principle_then_scheduled_then_held() -> None:
    proposal = example("meeting")
    state, details = apply_reply(proposal, "proposed", reply("agreed in principle", note="Da."))
    assert state is MeetingState.AGREED_IN_PRINCIPLE
    assert (details["time"], details["format"]) == ("tbd", "tbd")
    state, details = apply_reply(
        details,
        state,
        reply("scheduled", time="2026-12-01T10:00:00Z", format="video", place="tbd"),
    )
    assert state is MeetingState.SCHEDULED
    assert details == {
        **MEETING.validate(proposal, now=None),
        "time": "2026-12-01T10:00:00.000000Z",
        "format": "video",
        "place": "tbd",
    }
    state, after = apply_reply(details, state, reply("held"))
    assert state is MeetingState.HELD
    assert after == details


def test_a_scheduled_meeting_may_be_rescheduled() -> None:
    details = {**example("meeting"), "time": "2026-12-01T10:00:00Z", "format": "phone"}
    state, moved = apply_reply(
        details, "scheduled", reply("scheduled", time="2026-12-02T10:00:00Z")
    )
    assert state is MeetingState.SCHEDULED
    assert (moved["time"], moved["format"]) == ("2026-12-02T10:00:00.000000Z", "phone")


@pytest.mark.parametrize(
    ("details", "missing"),
    [
        ({"format": "video"}, ["time"]),
        ({"time": "2026-12-01T10:00:00Z"}, ["format"]),
        ({}, ["time", "format"]),
    ],
)
def test_scheduling_needs_a_time_and_a_format(details: dict[str, Any], missing: list[str]) -> None:
    # The proposal left both "tbd"; the reply must settle whatever is still open.
    with pytest.raises(NotificationInvalid) as caught:
        apply_reply(example("meeting"), "agreed-in-principle", reply("scheduled", **details))
    assert [p.path for p in caught.value.problems] == missing
    assert {p.code for p in caught.value.problems} == {"scheduled_needs"}
    assert caught.value.problems[0].message.startswith("a scheduled meeting needs a")


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("proposed", "held"),
        ("proposed", "scheduled"),
        ("agreed-in-principle", "held"),
        ("held", "cancelled"),
        ("cancelled", "agreed-in-principle"),
    ],
)
def test_illegal_moves_are_refused(current: str, target: str) -> None:
    details = {**example("meeting"), "time": "2026-12-01T10:00:00Z", "format": "phone"}
    with pytest.raises(NotificationInvalid) as caught:
        apply_reply(details, current, reply(target))
    assert [p.path for p in caught.value.problems] == ["state"]


def test_bad_inputs_are_refused_by_path() -> None:
    with pytest.raises(NotificationInvalid) as caught:
        apply_reply(example("meeting"), "postponed", reply("cancelled"))
    assert [p.path for p in caught.value.problems] == ["current_state"]
    with pytest.raises(NotificationInvalid) as caught:
        apply_reply({**example("meeting"), "participants": []}, "proposed", reply("cancelled"))
    assert caught.value.format_code == "meeting"
    with pytest.raises(NotificationInvalid) as caught:
        apply_reply(example("meeting"), "proposed", reply("cancelled", proposal="x"))
    assert caught.value.format_code == "meeting-reply"


@settings(max_examples=60, deadline=None)
@given(meetings, st.sampled_from(list(MeetingState)), meeting_replies)
def test_a_reply_either_follows_the_table_or_is_refused(
    proposal: dict[str, Any], current: MeetingState, answer: dict[str, Any]
) -> None:
    target = MeetingState(MEETING_REPLY.validate(answer, now=None)["state"])
    try:
        state, details = apply_reply(proposal, current, answer)
    except NotificationInvalid as refused:
        paths = {p.path for p in refused.problems}
        assert target not in MEETING_TRANSITIONS[current] or paths <= {"time", "format"}
        return
    assert state is target in MEETING_TRANSITIONS[current]
    assert MEETING.validate(details, now=None) == details
    if state is MeetingState.SCHEDULED:
        assert "tbd" not in (details["time"], details["format"])
    # Both terminals apply the same reply to the same proposal: the same result.
    assert apply_reply(proposal, current, answer) == (state, details)


# -- renderings --------------------------------------------------------------------


def test_a_proposal_reads_in_english() -> None:
    assert MEETING.render(example("meeting"), "en") == (
        "MEETING PROPOSAL (meeting v1)\n"
        "Proposed by: Vashington\n"
        "Participants:\n"
        "  1. Nachalnik shtaba A\n"
        "  2. Nachalnik shtaba B\n"
        "Conditions:\n"
        "  1. Ne publikovat do vstrechi\n"
        "Time: to be decided\n"
        "Format: to be decided\n"
        "Place: Zheneva"
    )


def test_a_reply_reads_in_indonesian() -> None:
    assert MEETING_REPLY.render(example("meeting-reply"), "id") == (
        "JAWABAN ATAS USULAN PERTEMUAN (meeting-reply v1)\n"
        f"Usulan: {PROPOSAL_ID}\n"
        "Status: dijadwalkan\n"
        "Waktu: 1 Desember 2026, 10.00 UTC\n"
        "Format: tatap muka\n"
        "Tempat: Vena\n"
        "Catatan: Soglasny.\n"
        "  Detali pozzhe."
    )
    assert MEETING_REPLY.summary(example("meeting-reply"), "en") == (
        "Reply to a meeting proposal: scheduled, 1 December 2026, 10:00 UTC"
    )
