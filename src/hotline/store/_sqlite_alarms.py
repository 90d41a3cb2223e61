"""The SQLite statements behind the store's alarm methods.

Kept apart from :mod:`hotline.store.sqlite` so each module stays one concept:
that one is messages, peers and the journal; this one is the ``alarms``
table (schema migration 2). The functions take the live connection and are
called by :class:`~hotline.store.sqlite.SQLiteStore` inside its own error
translation and transaction handling.
"""

from __future__ import annotations

import sqlite3

from hotline.store.records import AlarmRecord, check_utc

__all__ = ["acknowledge_alarm", "clear_alarm", "insert_alarm", "open_alarms"]

_COLUMNS = (
    "id, kind, peer, route, since, detail, cleared_at, cleared_by, acknowledged_at, acknowledged_by"
)


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


def insert_alarm(connection: sqlite3.Connection, alarm: AlarmRecord) -> None:
    connection.execute(
        f"INSERT INTO alarms ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
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


def clear_alarm(
    connection: sqlite3.Connection, alarm_id: str, *, at: str, by: str
) -> AlarmRecord | None:
    check_utc("at", at)
    cursor = connection.execute(
        "UPDATE alarms SET cleared_at = ?, cleared_by = ? WHERE id = ? AND cleared_at IS NULL",
        (at, by, alarm_id),
    )
    if cursor.rowcount == 0:
        return None
    row = connection.execute(
        f"SELECT {_COLUMNS} FROM alarms WHERE id = ?",  # noqa: S608
        (alarm_id,),
    ).fetchone()
    return _alarm_from(row)


def acknowledge_alarm(
    connection: sqlite3.Connection, alarm_id: str, *, at: str, by: str
) -> AlarmRecord | None:
    check_utc("at", at)
    cursor = connection.execute(
        "UPDATE alarms SET acknowledged_at = ?, acknowledged_by = ? "
        "WHERE id = ? AND cleared_at IS NULL AND acknowledged_at IS NULL",
        (at, by, alarm_id),
    )
    if cursor.rowcount == 0:
        return None
    row = connection.execute(
        f"SELECT {_COLUMNS} FROM alarms WHERE id = ?",  # noqa: S608
        (alarm_id,),
    ).fetchone()
    return _alarm_from(row)


def open_alarms(connection: sqlite3.Connection) -> list[AlarmRecord]:
    rows = connection.execute(
        f"SELECT {_COLUMNS} FROM alarms WHERE cleared_at IS NULL ORDER BY since, id"  # noqa: S608
    ).fetchall()
    return [_alarm_from(row) for row in rows]
