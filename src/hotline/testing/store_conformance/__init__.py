"""The Store conformance suite: the contract tests every backend of ``hotline.store`` must pass.

A backend runs the whole suite by naming a factory. In its test module::

    import pytest
    from hotline.testing.store_conformance import *  # noqa: F403

    @pytest.fixture
    def store_factory(tmp_path):
        return lambda: SQLiteStore.open(tmp_path / "hotline.db")

``store_factory`` returns a :data:`StoreFactory`: each call opens a new store on
the same database, fresh for each test, so the suite can close and reopen it
and write from two stores at once. The star import brings in the test classes
(one per part of :mod:`hotline.store.interfaces`), the fixtures ``store`` and
``peered`` they take, and the record factories (``make_message``, …) for a
backend's own tests.

This package imports pytest and hypothesis: it needs the ``dev`` extra
(``pip install hotline[dev]``) and is never imported by hotline itself. Call
``pytest.register_assert_rewrite("hotline.testing.store_conformance")`` in the
backend's ``conftest.py``, before anything imports it, so that a failing
assertion shows its values.
"""

from __future__ import annotations

from hotline.testing.store_conformance._accounts import TestAccounts, TestShiftNotes
from hotline.testing.store_conformance._adoptions import TestChainAdoptions
from hotline.testing.store_conformance._alarms import TestAlarms
from hotline.testing.store_conformance._calls import TestCalls, TestMeetings, TestPresence
from hotline.testing.store_conformance._chains import TestChains
from hotline.testing.store_conformance._channels import TestChannels
from hotline.testing.store_conformance._conferences import TestConferences
from hotline.testing.store_conformance._damage import DamageRow, TestDamagedRows
from hotline.testing.store_conformance._fencing import TestFencing
from hotline.testing.store_conformance._fixtures import (
    T0,
    StoreFactory,
    at,
    burst,
    fill,
    make_ack,
    make_alarm,
    make_call,
    make_meeting,
    make_message,
    make_note,
    make_party,
    make_peer,
    make_user,
    peered,
    snapshot,
    store,
)
from hotline.testing.store_conformance._groups import TestGroups
from hotline.testing.store_conformance._journal import TestJournal
from hotline.testing.store_conformance._key_files import TestKeyFiles
from hotline.testing.store_conformance._lifetime import (
    TestInterface,
    TestLifetime,
    TestTransactions,
)
from hotline.testing.store_conformance._messages import (
    TestAcknowledgements,
    TestIncoming,
    TestMessageRoundTrip,
    TestOutgoing,
    TestQueries,
    iterate_while_writing,
)
from hotline.testing.store_conformance._peer_confirmations import TestPeerConfirmations
from hotline.testing.store_conformance._peer_encryption import TestPeerEncryptionKeys
from hotline.testing.store_conformance._peer_key_revocations import TestPeerKeyRevocations
from hotline.testing.store_conformance._peer_keys import TestPeerKeys
from hotline.testing.store_conformance._peer_masters import TestPeerMasters
from hotline.testing.store_conformance._peers import TestParty, TestPeers
from hotline.testing.store_conformance._record import (
    TestCheckpoints,
    TestCosignatures,
    TestRecordConflicts,
    TestRecordTree,
    TestWitnessed,
    make_checkpoint,
    make_conflict,
    make_cosignature,
    make_witnessed,
    perfect_nodes,
)
from hotline.testing.store_conformance._releases import TestReleases
from hotline.testing.store_conformance._statements import TestStatements

__all__ = [
    "DamageRow",
    "StoreFactory",
    "T0",
    "TestAccounts",
    "TestAcknowledgements",
    "TestAlarms",
    "TestCalls",
    "TestChainAdoptions",
    "TestChains",
    "TestChannels",
    "TestCheckpoints",
    "TestConferences",
    "TestCosignatures",
    "TestDamagedRows",
    "TestFencing",
    "TestGroups",
    "TestIncoming",
    "TestInterface",
    "TestJournal",
    "TestKeyFiles",
    "TestLifetime",
    "TestMeetings",
    "TestMessageRoundTrip",
    "TestOutgoing",
    "TestParty",
    "TestPeerConfirmations",
    "TestPeerEncryptionKeys",
    "TestPeerKeyRevocations",
    "TestPeerKeys",
    "TestPeerMasters",
    "TestPeers",
    "TestPresence",
    "TestQueries",
    "TestRecordConflicts",
    "TestRecordTree",
    "TestReleases",
    "TestShiftNotes",
    "TestStatements",
    "TestTransactions",
    "TestWitnessed",
    "at",
    "burst",
    "fill",
    "iterate_while_writing",
    "make_ack",
    "make_alarm",
    "make_call",
    "make_checkpoint",
    "make_conflict",
    "make_cosignature",
    "make_meeting",
    "make_message",
    "make_note",
    "make_party",
    "make_peer",
    "make_user",
    "make_witnessed",
    "peered",
    "perfect_nodes",
    "snapshot",
    "store",
]
