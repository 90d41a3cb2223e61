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
from hotline.store.journal import JournalChecker, journal_entry_hash, verify_chain
from hotline.store.records import (
    CALL_OUTCOMES,
    CALL_STATES,
    ZERO_HASH,
    AckRecord,
    AlarmRecord,
    CallRecord,
    Direction,
    JournalEntry,
    MeetingRecord,
    MessageRecord,
    MessageState,
    PartyRecord,
    PeerRecord,
    PresenceRecord,
    ShiftNoteRecord,
    UserRecord,
    check_utc,
    normalise_journal_data,
)
from hotline.store.schema import SCHEMA_VERSION, Migration, ensure_schema, read_version
from hotline.store.sqlite import SQLiteStore

__all__ = [
    "AckRecord",
    "AlarmRecord",
    "CALL_OUTCOMES",
    "CALL_STATES",
    "CallRecord",
    "DATABASE_FILENAME",
    "Direction",
    "JournalChecker",
    "JournalEntry",
    "MeetingRecord",
    "MessageRecord",
    "MessageState",
    "Migration",
    "PartyRecord",
    "PeerRecord",
    "PresenceRecord",
    "SCHEMA_VERSION",
    "SQLiteStore",
    "ShiftNoteRecord",
    "Store",
    "StoreStatistics",
    "UserRecord",
    "ZERO_HASH",
    "check_utc",
    "ensure_schema",
    "journal_entry_hash",
    "normalise_journal_data",
    "open_store",
    "read_version",
    "verify_chain",
]
