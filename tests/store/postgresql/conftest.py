"""A real PostgreSQL server for the store tests, started once per session, and a database per test.

The server is the machine's PostgreSQL (Debian's ``postgresql`` packages:
``/usr/lib/postgresql/<version>/bin``, or ``HOTLINE_PG_BIN``), run by
:mod:`hotline.testing.postgresql` in a temporary directory on a free loopback
port. Without the binaries these tests are skipped, unless
``HOTLINE_REQUIRE_POSTGRESQL`` is set (CI sets it), when they fail instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# Before anything imports the suite, so its asserts show their values.
pytest.register_assert_rewrite("hotline.testing.store_conformance")

from hotline.store.postgresql import PostgreSQLStore  # noqa: E402
from hotline.testing.postgresql import PostgreSQLServer, server_or_skip  # noqa: E402

_TEMPLATE = "hotline_template"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgreSQLServer]:
    with server_or_skip() as server:
        # A database at the current schema, copied for each test that wants
        # one (CREATE DATABASE … TEMPLATE): running every migration per test
        # would cost half a second each. test_postgresql.py migrates empty ones.
        with server.database() as url:
            PostgreSQLStore.open(url).close()
            name = url.rsplit("/", 1)[1]
            import psycopg  # noqa: PLC0415

            with psycopg.connect(server.url(), autocommit=True) as admin:
                admin.execute(f"ALTER DATABASE {name} RENAME TO {_TEMPLATE}".encode())
            yield server


@pytest.fixture
def pg_url(pg_server: PostgreSQLServer) -> Iterator[str]:
    """The URL of a database for this test, at the current schema and empty; dropped after it."""
    with pg_server.database(template=_TEMPLATE) as url:
        yield url


@pytest.fixture
def pg_empty_url(pg_server: PostgreSQLServer) -> Iterator[str]:
    """The URL of a database for this test that holds no schema at all; dropped after it."""
    with pg_server.database() as url:
        yield url
