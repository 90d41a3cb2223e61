"""The PostgreSQL statements behind console accounts and shift notes (``users``, ``shift_notes``).

Mixins of :class:`~hotline.store.PostgreSQLStore`, the counterparts of
``_sqlite_accounts``. ``users.disabled`` is a BOOLEAN here; shift notes are
append-only, by trigger, and ordered by their identity column ``seq``.
"""

# Every interpolated name below is a module constant; values always go in as parameters.
# ruff: noqa: S608

from __future__ import annotations

from hotline.errors import PeerConflict, StoreError
from hotline.store._pg_core import PostgreSQLCore, check_limit
from hotline.store._sqlite_accounts import _user_from
from hotline.store.interfaces import AccountStore, ShiftNoteStore
from hotline.store.records import ShiftNoteRecord, UserRecord

__all__ = ["PostgreSQLAccountStore", "PostgreSQLShiftNoteStore"]

_USER_COLUMNS = (
    "name, role, password_hash, language, signing_key, wrapped_key, key_salt, created_at, disabled"
)
_NOTE_COLUMNS = "id, author, text, at, author_key, signature"


class PostgreSQLAccountStore(PostgreSQLCore, AccountStore):
    """:class:`~hotline.store.interfaces.AccountStore` on the ``users`` table."""

    def add_user(self, user: UserRecord) -> None:
        if self.get_user(user.name) is not None:
            raise PeerConflict(f"a user named {user.name!r} already exists")
        with self._writing(f"add user {user.name!r}") as connection:
            connection.execute(
                f"INSERT INTO users ({_USER_COLUMNS}) VALUES ({', '.join(['%s'] * 9)})",
                (
                    user.name,
                    user.role,
                    user.password_hash,
                    user.language,
                    user.signing_key,
                    user.wrapped_key,
                    user.key_salt,
                    user.created_at,
                    bool(user.disabled),
                ),
            )

    def update_user(self, user: UserRecord) -> None:
        # Everything but the name and the creation time.
        with self._writing(f"update user {user.name!r}") as connection:
            cursor = connection.execute(
                "UPDATE users SET role = %s, password_hash = %s, language = %s, "
                "signing_key = %s, wrapped_key = %s, key_salt = %s, disabled = %s "
                "WHERE name = %s",
                (
                    user.role,
                    user.password_hash,
                    user.language,
                    user.signing_key,
                    user.wrapped_key,
                    user.key_salt,
                    bool(user.disabled),
                    user.name,
                ),
            )
            if cursor.rowcount != 1:
                raise StoreError(f"no user named {user.name!r}")

    def get_user(self, name: str) -> UserRecord | None:
        rows = self._read(
            "read a user", f"SELECT {_USER_COLUMNS} FROM users WHERE name = %s", (name,)
        )
        return _user_from(rows[0]) if rows else None

    def list_users(self) -> list[UserRecord]:
        rows = self._read("list users", f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")
        return [_user_from(row) for row in rows]


class PostgreSQLShiftNoteStore(PostgreSQLCore, ShiftNoteStore):
    """:class:`~hotline.store.interfaces.ShiftNoteStore` on the ``shift_notes`` table."""

    def add_shift_note(self, note: ShiftNoteRecord) -> None:
        with self._writing("add a shift note") as connection:
            connection.execute(
                f"INSERT INTO shift_notes ({_NOTE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
                (note.id, note.author, note.text, note.at, note.author_key, note.signature),
            )

    def shift_notes(self, limit: int = 100) -> list[ShiftNoteRecord]:
        rows = self._read(
            "read shift notes",
            f"SELECT {_NOTE_COLUMNS} FROM shift_notes ORDER BY seq DESC LIMIT %s",
            (check_limit(limit) or 100,),
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
