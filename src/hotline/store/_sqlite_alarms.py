"""The SQLite statements behind alarms (table ``alarms``, schema migrations 2 and 3).

A mixin of :class:`~hotline.store.SQLiteStore`. The triggers ``alarms_cleared_once``
and ``alarms_no_delete`` keep a cleared alarm as it was, even against raw SQL.
"""

from __future__ import annotations

import sqlite3

from hotline.store._sqlite_core import SQLiteCore, translated
from hotline.store.interfaces import AlarmStore
from hotline.store.records import AlarmRecord, check_utc

__all__ = ["SQLiteAlarmStore"]

# Every interpolated name below is a module constant; values always go in as parameters.
_COLUMNS = (
    "id, kind, peer, route, since, detail, cleared_at, cleared_by, acknowledged_at, acknowledged_by"
)
_INSERT = f"INSERT INTO alarms ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
_SELECT_ONE = f"SELECT {_COLUMNS} FROM alarms WHERE id = ?"  # noqa: S608
_SELECT_OPEN = f"SELECT {_COLUMNS} FROM alarms WHERE cleared_at IS NULL ORDER BY since, id"  # noqa: S608


def _alarm_from(row: tuple[object, ...]) -> AlarmRecord:
    alarm_id, kind, peer, route, since, detail, cleared_at, cleared_by, acked_at, acked_by = row
    return AlarmRecord(
        id=str(alarm_id),
        kind=str(kind),
        peer=str(peer),
        route=None if route is None else str(route),
        since=str(since),
        detail=str(detail),
        cleared_at=None if cleared_at is None else str(cleared_at),
        cleared_by=None if cleared_by is None else str(cleared_by),
        acknowledged_at=None if acked_at is None else str(acked_at),
        acknowledged_by=None if acked_by is None else str(acked_by),
    )


def _updated(
    connection: sqlite3.Connection, sql: str, at: str, by: str, alarm_id: str
) -> AlarmRecord | None:
    """Run a conditional UPDATE of one alarm; the alarm as it now is, or None if it matched nothing."""
    if connection.execute(sql, (at, by, alarm_id)).rowcount == 0:
        return None
    return _alarm_from(connection.execute(_SELECT_ONE, (alarm_id,)).fetchone())


class SQLiteAlarmStore(SQLiteCore, AlarmStore):
    """:class:`~hotline.store.interfaces.AlarmStore` on the ``alarms`` table."""

    def add_alarm(self, alarm: AlarmRecord) -> None:
        with self._writing(f"store alarm {alarm.id}") as connection:
            connection.execute(
                _INSERT,
                (
                    alarm.id,
                    alarm.kind,
                    alarm.peer,
                    alarm.route,
                    alarm.since,
                    alarm.detail,
                    alarm.cleared_at,
                    alarm.cleared_by,
                    alarm.acknowledged_at,
                    alarm.acknowledged_by,
                ),
            )

    def clear_alarm(self, alarm_id: str, *, at: str, by: str) -> AlarmRecord | None:
        with self._writing(f"clear alarm {alarm_id}") as connection:
            check_utc("at", at)
            return _updated(
                connection,
                "UPDATE alarms SET cleared_at = ?, cleared_by = ? "
                "WHERE id = ? AND cleared_at IS NULL",
                at,
                by,
                alarm_id,
            )

    def open_alarms(self) -> list[AlarmRecord]:
        with translated("read open alarms"):
            return [_alarm_from(row) for row in self._live().execute(_SELECT_OPEN).fetchall()]

    def acknowledge_alarm(self, alarm_id: str, *, at: str, by: str) -> AlarmRecord | None:
        with self._writing(f"acknowledge alarm {alarm_id}") as connection:
            check_utc("at", at)
            return _updated(
                connection,
                "UPDATE alarms SET acknowledged_at = ?, acknowledged_by = ? "
                "WHERE id = ? AND cleared_at IS NULL AND acknowledged_at IS NULL",
                at,
                by,
                alarm_id,
            )
