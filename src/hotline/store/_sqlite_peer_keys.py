"""The SQLite statements behind peer key certificates (schema step ``PEER_KEYS``).

A mixin of :class:`~hotline.store.SQLiteStore`. ``peer_key_certificates`` is
append-only (its triggers refuse UPDATE and DELETE).
"""

# ruff: noqa: S608
# The interpolated names are this module's own column lists; every value is bound.

from __future__ import annotations

from hotline.errors import StoreError
from hotline.store._queries import DialectQueries
from hotline.store._sqlite_core import SQLiteCore
from hotline.store.interfaces._peer_keys import PEER_KEY_KINDS, PeerKeyCertificate, PeerKeyStore

__all__ = ["PeerKeyQueries", "SQLitePeerKeyStore"]

_COLUMNS = "party, key_id, kind, serial, certificate, received_at"


def check_peer_key(item: PeerKeyCertificate) -> None:
    """StoreError if ``item`` breaks the contract's field rules (shared with PostgreSQL)."""
    for name in ("party", "key_id", "received_at"):
        value = getattr(item, name)
        if not isinstance(value, str) or not value:
            raise StoreError(f"a peer key certificate's {name} must be a non-empty str")
    if item.kind not in PEER_KEY_KINDS:
        raise StoreError(
            f"a peer key's kind is one of {', '.join(PEER_KEY_KINDS)}, not {item.kind!r}"
        )
    if type(item.serial) is not int or item.serial < 1:
        raise StoreError("a peer key certificate's serial is a positive integer")
    if not isinstance(item.certificate, bytes) or not item.certificate:
        raise StoreError("a peer key certificate's bytes must not be empty")


def peer_key_of(row: tuple[object, ...]) -> PeerKeyCertificate:
    party, identifier, kind, serial, certificate, received_at = row
    return PeerKeyCertificate(
        party=str(party),
        key_id=str(identifier),
        kind=str(kind),
        serial=int(serial),  # type: ignore[call-overload]
        certificate=bytes(certificate),  # type: ignore[call-overload]
        received_at=str(received_at),
    )


class PeerKeyQueries(DialectQueries, PeerKeyStore):
    """:class:`~hotline.store.interfaces.PeerKeyStore` in either dialect (``_P``)."""

    def add_peer_key_certificate(self, item: PeerKeyCertificate) -> bool:
        check_peer_key(item)
        with self._writing("store a peer key certificate") as connection:
            if not self._peer_exists(item.party):
                raise StoreError(f"no peer named {item.party!r} is stored")
            held = self._rows(
                "find a peer key certificate",
                "SELECT certificate FROM peer_key_certificates WHERE party = ? AND key_id = ?",
                (item.party, item.key_id),
            )
            if held:
                if bytes(held[0][0]) != item.certificate:
                    raise StoreError(
                        f"{item.party}'s key {item.key_id} is stored with another certificate"
                    )
                return False
            connection.execute(
                self._sql(
                    f"INSERT INTO peer_key_certificates ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)"
                ),
                (
                    item.party,
                    item.key_id,
                    item.kind,
                    item.serial,
                    item.certificate,
                    item.received_at,
                ),
            )
            return True

    def peer_key_certificates(self, party: str | None = None) -> list[PeerKeyCertificate]:
        where, parameters = ("WHERE party = ?", (party,)) if party is not None else ("", ())
        rows = self._rows(
            "read peer key certificates",
            f"SELECT {_COLUMNS} FROM peer_key_certificates {where} ORDER BY seq",
            parameters,
        )
        return [peer_key_of(row) for row in rows]


class SQLitePeerKeyStore(SQLiteCore, PeerKeyQueries):
    """:class:`~hotline.store.interfaces.PeerKeyStore` on SQLite."""
