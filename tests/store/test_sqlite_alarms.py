"""The alarms table: raised, cleared once, never deleted, and open ones listed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hotline.errors import StoreError
from hotline.store import AlarmRecord, SQLiteStore


def alarm(alarm_id: str, since: str = "2026-11-23T16:00:00.000000Z", **kw: object) -> AlarmRecord:
    fields: dict[str, object] = {
        "id": alarm_id,
        "kind": "test-missed",
        "peer": "Moscow",
        "route": "10.0.1.2:7000",
        "since": since,
        "detail": "no receipt within 60 s",
    }
    fields.update(kw)
    return AlarmRecord(**fields)  # type: ignore[arg-type]


def test_raise_list_clear(store: SQLiteStore) -> None:
    store.add_alarm(alarm("b", since="2026-11-23T17:00:00.000000Z"))
    store.add_alarm(alarm("a", route=None, kind="line-down"))
    assert [a.id for a in store.open_alarms()] == ["a", "b"]
    cleared = store.clear_alarm("b", at="2026-11-23T18:00:00.000000Z", by="link test passed")
    assert cleared is not None
    assert not cleared.open
    assert cleared.cleared_by == "link test passed"
    assert [a.id for a in store.open_alarms()] == ["a"]
    # Cleared once: a second clear, or an unknown id, changes nothing.
    assert store.clear_alarm("b", at="2026-11-23T19:00:00.000000Z", by="x") is None
    assert store.clear_alarm("nope", at="2026-11-23T19:00:00.000000Z", by="x") is None


def test_alarms_survive_reopening(db_path: Path) -> None:
    with SQLiteStore.open(db_path) as first:
        first.add_alarm(alarm("a"))
    with SQLiteStore.open(db_path) as second:
        assert second.open_alarms() == [alarm("a")]


def test_sql_refuses_deleting_or_rewriting_alarms(store: SQLiteStore, db_path: Path) -> None:
    store.add_alarm(alarm("a"))
    store.clear_alarm("a", at="2026-11-23T18:00:00.000000Z", by="operator")
    connection = sqlite3.connect(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            connection.execute("DELETE FROM alarms")
        with pytest.raises(sqlite3.IntegrityError, match="only ever cleared"):
            connection.execute("UPDATE alarms SET cleared_at = NULL, cleared_by = NULL")
        with pytest.raises(sqlite3.IntegrityError, match="only ever cleared"):
            connection.execute("UPDATE alarms SET detail = 'nothing happened'")
    finally:
        connection.close()


def test_duplicate_id_is_a_store_error(store: SQLiteStore) -> None:
    store.add_alarm(alarm("a"))
    with pytest.raises(StoreError):
        store.add_alarm(alarm("a"))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"since": "yesterday"}, "since"),
        ({"cleared_at": "2026-11-23T18:00:00.000000Z"}, "go together"),
        ({"kind": ""}, "kind"),
    ],
)
def test_bad_records(changes: dict[str, object], match: str) -> None:
    with pytest.raises(StoreError, match=match):
        alarm("a", **changes)
