"""The SQLite statements behind peer confirmations and removals (schema step ``PEER_CONFIRMATIONS``).

A mixin of :class:`~hotline.store.SQLiteStore`. ``peer_confirmations`` is
append-only (its triggers refuse UPDATE and DELETE); ``peer_removals`` holds
one row per peer while it is removed.
"""

# ruff: noqa: S608
# The interpolated names are this module's own column lists; every value is bound.

from __future__ import annotations

from typing import ClassVar

from hotline.errors import StoreError
from hotline.store._queries import DialectQueries
from hotline.store._sqlite_core import SQLiteCore
from hotline.store.interfaces._peer_confirmations import (
    CONFIRMATION_METHODS,
    PeerConfirmation,
    PeerConfirmationStore,
    PeerRemoval,
)

__all__ = ["PeerConfirmationQueries", "SQLitePeerConfirmationStore"]

_CONFIRMATION = "party, fingerprint, method, confirmed_by, confirmed_at, signature"
_REMOVAL = "party, fingerprint, removed_at"


def check_confirmation(confirmation: PeerConfirmation) -> None:
    """StoreError if ``confirmation`` breaks the contract's field rules (shared with PostgreSQL)."""
    for name in ("party", "fingerprint", "method", "confirmed_by", "confirmed_at"):
        value = getattr(confirmation, name)
        if not isinstance(value, str) or not value:
            raise StoreError(f"a peer confirmation's {name} must be a non-empty str, not {value!r}")
    if confirmation.method not in CONFIRMATION_METHODS:
        raise StoreError(
            f"a confirmation's method is one of {', '.join(CONFIRMATION_METHODS)}, "
            f"not {confirmation.method!r}"
        )
    if not isinstance(confirmation.signature, bytes) or len(confirmation.signature) != 64:
        raise StoreError("a peer confirmation's signature is 64 bytes")


def check_removal(removal: PeerRemoval) -> None:
    """StoreError if ``removal`` has an empty field (shared with PostgreSQL)."""
    for name in ("party", "fingerprint", "removed_at"):
        value = getattr(removal, name)
        if not isinstance(value, str) or not value:
            raise StoreError(f"a peer removal's {name} must be a non-empty str, not {value!r}")


def confirmation_of(row: tuple[object, ...]) -> PeerConfirmation:
    party, fingerprint, method, confirmed_by, confirmed_at, signature = row
    return PeerConfirmation(
        party=str(party),
        fingerprint=str(fingerprint),
        method=str(method),
        confirmed_by=(
            bytes(confirmed_by).decode("utf-8")
            if isinstance(confirmed_by, bytes | memoryview)
            else str(confirmed_by)
        ),
        confirmed_at=str(confirmed_at),
        signature=bytes(signature),  # type: ignore[call-overload]
    )


def removal_of(row: tuple[object, ...]) -> PeerRemoval:
    party, fingerprint, removed_at = row
    return PeerRemoval(party=str(party), fingerprint=str(fingerprint), removed_at=str(removed_at))


class PeerConfirmationQueries(DialectQueries, PeerConfirmationStore):
    """:class:`~hotline.store.interfaces.PeerConfirmationStore` in either dialect (``_P``)."""

    #: Whether typed free text is stored as UTF-8 bytes (PostgreSQL's BYTEA) or as text.
    _TEXT_AS_BYTES: ClassVar[bool] = False

    def add_peer_confirmation(self, confirmation: PeerConfirmation) -> None:
        check_confirmation(confirmation)
        by = confirmation.confirmed_by
        with self._writing("store a peer confirmation") as connection:
            if not self._peer_exists(confirmation.party):
                raise StoreError(f"no peer named {confirmation.party!r} is stored")
            connection.execute(
                self._sql(
                    f"INSERT INTO peer_confirmations ({_CONFIRMATION}) VALUES (?, ?, ?, ?, ?, ?)"
                ),
                (
                    confirmation.party,
                    confirmation.fingerprint,
                    confirmation.method,
                    by.encode("utf-8") if self._TEXT_AS_BYTES else by,
                    confirmation.confirmed_at,
                    confirmation.signature,
                ),
            )

    def peer_confirmations(self, party: str | None = None) -> list[PeerConfirmation]:
        where, parameters = ("WHERE party = ?", (party,)) if party is not None else ("", ())
        rows = self._rows(
            "read peer confirmations",
            f"SELECT {_CONFIRMATION} FROM peer_confirmations {where} ORDER BY seq",
            parameters,
        )
        return [confirmation_of(row) for row in rows]

    def mark_peer_removed(self, removal: PeerRemoval) -> None:
        check_removal(removal)
        with self._writing("mark a peer removed") as connection:
            if not self._peer_exists(removal.party):
                raise StoreError(f"no peer named {removal.party!r} is stored")
            if self._rows(
                "find a removal", "SELECT 1 FROM peer_removals WHERE party = ?", (removal.party,)
            ):
                raise StoreError(f"{removal.party} is already removed")
            connection.execute(
                self._sql(f"INSERT INTO peer_removals ({_REMOVAL}) VALUES (?, ?, ?)"),
                (removal.party, removal.fingerprint, removal.removed_at),
            )

    def peer_removals(self) -> dict[str, PeerRemoval]:
        rows = self._rows("read peer removals", f"SELECT {_REMOVAL} FROM peer_removals")
        return {removal.party: removal for removal in map(removal_of, rows)}

    def clear_peer_removal(self, party: str) -> bool:
        with self._writing("clear a peer removal") as connection:
            cursor = connection.execute(
                self._sql("DELETE FROM peer_removals WHERE party = ?"), (party,)
            )
            return bool(cursor.rowcount > 0)


class SQLitePeerConfirmationStore(SQLiteCore, PeerConfirmationQueries):
    """:class:`~hotline.store.interfaces.PeerConfirmationStore` on SQLite."""
