"""The PostgreSQL statements behind peer confirmations and removals (schema step ``PEER_CONFIRMATIONS``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_peer_confirmations`` (its queries are shared, with ``%s``). ``peer_confirmations``
is append-only by trigger; ``confirmed_by`` is UTF-8 ``BYTEA``, as the other
free text an operator types.
"""

from __future__ import annotations

from typing import ClassVar

from hotline.store._pg_core import PostgreSQLCore
from hotline.store._sqlite_peer_confirmations import PeerConfirmationQueries

__all__ = ["PostgreSQLPeerConfirmationStore"]


class PostgreSQLPeerConfirmationStore(PostgreSQLCore, PeerConfirmationQueries):
    """:class:`~hotline.store.interfaces.PeerConfirmationStore` on PostgreSQL."""

    _P: ClassVar[str] = "%s"
    _TEXT_AS_BYTES: ClassVar[bool] = True
