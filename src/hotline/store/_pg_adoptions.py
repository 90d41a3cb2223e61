"""The PostgreSQL statements behind adopted outgoing chain positions (schema step ``CHAIN_ADOPTIONS``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_adoptions`` (its checks are shared). ``chain_adoptions`` is
append-only by trigger.
"""

# ruff: noqa: S608
# The interpolated names are this module's own column lists; every value is bound.

from __future__ import annotations

from hotline.errors import StoreError
from hotline.store._pg_core import PostgreSQLCore
from hotline.store._sqlite_adoptions import adoption_of, check_adoption
from hotline.store.interfaces._adoptions import ChainAdoption, ChainAdoptionStore

__all__ = ["PostgreSQLChainAdoptionStore"]

_ADOPTION = "peer, held_before, serial, envelope_hash, adopted_at"


class PostgreSQLChainAdoptionStore(PostgreSQLCore, ChainAdoptionStore):
    """:class:`~hotline.store.interfaces.ChainAdoptionStore` on its table."""

    def adopt_outgoing_chain(self, adoption: ChainAdoption) -> None:
        with self._writing(f"adopt the outgoing chain to {adoption.peer}") as connection:
            if not self._read(
                "find a peer", "SELECT 1 FROM peers WHERE party = %s", (adoption.peer,)
            ):
                raise StoreError(f"no peer named {adoption.peer!r} is stored")
            ((stored,),) = self._read(
                "read the last serial",
                "SELECT coalesce(max(serial), 0) FROM messages "
                "WHERE peer = %s AND direction = 'out'",
                (adoption.peer,),
            )
            ((adopted,),) = self._read(
                "read the last adoption",
                "SELECT coalesce(max(serial), 0) FROM chain_adoptions WHERE peer = %s",
                (adoption.peer,),
            )
            check_adoption(adoption, stored=int(stored), adopted=int(adopted))
            connection.execute(
                f"INSERT INTO chain_adoptions ({_ADOPTION}) VALUES (%s, %s, %s, %s, %s)",
                (
                    adoption.peer,
                    adoption.held_before,
                    adoption.serial,
                    adoption.envelope_hash,
                    adoption.adopted_at,
                ),
            )

    def chain_adoptions(self, peer: str | None = None) -> list[ChainAdoption]:
        where, parameters = ("WHERE peer = %s", (peer,)) if peer is not None else ("", ())
        rows = self._read(
            "read chain adoptions",
            f"SELECT {_ADOPTION} FROM chain_adoptions {where} ORDER BY seq",
            parameters,
        )
        return [adoption_of(row) for row in rows]
