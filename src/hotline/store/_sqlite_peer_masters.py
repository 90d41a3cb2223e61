"""The SQLite statements behind peers' master changes (schema step ``PEER_MASTERS``).

A mixin of :class:`~hotline.store.SQLiteStore`. ``peer_master_changes``
refuses DELETE and any UPDATE but the one of ``confirmed_at`` (by trigger).
"""

# ruff: noqa: S608
# The interpolated names are this module's own column lists; every value is bound.

from __future__ import annotations

from hotline.errors import StoreError
from hotline.store._queries import DialectQueries
from hotline.store._sqlite_core import SQLiteCore
from hotline.store.interfaces._peer_masters import PeerMasterChange, PeerMasterStore

__all__ = ["PeerMasterQueries", "SQLitePeerMasterStore"]

_COLUMNS = (
    "party, old_master, new_master, transition, card_json, old_certificate, "
    "received_at, confirmed_at"
)
_MASTER_BYTES = 32


def _check(change: PeerMasterChange) -> None:
    for name in ("party", "card_json", "received_at"):
        value = getattr(change, name)
        if not isinstance(value, str) or not value:
            raise StoreError(f"a peer master change's {name} must be a non-empty str")
    for name in ("old_master", "new_master"):
        value = getattr(change, name)
        if not isinstance(value, bytes) or len(value) != _MASTER_BYTES:
            raise StoreError(f"a peer master change's {name} is {_MASTER_BYTES} bytes")
    if change.old_master == change.new_master:
        raise StoreError("a peer master change's new master must differ from the old")
    for name in ("transition", "old_certificate"):
        value = getattr(change, name)
        if not isinstance(value, bytes) or not value:
            raise StoreError(f"a peer master change's {name} must not be empty")
    if change.confirmed_at is not None:
        raise StoreError("a peer master change is stored pending (confirmed_at None)")


def _change_of(row: tuple[object, ...]) -> PeerMasterChange:
    party, old, new, transition, card_json, certificate, received_at, confirmed_at = row
    return PeerMasterChange(
        party=str(party),
        old_master=bytes(old),  # type: ignore[call-overload]
        new_master=bytes(new),  # type: ignore[call-overload]
        transition=bytes(transition),  # type: ignore[call-overload]
        card_json=str(card_json),
        old_certificate=bytes(certificate),  # type: ignore[call-overload]
        received_at=str(received_at),
        confirmed_at=None if confirmed_at is None else str(confirmed_at),
    )


class PeerMasterQueries(DialectQueries, PeerMasterStore):
    """:class:`~hotline.store.interfaces.PeerMasterStore` in either dialect (``_P``)."""

    def add_peer_master_change(self, change: PeerMasterChange) -> bool:
        _check(change)
        with self._writing("store a peer master change") as connection:
            if not self._peer_exists(change.party):
                raise StoreError(f"no peer named {change.party!r} is stored")
            held = self.peer_master_changes(change.party)
            for item in held:
                if item.new_master == change.new_master and item.transition == change.transition:
                    return False
            if any(item.pending for item in held):
                raise StoreError(f"a master change of {change.party} is pending already")
            connection.execute(
                self._sql(
                    f"INSERT INTO peer_master_changes ({_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, NULL)"
                ),
                (
                    change.party,
                    change.old_master,
                    change.new_master,
                    change.transition,
                    change.card_json,
                    change.old_certificate,
                    change.received_at,
                ),
            )
            return True

    def peer_master_changes(self, party: str | None = None) -> list[PeerMasterChange]:
        where, parameters = ("WHERE party = ?", (party,)) if party is not None else ("", ())
        rows = self._rows(
            "read peer master changes",
            f"SELECT {_COLUMNS} FROM peer_master_changes {where} ORDER BY seq",
            parameters,
        )
        return [_change_of(row) for row in rows]

    def confirm_peer_master_change(self, party: str, new_master: bytes, confirmed_at: str) -> None:
        if not isinstance(confirmed_at, str) or not confirmed_at:
            raise StoreError("a peer master change's confirmed_at must be a non-empty str")
        with self._writing("confirm a peer master change") as connection:
            cursor = connection.execute(
                self._sql(
                    "UPDATE peer_master_changes SET confirmed_at = ? "
                    "WHERE party = ? AND new_master = ? AND confirmed_at IS NULL"
                ),
                (confirmed_at, party, new_master),
            )
            if cursor.rowcount != 1:
                raise StoreError(f"no pending master change of {party!r} to that key is stored")


class SQLitePeerMasterStore(SQLiteCore, PeerMasterQueries):
    """:class:`~hotline.store.interfaces.PeerMasterStore` on SQLite."""
