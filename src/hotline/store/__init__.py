"""Durable state of a terminal, behind one interface: :class:`Store`.

What is kept: this terminal's party, its peers (from their cards), every
message sent and received with its envelope and receipt, and an append-only,
hash-chained journal. A mutating call is committed to stable storage before it
returns, or, inside ``with store.transaction():``, together with the rest of the
block in one commit. See ``docs/store.md`` for the schema and the rules.

SQLite is the backend today (:class:`SQLiteStore`); :func:`open_store` is how
callers get a store without naming one.
"""

from __future__ import annotations

from hotline.store.base import Store, StoreStatistics
from hotline.store.factory import DATABASE_FILENAME, open_store
from hotline.store.journal import journal_entry_hash
from hotline.store.records import (
    ZERO_HASH,
    Direction,
    JournalEntry,
    MessageRecord,
    MessageState,
    PartyRecord,
    PeerRecord,
)
from hotline.store.schema import SCHEMA_VERSION
from hotline.store.sqlite import SQLiteStore

__all__ = [
    "DATABASE_FILENAME",
    "Direction",
    "JournalEntry",
    "MessageRecord",
    "MessageState",
    "PartyRecord",
    "PeerRecord",
    "SCHEMA_VERSION",
    "SQLiteStore",
    "Store",
    "StoreStatistics",
    "ZERO_HASH",
    "journal_entry_hash",
    "open_store",
]
