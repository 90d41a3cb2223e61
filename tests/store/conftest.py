"""Fixtures for the SQLite store tests: a fresh store per test, a SQL trace, a raw connection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The suite's asserts are rewritten by tests/conftest.py, before anything imports it.
from hotline.store import SQLiteStore

from .factories import make_party, make_peer

# Taken at import, so the raw connection is never the one a trace wraps.
_connect = sqlite3.connect


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hotline.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SQLiteStore]:
    opened = SQLiteStore.open(db_path)
    yield opened
    opened.close()


@pytest.fixture
def peered(store: SQLiteStore) -> SQLiteStore:
    """A store with this terminal's party and two peers, moscow and beijing."""
    store.set_party(make_party())
    store.add_peer(make_peer("moscow"))
    store.add_peer(make_peer("beijing"))
    return store


@pytest.fixture
def sql_trace(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement run on connections opened after this fixture, in order."""
    statements: list[str] = []
    real_connect = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = real_connect(*args, **kwargs)
        assert isinstance(connection, sqlite3.Connection)
        connection.set_trace_callback(statements.append)
        return connection

    monkeypatch.setattr(sqlite3, "connect", connect)
    return statements


@pytest.fixture
def traced_store(sql_trace: list[str], db_path: Path) -> Iterator[SQLiteStore]:
    """A store opened under ``sql_trace``, with a party and the peer moscow."""
    opened = SQLiteStore.open(db_path)
    opened.set_party(make_party())
    opened.add_peer(make_peer("moscow"))
    yield opened
    opened.close()


@pytest.fixture
def raw(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A second, plain connection to the same file, as another process would have."""
    connection = _connect(db_path, isolation_level=None)
    yield connection
    connection.close()
