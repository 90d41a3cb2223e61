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
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "REQUIRE_ENV",
    "PostgreSQLServer",
    "ReplicatedServers",
    "find_binaries",
    "replicated_or_skip",
    "server_or_skip",
    "start_replicated",
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


REPLICA_NAME = "replica1"
"""The replica's ``application_name``, which the primary's ``synchronous_standby_names`` names."""


@dataclass(frozen=True, slots=True)
class ReplicatedServers:
    """A primary and its synchronous streaming replica, as in production (docs/ha.md §1).

    Every commit on the primary returns only once the replica has applied it
    (``synchronous_commit = remote_apply``), so what a client saw committed is
    on both. :meth:`url` is the multi-host URL a terminal uses; :meth:`kill_primary`
    and :meth:`promote` are the failover a Patroni would do.
    """

    directory: Path
    binaries: Path
    primary_port: int
    replica_port: int

    def url(self, database: str = "postgres") -> str:
        """The multi-host URL: libpq tries both and keeps the one that accepts writes."""
        return (
            f"postgresql://{_USER}@127.0.0.1:{self.primary_port},127.0.0.1:{self.replica_port}"
            f"/{database}?target_session_attrs=read-write&connect_timeout=3"
        )

    def primary_url(self, database: str = "postgres") -> str:
        """A URL of the primary alone (for setup: ``CREATE DATABASE``)."""
        return f"postgresql://{_USER}@127.0.0.1:{self.primary_port}/{database}"

    def replica_url(self, database: str = "postgres") -> str:
        """A URL of the replica alone (read-only until promoted)."""
        return f"postgresql://{_USER}@127.0.0.1:{self.replica_port}/{database}"

    def create_database(self, name: str) -> str:
        """Create ``name`` on the primary (the replica follows); its multi-host URL."""
        import psycopg

        with psycopg.connect(self.primary_url(), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}".encode())
        return self.url(name)

    def replication_state(self) -> list[tuple[str, str]]:
        """The primary's ``(application_name, sync_state)`` rows of ``pg_stat_replication``."""
        import psycopg

        with psycopg.connect(self.primary_url(), autocommit=True) as admin:
            rows = admin.execute(
                b"SELECT application_name, sync_state FROM pg_stat_replication"
            ).fetchall()
        return [(str(name), str(state)) for name, state in rows]

    def kill_primary(self) -> None:
        """The primary dies: ``pg_ctl -m immediate stop`` (no checkpoint, connections cut)."""
        self._pg_ctl("primary", "-m", "immediate", "-w", "stop")

    def promote(self) -> None:
        """Promote the replica, and let it commit without a synchronous standby.

        The promoted replica keeps the copied ``synchronous_standby_names`` and
        would block every commit until a standby attaches; Patroni clears it,
        so does this.
        """
        import psycopg

        self._pg_ctl("replica", "-w", "promote")
        with psycopg.connect(self.replica_url(), autocommit=True) as admin:
            admin.execute(b"ALTER SYSTEM SET synchronous_standby_names = ''")
            admin.execute(b"SELECT pg_reload_conf()")

    def stop(self) -> None:
        """Stop both servers (either may already be stopped)."""
        for name in ("replica", "primary"):
            self._pg_ctl(name, "-m", "immediate", "-w", "stop", check=False)

    def _pg_ctl(self, name: str, *arguments: str, check: bool = True) -> None:
        data = self.directory / name
        subprocess.run(
            _as_owner([str(self.binaries / "pg_ctl"), "-D", str(data), *arguments]),
            check=check,
            capture_output=True,
        )


def _append_settings(data: Path, settings: dict[str, str]) -> None:
    # Appended lines win over earlier ones; written as the server's owner would.
    with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write("\n# hotline.testing.postgresql\n")
        conf.writelines(f"{name} = {value}\n" for name, value in settings.items())


