"""The conformance suite itself: it covers every method, exports every test, and fails a bad backend."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import pkgutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from hotline.store import (
    AlarmRecord,
    CosignatureRecord,
    Direction,
    MessageRecord,
    SQLiteStore,
    Store,
    WitnessedRecord,
)
from hotline.testing import store_conformance as suite


def _suite_modules() -> list[Any]:
    return [
        __import__(f"{suite.__name__}.{info.name}", fromlist=["_"])
        for info in pkgutil.iter_modules(suite.__path__)
    ]


def test_every_method_of_the_interface_is_exercised() -> None:
    called: set[str] = set()
    for module in _suite_modules():
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                called.add(node.func.attr)
    # close and transaction are used as context managers as well as called.
    assert Store.__abstractmethods__ - called == set()


def test_every_test_class_is_exported() -> None:
    defined = {
        name
        for module in _suite_modules()
        for name, value in vars(module).items()
        if name.startswith("Test")
        and inspect.isclass(value)
        and value.__module__ == module.__name__
    }
    assert defined <= set(suite.__all__)
    assert len(defined) >= 10


# -- a backend with one bug each fails the suite -------------------------------------------


class _ReceiptsOverwritten(SQLiteStore):
    def add_delivery_receipt(
        self,
        message_id: str,
        receipt: bytes,
        delivered_at: str,
        *,
        transmitted_at: str | None = None,
    ) -> bool:
        self._live().execute("DROP TRIGGER IF EXISTS messages_receipt_once")
        self._live().execute("UPDATE messages SET receipt = NULL WHERE id = ?", (message_id,))
        return super().add_delivery_receipt(
            message_id, receipt, delivered_at, transmitted_at=transmitted_at
        )


class _OldestFirst(SQLiteStore):
    def list_messages(self, **kwargs: Any) -> list[MessageRecord]:
        return super().list_messages(**kwargs)[::-1]


class _AlarmsClearedTwice(SQLiteStore):
    def clear_alarm(self, alarm_id: str, *, at: str, by: str) -> AlarmRecord | None:
        alarms = [alarm for alarm in self.open_alarms() if alarm.id == alarm_id]
        return dataclasses.replace(
            alarms[0] if alarms else _any_alarm(alarm_id), cleared_at=at, cleared_by=by
        )


def _any_alarm(alarm_id: str) -> AlarmRecord:
    return suite.make_alarm(alarm_id)


class _IncomingAnySerial(SQLiteStore):
    def add_incoming(self, message: MessageRecord) -> None:
        last, _ = self.last_incoming(message.peer)
        if message.direction is Direction.IN and message.serial != last + 1:
            return  # silently drops what it should refuse
        super().add_incoming(message)


class _NodesOverwritten(SQLiteStore):
    def add_record_nodes(self, size: int, nodes: Sequence[tuple[int, int, bytes]]) -> None:
        with self.transaction():
            self._live().execute("DROP TRIGGER IF EXISTS record_nodes_no_update")
            self._live().execute("DROP TRIGGER IF EXISTS record_nodes_no_delete")
            self._live().executemany(
                "DELETE FROM record_nodes WHERE level = ? AND idx = ?",
                [(level, index) for level, index, _ in nodes],
            )
            super().add_record_nodes(size, nodes)


class _FirstCosignatureWinsTies(SQLiteStore):
    def latest_cosignatures(self) -> dict[str, CosignatureRecord]:
        newest: dict[str, CosignatureRecord] = {}
        for size in range(100):
            for c in self.cosignatures_for(size):
                held = newest.get(c.peer)
                if held is None or (c.size, c.timestamp) > (held.size, held.timestamp):
                    newest[c.peer] = c
        return newest


class _WitnessedGoesBack(SQLiteStore):
    def add_witnessed(self, w: WitnessedRecord) -> None:
        self._live().execute("DROP TRIGGER IF EXISTS record_witnessed_forward")
        self._live().execute(
            "INSERT OR IGNORE INTO record_witnessed (peer, size, root, note, cosigned_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (w.peer, w.size, w.root, w.note, w.cosigned_at),
        )


_BROKEN: list[tuple[type[SQLiteStore], Callable[[Store], None]]] = [
    (_ReceiptsOverwritten, suite.TestOutgoing().test_delivery_receipt_once),
    (_OldestFirst, suite.TestQueries().test_list_messages_newest_first),
    (_AlarmsClearedTwice, suite.TestAlarms().test_raise_list_clear),
    (_IncomingAnySerial, suite.TestIncoming().test_incoming_serials),
    (
        _NodesOverwritten,
        suite.TestRecordTree().test_a_node_keeps_its_hash_and_a_refused_batch_stores_nothing,
    ),
    (_FirstCosignatureWinsTies, suite.TestCosignatures().test_a_tie_goes_to_the_one_added_last),
    (_WitnessedGoesBack, suite.TestWitnessed().test_going_back_or_forking_is_refused),
]


@pytest.fixture
def broken_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    backend: type[SQLiteStore] = request.param
    with backend.open(tmp_path / "hotline.db") as store:
        yield store


@pytest.mark.parametrize(
    ("broken_store", "check"),
    _BROKEN,
    indirect=["broken_store"],
    ids=[backend.__name__ for backend, _ in _BROKEN],
)
def test_a_broken_backend_fails(broken_store: Store, check: Callable[[Store], None]) -> None:
    if "peered" in inspect.signature(check).parameters:
        broken_store.set_party(suite.make_party())
        broken_store.add_peer(suite.make_peer("moscow"))
        broken_store.add_peer(suite.make_peer("beijing"))
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        check(broken_store)
