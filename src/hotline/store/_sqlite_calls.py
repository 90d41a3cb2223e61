"""The SQLite statements behind calls, presence requests and meetings.

Tables ``calls`` and ``presence_requests`` (schema migration 5) and ``meetings``
(migration 4). Mixins of :class:`~hotline.store.SQLiteStore`. A call or
presence row is written whole on every change (an upsert); the trigger
``calls_ended_final`` refuses any change once a call has an outcome, and
``presence_answered_once`` a second answer.
"""

# Every interpolated name below is a module constant; values always go in as parameters.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

from hotline.store._sqlite_core import SQLiteCore, check_limit, translated
from hotline.store.interfaces import CallStore, MeetingStore
from hotline.store.records import CallRecord, Direction, MeetingRecord, PresenceRecord

__all__ = ["SQLiteCallStore", "SQLiteMeetingStore"]

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


def _upsert(table: str, fields: tuple[str, ...]) -> str:
    """Insert a row, or rewrite every column but ``id`` of the row with its id."""
    updates = ", ".join(f"{name} = excluded.{name}" for name in fields[1:])
    return (
        f"INSERT INTO {table} ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}"
    )


_UPSERT_CALL = _upsert("calls", _CALL_FIELDS)
_UPSERT_PRESENCE = _upsert("presence_requests", _PRESENCE_FIELDS)


def _call_from(row: Any) -> CallRecord:
    values = dict(zip(_CALL_FIELDS, row, strict=True))
    values["direction"] = Direction(values["direction"])
    return CallRecord(**values)


def _presence_from(row: Any) -> PresenceRecord:
    values = dict(zip(_PRESENCE_FIELDS, row, strict=True))
    values["direction"] = Direction(values["direction"])
    return PresenceRecord(**values)


class SQLiteCallStore(SQLiteCore, CallStore):
    """:class:`~hotline.store.interfaces.CallStore` on ``calls`` and ``presence_requests``."""

    def put_call(self, call: CallRecord) -> None:
        with self._writing(f"store call {call.id}") as connection:
            connection.execute(_UPSERT_CALL, _values(call, _CALL_FIELDS))

    def get_call(self, call_id: str) -> CallRecord | None:
        with translated("read a call"):
            row = (
                self._live()
                .execute(f"SELECT {_CALL_COLUMNS} FROM calls WHERE id = ?", (call_id,))
                .fetchone()
            )
            return None if row is None else _call_from(row)

    def list_calls(self, limit: int = 200) -> list[CallRecord]:
        with translated("list calls"):
            rows = (
                self._live()
                .execute(
                    f"SELECT {_CALL_COLUMNS} FROM calls ORDER BY seq DESC LIMIT ?",
                    (check_limit(limit) or 200,),
                )
                .fetchall()
            )
            return [_call_from(row) for row in rows]

    def live_calls(self) -> list[CallRecord]:
        with translated("list live calls"):
            rows = (
                self._live()
                .execute(f"SELECT {_CALL_COLUMNS} FROM calls WHERE outcome IS NULL ORDER BY seq")
                .fetchall()
            )
            return [_call_from(row) for row in rows]

    def put_presence(self, request: PresenceRecord) -> None:
        with self._writing(f"store presence request {request.id}") as connection:
            connection.execute(_UPSERT_PRESENCE, _values(request, _PRESENCE_FIELDS))

    def get_presence(self, request_id: str) -> PresenceRecord | None:
        with translated("read a presence request"):
            row = (
                self._live()
                .execute(
                    f"SELECT {_PRESENCE_COLUMNS} FROM presence_requests WHERE id = ?",
                    (request_id,),
                )
                .fetchone()
            )
            return None if row is None else _presence_from(row)

    def list_presence(self, limit: int = 100, *, open_only: bool = False) -> list[PresenceRecord]:
        with translated("list presence requests"):
            where = "WHERE answered_at IS NULL " if open_only else ""
            rows = (
                self._live()
                .execute(
                    f"SELECT {_PRESENCE_COLUMNS} FROM presence_requests {where}"
                    "ORDER BY seq DESC LIMIT ?",
                    (check_limit(limit) or 100,),
                )
                .fetchall()
            )
            return [_presence_from(row) for row in rows]


_MEETING_COLUMNS = "proposal_id, peer, state, data, updated_at, last_reply"


def _meeting_from(row: Any) -> MeetingRecord:
    return MeetingRecord(
        proposal_id=str(row[0]),
        peer=str(row[1]),
        state=str(row[2]),
        data=str(row[3]),
        updated_at=str(row[4]),
        last_reply=None if row[5] is None else str(row[5]),
    )


class SQLiteMeetingStore(SQLiteCore, MeetingStore):
    """:class:`~hotline.store.interfaces.MeetingStore` on the ``meetings`` table."""

    def put_meeting(self, meeting: MeetingRecord) -> None:
        with self._writing(f"store meeting {meeting.proposal_id}") as connection:
            connection.execute(
                f"INSERT OR REPLACE INTO meetings ({_MEETING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    meeting.proposal_id,
                    meeting.peer,
                    meeting.state,
                    meeting.data,
                    meeting.updated_at,
                    meeting.last_reply,
                ),
            )

    def get_meeting(self, proposal_id: str) -> MeetingRecord | None:
        with translated("read a meeting"):
            row = (
                self._live()
                .execute(
                    f"SELECT {_MEETING_COLUMNS} FROM meetings WHERE proposal_id = ?",
                    (proposal_id,),
                )
                .fetchone()
            )
            return None if row is None else _meeting_from(row)

    def list_meetings(self) -> list[MeetingRecord]:
        with translated("list meetings"):
            rows = (
                self._live()
                .execute(f"SELECT {_MEETING_COLUMNS} FROM meetings ORDER BY updated_at DESC")
                .fetchall()
            )
            return [_meeting_from(row) for row in rows]
