"""End to end, as a user drives it: Moscow keeps its state in PostgreSQL, Washington in SQLite.

``hotline init … --store postgresql://…`` writes ``[store] url`` and makes the
schema in a real server's database (started by :mod:`hotline.testing.postgresql`);
both terminals are real ``hotline run`` processes. Messages go both ways and are
delivered with receipts, Moscow is restarted and finds them all again, and
``hotline verify`` holds on both sides.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.store.postgresql import PostgreSQLStore
from hotline.terminal import ControlClient
from hotline.testing.postgresql import PostgreSQLServer, server_or_skip

from .helpers import TerminalProcess, free_port, hotline, init_unprotected, wait_for

N = 20


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PostgreSQLServer]:
    with server_or_skip() as server:
        yield server


def _delivered(terminal: TerminalProcess) -> int:
    with ControlClient(terminal.directory) as client:
        return sum(1 for m in client.messages(direction="out") if m["state"] == "delivered")


def test_a_terminal_on_postgresql_talks_to_one_on_sqlite(
    pg_server: PostgreSQLServer, tmp_path: Path
) -> None:
    with pg_server.database() as url:
        washington_dir, moscow_dir = tmp_path / "washington", tmp_path / "moscow"
        init_unprotected(washington_dir, "Washington")
        init_unprotected(moscow_dir, "Moscow", "--store", url)
        settings = tomllib.loads((moscow_dir / "hotline.toml").read_text(encoding="utf-8"))
        assert settings["store"]["url"] == url
        assert not (moscow_dir / "hotline.db").exists()
        # A second terminal cannot be initialised into the same database.
        again = hotline(
            "init",
            "--unprotected-keys",
            tmp_path / "again",
            "--party",
            "Paris",
            "--listen",
            f"127.0.0.1:{free_port()}",
            "--store",
            url,
            check=False,
        )
        assert again.returncode != 0
        hotline("peer", "add", washington_dir, "-", stdin=hotline("card", moscow_dir).stdout)
        hotline("peer", "add", moscow_dir, "-", stdin=hotline("card", washington_dir).stdout)
        washington, moscow = TerminalProcess(washington_dir), TerminalProcess(moscow_dir)
        try:
            washington.start()
            moscow.start()
            with ControlClient(washington_dir) as w, ControlClient(moscow_dir) as m:
                for index in range(N):
                    w.send(to="Moscow", text=f"W->M {index}")
                    m.send(to="Washington", text=f"M->W {index}")
            wait_for(
                lambda: _delivered(washington) == N and _delivered(moscow) == N,
                what="every message delivered both ways",
            )
            moscow.stop()
            moscow.start()  # reopens the same database: everything is still there
            with ControlClient(moscow_dir) as m:
                received = m.messages(direction="in")
            assert sorted(msg["text"] for msg in received) == sorted(
                f"W->M {index}" for index in range(N)
            )
        finally:
            washington.stop()
            moscow.stop()
        for directory in (washington_dir, moscow_dir):
            result = hotline("verify", directory)
            assert "all hold" in result.stdout, result.stdout
        # The messages are in PostgreSQL, as another process reading it sees.
        with PostgreSQLStore.open_existing(url) as store:
            assert len(store.list_messages(peer="Washington")) == 2 * N
            assert store.verify_journal() is None
