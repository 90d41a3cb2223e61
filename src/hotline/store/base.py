"""The one interface to durable state, which every backend (SQLite, PostgreSQL) implements.

The daemon and the CLI see only :class:`Store`. It speaks in records and plain
values and says nothing of SQL, files or connections, so a backend can change
without the terminal noticing.

``Store`` is the composition of one abstract class per domain
(:mod:`hotline.store.interfaces`): lifetime and transactions, party and peers,
messages, acknowledgements, journal, alarms, accounts, shift notes, meetings,
calls and presence requests, the record (the Merkle tree over the journal,
checkpoints, cosignatures, evidence of conflicts), and protocol v2's per-peer
state (message-key chains, protocol versions, range delivery), and the releases of
marked messages. Each part states its own
contract; what they all share:

* **Durable on return.** A mutating method has committed (and flushed to stable
  storage) before it returns, unless it runs inside :meth:`Store.transaction`.
* **Group commit.** Inside ``with store.transaction():`` every write shares one
  commit, made when the outermost block exits normally. A block left by an
  exception is rolled back and the exception re-raised. Nested blocks join the
  outer one; if an exception escapes only an inner block (and the caller catches
  it), just that block's writes are undone.
* **All or nothing per call.** A mutating method that raises has changed
  nothing, in or out of a transaction.
* **Errors.** Only :class:`~hotline.errors.StoreError` and its subclasses, plus
  :class:`~hotline.errors.PeerConflict` / :class:`~hotline.errors.UnknownPeer`
  for peer rules.

One writer at a time: the daemon, from one thread, never awaiting inside a
transaction. Readers in other processes (``hotline verify``) see the last
committed state and never a transaction in progress.
"""

from __future__ import annotations

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

__all__ = ["Store", "StoreStatistics"]


class Store(
    TransactionalStore,
    PeerStore,
    MessageStore,
    AcknowledgementStore,
    JournalStore,
    AlarmStore,
    AccountStore,
    ShiftNoteStore,
    MeetingStore,
    CallStore,
    RecordStore,
    ChainStore,
    GroupStore,
    ChannelStore,
    ConferenceStore,
    ReleaseStore,
    StatementStore,
    FencingStore,
    PeerConfirmationStore,
    ChainAdoptionStore,
    PeerKeyStore,
    PeerMasterStore,
    PeerKeyRevocationStore,
    PeerEncryptionKeyStore,
    KeyFileStore,
):
    """Durable state of one terminal: every part of :mod:`hotline.store.interfaces` at once."""
