"""The SQLite statements behind peer key revocations (schema step ``PEER_KEY_REVOCATIONS``).

A mixin of :class:`~hotline.store.SQLiteStore`. ``peer_key_revocations`` is
append-only (its triggers refuse UPDATE and DELETE).
"""

# ruff: noqa: S608
# The interpolated names are this module's own column lists; every value is bound.

from __future__ import annotations

from hotline.errors import StoreError
from hotline.store._queries import DialectQueries
from hotline.store._sqlite_core import SQLiteCore
from hotline.store.interfaces._peer_key_revocations import (
    PeerKeyRevocation,
    PeerKeyRevocationStore,
)
from hotline.store.interfaces._peer_keys import PEER_KEY_KINDS

__all__ = ["PeerKeyRevocationQueries", "SQLitePeerKeyRevocationStore"]

_COLUMNS = "party, key_id, kind, public_key, compromised_since, revocation, received_at"
# Unix seconds fit a signed 64-bit column (BIGINT in PostgreSQL).
_MAX_TIME = 2**63 - 1


def _check(item: PeerKeyRevocation) -> None:
    for name in ("party", "key_id", "received_at"):
        value = getattr(item, name)
        if not isinstance(value, str) or not value:
            raise StoreError(f"a peer key revocation's {name} must be a non-empty str")
    if item.kind not in PEER_KEY_KINDS:
        raise StoreError(
            f"a revoked key's kind is one of {', '.join(PEER_KEY_KINDS)}, not {item.kind!r}"
        )
    if not isinstance(item.public_key, bytes) or len(item.public_key) != 32:
        raise StoreError("a revoked key is 32 bytes")
    if type(item.compromised_since) is not int or not 0 <= item.compromised_since <= _MAX_TIME:
        raise StoreError("a revoked key's compromised_since is a non-negative integer")
    if not isinstance(item.revocation, bytes) or not item.revocation:
        raise StoreError("a peer key revocation's bytes must not be empty")


def _revocation_of(row: tuple[object, ...]) -> PeerKeyRevocation:
    party, identifier, kind, public_key, since, revocation, received_at = row
    return PeerKeyRevocation(
        party=str(party),
        key_id=str(identifier),
        kind=str(kind),
        public_key=bytes(public_key),  # type: ignore[call-overload]
        compromised_since=int(since),  # type: ignore[call-overload]
        revocation=bytes(revocation),  # type: ignore[call-overload]
        received_at=str(received_at),
    )


class PeerKeyRevocationQueries(DialectQueries, PeerKeyRevocationStore):
    """:class:`~hotline.store.interfaces.PeerKeyRevocationStore` in either dialect (``_P``)."""

    def add_peer_key_revocation(self, item: PeerKeyRevocation) -> bool:
        _check(item)
        with self._writing("store a peer key revocation") as connection:
            if not self._peer_exists(item.party):
                raise StoreError(f"no peer named {item.party!r} is stored")
            held = self._rows(
                "find a peer key revocation",
                "SELECT revocation FROM peer_key_revocations WHERE party = ? AND key_id = ?",
                (item.party, item.key_id),
            )
            if held:
                if bytes(held[0][0]) != item.revocation:
                    raise StoreError(
                        f"{item.party}'s key {item.key_id} is revoked already, by another "
                        "revocation"
                    )
                return False
            connection.execute(
                self._sql(
                    f"INSERT INTO peer_key_revocations ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
                ),
                (
                    item.party,
                    item.key_id,
                    item.kind,
                    item.public_key,
                    item.compromised_since,
                    item.revocation,
                    item.received_at,
                ),
            )
            return True

    def peer_key_revocations(self, party: str | None = None) -> list[PeerKeyRevocation]:
        where, parameters = ("WHERE party = ?", (party,)) if party is not None else ("", ())
        rows = self._rows(
            "read peer key revocations",
            f"SELECT {_COLUMNS} FROM peer_key_revocations {where} ORDER BY seq",
            parameters,
        )
        return [_revocation_of(row) for row in rows]


class SQLitePeerKeyRevocationStore(SQLiteCore, PeerKeyRevocationQueries):
    """:class:`~hotline.store.interfaces.PeerKeyRevocationStore` on SQLite."""
