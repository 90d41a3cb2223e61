"""The life of a meeting proposal, as one table of data.

Theory of operation
===================

A summit is rarely agreed in one message. The seeds' traffic has a meeting
agreed "in principle", with the time and format still to be decided and a
condition attached; only later is it scheduled, and then held, or called off.
A ``meeting`` notification opens the thread in state ``proposed``; each
``meeting-reply`` names the state it moves the thread to, and may settle the
time, format or place on the way. Either side may reply.

Everything that moves a proposal from one state to another lives here, in
:data:`MEETINGS` (a :class:`~hotline.statetable.StateTable`, the shape the
session and call tables share; :data:`MEETING_TRANSITIONS` is the same table
by state); :func:`transition` only looks pairs up, and docs/formats.md prints
the same table (rendered by scripts/make_state_table.py, checked by a test). Any pair
missing from the table raises :class:`~hotline.errors.NotificationInvalid` on
``state``, so both sides, running the same table on the same replies, always
show the same state.

::

    proposed ──▶ agreed-in-principle ──▶ scheduled ──▶ held
        │                 │                │  ▲
        │                 │                └──┘ (rescheduled)
        └─────────────────┴────────────────┴──▶ cancelled

``held`` and ``cancelled`` are final. A scheduled meeting may be scheduled
again (a new time, format or place) without being cancelled first. What makes
``scheduled`` legal beyond the table — a time and a format, neither "tbd" —
depends on the data, and is checked by ``apply_reply`` in
:mod:`hotline.formats.meeting`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from hotline.errors import NotificationInvalid
from hotline.formats.problems import Problem
from hotline.statetable import StateTable

__all__ = [
    "FINAL_STATES",
    "MEETINGS",
    "MEETING_STATES",
    "MEETING_TRANSITIONS",
    "MeetingState",
    "meeting_state",
    "transition",
]


class MeetingState(StrEnum):
    """Where a meeting proposal stands. The values are what replies and the data carry."""

    PROPOSED = "proposed"
    AGREED_IN_PRINCIPLE = "agreed-in-principle"
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


#: Every state, in the order a proposal moves through them.
MEETING_STATES: Final = tuple(MeetingState)

#: For each state, the states a reply may move it to. Nothing else is legal.
_MOVES: Final[Mapping[MeetingState, frozenset[MeetingState]]] = {
    MeetingState.PROPOSED: frozenset({MeetingState.AGREED_IN_PRINCIPLE, MeetingState.CANCELLED}),
    MeetingState.AGREED_IN_PRINCIPLE: frozenset({MeetingState.SCHEDULED, MeetingState.CANCELLED}),
    MeetingState.SCHEDULED: frozenset(
        {MeetingState.SCHEDULED, MeetingState.HELD, MeetingState.CANCELLED}
    ),
    MeetingState.HELD: frozenset(),
    MeetingState.CANCELLED: frozenset(),
}


def _refuse(source: MeetingState, goal: MeetingState) -> NotificationInvalid:
    """A refusal on ``state`` that says where the proposal can go instead."""
    allowed = tuple(sorted(_MOVES[source]))
    params = {"state": source.value, "target": goal.value}
    problem = (
        Problem("state", "bad_transition", {**params, "allowed": allowed})
        if allowed
        else Problem("state", "final_state", params)
    )
    return NotificationInvalid((problem,), format_code="meeting-reply")


#: The meeting's state table. A reply names the state it moves the thread to,
#: so an event here *is* the target state: ``(current, target) -> target``.
MEETINGS: Final[StateTable[MeetingState, MeetingState]] = StateTable(
    name="meetings",
    states=MEETING_STATES,
    events=MEETING_STATES,
    initial=MeetingState.PROPOSED,
    final=frozenset(state for state, to in _MOVES.items() if not to),
    transitions={(state, to): to for state, targets in _MOVES.items() for to in targets},
    refuse=_refuse,
)

#: For each state, the states a reply may move it to: :data:`MEETINGS` by state. Read-only.
MEETING_TRANSITIONS: Final[Mapping[MeetingState, frozenset[MeetingState]]] = MappingProxyType(
    {state: frozenset(MEETINGS.moves(state).values()) for state in MEETING_STATES}
)

#: States no reply can leave.
FINAL_STATES: Final = MEETINGS.final


def meeting_state(value: object, *, path: str = "state") -> MeetingState:
    """``value`` (a state or its string) as a :class:`MeetingState`, else NotificationInvalid."""
    if isinstance(value, MeetingState):
        return value
    if isinstance(value, str):
        try:
            return MeetingState(value.strip().lower().replace("_", "-").replace(" ", "-"))
        except ValueError:
            pass
    states = tuple(state.value for state in MEETING_STATES)
    problem = Problem(path, "not_meeting_state", {"states": states, "value": repr(value)})
    raise NotificationInvalid((problem,))


def transition(current: MeetingState | str, target: MeetingState | str) -> MeetingState:
    """``target``, if the table lets a reply move a proposal from ``current`` to it.

    Raises :class:`~hotline.errors.NotificationInvalid` on ``state`` otherwise:
    a final state has no way out, and no state may be skipped.
    """
    source = meeting_state(current, path="current_state")
    return MEETINGS.next(source, meeting_state(target))
