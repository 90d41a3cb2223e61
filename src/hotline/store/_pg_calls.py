"""The PostgreSQL statements behind calls, presence requests and meetings.

Mixins of :class:`~hotline.store.PostgreSQLStore`, the counterparts of
``_sqlite_calls``. A call or presence row is written whole on every change (an
upsert, which fires the ``BEFORE UPDATE`` triggers ``calls_ended_final`` and
``presence_answered_once`` as SQLite's does).
"""

# Every interpolated name below is a module constant; values always go in as parameters.
# ruff: noqa: S608

from __future__ import annotations

from hotline.store._pg_core import PostgreSQLCore, check_limit
from hotline.store._sqlite_calls import (
    _CALL_COLUMNS,
    _CALL_FIELDS,
    _PRESENCE_COLUMNS,
    _PRESENCE_FIELDS,
    _call_from,
    _meeting_from,
    _presence_from,
    _values,
)
from hotline.store.interfaces import CallStore, MeetingStore
from hotline.store.records import CallRecord, MeetingRecord, PresenceRecord

__all__ = ["PostgreSQLCallStore", "PostgreSQLMeetingStore"]


def _upsert(table: str, fields: tuple[str, ...], key: str) -> str:
    """Insert a row, or rewrite every column but the key of the row with its key."""
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in fields if name != key)
    return (
        f"INSERT INTO {table} ({', '.join(fields)}) VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


_UPSERT_CALL = _upsert("calls", _CALL_FIELDS, "id")
_UPSERT_PRESENCE = _upsert("presence_requests", _PRESENCE_FIELDS, "id")
_MEETING_FIELDS = ("proposal_id", "peer", "state", "data", "updated_at", "last_reply")
_MEETING_COLUMNS = ", ".join(_MEETING_FIELDS)
_UPSERT_MEETING = _upsert("meetings", _MEETING_FIELDS, "proposal_id")


class PostgreSQLCallStore(PostgreSQLCore, CallStore):
    """:class:`~hotline.store.interfaces.CallStore` on ``calls`` and ``presence_requests``."""

    def put_call(self, call: CallRecord) -> None:
        with self._writing(f"store call {call.id}") as connection:
            connection.execute(_UPSERT_CALL, _values(call, _CALL_FIELDS))

    def get_call(self, call_id: str) -> CallRecord | None:
        rows = self._read(
            "read a call", f"SELECT {_CALL_COLUMNS} FROM calls WHERE id = %s", (call_id,)
        )
        return _call_from(rows[0]) if rows else None

    def list_calls(self, limit: int = 200) -> list[CallRecord]:
        rows = self._read(
            "list calls",
            f"SELECT {_CALL_COLUMNS} FROM calls ORDER BY seq DESC LIMIT %s",
            (check_limit(limit) or 200,),
        )
        return [_call_from(row) for row in rows]

    def live_calls(self) -> list[CallRecord]:
        rows = self._read(
            "list live calls",
            f"SELECT {_CALL_COLUMNS} FROM calls WHERE outcome IS NULL ORDER BY seq",
        )
        return [_call_from(row) for row in rows]

    def put_presence(self, request: PresenceRecord) -> None:
        with self._writing(f"store presence request {request.id}") as connection:
            connection.execute(_UPSERT_PRESENCE, _values(request, _PRESENCE_FIELDS))

    def get_presence(self, request_id: str) -> PresenceRecord | None:
        rows = self._read(
            "read a presence request",
            f"SELECT {_PRESENCE_COLUMNS} FROM presence_requests WHERE id = %s",
            (request_id,),
        )
        return _presence_from(rows[0]) if rows else None

    def list_presence(self, limit: int = 100, *, open_only: bool = False) -> list[PresenceRecord]:
        where = "WHERE answered_at IS NULL " if open_only else ""
        rows = self._read(
            "list presence requests",
            f"SELECT {_PRESENCE_COLUMNS} FROM presence_requests {where}ORDER BY seq DESC LIMIT %s",
            (check_limit(limit) or 100,),
        )
        return [_presence_from(row) for row in rows]


class PostgreSQLMeetingStore(PostgreSQLCore, MeetingStore):
    """:class:`~hotline.store.interfaces.MeetingStore` on the ``meetings`` table."""

    def put_meeting(self, meeting: MeetingRecord) -> None:
        with self._writing(f"store meeting {meeting.proposal_id}") as connection:
            connection.execute(
                _UPSERT_MEETING,
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
        rows = self._read(
            "read a meeting",
            f"SELECT {_MEETING_COLUMNS} FROM meetings WHERE proposal_id = %s",
            (proposal_id,),
        )
        return _meeting_from(rows[0]) if rows else None

    def list_meetings(self) -> list[MeetingRecord]:
        rows = self._read(
            "list meetings", f"SELECT {_MEETING_COLUMNS} FROM meetings ORDER BY updated_at DESC"
        )
        return [_meeting_from(row) for row in rows]
