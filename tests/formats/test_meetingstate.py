"""The meeting transition table: every legal and every illegal pair, and the docs' copy of it."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from hotline.errors import NotificationInvalid
from hotline.formats import (
    FINAL_STATES,
    MEETING_STATES,
    MEETING_TRANSITIONS,
    MeetingState,
    meeting_state,
    transition,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "formats.md"

P, A, S, H, C = (
    MeetingState.PROPOSED,
    MeetingState.AGREED_IN_PRINCIPLE,
    MeetingState.SCHEDULED,
    MeetingState.HELD,
    MeetingState.CANCELLED,
)

#: Written out by hand, independently of the table under test.
LEGAL = {(P, A), (P, C), (A, S), (A, C), (S, S), (S, H), (S, C)}
PAIRS = list(itertools.product(MeetingState, repeat=2))


def test_the_states_in_order() -> None:
    assert [str(s) for s in MEETING_STATES] == [
        "proposed",
        "agreed-in-principle",
        "scheduled",
        "held",
        "cancelled",
    ]
    assert set(MEETING_TRANSITIONS) == set(MeetingState)
    assert {H, C} == FINAL_STATES


def test_the_table_is_exactly_the_legal_pairs() -> None:
    table = {(src, dst) for src, targets in MEETING_TRANSITIONS.items() for dst in targets}
    assert table == LEGAL


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_legal_moves(current: MeetingState, target: MeetingState) -> None:
    assert transition(current, target) is target
    assert transition(current.value, target.value) is target  # strings work as well


@pytest.mark.parametrize(("current", "target"), sorted(set(PAIRS) - LEGAL))
def test_illegal_moves_are_refused_on_state(current: MeetingState, target: MeetingState) -> None:
    with pytest.raises(NotificationInvalid) as caught:
        transition(current, target)
    (problem,) = caught.value.problems
    assert problem.path == "state"
    assert problem.code == ("final_state" if current in FINAL_STATES else "bad_transition")
    assert problem.message.startswith(f"a {current} meeting cannot become {target}")


def test_the_refusal_says_what_is_possible() -> None:
    with pytest.raises(NotificationInvalid, match="it can become agreed-in-principle, cancelled"):
        transition(P, H)
    with pytest.raises(NotificationInvalid, match=r"nothing \(it is final\)"):
        transition(C, A)


def test_cancelled_is_reachable_from_every_state_that_is_not_final() -> None:
    for state in MeetingState:
        assert (C in MEETING_TRANSITIONS[state]) is (state not in FINAL_STATES)


@pytest.mark.parametrize(
    ("spelling", "state"),
    [("proposed", P), ("Agreed in principle", A), ("AGREED_IN_PRINCIPLE", A), (S, S)],
)
def test_states_are_read_leniently(spelling: str, state: MeetingState) -> None:
    assert meeting_state(spelling) is state


@pytest.mark.parametrize("bad", ["postponed", "", None, 3])
def test_an_unknown_state_is_a_problem_on_its_path(bad: object) -> None:
    with pytest.raises(NotificationInvalid) as caught:
        meeting_state(bad, path="current_state")
    assert [p.path for p in caught.value.problems] == ["current_state"]
    with pytest.raises(NotificationInvalid) as caught:
        transition(bad, S)  # type: ignore[arg-type]
    assert [p.path for p in caught.value.problems] == ["current_state"]


def test_the_docs_print_the_same_table() -> None:
    """docs/formats.md prints the table as a grid: one row per state, one column per reply.

    Read independently of the generator (tests/test_state_tables.py checks it
    reproduces the doc), against the pairs written out by hand above.
    """
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("<!-- state-table:begin meetings -->")[1].split("<!-- state-table:end")[0]
    header = next(line for line in section.splitlines() if line.startswith("| State |"))
    replies = [cell.strip().removeprefix("reply ") for cell in header.strip("|").split("|")[1:]]
    rows = re.findall(r"^\| \*\*([a-z-]+)\*\* \| (.*) \|$", section, flags=re.MULTILINE)
    documented = {
        (MeetingState(src), MeetingState(reply)): cell
        for src, cells in rows
        for reply, cell in zip(replies, cells.split(" | "), strict=True)
        if cell != "—"
    }
    assert len(rows) == len(MeetingState)
    assert set(documented) == LEGAL
    # A reply moves the proposal to the state it names, and nowhere else.
    assert all(cell == str(reply) for (_, reply), cell in documented.items())