@contextlib.contextmanager
def start_replicated(
    directory: Path, *, binaries: Path | None = None
) -> Iterator[ReplicatedServers]:
    """Start a primary and a synchronous streaming replica in ``directory``; stop both on exit.

    The recipe of /work/shared/ENVIRONMENT.md: ``initdb`` the primary with
    ``wal_level = replica``, ``synchronous_standby_names = 'FIRST 1 (replica1)'``
    and ``synchronous_commit = remote_apply``; ``pg_basebackup -R`` the replica
    (``-d application_name=replica1`` names it: postgresql.auto.conf would
    override the name in postgresql.conf); start it on its own port, and wait
    until the primary reports it ``sync``. Both on loopback; run by the
    ``postgres`` user when root. Unlike :func:`start_server`, ``fsync`` stays
    on: these servers are the durability under test.
    """
    binaries = binaries or find_binaries()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL is not installed (no pg_ctl found)")
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    primary, replica = directory / "primary", directory / "replica"
    subprocess.run(
        _as_owner(
            [
                str(binaries / "initdb"),
                "-D",
                str(primary),
                "-U",
                _USER,
                "--auth=trust",
                "-E",
                "UTF8",
            ]
        ),
        check=True,
        capture_output=True,
    )
    primary_port, replica_port = _free_port(), _free_port()
    while replica_port == primary_port:
        replica_port = _free_port()
    _append_settings(
        primary,
        {
            "listen_addresses": "'127.0.0.1'",
            "port": str(primary_port),
            "unix_socket_directories": f"'{directory}'",
            "wal_level": "replica",
            "max_wal_senders": "4",
            "max_connections": "200",
            "synchronous_standby_names": f"'FIRST 1 ({REPLICA_NAME})'",
            "synchronous_commit": "remote_apply",
        },
    )
    with (primary / "pg_hba.conf").open("a", encoding="utf-8") as hba:
        hba.write(f"host replication {_USER} 127.0.0.1/32 trust\n")
    servers = ReplicatedServers(
        directory=directory,
        binaries=binaries,
        primary_port=primary_port,
        replica_port=replica_port,
    )
    try:
        servers._pg_ctl("primary", "-l", str(directory / "primary.log"), "-w", "start")
        subprocess.run(
            _as_owner(
                [
                    str(binaries / "pg_basebackup"),
                    *("-h", "127.0.0.1", "-p", str(primary_port), "-U", _USER),
                    *("-D", str(replica), "-X", "stream", "-R"),
                    *("-d", f"application_name={REPLICA_NAME}"),
                ]
            ),
            check=True,
            capture_output=True,
        )
        _append_settings(replica, {"port": str(replica_port)})
        servers._pg_ctl("replica", "-l", str(directory / "replica.log"), "-w", "start")
        deadline = time.monotonic() + 30
        while (REPLICA_NAME, "sync") not in servers.replication_state():
            if time.monotonic() > deadline:
                raise RuntimeError("the replica did not become synchronous within 30 s")
            time.sleep(0.05)  # real servers, real time: nothing to virtualise here
        yield servers
    finally:
        servers.stop()


@contextlib.contextmanager
def replicated_or_skip() -> Iterator[ReplicatedServers]:
    """:func:`start_replicated` in a new temporary directory, or skip if PostgreSQL is absent."""
    directory = _directory_or_skip()
    try:
        with start_replicated(directory) as servers:
            yield servers
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _directory_or_skip() -> Path:
    import pytest

    if find_binaries() is None:
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"PostgreSQL is not installed, and {REQUIRE_ENV} says it must be")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    # Directly under the system's temporary directory: pytest's own is closed to `postgres`.
    return Path(tempfile.mkdtemp(prefix="hotline-pg-"))


@contextlib.contextmanager
def server_or_skip() -> Iterator[PostgreSQLServer]:
    """:func:`start_server` in a new temporary directory, or skip if PostgreSQL is absent.

    The directory is made directly under the system's temporary directory:
    pytest's own (``/tmp/pytest-of-root``, mode 0700) is closed to the
    ``postgres`` user the server runs as.
    """
    directory = _directory_or_skip()
    try:
        with start_server(directory) as server:
            yield server
    finally:
        shutil.rmtree(directory, ignore_errors=True)
