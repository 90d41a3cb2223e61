"""A real PostgreSQL server for tests: initdb + pg_ctl in a temporary directory, on a loopback port.

Used by the PostgreSQL store tests and the end-to-end tests of a terminal on
PostgreSQL. The server is the machine's own (Debian's ``postgresql``
packages install it under ``/usr/lib/postgresql/<version>/bin``; set
``HOTLINE_PG_BIN`` to use another). ``initdb`` refuses to run as root, so as
root the cluster is made and run by the ``postgres`` user (through
``runuser``). The server listens on 127.0.0.1 only and on a Unix socket in its
own directory, trusts local connections, and is stopped (``-m immediate``)
when the context exits. ``fsync`` is off: no test crashes the machine, and
each test's ``CREATE DATABASE`` would otherwise cost a flush of the template.

:func:`server_or_skip` skips the calling test when the binaries are missing,
unless ``HOTLINE_REQUIRE_POSTGRESQL`` is set (CI sets it), so CI can never
skip these tests.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "REQUIRE_ENV",
    "PostgreSQLServer",
    "find_binaries",
    "server_or_skip",
    "start_server",
]

REQUIRE_ENV = "HOTLINE_REQUIRE_POSTGRESQL"
"""Set (to anything non-empty) to make a missing PostgreSQL a failure instead of a skip."""

_USER = "hotline"
_databases = itertools.count(1)


def find_binaries() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or None if PostgreSQL is not installed."""
    configured = os.environ.get("HOTLINE_PG_BIN")
    if configured:
        return Path(configured) if (Path(configured) / "pg_ctl").is_file() else None
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class PostgreSQLServer:
    """A running test server: its port and how to reach its databases."""

    directory: Path
    port: int

    def url(self, database: str = "postgres") -> str:
        """A libpq URL for ``database`` on this server (user ``hotline``, no password)."""
        return f"postgresql://{_USER}@127.0.0.1:{self.port}/{database}"

    @contextlib.contextmanager
    def database(self, *, template: str | None = None) -> Iterator[str]:
        """A new database for one test, a copy of ``template`` (default: empty); dropped after."""
        import psycopg

        name = f"test_{os.getpid()}_{next(_databases)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            copy = f" TEMPLATE {template}" if template else ""
            admin.execute(f"CREATE DATABASE {name}{copy}".encode())
        try:
            yield self.url(name)
        finally:
            with psycopg.connect(self.url(), autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)".encode())


def _as_owner(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextlib.contextmanager
def start_server(directory: Path, *, binaries: Path | None = None) -> Iterator[PostgreSQLServer]:
    """Make a cluster in ``directory``, start it on a free loopback port, and stop it on exit."""
    binaries = binaries or find_binaries()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL is not installed (no pg_ctl found)")
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    subprocess.run(
        _as_owner(
            [str(binaries / "initdb"), "-D", str(data), "-U", _USER, "--auth=trust", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
    )
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {directory} "
        "-c fsync=off -c full_page_writes=off -c max_connections=200"
    )
    pg_ctl = str(binaries / "pg_ctl")
    subprocess.run(
        _as_owner(
            [pg_ctl, "-D", str(data), "-l", str(directory / "log"), "-w", "-o", options, "start"]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield PostgreSQLServer(directory=directory, port=port)
    finally:
        subprocess.run(
            _as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]),
            check=False,
            capture_output=True,
        )


@contextlib.contextmanager
def server_or_skip() -> Iterator[PostgreSQLServer]:
    """:func:`start_server` in a new temporary directory, or skip if PostgreSQL is absent.

    The directory is made directly under the system's temporary directory:
    pytest's own (``/tmp/pytest-of-root``, mode 0700) is closed to the
    ``postgres`` user the server runs as.
    """
    import pytest

    binaries = find_binaries()
    if binaries is None:
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"PostgreSQL is not installed, and {REQUIRE_ENV} says it must be")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    directory = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
    try:
        with start_server(directory, binaries=binaries) as server:
            yield server
    finally:
        shutil.rmtree(directory, ignore_errors=True)
