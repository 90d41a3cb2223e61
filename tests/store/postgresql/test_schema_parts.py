"""PostgreSQL's migrations 9 to 11 (channels, conferences, releases): the triggers against raw
SQL, the same columns as SQLite's tables, and a version-8 database migrated with its data kept."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from hotline.store import (
    ChannelMemberRecord,
    ChannelRecord,
    ConferenceAnswer,
    ConferenceRecord,
    PeerChannelRecord,
    ReleaseRecord,
    RosterRecord,
    SQLiteStore,
)
from hotline.store import schema as schema_module
from hotline.store.postgresql import PostgreSQLStore
from hotline.store.schema import MIGRATIONS, SCHEMA_VERSION
from hotline.testing.store_conformance import (
    at,
    make_message,
    make_party,
    make_peer,
    make_user,
)

_AT = at(1)
# Identity columns that stand in for SQLite's rowid (its order), which SQLite does not list.
_ORDER_COLUMNS = {("conferences", "seq"), ("conference_answers", "seq")}
_NEW_TABLES = (
    "channels",
    "channel_members",
    "peer_channels",
    "conferences",
    "conference_rosters",
    "conference_answers",
    "releases",
)


def _fill(store: PostgreSQLStore) -> None:
    store.set_party(make_party())
    store.add_peer(make_peer("moscow"))
    for user in ("alice", "bob"):
        store.add_user(make_user(user))
    store.add_channel(
        ChannelRecord(name="defence", created_at=_AT, created_by="admin"),
        tuple(
            ChannelMemberRecord(
                channel="defence", user=user, role="member", added_at=_AT, added_by="admin"
            )
            for user in ("alice", "bob")
        ),
    )
    store.add_peer_channel(
        PeerChannelRecord(
            peer="moscow",
            channel="defence",
            version=1,
            members=(("ivan", "principal"),),
            received_at=_AT,
            message_id="announce-1",
        )
    )
    store.add_conference(
        ConferenceRecord(id="c1", name="ops", convener="us", role="convener", created_at=_AT)
    )
    store.add_roster(
        RosterRecord(
            conference="c1", version=1, roster=b"\xa0", group_id="g1", direction="sent", at=_AT
        )
    )
    store.add_answer(
        ConferenceAnswer(conference="c1", version=1, party="moscow", answer="invited", at=_AT)
    )
    marked, release = make_message(1), make_message(2, kind="release")
    store.add_outgoing_many([marked, release])
    store.add_release(
        ReleaseRecord(
            message_id=marked.id,
            released_by="washington",
            released_at=_AT,
            public_text="The talks were held.\x00",
            release_id=release.id,
        )
    )


@pytest.fixture
def filled(pg_url: str) -> Iterator[PostgreSQLStore]:
    with PostgreSQLStore.open(pg_url) as store:
        _fill(store)
        yield store


@pytest.fixture
def raw(pg_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(pg_url, autocommit=True) as connection:
        yield connection


def _rows(raw: psycopg.Connection[tuple[object, ...]]) -> dict[str, int]:
    counts = {}
    for table in _NEW_TABLES:
        row = raw.execute(f"SELECT count(*) FROM {table}").fetchone()
        assert row is not None
        counts[table] = int(row[0])  # type: ignore[call-overload]
    return counts


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("DELETE FROM channels", "never deleted"),
        ("TRUNCATE channels CASCADE", "never deleted"),
        ("UPDATE channels SET version = 1", "higher version"),
        ("UPDATE channels SET version = 0", "higher version"),
        ("UPDATE channels SET created_by = 'mallory', version = 2", "higher version"),
        ("DELETE FROM channel_members", "never deleted"),
        ("TRUNCATE channel_members", "never deleted"),
        ("UPDATE channel_members SET role = 'principal'", "closed, once"),
        (
            "UPDATE channel_members SET \"user\" = 'bob', removed_at = 't', removed_by = 'x' "
            "WHERE \"user\" = 'alice'",
            "closed, once",
        ),
        ("UPDATE peer_channels SET members = '[]'", "append-only"),
        ("DELETE FROM peer_channels", "append-only"),
        ("TRUNCATE peer_channels", "append-only"),
        ("UPDATE conferences SET name = 'other'", "append-only"),
        ("DELETE FROM conference_answers", "append-only"),
        ("UPDATE conference_rosters SET roster = '\\x00'", "append-only"),
        ("TRUNCATE conferences, conference_rosters, conference_answers", "append-only"),
        ("UPDATE releases SET public_text = NULL", "append-only"),
        ("DELETE FROM releases", "append-only"),
        ("TRUNCATE releases", "append-only"),
    ],
)
def test_triggers_guard_raw_sql(
    filled: PostgreSQLStore,
    raw: psycopg.Connection[tuple[object, ...]],
    sql: str,
    message: str,
) -> None:
    before = _rows(raw)
    with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match=message):
        raw.execute(sql)
    assert _rows(raw) == before
    assert filled.get_channel("defence") == ChannelRecord(
        name="defence", created_at=_AT, created_by="admin", version=1
    )
    assert [m.user for m in filled.channel_members("defence")] == ["alice", "bob"]
    release = filled.release_of("moscow-out-1")
    assert release is not None
    # U+0000 is kept: a release's public text comes from the peer, as a message's text does.
    assert release.public_text == "The talks were held.\x00"


def test_a_membership_closes_once_and_the_version_rises(
    filled: PostgreSQLStore, raw: psycopg.Connection[tuple[object, ...]]
) -> None:
    # The triggers must not block the updates the store itself makes.
    raw.execute("UPDATE channels SET version = 2")
    raw.execute(
        "UPDATE channel_members SET removed_at = %s, removed_by = 'admin' WHERE \"user\" = 'bob'",
        (at(2),),
    )
    with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="closed, once"):
        raw.execute("UPDATE channel_members SET removed_by = 'mallory' WHERE \"user\" = 'bob'")
    assert [m.user for m in filled.channel_members("defence")] == ["alice"]
    channel = filled.get_channel("defence")
    assert channel is not None
    assert channel.version == 2


def test_the_tables_have_sqlite_s_columns(
    filled: PostgreSQLStore, raw: psycopg.Connection[tuple[object, ...]], tmp_path: Path
) -> None:
    SQLiteStore.open(tmp_path / "hotline.db").close()
    lite = sqlite3.connect(tmp_path / "hotline.db")
    try:
        for table in _NEW_TABLES:
            expected = [row[1] for row in lite.execute(f"PRAGMA table_info({table})")]
            found = [
                str(row[0])
                for row in raw.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = %s ORDER BY ordinal_position",
                    (table,),
                )
                if (table, row[0]) not in _ORDER_COLUMNS
            ]
            assert found == expected, table
    finally:
        lite.close()


def test_a_version_8_database_gains_channels_and_conferences(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as old:
        old.setattr(schema_module, "MIGRATIONS", MIGRATIONS[:8])
        old.setattr(schema_module, "SCHEMA_VERSION", 8)
        with PostgreSQLStore.open(pg_url) as store:
            store.set_party(make_party())
            store.add_peer(make_peer("moscow"))
            store.add_outgoing(make_message(1))
    with psycopg.connect(pg_url, autocommit=True) as raw:
        assert raw.execute("SELECT to_regclass('channels')").fetchone() == (None,)
    with PostgreSQLStore.open_existing(pg_url) as store:
        assert store.list_channels() == []
        assert store.list_conferences() == []
        assert [m.serial for m in store.pending_outgoing("moscow")] == [1]
        _fill_after_migration(store)
    with psycopg.connect(pg_url, autocommit=True) as raw:
        assert raw.execute("SELECT version FROM hotline_schema").fetchone() == (SCHEMA_VERSION,)


def _fill_after_migration(store: PostgreSQLStore) -> None:
    store.add_user(make_user("alice"))
    store.add_channel(
        ChannelRecord(name="defence", created_at=_AT, created_by="admin"),
        (
            ChannelMemberRecord(
                channel="defence", user="alice", role="member", added_at=_AT, added_by="admin"
            ),
        ),
    )
    assert [m.user for m in store.channel_members("defence")] == ["alice"]
