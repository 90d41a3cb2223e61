"""SQLiteStore: every method, group commit, durability, concurrent readers, the journal."""

from __future__ import annotations

import itertools
import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.errors import (
    AlreadyInitialised,
    NotInitialised,
    PeerConflict,
    StoreError,
    UnknownPeer,
)
from hotline.store import (
    ZERO_HASH,
    Direction,
    MessageRecord,
    MessageState,
    SQLiteStore,
    _sqlite_journal,
    _sqlite_messages,
    journal_entry_hash,
)
from hotline.utc import format_utc

from .factories import T0, at, commits, make_message, make_party, make_peer

# -- opening ------------------------------------------------------------------------


def test_open_creates_and_open_existing_requires(db_path: Path) -> None:
    with pytest.raises(NotInitialised):
        SQLiteStore.open_existing(db_path)
    assert not db_path.exists()  # refusing did not leave an empty file behind
    SQLiteStore.open(db_path).close()
    assert db_path.is_file()
    store = SQLiteStore.open_existing(db_path)
    assert store.path == db_path
    store.close()


def test_open_in_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unable to open"):
        SQLiteStore.open(tmp_path / "no" / "such" / "hotline.db")


def test_pragmas(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        opened.append(real_connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(sqlite3, "connect", connect)
    store = SQLiteStore.open(db_path)
    (connection,) = opened

    def pragma(name: str) -> Any:
        return connection.execute(f"PRAGMA {name}").fetchone()[0]

    assert pragma("journal_mode") == "wal"
    assert pragma("synchronous") == 2  # FULL
    assert pragma("foreign_keys") == 1
    assert pragma("busy_timeout") == 5000
    assert connection.isolation_level is None
    store.close()


def test_close_is_final_and_idempotent(store: SQLiteStore) -> None:
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get_party()
    with pytest.raises(StoreError, match="closed"), store.transaction():
        pass


def test_context_manager_closes(db_path: Path) -> None:
    with SQLiteStore.open(db_path) as store:
        store.set_party(make_party())
    with pytest.raises(StoreError, match="closed"):
        store.get_party()


# -- own party ------------------------------------------------------------------------


def test_party_set_once(store: SQLiteStore) -> None:
    assert store.get_party() is None
    store.set_party(make_party())
    assert store.get_party() == make_party()
    with pytest.raises(AlreadyInitialised, match="washington"):
        store.set_party(make_party(party="ottawa"))
    assert store.get_party() == make_party()


def test_party_may_not_be_a_peer(store: SQLiteStore) -> None:
    store.add_peer(make_peer("moscow"))
    with pytest.raises(PeerConflict, match="moscow"):
        store.set_party(make_party(party="moscow"))
    assert store.get_party() is None


# -- peers ----------------------------------------------------------------------------


def test_add_and_get_peers(store: SQLiteStore) -> None:
    moscow, beijing = make_peer("moscow"), make_peer("beijing")
    assert store.add_peer(moscow) is True
    assert store.add_peer(beijing) is True
    assert store.get_peer("moscow") == moscow
    assert store.get_peer("paris") is None
    assert store.get_peer_by_key(beijing.signing_key) == beijing
    assert store.get_peer_by_key(b"\x00" * 32) is None
    assert store.list_peers() == [beijing, moscow]  # by party name


def test_re_adding_same_keys_updates_the_card(store: SQLiteStore) -> None:
    first = make_peer("moscow")
    store.add_peer(first)
    reissued = replace(
        first,
        routes=("new.example.net:7443",),
        timezone="Europe/Samara",
        certificate=b"renewed certificate",
        card_json='{"party": "moscow", "v": 2}',
        added_at=at(50),
    )
    assert store.add_peer(reissued) is False
    stored = store.get_peer("moscow")
    assert stored == replace(reissued, added_at=first.added_at)  # added_at stays the first


def test_same_name_other_keys_conflicts(store: SQLiteStore) -> None:
    store.add_peer(make_peer("moscow"))
    impostor = make_peer("moscow", signing_key=b"K" * 32, fingerprint="ff00ff00")
    with pytest.raises(PeerConflict) as caught:
        store.add_peer(impostor)
    text = str(caught.value)
    assert "'moscow'" in text
    assert "other keys" in text
    assert make_peer("moscow").fingerprint in text
    assert "ff00ff00" in text
    # Only the encryption key differing is a conflict too.
    with pytest.raises(PeerConflict):
        store.add_peer(make_peer("moscow", encryption_key=b"E" * 32))
    assert store.get_peer("moscow") == make_peer("moscow")


def test_same_key_other_name_conflicts(store: SQLiteStore) -> None:
    store.add_peer(make_peer("moscow"))
    twin = make_peer("leningrad", signing_key=make_peer("moscow").signing_key)
    with pytest.raises(PeerConflict, match="already belongs to peer 'moscow'"):
        store.add_peer(twin)
    assert store.get_peer("leningrad") is None


def test_own_party_is_not_a_peer(store: SQLiteStore) -> None:
    store.set_party(make_party())
    with pytest.raises(PeerConflict, match="own party"):
        store.add_peer(make_peer("washington"))
    with pytest.raises(PeerConflict, match="own signing key"):
        store.add_peer(make_peer("ottawa", signing_key=make_party().signing_key))
    assert store.list_peers() == []


def test_last_contact(peered: SQLiteStore) -> None:
    assert peered.last_contact("moscow") is None
    assert peered.last_contact("paris") is None
    peered.set_last_contact("moscow", at(5))
    peered.set_last_contact("moscow", at(9))
    assert peered.last_contact("moscow") == at(9)
    assert peered.last_contact("beijing") is None
    with pytest.raises(UnknownPeer, match="paris"):
        peered.set_last_contact("paris", at(1))
    with pytest.raises(StoreError, match="at"):
        peered.set_last_contact("moscow", "now")
    # The card itself is untouched by contact times.
    assert peered.get_peer("moscow") == make_peer("moscow")


# -- outgoing -------------------------------------------------------------------------


def test_outgoing_serials_chain(peered: SQLiteStore) -> None:
    assert peered.next_outgoing_serial("moscow") == (1, ZERO_HASH)
    first = make_message(1)
    peered.add_outgoing(first)
    assert peered.next_outgoing_serial("moscow") == (2, first.envelope_hash)
    second = make_message(2)
    peered.add_outgoing(second)
    assert peered.next_outgoing_serial("moscow") == (3, second.envelope_hash)
    # Serials are per peer, and incoming ones do not count.
    assert peered.next_outgoing_serial("beijing") == (1, ZERO_HASH)
    peered.add_incoming(make_message(1, Direction.IN))
    assert peered.next_outgoing_serial("moscow")[0] == 3


@pytest.mark.parametrize(
    ("message", "error", "match"),
    [
        (make_message(2), StoreError, "must be 1, not 2"),
        (make_message(1, Direction.IN), StoreError, "is in, not out"),
        (make_message(1, peer="paris"), UnknownPeer, "paris"),
    ],
)
def test_add_outgoing_refuses(
    peered: SQLiteStore, message: MessageRecord, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        peered.add_outgoing(message)
    assert peered.list_messages() == []


def test_add_outgoing_refuses_repeats(peered: SQLiteStore) -> None:
    peered.add_outgoing(make_message(1))
    with pytest.raises(StoreError, match="must be 2, not 1; serial 1 is already held"):
        peered.add_outgoing(make_message(1, id="another"))
    with pytest.raises(StoreError, match="already stored"):
        peered.add_outgoing(make_message(2, id="moscow-out-1"))
    with pytest.raises(StoreError, match="MessageRecord"):
        peered.add_outgoing("not a record")  # type: ignore[arg-type]
    assert [m.id for m in peered.list_messages()] == ["moscow-out-1"]


def test_mark_transmitted(peered: SQLiteStore) -> None:
    peered.add_outgoing(make_message(1))
    peered.mark_transmitted("moscow-out-1", at(20))
    sent = peered.get_message("moscow-out-1")
    assert sent is not None
    assert (sent.state, sent.transmitted_at) == (MessageState.SENT, at(20))
    peered.mark_transmitted("moscow-out-1", at(30))  # the first write's time stays
    assert peered.get_message("moscow-out-1") == sent
    peered.add_delivery_receipt("moscow-out-1", b"receipt", at(40))
    peered.mark_transmitted("moscow-out-1", at(50))
    delivered = peered.get_message("moscow-out-1")
    assert delivered is not None
    assert (delivered.state, delivered.transmitted_at) == (MessageState.DELIVERED, at(20))


def test_mark_transmitted_refuses(peered: SQLiteStore) -> None:
    peered.add_incoming(make_message(1, Direction.IN))
    with pytest.raises(StoreError, match="no message"):
        peered.mark_transmitted("nope", T0)
    with pytest.raises(StoreError, match="incoming"):
        peered.mark_transmitted("moscow-in-1", T0)
    peered.add_outgoing(make_message(1))
    with pytest.raises(StoreError, match="at"):
        peered.mark_transmitted("moscow-out-1", "2026-11-22")
    assert peered.get_message("moscow-out-1") == make_message(1)


def test_delivery_receipt_once(peered: SQLiteStore) -> None:
    peered.add_outgoing(make_message(1))
    assert peered.add_delivery_receipt("moscow-out-1", b"first receipt", at(7)) is True
    assert peered.add_delivery_receipt("moscow-out-1", b"second receipt", at(8)) is False
    stored = peered.get_message("moscow-out-1")
    assert stored == replace(
        make_message(1),
        state=MessageState.DELIVERED,
        receipt=b"first receipt",
        delivered_at=at(7),
    )


def test_a_delivery_receipt_carries_a_sent_mark_not_yet_written(peered: SQLiteStore) -> None:
    peered.add_outgoing(make_message(1))
    peered.add_delivery_receipt("moscow-out-1", b"receipt", at(7), transmitted_at=at(5))
    stored = peered.get_message("moscow-out-1")
    assert stored is not None
    assert (stored.state, stored.transmitted_at, stored.delivered_at) == (
        MessageState.DELIVERED,
        at(5),
        at(7),
    )
    peered.add_outgoing(make_message(2))
    peered.mark_transmitted("moscow-out-2", at(10))  # a mark already written stays
    peered.add_delivery_receipt("moscow-out-2", b"receipt", at(12), transmitted_at=at(11))
    second = peered.get_message("moscow-out-2")
    assert second is not None
    assert second.transmitted_at == at(10)
    with pytest.raises(StoreError, match="transmitted_at"):
        peered.add_delivery_receipt("moscow-out-2", b"r", at(13), transmitted_at="soon")


def test_delivery_receipt_refuses(peered: SQLiteStore) -> None:
    peered.add_outgoing(make_message(1))
    peered.add_incoming(make_message(1, Direction.IN))
    with pytest.raises(StoreError, match="no message"):
        peered.add_delivery_receipt("nope", b"r", T0)
    with pytest.raises(StoreError, match="incoming"):
        peered.add_delivery_receipt("moscow-in-1", b"r", T0)
    with pytest.raises(StoreError, match="receipt"):
        peered.add_delivery_receipt("moscow-out-1", b"", T0)
    with pytest.raises(StoreError, match="delivered_at"):
        peered.add_delivery_receipt("moscow-out-1", b"r", "soon")
    assert peered.get_message("moscow-out-1") == make_message(1)


def test_has_message(peered: SQLiteStore) -> None:
    assert not peered.has_message("moscow-out-1")
    peered.add_outgoing(make_message(1))
    peered.add_incoming(make_message(1, Direction.IN))
    assert peered.has_message("moscow-out-1")
    assert peered.has_message("moscow-in-1")
    assert not peered.has_message("nope")


def test_outgoing_ref(peered: SQLiteStore) -> None:
    message = make_message(1)
    peered.add_outgoing(message)
    peered.add_incoming(make_message(1, Direction.IN))
    assert peered.outgoing_ref("moscow-out-1") == ("moscow", 1, message.envelope_hash)
    assert peered.outgoing_ref("moscow-in-1") is None  # incoming: nothing to receipt
    assert peered.outgoing_ref("nope") is None


def test_pending_outgoing(peered: SQLiteStore) -> None:
    for serial in range(1, 6):
        peered.add_outgoing(make_message(serial))
        peered.add_outgoing(make_message(serial, peer="beijing"))
    peered.mark_transmitted("moscow-out-1", T0)
    peered.add_delivery_receipt("moscow-out-2", b"r", T0)
    peered.add_delivery_receipt("moscow-out-4", b"r", T0)

    def serials(**kwargs: Any) -> list[int]:
        return [m.serial for m in peered.pending_outgoing("moscow", **kwargs)]

    assert serials() == [1, 3, 5]  # SENT still waits for its receipt
    assert serials(after_serial=1) == [3, 5]
    assert serials(after_serial=3, limit=5) == [5]
    assert serials(limit=2) == [1, 3]
    assert serials(limit=0) == []
    assert peered.count_pending("moscow") == 3
    assert peered.count_pending("beijing") == 5
    assert peered.count_pending("paris") == 0
    assert all(m.peer == "moscow" for m in peered.pending_outgoing("moscow"))
    with pytest.raises(StoreError, match="limit"):
        peered.pending_outgoing("moscow", limit=-1)
    with pytest.raises(StoreError, match="after_serial"):
        peered.pending_outgoing("moscow", after_serial=-1)


def test_outgoing_after_includes_receipted_messages(peered: SQLiteStore) -> None:
    for serial in range(1, 6):
        peered.add_outgoing(make_message(serial))
        peered.add_outgoing(make_message(serial, peer="beijing"))
    peered.add_delivery_receipt("moscow-out-2", b"r", T0)
    peered.add_delivery_receipt("moscow-out-3", b"r", T0)

    def serials(**kwargs: Any) -> list[int]:
        return [m.serial for m in peered.outgoing_after("moscow", **kwargs)]

    assert serials(after_serial=0) == [1, 2, 3, 4, 5]
    assert serials(after_serial=1, limit=2) == [2, 3]
    assert serials(after_serial=5) == []
    assert [m.receipt for m in peered.outgoing_after("moscow", after_serial=1, limit=2)] == [
        b"r",
        b"r",
    ]
    assert peered.outgoing_after("paris", after_serial=0) == []
    with pytest.raises(StoreError, match="after_serial"):
        peered.outgoing_after("moscow", after_serial=-1)


# -- incoming -------------------------------------------------------------------------


def test_incoming_serials(peered: SQLiteStore) -> None:
    assert peered.last_incoming("moscow") == (0, ZERO_HASH)
    first = make_message(1, Direction.IN)
    peered.add_incoming(first)
    assert peered.last_incoming("moscow") == (1, first.envelope_hash)
    with pytest.raises(StoreError, match="incoming serial for 'moscow' must be 2, not 3"):
        peered.add_incoming(make_message(3, Direction.IN))
    with pytest.raises(StoreError, match="already held"):
        peered.add_incoming(make_message(1, Direction.IN, id="replayed"))
    with pytest.raises(StoreError, match="is out, not in"):
        peered.add_incoming(make_message(2))
    with pytest.raises(UnknownPeer):
        peered.add_incoming(make_message(1, Direction.IN, peer="paris"))
    second = make_message(2, Direction.IN)
    peered.add_incoming(second)
    assert peered.last_incoming("moscow") == (2, second.envelope_hash)
    assert peered.last_incoming("beijing") == (0, ZERO_HASH)
    assert peered.get_incoming_by_serial("moscow", 1) == first
    assert peered.get_incoming_by_serial("moscow", 2) == second
    assert peered.get_incoming_by_serial("moscow", 3) is None
    assert peered.get_incoming_by_serial("beijing", 1) is None
    # An outgoing message at the same serial is not an incoming one.
    peered.add_outgoing(make_message(1))
    assert peered.get_incoming_by_serial("moscow", 1) == first


# -- queries --------------------------------------------------------------------------


def test_list_messages_newest_first(peered: SQLiteStore) -> None:
    peered.add_outgoing(make_message(1, created_at=at(10)))
    peered.add_incoming(make_message(1, Direction.IN, created_at=at(30)))
    peered.add_outgoing(make_message(2, created_at=at(20)))
    peered.add_outgoing(make_message(3, created_at=at(20)))  # same time: higher serial first
    peered.add_outgoing(make_message(1, peer="beijing", created_at=at(40)))

    def ids(**kwargs: Any) -> list[str]:
        return [m.id for m in peered.list_messages(**kwargs)]

    assert ids() == [
        "beijing-out-1",
        "moscow-in-1",
        "moscow-out-3",
        "moscow-out-2",
        "moscow-out-1",
    ]
    assert ids(peer="moscow", limit=2) == ["moscow-in-1", "moscow-out-3"]
    assert ids(direction=Direction.OUT, peer="moscow") == [
        "moscow-out-3",
        "moscow-out-2",
        "moscow-out-1",
    ]
    assert ids(direction=Direction.IN) == ["moscow-in-1"]
    assert ids(peer="paris") == []
    assert ids(limit=0) == []
    with pytest.raises(StoreError, match="direction"):
        peered.list_messages(direction="up")  # type: ignore[arg-type]


def test_get_message(peered: SQLiteStore) -> None:
    assert peered.get_message("moscow-out-1") is None
    peered.add_outgoing(make_message(1))
    assert peered.get_message("moscow-out-1") == make_message(1)


def test_iter_messages_pages(peered: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sqlite_messages, "_PAGE", 2)
    with peered.transaction():
        for serial in range(1, 6):
            peered.add_outgoing(make_message(serial))
            peered.add_incoming(make_message(serial, Direction.IN))
    out = list(peered.iter_messages(peer="moscow", direction=Direction.OUT))
    assert out == [make_message(serial) for serial in range(1, 6)]
    incoming = [m.serial for m in peered.iter_messages(peer="moscow", direction=Direction.IN)]
    assert incoming == [1, 2, 3, 4, 5]
    assert list(peered.iter_messages(peer="beijing", direction=Direction.OUT)) == []
    with pytest.raises(StoreError, match="direction"):
        peered.iter_messages(peer="moscow", direction="both")  # type: ignore[arg-type]


def test_iterating_while_writing(peered: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # The daemon may append while a verify walks the same connection's data.
    monkeypatch.setattr(_sqlite_messages, "_PAGE", 2)
    for serial in range(1, 4):
        peered.add_outgoing(make_message(serial))
    seen = []
    for message in peered.iter_messages(peer="moscow", direction=Direction.OUT):
        seen.append(message.serial)
        if message.serial == 1:
            peered.add_outgoing(make_message(4))
            peered.add_delivery_receipt("moscow-out-3", b"r", T0)
    assert seen == [1, 2, 3, 4]


# -- journal --------------------------------------------------------------------------


def test_journal_appends_a_chain(store: SQLiteStore) -> None:
    assert store.journal_head() == ZERO_HASH
    assert list(store.iter_journal()) == []
    assert store.verify_journal() is None
    first = store.append_journal(kind="terminal.init", at=at(1), data={"party": "washington"})
    second = store.append_journal(kind="peer.added", at=at(2), data={"peers": ("moscow",)})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == ZERO_HASH
    assert first.hash == journal_entry_hash(1, at(1), "terminal.init", first.data, ZERO_HASH)
    assert second.prev_hash == first.hash
    assert second.data == {"peers": ["moscow"]}
    assert store.journal_head() == second.hash
    assert list(store.iter_journal()) == [first, second]
    assert store.verify_journal() is None


def test_journal_head_follows_another_writer(store: SQLiteStore, db_path: Path) -> None:
    # The store remembers the head it appended last; an entry appended meanwhile by
    # another connection makes the schema refuse the stale head, and the append
    # reads the head again instead of failing.
    store.append_journal(kind="a", at=at(1), data={})
    other = SQLiteStore.open_existing(db_path)
    try:
        by_other = other.append_journal(kind="b", at=at(2), data={})
    finally:
        other.close()
    assert store.journal_head() == by_other.hash  # outside a transaction: read, not remembered
    third = store.append_journal(kind="c", at=at(3), data={})
    assert (third.seq, third.prev_hash) == (3, by_other.hash)
    assert store.verify_journal() is None


def test_journal_head_forgets_a_rolled_back_entry(store: SQLiteStore) -> None:
    first = store.append_journal(kind="a", at=at(1), data={})
    seen: list[bytes] = []

    def append_then_fail() -> None:
        with store.transaction():
            seen.append(store.append_journal(kind="b", at=at(2), data={}).hash)
            seen.append(store.journal_head())  # inside its own transaction
            raise RuntimeError("abandon")

    with pytest.raises(RuntimeError):
        append_then_fail()
    assert seen[0] == seen[1]
    assert store.journal_head() == first.hash
    with store.transaction():
        with pytest.raises(RuntimeError):
            append_then_fail()  # here a savepoint, undone inside the outer transaction
        assert store.journal_head() == first.hash
        second = store.append_journal(kind="c", at=at(3), data={})
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert store.verify_journal() is None


def test_journal_refuses_bad_entries(store: SQLiteStore) -> None:
    store.append_journal(kind="ok", at=T0, data={})
    for kwargs in (
        {"kind": "x", "at": T0, "data": {"ratio": 0.5}},
        {"kind": "", "at": T0, "data": {}},
        {"kind": "x", "at": "noon", "data": {}},
        {"kind": "x", "at": T0, "data": {1: "int key"}},
    ):
        with pytest.raises(StoreError):
            store.append_journal(**kwargs)  # type: ignore[arg-type]
    assert [entry.kind for entry in store.iter_journal()] == ["ok"]


def test_journal_keeps_data_exactly(store: SQLiteStore) -> None:
    data = {"big": 2**80, "neg": -1, "flag": False, "none": None, "text": "Zürich\x00✓", "n": []}
    entry = store.append_journal(kind="k", at=T0, data=data)
    (stored,) = store.iter_journal()
    assert stored == entry
    assert stored.data == data
    assert store.verify_journal() is None


def _journal_of(store: SQLiteStore, count: int) -> None:
    for n in range(1, count + 1):
        store.append_journal(kind="tick", at=at(n), data={"n": n})


def test_tampered_journal_row_is_found(store: SQLiteStore, raw: sqlite3.Connection) -> None:
    _journal_of(store, 5)
    raw.execute("DROP TRIGGER journal_no_update")
    raw.execute("""UPDATE journal SET data = '{"n":33}' WHERE seq = 3""")
    assert store.verify_journal() == "journal seq 3: hash does not match the entry's contents"


def test_rehashed_journal_row_is_found(store: SQLiteStore, raw: sqlite3.Connection) -> None:
    _journal_of(store, 5)
    raw.execute("DROP TRIGGER journal_no_update")
    (prev,) = raw.execute("SELECT prev_hash FROM journal WHERE seq = 3").fetchone()
    forged = journal_entry_hash(3, at(3), "tick", {"n": 33}, prev)
    raw.execute(
        """UPDATE journal SET data = '{"n":33}', hash = ? WHERE seq = 3""",
        (forged,),
    )
    assert store.verify_journal() == "journal seq 4: prev_hash does not match the hash of seq 3"


def test_deleted_journal_row_is_found(store: SQLiteStore, raw: sqlite3.Connection) -> None:
    _journal_of(store, 5)
    raw.execute("DROP TRIGGER journal_no_delete")
    raw.execute("DELETE FROM journal WHERE seq = 2")
    assert store.verify_journal() == "journal seq 2: missing (the next entry present is seq 3)"


def test_unreadable_journal_row_is_found(store: SQLiteStore, raw: sqlite3.Connection) -> None:
    _journal_of(store, 4)
    raw.execute("DROP TRIGGER journal_no_update")
    raw.execute("UPDATE journal SET data = '{not json' WHERE seq = 4")
    problem = store.verify_journal()
    assert problem is not None
    assert problem.startswith("journal seq 4: unreadable row")
    with pytest.raises(StoreError, match="seq 4"):
        list(store.iter_journal())


def test_journal_verify_pages(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sqlite_journal, "_PAGE", 2)
    _journal_of(store, 7)
    assert [entry.seq for entry in store.iter_journal()] == list(range(1, 8))
    assert store.verify_journal() is None


# -- transactions: group commit -----------------------------------------------------------


def _burst(store: SQLiteStore, count: int) -> None:
    """What the daemon does for a burst of received envelopes."""
    for _ in range(count):
        serial, _prev = store.last_incoming("moscow")
        message = make_message(serial + 1, Direction.IN)
        store.add_incoming(message)
        store.append_journal(kind="message.received", at=T0, data={"id": message.id})
    store.set_last_contact("moscow", T0)


def _count(connection: sqlite3.Connection, table: str) -> int:
    count: int = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return count


def test_group_commit_is_one_commit(
    traced_store: SQLiteStore, sql_trace: list[str], raw: sqlite3.Connection
) -> None:
    sql_trace.clear()
    before = traced_store.statistics()
    with traced_store.transaction():
        _burst(traced_store, 10)
        # Another connection sees none of it yet: nothing was committed.
        assert _count(raw, "messages") == 0
        assert _count(raw, "journal") == 0
    assert commits(sql_trace) == 1
    assert traced_store.statistics().commits == before.commits + 1
    assert _count(raw, "messages") == 10
    assert _count(raw, "journal") == 10


def test_without_a_transaction_each_write_commits(
    traced_store: SQLiteStore, sql_trace: list[str], raw: sqlite3.Connection
) -> None:
    sql_trace.clear()
    before = traced_store.statistics()
    traced_store.add_incoming(make_message(1, Direction.IN))
    # Durable on return: a separate connection already sees the row.
    assert _count(raw, "messages") == 1
    _burst(traced_store, 3)  # 3 messages + 3 journal entries + last contact
    assert commits(sql_trace) == 8
    assert traced_store.statistics().commits == before.commits + 8


def test_reads_do_not_commit(traced_store: SQLiteStore, sql_trace: list[str]) -> None:
    sql_trace.clear()
    traced_store.list_messages()
    traced_store.get_peer("moscow")
    traced_store.verify_journal()
    assert commits(sql_trace) == 0


def test_failure_rolls_back_the_whole_transaction(
    peered: SQLiteStore, raw: sqlite3.Connection
) -> None:
    peered.add_outgoing(make_message(1))
    before = peered.statistics()

    def crash() -> None:
        with peered.transaction():
            _burst(peered, 3)
            peered.add_outgoing(make_message(2))
            peered.add_peer(make_peer("paris"))
            raise RuntimeError("crash mid-burst")

    with pytest.raises(RuntimeError, match="crash"):
        crash()
    assert peered.statistics().commits == before.commits
    assert peered.statistics().rollbacks == before.rollbacks + 1
    assert [m.id for m in peered.list_messages()] == ["moscow-out-1"]
    assert list(peered.iter_journal()) == []
    assert peered.get_peer("paris") is None
    assert peered.last_contact("moscow") is None
    assert _count(raw, "messages") == 1
    # The store carries on normally afterwards.
    peered.add_outgoing(make_message(2))
    assert peered.next_outgoing_serial("moscow")[0] == 3


def test_store_error_escaping_rolls_back(peered: SQLiteStore) -> None:
    def gap() -> None:
        with peered.transaction():
            peered.add_outgoing(make_message(1))
            peered.add_outgoing(make_message(2))
            peered.add_outgoing(make_message(4))

    with pytest.raises(StoreError, match="must be 3"):
        gap()
    assert peered.list_messages() == []


def test_caught_method_failure_keeps_the_rest(peered: SQLiteStore) -> None:
    with peered.transaction():
        peered.add_incoming(make_message(1, Direction.IN))
        with pytest.raises(StoreError):
            peered.add_incoming(make_message(5, Direction.IN))  # refused, and nothing half-done
        peered.append_journal(kind="serial.gap", at=T0, data={"got": 5, "expected": 2})
    assert peered.last_incoming("moscow")[0] == 1
    assert [entry.kind for entry in peered.iter_journal()] == ["serial.gap"]


def test_nested_transactions_share_one_commit(
    traced_store: SQLiteStore, sql_trace: list[str]
) -> None:
    sql_trace.clear()
    with traced_store.transaction():
        traced_store.add_outgoing(make_message(1))
        with traced_store.transaction():
            traced_store.add_outgoing(make_message(2))
            with traced_store.transaction():
                traced_store.append_journal(kind="k", at=T0, data={})
        assert commits(sql_trace) == 0
    assert commits(sql_trace) == 1
    assert traced_store.next_outgoing_serial("moscow")[0] == 3


def test_nested_failure_escaping_rolls_back_all(peered: SQLiteStore) -> None:
    def nested() -> None:
        with peered.transaction():
            peered.add_outgoing(make_message(1))
            with peered.transaction():
                peered.add_outgoing(make_message(2))
                raise KeyError("inner")

    with pytest.raises(KeyError):
        nested()
    assert peered.list_messages() == []


def test_nested_failure_caught_undoes_only_the_inner_block(peered: SQLiteStore) -> None:
    def first_try() -> None:
        with peered.transaction():
            peered.add_outgoing(make_message(2, text="first try"))
            raise RuntimeError("inner")

    with peered.transaction():
        peered.add_outgoing(make_message(1))
        with pytest.raises(RuntimeError):
            first_try()
        peered.add_outgoing(make_message(2, text="second try"))
    assert [m.text for m in peered.iter_messages(peer="moscow", direction=Direction.OUT)] == [
        "message 1",
        "second try",
    ]


def test_closing_inside_a_transaction_saves_nothing(db_path: Path, peered: SQLiteStore) -> None:
    def close_early() -> None:
        with peered.transaction():
            peered.add_outgoing(make_message(1))
            peered.close()

    with pytest.raises(StoreError, match="nothing was saved"):
        close_early()
    with SQLiteStore.open_existing(db_path) as reopened:
        assert reopened.list_messages() == []


# -- durability and concurrent readers ------------------------------------------------------


def _fill(store: SQLiteStore) -> None:
    store.set_party(make_party())
    store.add_peer(make_peer("moscow"))
    store.add_outgoing(make_message(1))
    store.mark_transmitted("moscow-out-1", at(3))
    store.add_delivery_receipt("moscow-out-1", b"receipt", at(4))
    store.add_outgoing(make_message(2))
    store.add_incoming(make_message(1, Direction.IN))
    store.set_last_contact("moscow", at(5))
    store.append_journal(kind="k", at=T0, data={"x": [1, 2]})


def _snapshot(store: SQLiteStore) -> dict[str, Any]:
    return {
        "party": store.get_party(),
        "peers": store.list_peers(),
        "messages": store.list_messages(),
        "contact": store.last_contact("moscow"),
        "journal": list(store.iter_journal()),
        "head": store.journal_head(),
    }


def test_everything_survives_close_and_reopen(db_path: Path) -> None:
    with SQLiteStore.open(db_path) as store:
        _fill(store)
        before = _snapshot(store)
    with SQLiteStore.open_existing(db_path) as reopened:
        assert _snapshot(reopened) == before
        assert reopened.verify_journal() is None
    with SQLiteStore.open(db_path) as again:  # open on an existing file creates nothing
        assert _snapshot(again) == before


_WRITER = """
import os, sys
sys.path[:0] = [sys.argv[2]]
from pathlib import Path
from factories import make_message
from hotline.store import SQLiteStore
store = SQLiteStore.open_existing(Path(sys.argv[1]))
store.add_outgoing(make_message(3))
store.append_journal(kind="before.crash", at="2026-11-22T04:31:14.123456Z", data={})
os._exit(0)  # no close, no cleanup: as if the process died here
"""


def test_committed_writes_survive_a_dying_process(db_path: Path) -> None:
    with SQLiteStore.open(db_path) as store:
        _fill(store)
    result = subprocess.run(
        [sys.executable, "-c", _WRITER, str(db_path), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    with SQLiteStore.open_existing(db_path) as reopened:
        assert reopened.get_message("moscow-out-3") == make_message(3)
        assert [entry.kind for entry in reopened.iter_journal()][-1] == "before.crash"
        assert reopened.verify_journal() is None


_READER = """
import json, sys
from pathlib import Path
from hotline.store import SQLiteStore
with SQLiteStore.open_existing(Path(sys.argv[1])) as store:
    print(json.dumps({
        "messages": sorted(m.id for m in store.list_messages()),
        "journal": [entry.seq for entry in store.iter_journal()],
        "contact": store.last_contact("moscow"),
        "verify": store.verify_journal(),
    }))
"""


def _read_elsewhere(path: Path) -> dict[str, Any]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", _READER, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    # Well under the 5 s busy timeout: the reader never waited for the writer's lock.
    assert time.monotonic() - started < 4
    seen: dict[str, Any] = json.loads(result.stdout)
    return seen


def test_reader_process_sees_last_committed_state(db_path: Path) -> None:
    with SQLiteStore.open(db_path) as store:
        _fill(store)
        committed = {
            "messages": ["moscow-in-1", "moscow-out-1", "moscow-out-2"],
            "journal": [1],
            "contact": at(5),
            "verify": None,
        }
        assert _read_elsewhere(db_path) == committed
        with store.transaction():
            store.add_outgoing(make_message(3))
            store.add_incoming(make_message(2, Direction.IN))
            store.append_journal(kind="k", at=T0, data={})
            store.set_last_contact("moscow", at(9))
            assert _read_elsewhere(db_path) == committed
        assert _read_elsewhere(db_path) == {
            "messages": [
                "moscow-in-1",
                "moscow-in-2",
                "moscow-out-1",
                "moscow-out-2",
                "moscow-out-3",
            ],
            "journal": [1, 2],
            "contact": at(9),
            "verify": None,
        }


# -- property: a message comes back exactly as it went in ------------------------------------

_times = st.datetimes(
    min_value=datetime(2000, 1, 1),  # naive bounds, as hypothesis wants
    max_value=datetime(2200, 1, 1),
    timezones=st.just(UTC),
).map(format_utc)
_words = st.text(min_size=1, max_size=20)
_blobs = st.binary(min_size=1, max_size=64)


@st.composite
def _messages(draw: st.DrawFn) -> MessageRecord:
    direction = draw(st.sampled_from(Direction))
    state = (
        MessageState.DELIVERED if direction is Direction.IN else draw(st.sampled_from(MessageState))
    )
    delivered = state is MessageState.DELIVERED
    if direction is Direction.IN or state is MessageState.QUEUED:
        transmitted_at = None
    elif state is MessageState.SENT:
        transmitted_at = draw(_times)
    else:
        transmitted_at = draw(st.none() | _times)
    return MessageRecord(
        id=draw(_words),
        direction=direction,
        peer="moscow",
        channel=draw(_words),
        serial=1,  # replaced by the next free serial
        time_group=draw(st.from_regex(r"[0-9]{6}Z", fullmatch=True)),
        sent_at=draw(_times),
        precedence=draw(_words),
        kind=draw(_words),
        text=draw(st.text(max_size=200)),
        body=draw(_blobs),
        envelope=draw(st.binary(min_size=1, max_size=512)),
        envelope_hash=draw(st.binary(min_size=32, max_size=32)),
        state=state,
        created_at=draw(_times),
        transmitted_at=transmitted_at,
        delivered_at=draw(_times) if delivered else None,
        receipt=draw(_blobs) if delivered else None,
    )


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteStore]:
    store = SQLiteStore.open(tmp_path_factory.mktemp("round-trip") / "hotline.db")
    store.add_peer(make_peer("moscow"))
    yield store
    store.close()


_unique = itertools.count()


@given(_messages())
def test_message_round_trip(shared_store: SQLiteStore, drawn: MessageRecord) -> None:
    store = shared_store
    if drawn.direction is Direction.OUT:
        serial, _ = store.next_outgoing_serial("moscow")
        message = replace(drawn, id=f"{next(_unique)}:{drawn.id}", serial=serial)
        store.add_outgoing(message)
    else:
        serial, _ = store.last_incoming("moscow")
        message = replace(drawn, id=f"{next(_unique)}:{drawn.id}", serial=serial + 1)
        store.add_incoming(message)
        assert store.get_incoming_by_serial("moscow", message.serial) == message
    assert store.get_message(message.id) == message
    assert store.list_messages(peer="moscow", direction=message.direction)
    last = list(store.iter_messages(peer="moscow", direction=message.direction))[-1]
    assert last == message
