"""The PostgreSQL statements behind alarms (table ``alarms``, schema migrations 2 and 3).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_alarms``. The triggers ``alarms_cleared_once`` and ``alarms_no_delete``
keep a cleared alarm as it was, even against raw SQL.
"""

# Every interpolated name below is a module constant; values always go in as parameters.
# ruff: noqa: S608

from __future__ import annotations

from hotline.store._pg_core import Connection, PostgreSQLCore
from hotline.store._sqlite_alarms import _alarm_from
from hotline.store.interfaces import AlarmStore
from hotline.store.records import AlarmRecord, check_utc

__all__ = ["PostgreSQLAlarmStore"]

# Every interpolated name below is a module constant; values always go in as parameters.
_COLUMNS = (
    "id, kind, peer, route, since, detail, cleared_at, cleared_by, acknowledged_at, acknowledged_by"
)
_INSERT = f"INSERT INTO alarms ({_COLUMNS}) VALUES ({', '.join(['%s'] * 10)})"
_SELECT_OPEN = f"SELECT {_COLUMNS} FROM alarms WHERE cleared_at IS NULL ORDER BY since, id"


def _updated(
    connection: Connection, sql: str, at: str, by: str, alarm_id: str
) -> AlarmRecord | None:
    """Run a conditional UPDATE … RETURNING of one alarm; the alarm as it now is, or None."""
    row = connection.execute(sql, (at, by, alarm_id)).fetchone()
    return None if row is None else _alarm_from(row)


class PostgreSQLAlarmStore(PostgreSQLCore, AlarmStore):
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
                "UPDATE alarms SET cleared_at = %s, cleared_by = %s "
                f"WHERE id = %s AND cleared_at IS NULL RETURNING {_COLUMNS}",
                at,
                by,
                alarm_id,
            )

    def open_alarms(self) -> list[AlarmRecord]:
        return [_alarm_from(row) for row in self._read("read open alarms", _SELECT_OPEN)]

    def acknowledge_alarm(self, alarm_id: str, *, at: str, by: str) -> AlarmRecord | None:
        with self._writing(f"acknowledge alarm {alarm_id}") as connection:
            check_utc("at", at)
            return _updated(
                connection,
                "UPDATE alarms SET acknowledged_at = %s, acknowledged_by = %s "
                "WHERE id = %s AND cleared_at IS NULL AND acknowledged_at IS NULL "
                f"RETURNING {_COLUMNS}",
                at,
                by,
                alarm_id,
            )
