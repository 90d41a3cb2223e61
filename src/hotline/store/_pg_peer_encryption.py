"""The PostgreSQL statements behind peers' switched encryption keys (``PEER_ENCRYPTION_KEYS``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_peer_encryption`` (its queries are shared, with ``%s``).
``peer_encryption_keys`` is append-only by trigger.
"""

from __future__ import annotations

from typing import ClassVar

from hotline.store._pg_core import PostgreSQLCore
from hotline.store._sqlite_peer_encryption import PeerEncryptionQueries

__all__ = ["PostgreSQLPeerEncryptionKeyStore"]


class PostgreSQLPeerEncryptionKeyStore(PostgreSQLCore, PeerEncryptionQueries):
    """:class:`~hotline.store.interfaces.PeerEncryptionKeyStore` on PostgreSQL."""

    _P: ClassVar[str] = "%s"
