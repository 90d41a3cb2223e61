"""The parts of the :class:`~hotline.store.Store` interface, one abstract class per domain.

``Store`` is all of them together, and the terminal is written against it. A
part names one domain's methods and states that domain's contract in its
docstring; :class:`TransactionalStore` states what every part shares
(durable on return, group commit, all or nothing per call). A backend
implements each part (SQLite does so in one mixin per part) and composes them
with ``Store``; ``hotline.testing.store_conformance`` holds it to the contracts.

Nothing here knows of SQL, files or connections.
"""

from __future__ import annotations

from hotline.store.interfaces._accounts import AccountStore, ShiftNoteStore
from hotline.store.interfaces._adoptions import ChainAdoptionStore
from hotline.store.interfaces._alarms import AlarmStore
from hotline.store.interfaces._calls import CallStore, MeetingStore
from hotline.store.interfaces._chains import ChainStore
from hotline.store.interfaces._channels import ChannelStore
from hotline.store.interfaces._conferences import ConferenceStore
from hotline.store.interfaces._fencing import FencingStore
from hotline.store.interfaces._groups import GroupStore
from hotline.store.interfaces._journal import JournalStore
from hotline.store.interfaces._key_files import KeyFileStore
from hotline.store.interfaces._lifetime import StoreStatistics, TransactionalStore
from hotline.store.interfaces._messages import AcknowledgementStore, MessageStore
from hotline.store.interfaces._peer_confirmations import PeerConfirmationStore
from hotline.store.interfaces._peer_encryption import PeerEncryptionKeyStore
from hotline.store.interfaces._peer_key_revocations import PeerKeyRevocationStore
from hotline.store.interfaces._peer_keys import PeerKeyStore
from hotline.store.interfaces._peer_masters import PeerMasterStore
from hotline.store.interfaces._peers import PeerStore
from hotline.store.interfaces._record import RecordStore
from hotline.store.interfaces._releases import ReleaseStore
from hotline.store.interfaces._statements import StatementStore

__all__ = [
    "AccountStore",
    "AcknowledgementStore",
    "AlarmStore",
    "CallStore",
    "ChainAdoptionStore",
    "ChainStore",
    "ChannelStore",
    "ConferenceStore",
    "FencingStore",
    "GroupStore",
    "JournalStore",
    "KeyFileStore",
    "MeetingStore",
    "MessageStore",
    "PeerConfirmationStore",
    "PeerEncryptionKeyStore",
    "PeerKeyRevocationStore",
    "PeerKeyStore",
    "PeerMasterStore",
    "PeerStore",
    "RecordStore",
    "ReleaseStore",
    "ShiftNoteStore",
    "StatementStore",
    "StoreStatistics",
    "TransactionalStore",
]
