"""The PostgreSQL statements behind peer key certificates (schema step ``PEER_KEYS``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_peer_keys`` (its queries are shared, with ``%s``).
``peer_key_certificates`` is append-only by trigger.
"""

from __future__ import annotations

from typing import ClassVar

from hotline.store._pg_core import PostgreSQLCore
from hotline.store._sqlite_peer_keys import PeerKeyQueries

__all__ = ["PostgreSQLPeerKeyStore"]


class PostgreSQLPeerKeyStore(PostgreSQLCore, PeerKeyQueries):
    """:class:`~hotline.store.interfaces.PeerKeyStore` on PostgreSQL."""

    _P: ClassVar[str] = "%s"
