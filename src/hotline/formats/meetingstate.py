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
:data:`MEETING_TRANSITIONS`; :func:`transition` only looks pairs up, and
docs/formats.md prints the same table (a test keeps the two equal). Any pair
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

__all__ = [
    "FINAL_STATES",
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
MEETING_TRANSITIONS: Final[Mapping[MeetingState, frozenset[MeetingState]]] = MappingProxyType(
    {
        MeetingState.PROPOSED: frozenset(
            {MeetingState.AGREED_IN_PRINCIPLE, MeetingState.CANCELLED}
        ),
        MeetingState.AGREED_IN_PRINCIPLE: frozenset(
            {MeetingState.SCHEDULED, MeetingState.CANCELLED}
        ),
        MeetingState.SCHEDULED: frozenset(
            {MeetingState.SCHEDULED, MeetingState.HELD, MeetingState.CANCELLED}
        ),
        MeetingState.HELD: frozenset(),
        MeetingState.CANCELLED: frozenset(),
    }
)

#: States no reply can leave.
FINAL_STATES: Final = frozenset(state for state, to in MEETING_TRANSITIONS.items() if not to)


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
    goal = meeting_state(target)
    if goal not in MEETING_TRANSITIONS[source]:
        allowed = tuple(sorted(MEETING_TRANSITIONS[source]))
        params = {"state": source.value, "target": goal.value}
        problem = (
            Problem("state", "bad_transition", {**params, "allowed": allowed})
            if allowed
            else Problem("state", "final_state", params)
        )
        raise NotificationInvalid((problem,), format_code="meeting-reply")
    return goal
