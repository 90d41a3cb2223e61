"""AccountStore and ShiftNoteStore: console users, updated in place; handover notes, append-only."""

from __future__ import annotations

import pytest

from hotline.errors import PeerConflict, StoreError
from hotline.store import Store
from hotline.testing.store_conformance._fixtures import at, make_note, make_user

__all__ = ["TestAccounts", "TestShiftNotes"]


class TestAccounts:
    """Users by name; a name is taken once; an update keeps the name and creation time."""

    def test_add_get_list(self, store: Store) -> None:
        assert store.get_user("was-op") is None
        assert store.list_users() == []
        operator, admin = make_user("was-op"), make_user("admin", role="admin", language="ru")
        store.add_user(operator)
        store.add_user(admin)
        assert store.get_user("was-op") == operator
        assert store.list_users() == [admin, operator]  # by name

    def test_a_name_is_taken_once(self, store: Store) -> None:
        store.add_user(make_user("was-op"))
        with pytest.raises(PeerConflict, match="was-op"):
            store.add_user(make_user("was-op", role="admin"))
        assert store.get_user("was-op") == make_user("was-op")

    def test_update_replaces_all_but_name_and_creation(self, store: Store) -> None:
        store.add_user(make_user("was-op"))
        changed = make_user(
            "was-op",
            role="supervisor",
            password_hash="$argon2id$v=19$m=65536,t=3,p=4$bmV3$bmV3",  # noqa: S106 - not a secret
            language="de",
            signing_key=b"K" * 32,
            wrapped_key=b"rewrapped",
            key_salt=b"new salt",
            disabled=True,
        )
        store.update_user(changed)
        assert store.get_user("was-op") == changed
        with pytest.raises(StoreError, match="nobody"):
            store.update_user(make_user("nobody"))
        assert [user.name for user in store.list_users()] == ["was-op"]


class TestShiftNotes:
    """Handover notes, newest first."""

    def test_newest_first_with_a_limit(self, store: Store) -> None:
        assert store.shift_notes() == []
        notes = [make_note(f"note-{n}", at=at(n)) for n in range(1, 6)]
        for note in notes:
            store.add_shift_note(note)
        assert store.shift_notes() == notes[::-1]
        assert store.shift_notes(limit=2) == [notes[4], notes[3]]

    def test_a_note_id_is_used_once(self, store: Store) -> None:
        store.add_shift_note(make_note("note-1"))
        with pytest.raises(StoreError):
            store.add_shift_note(make_note("note-1", text="rewritten"))
        assert store.shift_notes() == [make_note("note-1")]
