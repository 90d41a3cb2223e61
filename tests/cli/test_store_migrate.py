"""``hotline store migrate``: a SQLite terminal with a history moves to PostgreSQL and carries on.

Washington, Moscow and London run as real processes. Washington's line has
messages both ways, a person's acknowledgement, a conference and a checkpoint
cosigned by its peers; then it is stopped and migrated into a real server's
empty database. Its history reads the same, ``hotline verify`` holds with the
same counts, and once restarted the line carries new traffic.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline.testing.postgresql import PostgreSQLServer, server_or_skip

from .helpers import TerminalProcess, free_port, hotline, make_mesh, wait_for


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PostgreSQLServer]:
    with server_or_skip() as server:
        yield server


def _messages(directory: Path) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(hotline("messages", directory, "--json").stdout)
    return listed


def _record(directory: Path) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(hotline("record", directory, "--json").stdout)
    return shown


def _cosigned(record: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [(c["peer"], c["size"], c["cosigned_at"]) for c in record["cosigners"]]


def _build_history(terminals: dict[str, TerminalProcess], secret: Path) -> None:
    washington, moscow = terminals["Washington"], terminals["Moscow"]
    hotline("send", washington.directory, "--to", "Moscow", "--wait", "before the move 1")
    hotline("send", washington.directory, "--to", "London", "--wait", "before the move 2")
    sent = json.loads(
        hotline(
            "send", moscow.directory, "--to", "Washington", "--json", "--wait", "please confirm"
        ).stdout
    )
    hotline("ack", washington.directory, sent["id"], "--user", "ivanov", "--password-file", secret)
    hotline(
        "conference",
        "create",
        washington.directory,
        "ops",
        "--party",
        "Moscow",
        "--party",
        "London",
    )
    wait_for(
        lambda: all(
            m["answer"] in ("convener", "joined")
            for m in json.loads(
                hotline("conference", "show", washington.directory, "ops", "--json").stdout
            )["members"]
        ),
        what="both members to join the conference",
    )
    hotline("send", washington.directory, "--conference", "ops", "--wait", "to the conference")
    wait_for(
        lambda: (
            {c["peer"] for c in _record(washington.directory)["cosigners"]} == {"Moscow", "London"}
        ),
        what="Washington's checkpoint cosigned by both peers",
    )


def test_a_sqlite_terminal_moves_to_postgresql_and_carries_on(
    pg_server: PostgreSQLServer, tmp_path: Path
) -> None:
    secret = tmp_path / "password.txt"
    secret.write_text("correct horse battery\n")
    secret.chmod(0o600)
    terminals = make_mesh(tmp_path, ("Washington", "Moscow", "London"))
    washington = terminals["Washington"]
    directory = washington.directory
    hotline("user", "add", directory, "ivanov", "--role", "operator", "--password-file", secret)
    with pg_server.database() as url:
        try:
            for terminal in terminals.values():
                terminal.start()
            _build_history(terminals, secret)
            running = hotline("store", "migrate", directory, "--to", url, check=False)
            assert running.returncode == 1
            assert "is running: stop it first" in running.stderr
            history = _messages(directory)
            assert any(m["state"] == "acknowledged" for m in history), history
            washington.stop()
            verified = hotline("verify", directory).stdout
            record = _record(directory)

            moved = hotline("store", "migrate", directory, "--to", url)
            for table in ("messages", "journal", "acknowledgements", "conferences"):
                assert f"  {table} " in moved.stderr, moved.stderr
            assert "journal head" in moved.stdout
            assert not (directory / "hotline.db").exists()
            assert (directory / "hotline.db.migrated").is_file()
            settings = tomllib.loads((directory / "hotline.toml").read_text(encoding="utf-8"))
            assert settings["store"]["url"] == url

            # The same verification, the same record, the same history.
            assert hotline("verify", directory).stdout == verified
            assert _record(directory)["checkpoint"] == record["checkpoint"]
            assert _cosigned(_record(directory)) == _cosigned(record)
            washington.start()
            assert _messages(directory) == history
            hotline("send", directory, "--to", "Moscow", "--wait", "after the move")
            hotline("send", terminals["Moscow"].directory, "--to", "Washington", "--wait", "ok")
            after = _messages(directory)
            assert len(after) == len(history) + 2
            assert {m["text"] for m in after} >= {"after the move", "ok"}
        finally:
            for terminal in terminals.values():
                terminal.stop()
        assert "all hold" in hotline("verify", directory).stdout

        # A database that already holds a terminal is never merged into.
        other = tmp_path / "paris"
        hotline(
            "init",
            other,
            "--unprotected-keys",
            "--party",
            "Paris",
            "--listen",
            f"127.0.0.1:{free_port()}",
        )
        refused = hotline("store", "migrate", other, "--to", url, check=False)
        assert refused.returncode == 1
        assert "not empty" in refused.stderr
        assert (other / "hotline.db").is_file()
        assert 'url = ""' in (other / "hotline.toml").read_text(encoding="utf-8")
