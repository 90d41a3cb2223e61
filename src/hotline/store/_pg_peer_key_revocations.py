"""The PostgreSQL statements behind peer key revocations (schema step ``PEER_KEY_REVOCATIONS``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_peer_key_revocations`` (its queries are shared, with ``%s``).
``peer_key_revocations`` is append-only by trigger.
"""

from __future__ import annotations

from typing import ClassVar

from hotline.store._pg_core import PostgreSQLCore
from hotline.store._sqlite_peer_key_revocations import PeerKeyRevocationQueries

__all__ = ["PostgreSQLPeerKeyRevocationStore"]


class PostgreSQLPeerKeyRevocationStore(PostgreSQLCore, PeerKeyRevocationQueries):
    """:class:`~hotline.store.interfaces.PeerKeyRevocationStore` on PostgreSQL."""

    _P: ClassVar[str] = "%s"
