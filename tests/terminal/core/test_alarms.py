"""The alarm desk: raise once, clear once, journal both, survive a restart, run the hook."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from hotline.store import SQLiteStore
from hotline.terminal.config import AlarmSettings
from hotline.terminal.core import AlarmBoard
from hotline.testing import FakeClock


def desk(store: SQLiteStore, hook: str = "", timeout: float = 5.0) -> AlarmBoard:
    def spawn(coro: Any, name: str) -> asyncio.Task[Any]:
        return asyncio.get_running_loop().create_task(coro, name=name)

    return AlarmBoard(
        store=store,
        clock=FakeClock(),
        settings=AlarmSettings(hook=hook, hook_timeout=timeout),
        spawn=spawn,
    )


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    return SQLiteStore.open(tmp_path / "hotline.db")


def journal(store: SQLiteStore) -> list[tuple[str, dict[str, Any]]]:
    return [(e.kind, dict(e.data)) for e in store.iter_journal()]


def test_raise_is_idempotent_and_clear_is_journaled(store: SQLiteStore) -> None:
    alarms = desk(store)
    first = alarms.raise_alarm(kind="test-missed", peer="Moscow", route="r1", detail="d")
    assert first is not None
    assert alarms.raise_alarm(kind="test-missed", peer="Moscow", route="r1", detail="d") is None
    other = alarms.raise_alarm(kind="test-missed", peer="Moscow", route="r2", detail="d")
    assert other is not None
    assert {a.route for a in alarms.open_alarms()} == {"r1", "r2"}
    cleared = alarms.clear_route_tests(peer="Moscow", route="r1", by="link test x passed")
    assert [c.id for c in cleared] == [first.id]
    assert alarms.clear(first.id, by="again") is None
    assert [kind for kind, _ in journal(store)] == ["alarm raised", "alarm raised", "alarm cleared"]
    assert journal(store)[-1][1]["by"] == "link test x passed"


def test_open_alarms_survive_a_restart(store: SQLiteStore, tmp_path: Path) -> None:
    desk(store).raise_alarm(kind="line-down", peer="Moscow", route=None, detail="gone")
    store.close()
    again = SQLiteStore.open(tmp_path / "hotline.db")
    [alarm] = desk(again).open_alarms()
    assert (alarm.kind, alarm.route) == ("line-down", None)
    again.close()


def test_the_hook_gets_the_alarm_as_json_on_stdin(store: SQLiteStore, tmp_path: Path) -> None:
    out = tmp_path / "hook.json"

    async def main() -> None:
        alarms = desk(store, hook=f"cat > '{out}'")
        alarms.raise_alarm(kind="test-missed", peer="Moscow", route="r1", detail="late")
        await alarms.drain(within=5)

    asyncio.run(main())
    told = json.loads(out.read_text())
    assert told["event"] == "raised"
    assert (told["kind"], told["peer"], told["route"], told["detail"]) == (
        "test-missed",
        "Moscow",
        "r1",
        "late",
    )


@pytest.mark.parametrize(
    ("hook", "error"),
    [("echo broken >&2; exit 4", "exit status 4: broken"), ("sleep 10", "killed after 0.3 s")],
)
def test_a_failing_hook_is_journaled(store: SQLiteStore, hook: str, error: str) -> None:
    async def main() -> None:
        alarms = desk(store, hook=hook, timeout=0.3)
        alarms.raise_alarm(kind="line-down", peer="Moscow", route=None, detail="d")
        await alarms.drain(within=5)

    asyncio.run(main())
    [failure] = [data for kind, data in journal(store) if kind == "alarm hook failed"]
    assert failure["error"] == error
