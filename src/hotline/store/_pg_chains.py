"""The PostgreSQL statements behind protocol v2's per-peer state (schema migration 7).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_chains``: ``chains`` (one row per peer and direction, replaced in
place), ``peer_protocols``, and range delivery on ``messages``.
"""

from __future__ import annotations

from hotline.errors import StoreError, UnknownPeer
from hotline.store._pg_core import PostgreSQLCore
from hotline.store._pg_messages import decode_text
from hotline.store._sqlite_chains import _check_range, _serial
from hotline.store.interfaces._chains import ChainRecord, ChainStore
from hotline.store.records import Direction, check_utc

__all__ = ["PostgreSQLChainStore"]

_UPSERT_CHAIN = (
    "INSERT INTO chains (peer, direction, epoch, idx, key) VALUES (%s, %s, %s, %s, %s) "
    "ON CONFLICT (peer, direction) DO UPDATE SET "
    "epoch = EXCLUDED.epoch, idx = EXCLUDED.idx, key = EXCLUDED.key"
)
_UPSERT_PROTOCOL = (
    "INSERT INTO peer_protocols (peer, version) VALUES (%s, %s) "
    "ON CONFLICT (peer) DO UPDATE SET version = EXCLUDED.version"
)
_HASHES = (
    "SELECT envelope_hash FROM messages WHERE peer = %s AND direction = %s "
    "AND serial BETWEEN %s AND %s ORDER BY serial"
)
# The partial index messages_pending covers exactly these rows.
_DELIVER = (
    "UPDATE messages SET state = 'delivered', receipt = %s, delivered_at = %s, "
    "transmitted_at = coalesce(transmitted_at, %s) "
    "WHERE peer = %s AND direction = 'out' AND receipt IS NULL AND serial BETWEEN %s AND %s "
    "RETURNING id, serial"
)


class PostgreSQLChainStore(PostgreSQLCore, ChainStore):
    """:class:`~hotline.store.interfaces.ChainStore` on ``chains``, ``peer_protocols``, ``messages``."""

    def _known_peer(self, peer: str) -> None:
        if not self._read("read a peer", "SELECT 1 FROM peers WHERE party = %s", (peer,)):
            raise UnknownPeer(f"no peer named {peer!r}")

    def chain(self, peer: str, direction: Direction) -> ChainRecord | None:
        rows = self._read(
            "read a chain",
            "SELECT epoch, idx, key FROM chains WHERE peer = %s AND direction = %s",
            (peer, str(direction)),
        )
        if not rows:
            return None
        epoch, index, key = rows[0]
        return ChainRecord(epoch=int(epoch), index=int(index), key=bytes(key))

    def set_chain(self, peer: str, direction: Direction, chain: ChainRecord) -> None:
        if type(chain.epoch) is not int or chain.epoch < 1:
            raise StoreError(f"chain epoch must be an int >= 1, not {chain.epoch!r}")
        if type(chain.index) is not int or chain.index < 0:
            raise StoreError(f"chain index must be an int >= 0, not {chain.index!r}")
        if type(chain.key) is not bytes or len(chain.key) != 32:
            raise StoreError("chain key must be 32 bytes")
        self._known_peer(peer)
        self._write_one(
            f"store the {direction} chain of {peer}",
            _UPSERT_CHAIN,
            (peer, str(direction), chain.epoch, chain.index, chain.key),
        )

    def peer_protocol(self, peer: str) -> int:
        rows = self._read(
            "read a peer's protocol",
            "SELECT version FROM peer_protocols WHERE peer = %s",
            (peer,),
        )
        return int(rows[0][0]) if rows else 1

    def set_peer_protocol(self, peer: str, version: int) -> None:
        if type(version) is not int or version < 1:
            raise StoreError(f"protocol version must be an int >= 1, not {version!r}")
        self._known_peer(peer)
        self._write_one(f"store the protocol of {peer}", _UPSERT_PROTOCOL, (peer, version))

    def envelope_hashes(
        self, peer: str, direction: Direction, first_serial: int, last_serial: int
    ) -> list[bytes]:
        _check_range(first_serial, last_serial)
        rows = self._read(
            "read envelope hashes", _HASHES, (peer, str(direction), first_serial, last_serial)
        )
        return [bytes(row[0]) for row in rows]

    def deliver_range(
        self,
        peer: str,
        first_serial: int,
        last_serial: int,
        *,
        receipt: bytes,
        delivered_at: str,
        transmitted_at: str | None = None,
    ) -> list[tuple[str, int]]:
        _check_range(first_serial, last_serial)
        check_utc("delivered_at", delivered_at)
        if transmitted_at is not None:
            check_utc("transmitted_at", transmitted_at)
        if not isinstance(receipt, bytes) or not receipt:
            raise StoreError("receipt must be non-empty bytes")
        with self._writing(f"store a receipt from {peer}") as connection:
            rows = connection.execute(
                _DELIVER,
                (receipt, delivered_at, transmitted_at, peer, first_serial, last_serial),
            ).fetchall()
        # RETURNING gives no order guarantee.
        return sorted(
            ((decode_text("id", message_id), int(serial)) for message_id, serial in rows),
            key=_serial,
        )
