"""The SQLite statements behind adopted outgoing chain positions (schema step ``CHAIN_ADOPTIONS``).

A mixin of :class:`~hotline.store.SQLiteStore`. ``chain_adoptions`` is
append-only (its triggers refuse UPDATE and DELETE), and the messages table's
serial trigger lets a peer's outgoing serials continue after the last adoption.
"""

# ruff: noqa: S608
# The interpolated names are this module's own column lists; every value is bound.

from __future__ import annotations

from hotline.errors import StoreError
from hotline.store._queries import DialectQueries
from hotline.store._sqlite_core import SQLiteCore
from hotline.store.interfaces._adoptions import ChainAdoption, ChainAdoptionStore

__all__ = ["ChainAdoptionQueries", "SQLiteChainAdoptionStore", "adoption_of", "check_adoption"]

_ADOPTION = "peer, held_before, serial, envelope_hash, adopted_at"


def check_adoption(adoption: ChainAdoption, *, stored: int, adopted: int) -> None:
    """StoreError unless ``adoption`` takes up the chain beyond everything held (shared with PostgreSQL).

    ``stored`` is the last outgoing serial stored for the peer, ``adopted`` the
    last adopted one (0 for none).
    """
    if not isinstance(adoption, ChainAdoption):
        raise StoreError(f"expected a ChainAdoption, not {type(adoption).__name__}")
    if not isinstance(adoption.adopted_at, str) or not adoption.adopted_at:
        raise StoreError("an adoption's adopted_at must be a non-empty str")
    if not isinstance(adoption.envelope_hash, bytes) or len(adoption.envelope_hash) != 32:
        raise StoreError("an adoption's envelope_hash is 32 bytes")
    if adoption.held_before != max(stored, adopted):
        raise StoreError(
            f"the outgoing chain to {adoption.peer} stands at serial {max(stored, adopted)} "
            f"here, not {adoption.held_before}"
        )
    if adoption.serial <= adoption.held_before:
        raise StoreError(
            f"an adoption goes beyond serial {adoption.held_before}, not to {adoption.serial}"
        )


def adoption_of(row: tuple[object, ...]) -> ChainAdoption:
    peer, held_before, serial, envelope_hash, adopted_at = row
    return ChainAdoption(
        peer=str(peer),
        held_before=int(held_before),  # type: ignore[call-overload]
        serial=int(serial),  # type: ignore[call-overload]
        envelope_hash=bytes(envelope_hash),  # type: ignore[call-overload]
        adopted_at=str(adopted_at),
    )


class ChainAdoptionQueries(DialectQueries, ChainAdoptionStore):
    """:class:`~hotline.store.interfaces.ChainAdoptionStore` in either dialect (``_P``)."""

    def adopt_outgoing_chain(self, adoption: ChainAdoption) -> None:
        with self._writing(f"adopt the outgoing chain to {adoption.peer}") as connection:
            if not self._peer_exists(adoption.peer):
                raise StoreError(f"no peer named {adoption.peer!r} is stored")
            ((stored,),) = self._rows(
                "read the last serial",
                "SELECT coalesce(max(serial), 0) FROM messages WHERE peer = ? AND direction = 'out'",
                (adoption.peer,),
            )
            ((adopted,),) = self._rows(
                "read the last adoption",
                "SELECT coalesce(max(serial), 0) FROM chain_adoptions WHERE peer = ?",
                (adoption.peer,),
            )
            check_adoption(adoption, stored=int(stored), adopted=int(adopted))
            connection.execute(
                self._sql(f"INSERT INTO chain_adoptions ({_ADOPTION}) VALUES (?, ?, ?, ?, ?)"),
                (
                    adoption.peer,
                    adoption.held_before,
                    adoption.serial,
                    adoption.envelope_hash,
                    adoption.adopted_at,
                ),
            )

    def chain_adoptions(self, peer: str | None = None) -> list[ChainAdoption]:
        where, parameters = ("WHERE peer = ?", (peer,)) if peer is not None else ("", ())
        rows = self._rows(
            "read chain adoptions",
            f"SELECT {_ADOPTION} FROM chain_adoptions {where} ORDER BY seq",
            parameters,
        )
        return [adoption_of(row) for row in rows]


class SQLiteChainAdoptionStore(SQLiteCore, ChainAdoptionQueries):
    """:class:`~hotline.store.interfaces.ChainAdoptionStore` on SQLite."""
