"""The PostgreSQL statements behind peer confirmations and removals (schema step ``PEER_CONFIRMATIONS``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_peer_confirmations`` (its checks are shared). ``peer_confirmations``
is append-only by trigger; ``confirmed_by`` is UTF-8 ``BYTEA``, as the other
free text an operator types.
"""

# ruff: noqa: S608
# The interpolated names are this module's own column lists; every value is bound.

from __future__ import annotations

from hotline.errors import StoreError
from hotline.store._pg_core import PostgreSQLCore
from hotline.store._sqlite_peer_confirmations import (
    check_confirmation,
    check_removal,
    confirmation_of,
    removal_of,
)
from hotline.store.interfaces._peer_confirmations import (
    PeerConfirmation,
    PeerConfirmationStore,
    PeerRemoval,
)

__all__ = ["PostgreSQLPeerConfirmationStore"]

_CONFIRMATION = "party, fingerprint, method, confirmed_by, confirmed_at, signature"
_REMOVAL = "party, fingerprint, removed_at"


class PostgreSQLPeerConfirmationStore(PostgreSQLCore, PeerConfirmationStore):
    """:class:`~hotline.store.interfaces.PeerConfirmationStore` on its two tables."""

    def _require_peer(self, party: str) -> None:
        if not self._read("find a peer", "SELECT 1 FROM peers WHERE party = %s", (party,)):
            raise StoreError(f"no peer named {party!r} is stored")

    def add_peer_confirmation(self, confirmation: PeerConfirmation) -> None:
        check_confirmation(confirmation)
        with self._writing("store a peer confirmation") as connection:
            self._require_peer(confirmation.party)
            connection.execute(
                f"INSERT INTO peer_confirmations ({_CONFIRMATION}) VALUES (%s, %s, %s, %s, %s, %s)",
                (
                    confirmation.party,
                    confirmation.fingerprint,
                    confirmation.method,
                    confirmation.confirmed_by.encode("utf-8"),
                    confirmation.confirmed_at,
                    confirmation.signature,
                ),
            )

    def peer_confirmations(self, party: str | None = None) -> list[PeerConfirmation]:
        where, parameters = ("WHERE party = %s", (party,)) if party is not None else ("", ())
        rows = self._read(
            "read peer confirmations",
            f"SELECT {_CONFIRMATION} FROM peer_confirmations {where} ORDER BY seq",
            parameters,
        )
        return [confirmation_of(row) for row in rows]

    def mark_peer_removed(self, removal: PeerRemoval) -> None:
        check_removal(removal)
        with self._writing("mark a peer removed") as connection:
            self._require_peer(removal.party)
            if self._read(
                "find a removal", "SELECT 1 FROM peer_removals WHERE party = %s", (removal.party,)
            ):
                raise StoreError(f"{removal.party} is already removed")
            connection.execute(
                f"INSERT INTO peer_removals ({_REMOVAL}) VALUES (%s, %s, %s)",
                (removal.party, removal.fingerprint, removal.removed_at),
            )

    def peer_removals(self) -> dict[str, PeerRemoval]:
        rows = self._read("read peer removals", f"SELECT {_REMOVAL} FROM peer_removals")
        return {removal.party: removal for removal in map(removal_of, rows)}

    def clear_peer_removal(self, party: str) -> bool:
        with self._writing("clear a peer removal") as connection:
            cursor = connection.execute("DELETE FROM peer_removals WHERE party = %s", (party,))
            return cursor.rowcount > 0
