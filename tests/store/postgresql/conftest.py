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

from hotline.testing.postgresql import PostgreSQLServer, server_or_skip  # noqa: E402


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgreSQLServer]:
    with server_or_skip() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PostgreSQLServer) -> Iterator[str]:
    """The URL of a new, empty database for this test (the store's runner migrates it); dropped after."""
    with pg_server.database() as url:
        yield url
