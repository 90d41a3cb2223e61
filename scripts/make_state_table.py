"""Render hotline's state tables from the code into the docs.

The session, call and meeting tables share one shape (``hotline.statetable.StateTable``),
and this one script prints each into its doc as Markdown (one grid of states by
events, a forbidden pair marked ``—``) and a Mermaid state diagram, between the
marker comments ``<!-- state-table:begin NAME -->`` and ``<!-- state-table:end NAME -->``:

    session   hotline.proto.states.SESSION_TABLE         docs/protocol/session.md
    calls     hotline.terminal.desks.calls.state.CALLS   docs/protocol/calls.md
    meetings  hotline.formats.meetingstate.MEETINGS      docs/formats.md
    statements hotline.terminal.core.joint.STATEMENTS    docs/protocol/statements.md

Nothing between the markers is written by hand. tests/test_state_tables.py fails
if a doc drifts from its table; run this script to bring the docs back in line:

    .venv/bin/python scripts/make_state_table.py           # rewrite the docs
    .venv/bin/python scripts/make_state_table.py --check   # exit 1 if one is stale
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline.formats.meetingstate import MEETINGS
from hotline.proto.events import Event
from hotline.proto.states import SESSION_TABLE, Direction
from hotline.statetable import StateTable
from hotline.terminal.core.joint import STATEMENTS
from hotline.terminal.desks.calls.state import CALLS

__all__ = [
    "ROOT",
    "TARGETS",
    "Section",
    "Target",
    "begin_marker",
    "end_marker",
    "main",
    "render",
    "splice",
    "stale",
]

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = "—"


def begin_marker(name: str) -> str:
    return f"<!-- state-table:begin {name} -->"


def end_marker(name: str) -> str:
    return f"<!-- state-table:end {name} -->"


@dataclass(frozen=True)
class Section:
    """One grid: an introduction, and the events it has a column for."""

    intro: str
    shows: Callable[[Any], bool] = lambda event: True


@dataclass(frozen=True)
class Target:
    """A table, the doc it is printed into, and how its states and events are named there."""

    table: StateTable[Any, Any]
    noun: str  # what moves by the table: "a session starts in ..."
    module: str  # where the table lives, for the "generated from" note
    doc: str  # relative to the repository root
    state_label: Callable[[Any], str]
    event_label: Callable[[Any], str]
    sections: tuple[Section, ...]
    #: The label of one arrow in the diagram, from the events that take it.
    edge_label: Callable[[list[Any]], str] | None = None


def _session_event(event: tuple[Direction, type[Event]]) -> str:
    direction, event_type = event
    return f"{direction.value} {event_type.__name__}"


def _session_edge(events: list[tuple[Direction, type[Event]]]) -> str:
    # "send Data, Receipt; receive Data": twelve frames on one arrow stay readable.
    return "; ".join(
        f"{direction.value} " + ", ".join(e.__name__ for d, e in events if d is direction)
        for direction in Direction
        if any(d is direction for d, _ in events)
    )


def _value(member: Any) -> str:
    return str(member.value)


TARGETS: tuple[Target, ...] = (
    Target(
        table=SESSION_TABLE,
        noun="session",
        module="hotline.proto.states",
        doc="docs/protocol/session.md",
        state_label=lambda state: str(state.name),
        event_label=_session_event,
        sections=(
            Section(
                "Events we **send** (a forbidden send raises `LocalProtocolError`):",
                lambda event: event[0] is Direction.SEND,
            ),
            Section(
                "Events we **receive** (a forbidden receive raises `RemoteProtocolError`,\n"
                "close code `PROTOCOL_ERROR`, and the connection enters ERROR):",
                lambda event: event[0] is Direction.RECEIVE,
            ),
        ),
        edge_label=_session_edge,
    ),
    Target(
        table=CALLS,
        noun="call",
        module="hotline.terminal.desks.calls.state",
        doc="docs/protocol/calls.md",
        state_label=_value,
        event_label=_value,
        sections=(
            Section(
                "Events (`CallEvent`; a step not in the table raises `CallError`, HTTP 409 in\n"
                "the console):"
            ),
        ),
    ),
    Target(
        table=MEETINGS,
        noun="meeting proposal",
        module="hotline.formats.meetingstate",
        doc="docs/formats.md",
        state_label=_value,
        event_label=lambda state: f"reply {state.value}",
        sections=(
            Section(
                "Replies, by the state they name (any other pair is refused with\n"
                "`NotificationInvalid` on `state`):"
            ),
        ),
    ),
    Target(
        table=STATEMENTS,
        noun="joint statement",
        module="hotline.terminal.core.joint",
        doc="docs/protocol/statements.md",
        state_label=_value,
        event_label=_value,
        sections=(
            Section(
                "Events (`StatementEvent`; a step not in the table raises `StatementInvalid`,\n"
                "and an incoming operation it refuses is refused as content):"
            ),
        ),
    ),
)


def _grid(target: Target, section: Section) -> list[str]:
    table = target.table
    columns = [i for i, event in enumerate(table.events) if section.shows(event)]
    header = ["State", *(target.event_label(table.events[i]) for i in columns)]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(" --- " for _ in header) + "|",
    ]
    for state, cells in table.rows():
        shown = [FORBIDDEN if cells[i] is None else target.state_label(cells[i]) for i in columns]
        lines.append("| " + " | ".join([f"**{target.state_label(state)}**", *shown]) + " |")
    return lines


def _diagram_id(label: str) -> str:
    return re.sub(r"\W", "_", label)


def _diagram(target: Target) -> list[str]:
    """A Mermaid state diagram: one arrow per pair of states, labelled with every event on it."""
    table = target.table
    edges: dict[tuple[Hashable, Hashable], list[Any]] = {}
    for state in table.states:
        for event, to in table.moves(state).items():
            edges.setdefault((state, to), []).append(event)
    lines = ["```mermaid", "stateDiagram-v2"]
    for state in table.states:
        label = target.state_label(state)
        if _diagram_id(label) != label:
            lines.append(f'    state "{label}" as {_diagram_id(label)}')
    lines.append(f"    [*] --> {_diagram_id(target.state_label(table.initial))}")
    for (source, to), events in edges.items():
        a, b = (_diagram_id(target.state_label(s)) for s in (source, to))
        if target.edge_label is None:
            label = ", ".join(target.event_label(event) for event in events)
        else:
            label = target.edge_label(events)
        lines.append(f"    {a} --> {b} : {label}")
    lines += [
        f"    {_diagram_id(target.state_label(state))} --> [*]"
        for state in table.states
        if state in table.final
    ]
    lines.append("```")
    return lines


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def render(target: Target) -> str:
    """The Markdown printed between the target's markers."""
    table = target.table
    final = [f"**{target.state_label(s)}**" for s in table.states if s in table.final]
    lines = [
        "",
        f"<!-- Generated by scripts/make_state_table.py from {target.module};",
        "     do not edit by hand. -->",
        "",
    ]
    for section in target.sections:
        lines += [section.intro, "", *_grid(target, section), ""]
    lines += [
        f"`{FORBIDDEN}` marks a forbidden pair. A {target.noun} starts in "
        f"**{target.state_label(table.initial)}**.",
        f"{_and(final)} {'is' if len(final) == 1 else 'are'} final: no move leads to another state.",
        "",
        *_diagram(target),
        "",
    ]
    return "\n".join(lines)


