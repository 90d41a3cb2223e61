"""One shape for every state machine in hotline: a frozen table of data.

The session (:mod:`hotline.proto.states`), a call
(:mod:`hotline.terminal.desks.calls.state`) and a meeting proposal
(:mod:`hotline.formats.meetingstate`) each move by a :class:`StateTable`:
``transitions[(state, event)]`` is the state after ``event`` in ``state``, and
a pair that is absent is refused with the error the table's owner chose.
Because the three share one shape, one generator (scripts/make_state_table.py)
prints all three into the docs, and one set of tests holds them to the same
rules.

This module is a bottom module, beside :mod:`hotline.errors`: proto, crypto
and formats may import it, so it imports nothing from hotline and does no
I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Generic, TypeVar

__all__ = ["StateTable"]

S = TypeVar("S", bound=Hashable)
E = TypeVar("E", bound=Hashable)


@dataclass(frozen=True)
class StateTable(Generic[S, E]):
    """``transitions[(state, event)] -> next state``; every other pair is refused.

    ``states`` and ``events`` list every state and event in the order the docs
    print them (rows and columns). ``refuse(state, event)`` builds the
    exception :meth:`next` raises for a pair missing from the table, so each
    owner keeps its own error type and wording. A state in ``final`` has no
    way out: the table may only take it back to itself (a redundant Close in
    a closed session), never elsewhere.

    The table is checked when it is built, so a typo in a transition fails at
    import time, not when a peer first meets it.
    """

    name: str
    states: tuple[S, ...]
    events: tuple[E, ...]
    initial: S
    final: frozenset[S]
    transitions: Mapping[tuple[S, E], S]
    refuse: Callable[[S, E], Exception] = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        # Frozen, and read-only all the way down: a caller holding the mapping
        # must not be able to change what every connection obeys.
        object.__setattr__(self, "transitions", MappingProxyType(dict(self.transitions)))
        object.__setattr__(self, "final", frozenset(self.final))
        problems = _problems(self)
        if problems:
            raise ValueError(f"state table {self.name!r}: " + "; ".join(problems))

    def next(self, state: S, event: E) -> S:
        """The state after ``event`` in ``state``; ``refuse(state, event)`` is raised if none."""
        try:
            return self.transitions[(state, event)]
        except KeyError:
            pass
        # Raised outside the except block, so the KeyError is not its context.
        raise self.refuse(state, event)

    def allows(self, state: S, event: E) -> bool:
        """Whether the table has a move for ``event`` in ``state``."""
        return (state, event) in self.transitions

    def moves(self, state: S) -> Mapping[E, S]:
        """The events ``state`` accepts and where each leads, in column order."""
        return MappingProxyType(
            {
                event: self.transitions[(state, event)]
                for event in self.events
                if (state, event) in self.transitions
            }
        )

    def rows(self) -> tuple[tuple[S, tuple[S | None, ...]], ...]:
        """Every state with one cell per event (in ``events`` order): the next state, or None.

        The complete grid, forbidden pairs included, as the docs print it.
        """
        return tuple(
            (state, tuple(self.transitions.get((state, event)) for event in self.events))
            for state in self.states
        )


def _problems(table: StateTable[S, E]) -> list[str]:
    """What is inconsistent in ``table``: unknown names, repeats, a final state with a way out."""
    states, events = set(table.states), set(table.events)
    problems = []
    if len(states) != len(table.states):
        problems.append("a state is listed twice")
    if len(events) != len(table.events):
        problems.append("an event is listed twice")
    if table.initial not in states:
        problems.append(f"initial state {table.initial!r} is not a state")
    if table.initial in table.final:
        problems.append(f"initial state {table.initial!r} is final")
    problems += [f"final state {s!r} is not a state" for s in table.final - states]
    for (state, event), target in table.transitions.items():
        pair = f"({state!r}, {event!r})"
        if state not in states:
            problems.append(f"{pair}: {state!r} is not a state")
        if event not in events:
            problems.append(f"{pair}: {event!r} is not an event")
        if target not in states:
            problems.append(f"{pair}: the target {target!r} is not a state")
        if state in table.final and target != state:
            problems.append(f"{pair}: final state {state!r} leads to {target!r}")
    return problems
