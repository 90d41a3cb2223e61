"""Durable state of a terminal, behind one interface: :class:`Store`.

What is kept: this terminal's party, its peers (from their cards), every
message sent and received with its envelope and receipt, an append-only,
hash-chained journal, and the record built over it (the Merkle tree's nodes,
checkpoints, peers' cosignatures and the evidence of conflicts). A mutating
call is committed to stable storage before it returns, or, inside
``with store.transaction():``, together with the rest of the block in one
commit. See ``docs/store.md`` for the schema and the rules.

``Store`` is the composition of one abstract class per domain (peers,
messages, journal, alarms, accounts, calls, …; see :mod:`hotline.store.interfaces`),
each stating its contract; ``hotline.testing.store_conformance`` holds a
backend to them. SQLite is the backend today (:class:`SQLiteStore`);
:func:`open_store` is how callers get a store without naming one. The schema is
an ordered list of migration steps with SQL per dialect (:mod:`hotline.store.schema`).
"""

from __future__ import annotations

from hotline.store._damage import DamagedMessage
from hotline.store._sqlite_migrate import ensure_schema, read_version
from hotline.store.backup import copy_sqlite_database
from hotline.store.base import Store
from hotline.store.factory import DATABASE_FILENAME, open_store
from hotline.store.interfaces import (
    AccountStore,
    AcknowledgementStore,
    AlarmStore,
    CallStore,
    ChainAdoptionStore,
    ChainStore,
    ChannelStore,
    ConferenceStore,
    FencingStore,
    GroupStore,
    JournalStore,
    KeyFileStore,
    MeetingStore,
    MessageStore,
    PeerConfirmationStore,
    PeerEncryptionKeyStore,
    PeerKeyRevocationStore,
    PeerKeyStore,
    PeerMasterStore,
    PeerStore,
    RecordStore,
    ReleaseStore,
    ShiftNoteStore,
    StatementStore,
    StoreStatistics,
    TransactionalStore,
)
from hotline.store.interfaces._adoptions import ChainAdoption
from hotline.store.interfaces._chains import ChainRecord
from hotline.store.interfaces._channels import (
    ChannelMemberRecord,
    ChannelRecord,
    PeerChannelRecord,
)
from hotline.store.interfaces._conferences import (
    CONFERENCE_ANSWERS,
    CONFERENCE_ROLES,
    ConferenceAnswer,
    ConferenceRecord,
    RosterRecord,
)
from hotline.store.interfaces._groups import GroupLink
from hotline.store.interfaces._key_files import KeyFiles
from hotline.store.interfaces._peer_confirmations import (
    CONFIRMATION_METHODS,
    PeerConfirmation,
    PeerRemoval,
)
from hotline.store.interfaces._peer_encryption import PeerEncryptionKey
from hotline.store.interfaces._peer_key_revocations import PeerKeyRevocation
from hotline.store.interfaces._peer_keys import PEER_KEY_KINDS, PeerKeyCertificate
from hotline.store.interfaces._peer_masters import PeerMasterChange
from hotline.store.interfaces._releases import ReleaseRecord
from hotline.store.interfaces._statements import (
    StatementDraftRecord,
    StatementOutcomeRecord,
    StatementSignatureRecord,
)
from hotline.store.journal import (
    JournalChecker,
    journal_entry_hash,
    journal_leaf_data,
    verify_chain,
)
from hotline.store.records import (
    CALL_OUTCOMES,
    CALL_STATES,
    CONFLICT_KINDS,
    ZERO_HASH,
    AckRecord,
    AlarmRecord,
    CallRecord,
    CheckpointRecord,
    CosignatureRecord,
    Direction,
    JournalEntry,
    MeetingRecord,
    MessageRecord,
    MessageState,
    PartyRecord,
    PeerRecord,
    PresenceRecord,
    RecordConflictRecord,
    ShiftNoteRecord,
    UserRecord,
    WitnessedRecord,
    built_journal_entry,
    check_text,
    check_utc,
    normalise_journal_data,
)
from hotline.store.schema import DIALECTS, SCHEMA_VERSION, Migration, pending_migrations
from hotline.store.sqlite import SQLiteStore

__all__ = [
    "AccountStore",
    "AckRecord",
    "AcknowledgementStore",
    "AlarmRecord",
    "AlarmStore",
    "CALL_OUTCOMES",
    "CALL_STATES",
    "CONFERENCE_ANSWERS",
    "CONFERENCE_ROLES",
    "CONFIRMATION_METHODS",
    "CONFLICT_KINDS",
    "CallRecord",
    "CallStore",
    "ChainAdoption",
    "ChainAdoptionStore",
    "ChainRecord",
    "ChainStore",
    "ChannelMemberRecord",
    "ChannelRecord",
    "ChannelStore",
    "CheckpointRecord",
    "ConferenceAnswer",
    "ConferenceRecord",
    "ConferenceStore",
    "CosignatureRecord",
    "DATABASE_FILENAME",
    "DIALECTS",
    "DamagedMessage",
    "Direction",
    "FencingStore",
    "GroupLink",
    "GroupStore",
    "JournalChecker",
    "JournalEntry",
    "JournalStore",
    "KeyFileStore",
    "KeyFiles",
    "MeetingRecord",
    "MeetingStore",
    "MessageRecord",
    "MessageState",
    "MessageStore",
    "Migration",
    "PEER_KEY_KINDS",
    "PartyRecord",
    "PeerChannelRecord",
    "PeerConfirmation",
    "PeerConfirmationStore",
    "PeerEncryptionKey",
    "PeerEncryptionKeyStore",
    "PeerKeyCertificate",
    "PeerKeyRevocation",
    "PeerKeyRevocationStore",
    "PeerKeyStore",
    "PeerMasterChange",
    "PeerMasterStore",
    "PeerRecord",
    "PeerRemoval",
    "PeerStore",
    "PresenceRecord",
    "RecordConflictRecord",
    "RecordStore",
    "ReleaseRecord",
    "ReleaseStore",
    "RosterRecord",
    "SCHEMA_VERSION",
    "SQLiteStore",
    "ShiftNoteRecord",
    "ShiftNoteStore",
    "StatementDraftRecord",
    "StatementOutcomeRecord",
    "StatementSignatureRecord",
    "StatementStore",
    "Store",
    "StoreStatistics",
    "TransactionalStore",
    "UserRecord",
    "WitnessedRecord",
    "ZERO_HASH",
    "built_journal_entry",
    "check_text",
    "check_utc",
    "copy_sqlite_database",
    "ensure_schema",
    "journal_entry_hash",
    "journal_leaf_data",
    "normalise_journal_data",
    "open_store",
    "pending_migrations",
    "read_version",
    "verify_chain",
]
