"""Schema versions and migrations, and the integrity rules SQLite enforces by itself."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from hotline.errors import NotInitialised, SchemaTooNew, StoreError
from hotline.store import (
    SCHEMA_VERSION,
    Direction,
    GroupLink,
    Migration,
    SQLiteStore,
    ensure_schema,
    pending_migrations,
    read_version,
)
from hotline.store import schema as schema_module
from hotline.store.schema import DIALECTS, MIGRATIONS

from .factories import T0, make_message, make_party, make_peer


def _version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as connection:
        return read_version(connection)


def _tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
        return {name for (name,) in rows}


def test_migrations_are_numbered_in_order() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert MIGRATIONS[-1].version == SCHEMA_VERSION
    assert MIGRATIONS[0].summary


def test_new_database_gets_every_table(db_path: Path) -> None:
    SQLiteStore.open(db_path).close()
    assert _version(db_path) == SCHEMA_VERSION
    assert {"party", "peers", "messages", "journal"} <= _tables(db_path)


def test_newer_schema_is_refused(db_path: Path) -> None:
    SQLiteStore.open(db_path).close()
    with closing(sqlite3.connect(db_path, isolation_level=None)) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = db_path.read_bytes()
    with pytest.raises(SchemaTooNew, match="newer hotline"):
        SQLiteStore.open(db_path)
    with pytest.raises(SchemaTooNew):
        SQLiteStore.open_existing(db_path)
    assert _version(db_path) == SCHEMA_VERSION + 1
    assert db_path.read_bytes() == before


def test_empty_database_is_not_initialised(db_path: Path) -> None:
    db_path.touch()
    with pytest.raises(NotInitialised):
        SQLiteStore.open_existing(db_path)
    connection = sqlite3.connect(db_path, isolation_level=None)
    try:
        with pytest.raises(NotInitialised):
            ensure_schema(connection, create=False)
        assert ensure_schema(connection, create=True) == 0  # the version it found
        assert read_version(connection) == SCHEMA_VERSION
        assert ensure_schema(connection, create=False) == SCHEMA_VERSION
    finally:
        connection.close()


_EXTRA = Migration(
    version=SCHEMA_VERSION + 1,
    summary="test: a notes table",
    sql={"sqlite": ("CREATE TABLE notes (id INTEGER PRIMARY KEY, note TEXT NOT NULL)",)},
)


def test_old_database_is_migrated(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    SQLiteStore.open(db_path).close()
    monkeypatch.setattr(schema_module, "MIGRATIONS", (*MIGRATIONS, _EXTRA))
    monkeypatch.setattr(schema_module, "SCHEMA_VERSION", _EXTRA.version)
    SQLiteStore.open_existing(db_path).close()
    assert _version(db_path) == _EXTRA.version
    assert "notes" in _tables(db_path)


def test_failed_migration_changes_nothing(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    SQLiteStore.open(db_path).close()
    broken = Migration(
        version=SCHEMA_VERSION + 1,
        summary="test: half good, half broken",
        sql={
            "sqlite": (
                "CREATE TABLE notes (id INTEGER PRIMARY KEY)",
                "CREATE TABLE notes (id INTEGER PRIMARY KEY)",  # fails: already exists
            )
        },
    )
    monkeypatch.setattr(schema_module, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(schema_module, "SCHEMA_VERSION", broken.version)
    with pytest.raises(StoreError, match="already exists"):
        SQLiteStore.open(db_path)
    assert _version(db_path) == SCHEMA_VERSION
    assert "notes" not in _tables(db_path)


def test_not_a_database(db_path: Path) -> None:
    db_path.write_bytes(b"this is not SQLite, just text that is long enough to be a header" * 4)
    with pytest.raises(StoreError, match="not a database"):
        SQLiteStore.open_existing(db_path)


# -- rules SQLite enforces even against raw SQL -----------------------------------


@pytest.fixture
def filled(peered: SQLiteStore) -> SQLiteStore:
    peered.add_outgoing(make_message(1))
    peered.add_outgoing(make_message(2))
    peered.add_delivery_receipt("moscow-out-1", b"receipt", T0)
    for n in range(3):
        peered.append_journal(kind="tick", at=T0, data={"n": n})
    return peered


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE journal SET kind = 'forged' WHERE seq = 2", "append-only"),
        ("DELETE FROM journal WHERE seq = 3", "append-only"),
        (
            "INSERT INTO journal VALUES (9, '2026', 'k', '{}', zeroblob(32), zeroblob(32))",
            "appended at the head",
        ),
        (
            "INSERT INTO journal SELECT 4, at, kind, data, zeroblob(32), hash FROM journal "
            "WHERE seq = 3",
            "appended at the head",
        ),
        ("UPDATE messages SET envelope = x'00' WHERE serial = 2", "never change"),
        ("UPDATE messages SET serial = 5 WHERE serial = 2", "never change"),
        ("UPDATE messages SET envelope_hash = zeroblob(32) WHERE serial = 2", "never change"),
        ("UPDATE messages SET receipt = x'01' WHERE serial = 1", "receipt never changes"),
        ("DELETE FROM messages WHERE serial = 2", "never deleted"),
        (
            "INSERT INTO messages SELECT 'copy', direction, peer, channel, 4, time_group, "
            "sent_at, precedence, kind, text, body, envelope, envelope_hash, state, created_at, "
            "transmitted_at, delivered_at, receipt FROM messages WHERE serial = 2",
            "serials run",
        ),
        ("UPDATE peers SET signing_key = zeroblob(32) WHERE party = 'moscow'", "never change"),
        ("DELETE FROM peers WHERE party = 'moscow'", "FOREIGN KEY"),
        # The encryption key changes only with a recorded switch (set_peer_encryption_key).
        (
            "UPDATE peers SET encryption_key = zeroblob(32) WHERE party = 'moscow'",
            "newest recorded switch",
        ),
    ],
)
def test_triggers_guard_raw_sql(
    filled: SQLiteStore, raw: sqlite3.Connection, sql: str, message: str
) -> None:
    raw.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.IntegrityError, match=message):
        raw.execute(sql)
    assert filled.verify_journal() is None
    assert [m.serial for m in filled.iter_messages(peer="moscow", direction=Direction.OUT)] == [
        1,
        2,
    ]


def test_a_peer_encryption_key_changes_only_to_its_newest_recorded_switch(
    filled: SQLiteStore, raw: sqlite3.Connection
) -> None:
    raw.execute(
        "INSERT INTO peer_encryption_keys (party, serial, key, set_at) VALUES (?, ?, ?, ?)",
        ("moscow", 2, b"\x02" * 32, T0),
    )
    with pytest.raises(sqlite3.IntegrityError, match="newest recorded switch"):
        raw.execute("UPDATE peers SET encryption_key = ? WHERE party = 'moscow'", (b"\x03" * 32,))
    raw.execute("UPDATE peers SET encryption_key = ? WHERE party = 'moscow'", (b"\x02" * 32,))
    for sql in (
        "UPDATE peer_encryption_keys SET key = zeroblob(32)",
        "DELETE FROM peer_encryption_keys",
    ):
        with pytest.raises(sqlite3.IntegrityError):
            raw.execute(sql)
    peer = filled.get_peer("moscow")
    assert peer is not None
    assert peer.encryption_key == b"\x02" * 32


def test_state_columns_stay_writable(filled: SQLiteStore, raw: sqlite3.Connection) -> None:
    # The triggers must not block the updates the store itself makes.
    raw.execute("UPDATE messages SET state = 'sent', transmitted_at = ? WHERE serial = 2", (T0,))
    message = filled.get_message("moscow-out-2")
    assert message is not None
    assert message.state == "sent"


def test_a_version_4_database_gains_calls_and_keeps_its_data(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as old:
        old.setattr(schema_module, "MIGRATIONS", MIGRATIONS[:4])
        old.setattr(schema_module, "SCHEMA_VERSION", 4)
        store = SQLiteStore.open(db_path)
        store.append_journal(kind="terminal started", at="2026-11-22T09:00:00.000000Z", data={})
        store.close()
    assert _version(db_path) == 4
    assert "calls" not in _tables(db_path)
    store = SQLiteStore.open_existing(db_path)
    try:
        assert [entry.kind for entry in store.iter_journal()] == ["terminal started"]
        assert store.verify_journal() is None
        assert store.list_calls() == []
        assert store.list_presence() == []
    finally:
        store.close()
    assert _version(db_path) == SCHEMA_VERSION
    assert {"calls", "presence_requests"} <= _tables(db_path)


def test_a_version_5_database_gains_the_record_and_keeps_its_data(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as old:
        old.setattr(schema_module, "MIGRATIONS", MIGRATIONS[:5])
        old.setattr(schema_module, "SCHEMA_VERSION", 5)
        store = SQLiteStore.open(db_path)
        for n in range(3):
            store.append_journal(kind="tick", at=T0, data={"n": n})
        store.close()
    assert _version(db_path) == 5
    assert not {name for name in _tables(db_path) if name.startswith("record_")}
    with SQLiteStore.open_existing(db_path) as store:
        assert store.verify_journal() is None
        # The journal written before the record existed is its log, from leaf 0.
        assert [entry.seq for entry in store.journal_entries(0, 10)] == [1, 2, 3]
        assert store.record_tree_size() == 0
        assert store.latest_checkpoint() is None
        assert store.latest_cosignatures() == {}
        assert store.latest_witnessed_all() == {}
        assert store.record_conflicts() == []
    assert _version(db_path) == SCHEMA_VERSION
    assert {
        "record_tree",
        "record_nodes",
        "record_checkpoints",
        "record_cosignatures",
        "record_witnessed",
        "record_conflicts",
    } <= _tables(db_path)


# -- steps per dialect --------------------------------------------------------------


def test_every_step_has_sqlite_and_only_known_dialects() -> None:
    assert DIALECTS == ("sqlite", "postgresql")
    for migration in MIGRATIONS:
        assert migration.statements("sqlite")
        assert set(migration.sql) <= set(DIALECTS)
    with pytest.raises(ValueError, match="unknown dialect"):
        Migration(version=9, summary="test", sql={"oracle": ("SELECT 1",)})
    with pytest.raises(ValueError, match="tuple of statements"):
        Migration(version=9, summary="test", sql={"sqlite": ()})


def test_pending_migrations_in_order_for_a_dialect() -> None:
    assert pending_migrations(0, dialect="sqlite", create=True) == MIGRATIONS
    assert pending_migrations(3, dialect="sqlite", create=False) == MIGRATIONS[3:]
    assert pending_migrations(SCHEMA_VERSION, dialect="sqlite", create=False) == ()
    with pytest.raises(SchemaTooNew):
        pending_migrations(SCHEMA_VERSION + 1, dialect="sqlite", create=True)
    with pytest.raises(NotInitialised):
        pending_migrations(0, dialect="sqlite", create=False)
    assert pending_migrations(0, dialect="postgresql", create=True) == MIGRATIONS
    assert pending_migrations(SCHEMA_VERSION, dialect="postgresql", create=False) == ()


def test_a_step_without_sqlite_statements_changes_nothing(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    SQLiteStore.open(db_path).close()
    later = Migration(
        version=SCHEMA_VERSION + 1,
        summary="test: postgresql only",
        sql={"postgresql": ("CREATE TABLE notes (id BIGINT PRIMARY KEY)",)},
    )
    monkeypatch.setattr(schema_module, "MIGRATIONS", (*MIGRATIONS, later))
    monkeypatch.setattr(schema_module, "SCHEMA_VERSION", later.version)
    with pytest.raises(StoreError, match="no sqlite statements"):
        SQLiteStore.open(db_path)
    assert _version(db_path) == SCHEMA_VERSION


# -- a database written before the steps had dialects ---------------------------------------

_OLD_DUMP = Path(__file__).parent / "data" / "hotline-v5.sql"


def _schema_rows(connection: sqlite3.Connection) -> list[tuple[str, str, str, str]]:
    rows = connection.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY type, name"
    )
    return list(rows)


def test_a_database_written_by_the_old_code_opens_unchanged(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "old.db"
    with closing(sqlite3.connect(old)) as connection:
        connection.executescript(_OLD_DUMP.read_text())
        old_schema = _schema_rows(connection)
    assert _version(old) == 5  # the dump's version
    with monkeypatch.context() as at_5:
        at_5.setattr(schema_module, "MIGRATIONS", MIGRATIONS[:5])
        at_5.setattr(schema_module, "SCHEMA_VERSION", 5)
        SQLiteStore.open(db_path).close()
    with closing(sqlite3.connect(db_path)) as fresh:
        # Today's first five steps build, statement for statement, the schema the old code built.
        assert _schema_rows(fresh) == old_schema
    current = tmp_path / "current.db"
    SQLiteStore.open(current).close()
    with closing(sqlite3.connect(current)) as connection:
        current_schema = _schema_rows(connection)
    before = old.read_bytes()
    with SQLiteStore.open_existing(old) as store:
        assert _version(old) == SCHEMA_VERSION
        party = store.get_party()
        assert party is not None
        assert party.party == "washington"
        assert [m.id for m in store.list_messages()] == [
            "moscow-out-2",
            "moscow-out-1",
            "moscow-in-1",
        ]
        assert store.count_pending("moscow") == 1
        assert [entry.kind for entry in store.iter_journal()] == ["terminal.init", "message.queued"]
        assert store.verify_journal() is None
        assert [alarm.id for alarm in store.open_alarms()] == ["alarm-2"]
        assert [user.name for user in store.list_users()] == ["was-op"]
        assert list(store.acknowledgements(["moscow-in-1"])) == ["moscow-in-1"]
        assert [note.text for note in store.shift_notes()] == ["quiet night"]
        assert [meeting.state for meeting in store.list_meetings()] == ["proposed"]
        call = store.get_call("call-1")
        assert call is not None
        assert call.outcome == "completed"
        assert [request.id for request in store.list_presence(open_only=True)] == ["presence-1"]
        # And it takes new writes where the old code left off.
        store.append_journal(kind="reopened", at=T0, data={})
        store.add_outgoing(make_message(3))
    assert old.read_bytes() != before
    with closing(sqlite3.connect(old)) as connection:
        # Opening migrated it to today's schema, exactly as a new database has it.
        assert _schema_rows(connection) == current_schema


def test_a_version_6_database_gains_chains_and_keeps_its_messages(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as old:
        old.setattr(schema_module, "MIGRATIONS", MIGRATIONS[:6])
        old.setattr(schema_module, "SCHEMA_VERSION", 6)
        store = SQLiteStore.open(db_path)
        store.set_party(make_party())
        store.add_peer(make_peer("moscow"))
        store.add_outgoing(make_message(1))
        store.close()
    assert _version(db_path) == 6
    assert not {"chains", "peer_protocols"} & _tables(db_path)
    with SQLiteStore.open_existing(db_path) as store:
        # A peer known before protocol v2 existed speaks version 1 until it says otherwise.
        assert store.peer_protocol("moscow") == 1
        assert store.chain("moscow", Direction.OUT) is None
        assert [m.serial for m in store.pending_outgoing("moscow")] == [1]
    assert _version(db_path) == SCHEMA_VERSION
    assert {"chains", "peer_protocols"} <= _tables(db_path)


def test_a_version_7_database_gains_group_links_and_keeps_its_messages(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as old:
        old.setattr(schema_module, "MIGRATIONS", MIGRATIONS[:7])
        old.setattr(schema_module, "SCHEMA_VERSION", 7)
        store = SQLiteStore.open(db_path)
        store.set_party(make_party())
        store.add_peer(make_peer("moscow"))
        store.add_outgoing(make_message(1))
        store.close()
    assert _version(db_path) == 7
    assert "message_groups" not in _tables(db_path)
    with SQLiteStore.open_existing(db_path) as store:
        # A message sent before groups existed belongs to none.
        assert store.group_links(["moscow-out-1"]) == {}
        store.add_group_links(
            [GroupLink(message_id="moscow-out-1", group_id="g1", payload_hash=bytes(32))]
        )
    assert _version(db_path) == SCHEMA_VERSION
    assert "message_groups" in _tables(db_path)


def test_a_version_8_database_gains_channels_and_keeps_its_messages(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as old:
        old.setattr(schema_module, "MIGRATIONS", MIGRATIONS[:8])
        old.setattr(schema_module, "SCHEMA_VERSION", 8)
        store = SQLiteStore.open(db_path)
        store.set_party(make_party())
        store.add_peer(make_peer("moscow"))
        store.add_outgoing(make_message(1))
        store.close()
    assert _version(db_path) == 8
    assert "channels" not in _tables(db_path)
    with SQLiteStore.open_existing(db_path) as store:
        # Channels configured before this step: none, so every channel stays open.
        assert store.list_channels() == []
        assert [m.serial for m in store.pending_outgoing("moscow")] == [1]
    assert _version(db_path) == SCHEMA_VERSION
    assert {"channels", "channel_members", "peer_channels"} <= _tables(db_path)