def splice(document: str, name: str, text: str, *, where: object = "the document") -> str:
    """``document`` with everything between ``name``'s markers replaced by ``text``."""
    begin, end = begin_marker(name), end_marker(name)
    start = document.find(begin)
    stop = document.find(end)
    if start < 0 or stop < start:
        raise SystemExit(f"{where}: markers {begin} ... {end} not found in order")
    return document[: start + len(begin)] + "\n" + text + document[stop:]


def _updated(root: Path, targets: tuple[Target, ...]) -> dict[Path, tuple[str, str]]:
    """For every doc: (its text now, its text with every table rendered afresh)."""
    docs: dict[Path, tuple[str, str]] = {}
    for target in targets:
        path = root / target.doc
        if path not in docs:
            text = path.read_text(encoding="utf-8")
            docs[path] = (text, text)
        original, current = docs[path]
        docs[path] = (original, splice(current, target.table.name, render(target), where=path))
    return docs


def stale(root: Path = ROOT, targets: tuple[Target, ...] = TARGETS) -> list[Path]:
    """The docs under ``root`` whose tables differ from what ``targets`` render."""
    return [path for path, (now, fresh) in _updated(root, targets).items() if now != fresh]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a doc is stale")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="the repository whose docs/ to update"
    )
    args = parser.parse_args(argv)
    status = 0
    for path, (now, fresh) in _updated(args.root, TARGETS).items():
        if now == fresh:
            continue
        if args.check:
            sys.stderr.write(f"{path} is stale: run scripts/make_state_table.py\n")
            status = 1
            continue
        path.write_text(fresh, encoding="utf-8")
        sys.stdout.write(f"updated {path}\n")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
