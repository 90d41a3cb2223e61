"""The PostgreSQL statements behind this terminal's party and its peers (tables ``party``, ``peers``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_peers``. Routes are kept as a JSON array of strings.
"""

from __future__ import annotations

from typing import Any

from hotline.errors import AlreadyInitialised, PeerConflict, UnknownPeer
from hotline.store._pg_core import PostgreSQLCore
from hotline.store._sqlite_peers import _routes_from, _routes_json
from hotline.store.interfaces import PeerStore
from hotline.store.records import PartyRecord, PeerRecord, check_utc

__all__ = ["PostgreSQLPeerStore"]

_PEER_FIELDS = (
    "party",
    "signing_key",
    "encryption_key",
    "routes",
    "timezone",
    "certificate",
    "card_json",
    "fingerprint",
    "added_at",
)
_PEER_COLUMNS = ", ".join(_PEER_FIELDS)
_PARTY_FIELDS = ("party", "signing_key", "encryption_key", "routes", "timezone", "created_at")


def _peer_from(row: tuple[Any, ...]) -> PeerRecord:
    stored = dict(zip(_PEER_FIELDS, row, strict=True))
    stored["routes"] = _routes_from(stored["routes"])
    return PeerRecord(**stored)


class PostgreSQLPeerStore(PostgreSQLCore, PeerStore):
    """:class:`~hotline.store.interfaces.PeerStore` on the ``party`` and ``peers`` tables."""

    def _peers(self, clause: str, parameters: tuple[Any, ...] = ()) -> list[PeerRecord]:
        # A constant column list and a constant clause from this module; values are parameters.
        sql = f"SELECT {_PEER_COLUMNS} FROM peers {clause}"  # noqa: S608
        return [_peer_from(row) for row in self._read("read peers", sql, parameters)]

    # -- own party ----------------------------------------------------------------

    def get_party(self) -> PartyRecord | None:
        rows = self._read("read the party", f"SELECT {', '.join(_PARTY_FIELDS)} FROM party")  # noqa: S608
        if not rows:
            return None
        stored = dict(zip(_PARTY_FIELDS, rows[0], strict=True))
        stored["routes"] = _routes_from(stored["routes"])
        return PartyRecord(**stored)

    def set_party(self, party: PartyRecord) -> None:
        with self._writing("set the party") as connection:
            existing = self.get_party()
            if existing is not None:
                raise AlreadyInitialised(f"this terminal is already party {existing.party!r}")
            clash = self.get_peer(party.party) or self.get_peer_by_key(party.signing_key)
            if clash is not None:
                raise PeerConflict(
                    f"party {party.party!r} clashes with peer {clash.party!r} "
                    "(same name or signing key)"
                )
            connection.execute(
                "INSERT INTO party (singleton, party, signing_key, encryption_key, routes, "
                "timezone, created_at) VALUES (1, %s, %s, %s, %s, %s, %s)",
                (
                    party.party,
                    party.signing_key,
                    party.encryption_key,
                    _routes_json(party.routes),
                    party.timezone,
                    party.created_at,
                ),
            )

    # -- peers --------------------------------------------------------------------

    def add_peer(self, peer: PeerRecord) -> bool:
        with self._writing(f"add peer {peer.party!r}") as connection:
            own = self.get_party()
            if own is not None and own.party == peer.party:
                raise PeerConflict(f"{peer.party!r} is this terminal's own party, not a peer")
            if own is not None and own.signing_key == peer.signing_key:
                raise PeerConflict(
                    f"the card for {peer.party!r} carries this terminal's own signing key"
                )
            existing = self.get_peer(peer.party)
            if existing is None:
                holder = self.get_peer_by_key(peer.signing_key)
                if holder is not None:
                    raise PeerConflict(
                        f"the signing key of the card for {peer.party!r} already belongs to "
                        f"peer {holder.party!r} (fingerprint {holder.fingerprint}); "
                        "one key cannot speak for two parties"
                    )
                connection.execute(
                    f"INSERT INTO peers ({_PEER_COLUMNS}) "  # noqa: S608
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        peer.party,
                        peer.signing_key,
                        peer.encryption_key,
                        _routes_json(peer.routes),
                        peer.timezone,
                        peer.certificate,
                        peer.card_json,
                        peer.fingerprint,
                        peer.added_at,
                    ),
                )
                return True
            if not existing.same_keys(peer):
                raise PeerConflict(
                    f"peer {peer.party!r} is already known with other keys (fingerprint "
                    f"{existing.fingerprint}); this card has fingerprint {peer.fingerprint}. "
                    "Check the card with the peer out of band: a peer's keys are never "
                    "replaced silently"
                )
            # Same party, same keys: a re-issued card. Keys and added_at stay as first recorded.
            connection.execute(
                "UPDATE peers SET routes = %s, timezone = %s, certificate = %s, card_json = %s, "
                "fingerprint = %s WHERE party = %s",
                (
                    _routes_json(peer.routes),
                    peer.timezone,
                    peer.certificate,
                    peer.card_json,
                    peer.fingerprint,
                    peer.party,
                ),
            )
            return False

    def get_peer(self, party: str) -> PeerRecord | None:
        peers = self._peers("WHERE party = %s", (party,))
        return peers[0] if peers else None

    def get_peer_by_key(self, signing_key: bytes) -> PeerRecord | None:
        peers = self._peers("WHERE signing_key = %s", (signing_key,))
        return peers[0] if peers else None

    def list_peers(self) -> list[PeerRecord]:
        return self._peers("ORDER BY party")

    def last_contact(self, peer: str) -> str | None:
        rows = self._read(
            "read last contact", "SELECT last_contact FROM peers WHERE party = %s", (peer,)
        )
        if not rows:
            return None
        at: str | None = rows[0][0]
        return at

    def set_last_contact(self, peer: str, at: str) -> None:
        check_utc("at", at)
        with self._writing(f"set last contact of {peer!r}") as connection:
            cursor = connection.execute(
                "UPDATE peers SET last_contact = %s WHERE party = %s", (at, peer)
            )
            if cursor.rowcount == 0:
                raise UnknownPeer(f"no peer named {peer!r}")
