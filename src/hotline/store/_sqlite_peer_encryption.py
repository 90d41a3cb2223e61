"""The SQL behind peers' switched encryption keys (schema step ``PEER_ENCRYPTION_KEYS``).

A mixin of :class:`~hotline.store.SQLiteStore`; its queries are written once
for both dialects (:class:`~hotline.store._queries.DialectQueries`).
``peer_encryption_keys`` is append-only (its triggers refuse UPDATE and
DELETE); a switch also writes the new key into ``peers.encryption_key``,
which a trigger allows only for the newest recorded switch.
"""

# ruff: noqa: S608
# The interpolated names are this module's own column lists; every value is bound.

from __future__ import annotations

from hotline.errors import StoreError
from hotline.store._queries import DialectQueries
from hotline.store._sqlite_core import SQLiteCore
from hotline.store.interfaces._peer_encryption import PeerEncryptionKey, PeerEncryptionKeyStore
from hotline.store.records import check_utc

__all__ = ["PeerEncryptionQueries", "SQLitePeerEncryptionKeyStore"]

_COLUMNS = "party, serial, key, set_at"


def _check(item: PeerEncryptionKey) -> None:
    if not isinstance(item.party, str) or not item.party:
        raise StoreError("a peer encryption key's party must be a non-empty str")
    if type(item.serial) is not int or item.serial < 1:
        raise StoreError("a peer encryption key's serial is a positive integer")
    if not isinstance(item.key, bytes) or len(item.key) != 32:
        raise StoreError("a peer encryption key is 32 bytes")
    check_utc("set_at", item.set_at)


class PeerEncryptionQueries(DialectQueries, PeerEncryptionKeyStore):
    """:class:`~hotline.store.interfaces.PeerEncryptionKeyStore` in either dialect (``_P``)."""

    def set_peer_encryption_key(self, item: PeerEncryptionKey) -> bool:
        _check(item)
        with self._writing("switch a peer's encryption key") as connection:
            if not self._peer_exists(item.party):
                raise StoreError(f"no peer named {item.party!r} is stored")
            newest = self._rows(
                "read a peer's encryption key",
                "SELECT max(serial) FROM peer_encryption_keys WHERE party = ?",
                (item.party,),
            )
            if newest and newest[0][0] is not None and int(newest[0][0]) >= item.serial:
                return False
            connection.execute(
                self._sql(f"INSERT INTO peer_encryption_keys ({_COLUMNS}) VALUES (?, ?, ?, ?)"),
                (item.party, item.serial, item.key, item.set_at),
            )
            connection.execute(
                self._sql("UPDATE peers SET encryption_key = ? WHERE party = ?"),
                (item.key, item.party),
            )
            # The epoch in progress was opened by a secret sealed to the old key:
            # ending it makes the next message seal a new one to the new key.
            connection.execute(
                self._sql("DELETE FROM chains WHERE peer = ? AND direction = 'out'"),
                (item.party,),
            )
            return True

    def peer_encryption_keys(self, party: str | None = None) -> list[PeerEncryptionKey]:
        where, parameters = ("WHERE party = ?", (party,)) if party is not None else ("", ())
        rows = self._rows(
            "read peers' encryption keys",
            f"SELECT {_COLUMNS} FROM peer_encryption_keys {where} ORDER BY party, serial",
            parameters,
        )
        return [
            PeerEncryptionKey(
                party=str(party_), serial=int(serial), key=bytes(key), set_at=str(set_at)
            )
            for party_, serial, key, set_at in rows
        ]


class SQLitePeerEncryptionKeyStore(SQLiteCore, PeerEncryptionQueries):
    """:class:`~hotline.store.interfaces.PeerEncryptionKeyStore` on SQLite."""
