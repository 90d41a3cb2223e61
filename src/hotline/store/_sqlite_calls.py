"""The SQLite statements behind call records and presence requests (schema migration 5).

Called by :class:`~hotline.store.sqlite.SQLiteStore` inside its own error
translation and transaction handling, like :mod:`hotline.store._sqlite_alarms`.
A call row is written whole on every change (an upsert); the trigger
``calls_ended_final`` refuses any change once it has an outcome.
"""

# Every interpolated name below is a module constant; values always go in as parameters.
# ruff: noqa: S608

from __future__ import annotations

import sqlite3
from typing import Any

from hotline.store.records import CallRecord, Direction, PresenceRecord

__all__ = [
    "get_call",
    "get_presence",
    "list_calls",
    "list_presence",
    "live_calls",
    "put_call",
    "put_presence",
]

_CALL_COLUMNS = (
    "id, peer, direction, channel, kind, state, requested_at, our_fingerprint, "
    "peer_fingerprint, answered_at, ended_at, outcome, reason, placed_by, answered_by, ended_by"
)
_CALL_FIELDS = tuple(name.strip() for name in _CALL_COLUMNS.split(","))
_PRESENCE_COLUMNS = (
    "id, peer, direction, channel, note, requested_at, requested_by, answered_at, answered_by"
)
_PRESENCE_FIELDS = tuple(name.strip() for name in _PRESENCE_COLUMNS.split(","))


def _values(record: CallRecord | PresenceRecord, fields: tuple[str, ...]) -> list[Any]:
    return [
        str(value) if isinstance(value, Direction) else value
        for value in (getattr(record, name) for name in fields)
    ]


def _upsert(
    connection: sqlite3.Connection, table: str, fields: tuple[str, ...], values: list[Any]
) -> None:
    """Insert a row, or rewrite every column but ``id`` of the row with its id."""
    updates = ", ".join(f"{name} = excluded.{name}" for name in fields[1:])
    connection.execute(
        f"INSERT INTO {table} ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        values,
    )


def _call_from(row: Any) -> CallRecord:
    values = dict(zip(_CALL_FIELDS, row, strict=True))
    values["direction"] = Direction(values["direction"])
    return CallRecord(**values)


def _presence_from(row: Any) -> PresenceRecord:
    values = dict(zip(_PRESENCE_FIELDS, row, strict=True))
    values["direction"] = Direction(values["direction"])
    return PresenceRecord(**values)


def put_call(connection: sqlite3.Connection, call: CallRecord) -> None:
    _upsert(connection, "calls", _CALL_FIELDS, _values(call, _CALL_FIELDS))


def get_call(connection: sqlite3.Connection, call_id: str) -> CallRecord | None:
    row = connection.execute(
        f"SELECT {_CALL_COLUMNS} FROM calls WHERE id = ?", (call_id,)
    ).fetchone()
    return None if row is None else _call_from(row)


def list_calls(connection: sqlite3.Connection, limit: int) -> list[CallRecord]:
    rows = connection.execute(
        f"SELECT {_CALL_COLUMNS} FROM calls ORDER BY seq DESC LIMIT ?", (limit,)
    ).fetchall()
    return [_call_from(row) for row in rows]


def live_calls(connection: sqlite3.Connection) -> list[CallRecord]:
    rows = connection.execute(
        f"SELECT {_CALL_COLUMNS} FROM calls WHERE outcome IS NULL ORDER BY seq"
    ).fetchall()
    return [_call_from(row) for row in rows]


def put_presence(connection: sqlite3.Connection, request: PresenceRecord) -> None:
    _upsert(connection, "presence_requests", _PRESENCE_FIELDS, _values(request, _PRESENCE_FIELDS))


def get_presence(connection: sqlite3.Connection, request_id: str) -> PresenceRecord | None:
    row = connection.execute(
        f"SELECT {_PRESENCE_COLUMNS} FROM presence_requests WHERE id = ?", (request_id,)
    ).fetchone()
    return None if row is None else _presence_from(row)


def list_presence(
    connection: sqlite3.Connection, limit: int, *, open_only: bool
) -> list[PresenceRecord]:
    where = "WHERE answered_at IS NULL " if open_only else ""
    rows = connection.execute(
        f"SELECT {_PRESENCE_COLUMNS} FROM presence_requests {where}ORDER BY seq DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [_presence_from(row) for row in rows]
