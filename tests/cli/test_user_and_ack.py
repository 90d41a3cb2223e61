"""``hotline user add|list`` and ``hotline ack`` through the CLI, with real terminals."""

from __future__ import annotations

import json
import time
from pathlib import Path

from .helpers import TerminalProcess, hotline


def _password_file(tmp_path: Path, password: str) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(password + "\n")
    path.chmod(0o600)
    return path


def test_users_added_offline_and_online_then_a_cli_acknowledgement(
    pair: tuple[TerminalProcess, TerminalProcess], tmp_path: Path
) -> None:
    washington, moscow = pair
    secret = _password_file(tmp_path, "correct horse battery")
    # Offline: written straight into the stopped terminal's store.
    added = hotline(
        "user",
        "add",
        moscow.directory,
        "ivanov",
        "--role",
        "operator",
        "--password-file",
        secret,
        "--language",
        "ru",
    )
    assert "added user ivanov (operator, language ru)" in added.stdout
    washington.start()
    moscow.start()
    # Online: through the running daemon's control API.
    hotline(
        "user", "add", moscow.directory, "audit", "--role", "auditor", "--password-file", secret
    )
    users = json.loads(hotline("user", "list", moscow.directory, "--json").stdout)
    assert [(u["name"], u["role"]) for u in users] == [("audit", "auditor"), ("ivanov", "operator")]
    duplicate = hotline(
        "user",
        "add",
        moscow.directory,
        "audit",
        "--role",
        "admin",
        "--password-file",
        secret,
        check=False,
    )
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr

    sent = json.loads(
        hotline(
            "send",
            washington.directory,
            "--to",
            "Moscow",
            "--json",
            "--wait",
            "--precedence",
            "flash",
            "Confirm at once.",
        ).stdout
    )
    # The auditor may not acknowledge; a wrong password is refused the same way for anyone.
    refused = hotline(
        "ack",
        moscow.directory,
        sent["id"],
        "--user",
        "audit",
        "--password-file",
        secret,
        check=False,
    )
    assert refused.returncode == 1
    assert "may not acknowledge" in refused.stderr
    wrong = hotline(
        "ack",
        moscow.directory,
        sent["id"],
        "--user",
        "ivanov",
        "--password-file",
        _password_file(tmp_path / "..", "not the password"),
        check=False,
    )
    assert wrong.returncode == 1
    assert "wrong name or password" in wrong.stderr
    done = hotline(
        "ack", moscow.directory, sent["id"], "--user", "ivanov", "--password-file", secret
    )
    assert f"acknowledged {sent['id']} as ivanov" in done.stdout
    deadline = time.monotonic() + 20
    while True:
        [message] = [
            m
            for m in json.loads(hotline("messages", washington.directory, "--json").stdout)
            if m["id"] == sent["id"]
        ]
        if message["state"] == "acknowledged" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert message["state"] == "acknowledged"
    assert message["acknowledged_by"] == "ivanov"
    text = hotline("messages", washington.directory).stdout
    assert "acknowledged by ivanov" in text
    for terminal in pair:
        assert hotline("verify", terminal.directory).stdout.startswith("verified:")


def test_user_add_without_a_password_source_is_a_clear_error(
    pair: tuple[TerminalProcess, TerminalProcess],
) -> None:
    washington, _ = pair
    result = hotline("user", "add", washington.directory, "x", "--role", "operator", check=False)
    assert result.returncode == 1
    assert "use --password-file" in result.stderr
