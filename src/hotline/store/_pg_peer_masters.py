"""The PostgreSQL statements behind peers' master changes (schema step ``PEER_MASTERS``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_peer_masters`` (its queries are shared, with ``%s``).
"""

from __future__ import annotations

from typing import ClassVar

from hotline.store._pg_core import PostgreSQLCore
from hotline.store._sqlite_peer_masters import PeerMasterQueries

__all__ = ["PostgreSQLPeerMasterStore"]


class PostgreSQLPeerMasterStore(PostgreSQLCore, PeerMasterQueries):
    """:class:`~hotline.store.interfaces.PeerMasterStore` on PostgreSQL."""

    _P: ClassVar[str] = "%s"
