"""Console accounts and the handover notes their holders sign."""

from __future__ import annotations

from abc import ABC, abstractmethod

from hotline.store.records import ShiftNoteRecord, UserRecord

__all__ = ["AccountStore", "ShiftNoteStore"]


class AccountStore(ABC):
    """Console users: a name, a role, a password hash and a sealed signing key.

    Contract: names are unique; a user is updated in place (all but the name and
    creation time) and never deleted, only disabled.
    """

    @abstractmethod
    def add_user(self, user: UserRecord) -> None:
        """Store a new user (PeerConflict if the name is taken)."""

    @abstractmethod
    def update_user(self, user: UserRecord) -> None:
        """Replace a user's role, password, language, key or disabled flag (StoreError if unknown)."""

    @abstractmethod
    def get_user(self, name: str) -> UserRecord | None:
        """The user of that name, if any."""

    @abstractmethod
    def list_users(self) -> list[UserRecord]:
        """Every user, by name."""


class ShiftNoteStore(ABC):
    """Signed handover notes, append-only: never changed, never deleted."""

    @abstractmethod
    def add_shift_note(self, note: ShiftNoteRecord) -> None:
        """Append a signed handover note (StoreError if its id is used)."""

    @abstractmethod
    def shift_notes(self, limit: int = 100) -> list[ShiftNoteRecord]:
        """The newest handover notes, newest first."""
