"""The PostgreSQL statements behind adopted outgoing chain positions (schema step ``CHAIN_ADOPTIONS``).

A mixin of :class:`~hotline.store.PostgreSQLStore`, the counterpart of
``_sqlite_adoptions`` (its queries are shared, with ``%s``). ``chain_adoptions`` is
append-only by trigger.
"""

from __future__ import annotations

from typing import ClassVar

from hotline.store._pg_core import PostgreSQLCore
from hotline.store._sqlite_adoptions import ChainAdoptionQueries

__all__ = ["PostgreSQLChainAdoptionStore"]


class PostgreSQLChainAdoptionStore(PostgreSQLCore, ChainAdoptionQueries):
    """:class:`~hotline.store.interfaces.ChainAdoptionStore` on PostgreSQL."""

    _P: ClassVar[str] = "%s"
