"""The SQLite statements behind console accounts, acknowledgements, shift notes and meetings.

Schema migrations 3 and 4. Called by :class:`~hotline.store.sqlite.SQLiteStore`
inside its own error translation and transaction handling, like
:mod:`hotline.store._sqlite_alarms`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from hotline.store.records import AckRecord, MeetingRecord, ShiftNoteRecord, UserRecord

__all__ = [
    "get_acknowledgements",
    "get_user",
    "insert_acknowledgement",
    "insert_shift_note",
    "insert_user",
    "list_shift_notes",
    "get_meeting",
    "list_meetings",
    "list_users",
    "put_meeting",
    "update_user",
]

_USER_COLUMNS = (
    "name, role, password_hash, language, signing_key, wrapped_key, key_salt, created_at, disabled"
)
_ACK_COLUMNS = "message_id, direction, by_name, at, ack_id, operator_key, operator_signature"
_NOTE_COLUMNS = "id, author, text, at, author_key, signature"


def _user_from(row: Any) -> UserRecord:
    name, role, password_hash, language, signing_key, wrapped, salt, created_at, disabled = row
    return UserRecord(
        name=str(name),
        role=str(role),
        password_hash=str(password_hash),
        language=str(language),
        signing_key=bytes(signing_key),
        wrapped_key=bytes(wrapped),
        key_salt=bytes(salt),
        created_at=str(created_at),
        disabled=bool(disabled),
    )


def insert_user(connection: sqlite3.Connection, user: UserRecord) -> None:
    connection.execute(
        f"INSERT INTO users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        (
            user.name,
            user.role,
            user.password_hash,
            user.language,
            user.signing_key,
            user.wrapped_key,
            user.key_salt,
            user.created_at,
            int(user.disabled),
        ),
    )


def update_user(connection: sqlite3.Connection, user: UserRecord) -> bool:
    """Replace everything but the name and creation time; False if there is no such user."""
    cursor = connection.execute(
        "UPDATE users SET role = ?, password_hash = ?, language = ?, signing_key = ?, "
        "wrapped_key = ?, key_salt = ?, disabled = ? WHERE name = ?",
        (
            user.role,
            user.password_hash,
            user.language,
            user.signing_key,
            user.wrapped_key,
            user.key_salt,
            int(user.disabled),
            user.name,
        ),
    )
    return cursor.rowcount == 1


def get_user(connection: sqlite3.Connection, name: str) -> UserRecord | None:
    row = connection.execute(
        f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?",  # noqa: S608
        (name,),
    ).fetchone()
    return None if row is None else _user_from(row)


def list_users(connection: sqlite3.Connection) -> list[UserRecord]:
    rows = connection.execute(
        f"SELECT {_USER_COLUMNS} FROM users ORDER BY name"  # noqa: S608
    ).fetchall()
    return [_user_from(row) for row in rows]


def _ack_from(row: Any) -> AckRecord:
    message_id, direction, by, at, ack_id, key, signature = row
    return AckRecord(
        message_id=str(message_id),
        direction=str(direction),
        by=str(by),
        at=str(at),
        ack_id=str(ack_id),
        operator_key=bytes(key),
        operator_signature=bytes(signature),
    )


def insert_acknowledgement(connection: sqlite3.Connection, ack: AckRecord) -> bool:
    """Store ``ack``; False if that message already has an acknowledgement (the first stands)."""
    cursor = connection.execute(
        f"INSERT OR IGNORE INTO acknowledgements ({_ACK_COLUMNS}) "  # noqa: S608
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            ack.message_id,
            ack.direction,
            ack.by,
            ack.at,
            ack.ack_id,
            ack.operator_key,
            ack.operator_signature,
        ),
    )
    return cursor.rowcount == 1


def get_acknowledgements(
    connection: sqlite3.Connection, message_ids: Sequence[str]
) -> dict[str, AckRecord]:
    found: dict[str, AckRecord] = {}
    ids = list(message_ids)
    for start in range(0, len(ids), 500):  # SQLite's parameter limit
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = connection.execute(
            f"SELECT {_ACK_COLUMNS} FROM acknowledgements WHERE message_id IN ({marks})",  # noqa: S608
            chunk,
        ).fetchall()
        for row in rows:
            ack = _ack_from(row)
            found[ack.message_id] = ack
    return found


def insert_shift_note(connection: sqlite3.Connection, note: ShiftNoteRecord) -> None:
    connection.execute(
        f"INSERT INTO shift_notes ({_NOTE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608
        (note.id, note.author, note.text, note.at, note.author_key, note.signature),
    )


def list_shift_notes(connection: sqlite3.Connection, limit: int) -> list[ShiftNoteRecord]:
    rows = connection.execute(
        f"SELECT {_NOTE_COLUMNS} FROM shift_notes ORDER BY seq DESC LIMIT ?",  # noqa: S608
        (limit,),
    ).fetchall()
    return [
        ShiftNoteRecord(
            id=str(r[0]),
            author=str(r[1]),
            text=str(r[2]),
            at=str(r[3]),
            author_key=bytes(r[4]),
            signature=bytes(r[5]),
        )
        for r in rows
    ]


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


def put_meeting(connection: sqlite3.Connection, meeting: MeetingRecord) -> None:
    connection.execute(
        f"INSERT OR REPLACE INTO meetings ({_MEETING_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",  # noqa: S608
        (
            meeting.proposal_id,
            meeting.peer,
            meeting.state,
            meeting.data,
            meeting.updated_at,
            meeting.last_reply,
        ),
    )


def get_meeting(connection: sqlite3.Connection, proposal_id: str) -> MeetingRecord | None:
    row = connection.execute(
        f"SELECT {_MEETING_COLUMNS} FROM meetings WHERE proposal_id = ?",  # noqa: S608
        (proposal_id,),
    ).fetchone()
    return None if row is None else _meeting_from(row)


def list_meetings(connection: sqlite3.Connection) -> list[MeetingRecord]:
    rows = connection.execute(
        f"SELECT {_MEETING_COLUMNS} FROM meetings ORDER BY updated_at DESC"  # noqa: S608
    ).fetchall()
    return [_meeting_from(row) for row in rows]
