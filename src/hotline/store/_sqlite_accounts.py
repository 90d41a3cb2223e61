"""The SQLite statements behind console accounts and shift notes (``users``, ``shift_notes``).

Schema migration 3. Mixins of :class:`~hotline.store.SQLiteStore`. Shift notes
are append-only, by trigger; their ``seq`` column orders them.
"""

# Every interpolated name below is a module constant; values always go in as parameters.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

from hotline.errors import PeerConflict, StoreError
from hotline.store._sqlite_core import SQLiteCore, check_limit, translated
from hotline.store.interfaces import AccountStore, ShiftNoteStore
from hotline.store.records import ShiftNoteRecord, UserRecord

__all__ = ["SQLiteAccountStore", "SQLiteShiftNoteStore"]

_USER_COLUMNS = (
    "name, role, password_hash, language, signing_key, wrapped_key, key_salt, created_at, disabled"
)
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


class SQLiteAccountStore(SQLiteCore, AccountStore):
    """:class:`~hotline.store.interfaces.AccountStore` on the ``users`` table."""

    def add_user(self, user: UserRecord) -> None:
        if self.get_user(user.name) is not None:
            raise PeerConflict(f"a user named {user.name!r} already exists")
        with self._writing(f"add user {user.name!r}") as connection:
            connection.execute(
                f"INSERT INTO users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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

    def update_user(self, user: UserRecord) -> None:
        # Everything but the name and the creation time.
        with self._writing(f"update user {user.name!r}") as connection:
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
            if cursor.rowcount != 1:
                raise StoreError(f"no user named {user.name!r}")

    def get_user(self, name: str) -> UserRecord | None:
        with translated("read a user"):
            row = (
                self._live()
                .execute(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,))
                .fetchone()
            )
            return None if row is None else _user_from(row)

    def list_users(self) -> list[UserRecord]:
        with translated("list users"):
            rows = (
                self._live().execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name").fetchall()
            )
            return [_user_from(row) for row in rows]


class SQLiteShiftNoteStore(SQLiteCore, ShiftNoteStore):
    """:class:`~hotline.store.interfaces.ShiftNoteStore` on the ``shift_notes`` table."""

    def add_shift_note(self, note: ShiftNoteRecord) -> None:
        with self._writing("add a shift note") as connection:
            connection.execute(
                f"INSERT INTO shift_notes ({_NOTE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (note.id, note.author, note.text, note.at, note.author_key, note.signature),
            )

    def shift_notes(self, limit: int = 100) -> list[ShiftNoteRecord]:
        with translated("read shift notes"):
            rows = (
                self._live()
                .execute(
                    f"SELECT {_NOTE_COLUMNS} FROM shift_notes ORDER BY seq DESC LIMIT ?",
                    (check_limit(limit) or 100,),
                )
                .fetchall()
            )
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
