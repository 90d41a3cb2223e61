"""The one state-table shape, the three tables built with it, and the docs that print them.

``hotline.statetable.StateTable`` is tested on a table made up here; the
session, call and meeting tables are then held to the same rule (every pair
either moves or raises its owner's error); and scripts/make_state_table.py
must print each table into its doc exactly as the code has it.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.errors import (
    CallError,
    LocalProtocolError,
    NotificationInvalid,
    RemoteProtocolError,
)
from hotline.formats.meetingstate import MEETINGS, MeetingState
from hotline.formats.meetingstate import transition as meeting_transition
from hotline.proto import FRAME_TYPES, ConnectionClosed, Direction
from hotline.proto.states import SESSION_TABLE, transition
from hotline.statetable import StateTable
from hotline.terminal.desks.calls.state import CALLS, CallState, next_state

ROOT = Path(__file__).resolve().parents[1]


class Refused(Exception):
    pass


def refuse(state: str, event: str) -> Exception:
    return Refused(f"{event} in {state}")


def lamp(**changes: Any) -> StateTable[str, str]:
    """A small table to test the type on: a lamp that can be switched and broken."""
    fields: dict[str, Any] = {
        "name": "lamp",
        "states": ("off", "on", "broken"),
        "events": ("switch", "drop"),
        "initial": "off",
        "final": frozenset({"broken"}),
        "transitions": {
            ("off", "switch"): "on",
            ("on", "switch"): "off",
            ("on", "drop"): "broken",
            ("off", "drop"): "broken",
        },
        "refuse": refuse,
    }
    return StateTable(**(fields | changes))


# -- the type --------------------------------------------------------------------


def test_next_follows_the_table() -> None:
    table = lamp()
    assert table.next("off", "switch") == "on"
    assert table.next("on", "drop") == "broken"


def test_a_missing_pair_raises_the_owners_error_not_a_key_error() -> None:
    with pytest.raises(Refused, match="switch in broken") as caught:
        lamp().next("broken", "switch")
    # The lookup's KeyError is an implementation detail, not part of the story.
    assert caught.value.__context__ is None
    with pytest.raises(Refused):
        lamp().next("melted", "switch")


def test_rows_are_the_complete_grid() -> None:
    table = lamp()
    assert table.rows() == (
        ("off", ("on", "broken")),
        ("on", ("off", "broken")),
        ("broken", (None, None)),
    )


def test_moves_and_allows() -> None:
    table = lamp()
    assert dict(table.moves("on")) == {"switch": "off", "drop": "broken"}
    assert list(table.moves("off")) == ["switch", "drop"]  # column order
    assert dict(table.moves("broken")) == {}
    assert table.allows("off", "drop")
    assert not table.allows("broken", "drop")


def test_the_table_is_read_only_and_owns_its_transitions() -> None:
    source = {("off", "switch"): "on"}
    table = lamp(transitions=source)
    source[("on", "switch")] = "off"
    assert not table.allows("on", "switch")
    with pytest.raises(TypeError):
        table.transitions[("on", "switch")] = "off"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.initial = "on"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"transitions": {("dim", "switch"): "on"}}, "'dim' is not a state"),
        ({"transitions": {("off", "kick"): "on"}}, "'kick' is not an event"),
        ({"transitions": {("off", "switch"): "dim"}}, "the target 'dim' is not a state"),
        ({"initial": "dim"}, "initial state 'dim' is not a state"),
        ({"initial": "broken"}, "initial state 'broken' is final"),
        ({"final": frozenset({"gone"})}, "final state 'gone' is not a state"),
        ({"final": frozenset({"on"})}, "final state 'on' leads to 'off'"),
        ({"states": ("off", "on", "on", "broken")}, "a state is listed twice"),
        ({"events": ("switch", "drop", "drop")}, "an event is listed twice"),
    ],
)
def test_an_inconsistent_table_is_refused_when_built(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=f"state table 'lamp': .*{problem}"):
        lamp(**changes)


def test_a_final_state_may_keep_moves_that_stay_put() -> None:
    table = lamp(transitions={("broken", "drop"): "broken"})
    assert table.next("broken", "drop") == "broken"


STATES = ("a", "b", "c", "d")
EVENTS = ("x", "y", "z")
tables = st.dictionaries(
    st.tuples(st.sampled_from(STATES), st.sampled_from(EVENTS)), st.sampled_from(STATES)
).map(
    lambda moves: StateTable(
        name="random",
        states=STATES,
        events=EVENTS,
        initial="a",
        final=frozenset(),
        transitions=moves,
        refuse=refuse,
    )
)


@given(tables)
def test_every_pair_either_moves_or_is_refused(table: StateTable[str, str]) -> None:
    for state, event in itertools.product(STATES, EVENTS):
        if (state, event) in table.transitions:
            assert table.next(state, event) == table.transitions[(state, event)]
            assert table.moves(state)[event] == table.transitions[(state, event)]
        else:
            with pytest.raises(Refused):
                table.next(state, event)
            assert event not in table.moves(state)


@given(tables)
def test_rows_hold_every_transition_once(table: StateTable[str, str]) -> None:
    rows = table.rows()
    assert [state for state, _ in rows] == list(STATES)
    assert all(len(cells) == len(EVENTS) for _, cells in rows)
    grid = {
        (state, event): cell
        for state, cells in rows
        for event, cell in zip(EVENTS, cells, strict=True)
        if cell is not None
    }
    assert grid == dict(table.transitions)


# -- the three tables built with it -----------------------------------------------


def test_the_three_tables_start_and_end_where_their_modules_say() -> None:
    assert SESSION_TABLE.initial.name == "START"
    assert {s.name for s in SESSION_TABLE.final} == {"CLOSED", "ERROR"}
    assert CALLS.initial is CallState.CALLING
    assert CALLS.final == {CallState.ENDED}
    assert MEETINGS.initial is MeetingState.PROPOSED
    assert MEETINGS.final == {MeetingState.HELD, MeetingState.CANCELLED}
    assert [t.name for t in (SESSION_TABLE, CALLS, MEETINGS)] == ["session", "calls", "meetings"]


def test_the_session_table_has_every_frame_both_ways_and_eof_only_received() -> None:
    events = set(SESSION_TABLE.events)
    for frame in FRAME_TYPES.values():
        assert (Direction.SEND, frame) in events
        assert (Direction.RECEIVE, frame) in events
    assert (Direction.RECEIVE, ConnectionClosed) in events
    assert (Direction.SEND, ConnectionClosed) not in events


def _session_error(event: tuple[Direction, Any]) -> type[Exception]:
    return LocalProtocolError if event[0] is Direction.SEND else RemoteProtocolError


TABLES: list[tuple[StateTable[Any, Any], Callable[[Any, Any], Any], Callable[[Any], type]]] = [
    (SESSION_TABLE, lambda s, e: transition(s, *e), _session_error),
    (CALLS, next_state, lambda _: CallError),
    (MEETINGS, meeting_transition, lambda _: NotificationInvalid),
]


@given(st.sampled_from(TABLES), st.data())
def test_every_pair_of_the_real_tables_moves_or_raises_its_owners_error(
    case: tuple[StateTable[Any, Any], Callable[[Any, Any], Any], Callable[[Any], type]],
    data: st.DataObject,
) -> None:
    table, public, error = case
    state = data.draw(st.sampled_from(table.states))
    event = data.draw(st.sampled_from(table.events))
    if table.allows(state, event):
        assert table.next(state, event) is table.transitions[(state, event)]
        assert public(state, event) is table.transitions[(state, event)]
    else:
        with pytest.raises(error(event)):
            table.next(state, event)
        with pytest.raises(error(event)):
            public(state, event)


# -- the generated docs -------------------------------------------------------------


def _load_script() -> ModuleType:
    path = ROOT / "scripts" / "make_state_table.py"
    spec = importlib.util.spec_from_file_location("make_state_table", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered first, so its dataclasses can resolve their own annotations.
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


script = _load_script()
TARGETS = {target.table.name: target for target in script.TARGETS}


def _between_markers(text: str, name: str) -> str:
    begin = text.index(script.begin_marker(name)) + len(script.begin_marker(name))
    return text[begin : text.index(script.end_marker(name))]


def test_the_generator_prints_all_three_tables() -> None:
    assert set(TARGETS) == {"session", "calls", "meetings", "statements"}
    assert {target.doc for target in TARGETS.values()} == {
        "docs/protocol/session.md",
        "docs/protocol/calls.md",
        "docs/formats.md",
        "docs/protocol/statements.md",
    }


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_each_doc_prints_its_table_as_the_code_has_it(name: str) -> None:
    target = TARGETS[name]
    text = (ROOT / target.doc).read_text(encoding="utf-8")
    assert _between_markers(text, name) == "\n" + script.render(target), (
        f"{target.doc} is stale: run scripts/make_state_table.py"
    )


def test_no_doc_is_stale() -> None:
    assert script.stale() == []


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_a_changed_table_makes_its_doc_stale(name: str) -> None:
    """The check can fail: drop one move from a table, and its doc no longer matches."""
    target = TARGETS[name]
    dropped = next(iter(target.table.transitions))
    moves = {pair: to for pair, to in target.table.transitions.items() if pair != dropped}
    changed = dataclasses.replace(
        target, table=dataclasses.replace(target.table, transitions=moves)
    )
    assert script.render(changed) != script.render(target)
    assert script.stale(ROOT, (changed,)) == [ROOT / target.doc]
    assert script.stale(ROOT, (target,)) == []


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_rendered_grid_shows_every_move_once(name: str) -> None:
    target = TARGETS[name]
    table = target.table
    lines = script.render(target).splitlines()
    headers = [line for line in lines if line.startswith("| State |")]
    rows = [line for line in lines if line.startswith("| **")]
    assert len(headers) == len(target.sections)
    assert len(rows) == len(table.states) * len(target.sections)
    # Every event has a column in exactly one grid.
    columns = [cell.strip() for header in headers for cell in header.strip("|").split("|")[1:]]
    assert sorted(columns) == sorted(target.event_label(e) for e in table.events)
    cells = [cell.strip() for row in rows for cell in row.strip("|").split("|")[1:]]
    assert sum(cell != script.FORBIDDEN for cell in cells) == len(table.transitions)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_diagram_draws_every_move(name: str) -> None:
    target = TARGETS[name]
    table = target.table
    text = script.render(target)
    assert "```mermaid\nstateDiagram-v2\n" in text
    label = target.state_label
    assert f"    [*] --> {script._diagram_id(label(table.initial))}\n" in text
    for (state, event), to in table.transitions.items():
        a, b = script._diagram_id(label(state)), script._diagram_id(label(to))
        arrows = [line for line in text.splitlines() if line.startswith(f"    {a} --> {b} : ")]
        assert len(arrows) == 1
        if target.edge_label is None:
            assert target.event_label(event) in arrows[0].split(" : ", 1)[1].split(", ")
    for state in table.final:
        assert f"    {script._diagram_id(label(state))} --> [*]\n" in text


def test_the_session_grids_split_by_direction() -> None:
    headers = [
        line
        for line in script.render(TARGETS["session"]).splitlines()
        if line.startswith("| State |")
    ]
    sent, received = headers
    assert "| send Hello |" in sent
    assert "receive" not in sent
    assert "ConnectionClosed" not in sent
    assert "| receive ConnectionClosed |" in received
    assert "send" not in received


def _copy_docs(root: Path) -> list[Path]:
    copies = []
    for target in TARGETS.values():
        copy = root / target.doc
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / target.doc, copy)
        copies.append(copy)
    return copies


def test_check_mode_fails_on_a_stale_doc_and_a_run_repairs_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copies = _copy_docs(tmp_path)
    assert script.main(["--check", "--root", str(tmp_path)]) == 0
    calls = tmp_path / "docs" / "protocol" / "calls.md"
    original = calls.read_text(encoding="utf-8")
    edited = original.replace("| **ringing** | — | connected |", "| **ringing** | — | ended |")
    assert edited != original
    calls.write_text(edited, encoding="utf-8")

    assert script.main(["--check", "--root", str(tmp_path)]) == 1
    assert "calls.md is stale" in capsys.readouterr().err
    assert calls.read_text(encoding="utf-8") == edited  # --check writes nothing

    assert script.main(["--root", str(tmp_path)]) == 0
    assert calls.read_text(encoding="utf-8") == original
    assert script.main(["--check", "--root", str(tmp_path)]) == 0
    for copy in copies:
        assert copy.read_bytes() == (ROOT / copy.relative_to(tmp_path)).read_bytes()


def test_a_run_keeps_the_text_around_the_markers(tmp_path: Path) -> None:
    _copy_docs(tmp_path)
    doc = tmp_path / "docs" / "formats.md"
    begin, end = script.begin_marker("meetings"), script.end_marker("meetings")
    doc.write_text(f"intro\n{begin}\nold\n{end}\nrest\n", encoding="utf-8")
    assert script.main(["--root", str(tmp_path)]) == 0
    text = doc.read_text(encoding="utf-8")
    assert text.startswith(f"intro\n{begin}\n")
    assert text.endswith(f"{end}\nrest\n")
    assert "| **scheduled** |" in text


def test_a_doc_without_its_markers_is_an_error(tmp_path: Path) -> None:
    _copy_docs(tmp_path)
    (tmp_path / "docs" / "formats.md").write_text("no markers here\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="state-table:begin meetings"):
        script.main(["--check", "--root", str(tmp_path)])
