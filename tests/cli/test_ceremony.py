"""``hotline ceremony``: a key ceremony recorded, signed by its participants, verified (issue 18).

Through real processes: console users sign with their own keys (unlocked with
their passwords); the entry lists the terminal's keys; ``hotline verify``
checks every signature and flags an entry whose signature is not the named
person's; a running terminal is refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.store import open_store
from hotline.terminal.record.ceremonies import CEREMONY_KIND, ceremony_statement
from tests.cli.helpers import TerminalProcess, hotline, init_unprotected, make_mesh, wait_for


@pytest.fixture
def terminal(tmp_path: Path) -> Path:
    """A stopped two-tier terminal with two console users, alice and bob."""
    directory = tmp_path / "w"
    init_unprotected(directory, "Washington")
    for name, role in (("alice", "admin"), ("bob", "principal")):
        password = tmp_path / f"{name}.password"
        password.write_text(f"{name}'s long password\n", encoding="utf-8")
        hotline("user", "add", directory, name, "--role", role, "--password-file", password)
    return directory


def _ceremony(directory: Path, *extra: str) -> list[str | Path]:
    root = directory.parent
    return [
        "ceremony",
        directory,
        "--purpose",
        "initial keys of Washington",
        "--present",
        "alice",
        "--witness",
        "bob",
        "--password-file",
        f"alice={root / 'alice.password'}",
        "--password-file",
        f"bob={root / 'bob.password'}",
        *extra,
    ]


def test_a_ceremony_is_recorded_listed_and_verified(terminal: Path) -> None:
    recorded = hotline(*_ceremony(terminal))
    assert "signed by alice, bob" in recorded.stdout
    listed = json.loads(hotline("ceremony", "list", terminal, "--json").stdout)
    assert len(listed) == 1
    ceremony = listed[0]
    assert ceremony["purpose"] == "initial keys of Washington"
    assert ceremony["present"] == ["alice"]
    assert ceremony["witnesses"] == ["bob"]
    assert ceremony["signed_by"] == ["alice", "bob"]
    # The keys are the ones `hotline key list` shows, with the master.
    keys = json.loads(hotline("key", "list", terminal, "--json").stdout)
    assert [key.get("id") for key in ceremony["keys"][1:]] == [key["id"] for key in keys["keys"]]
    assert ceremony["keys"][0] == {"kind": "master", "public_key": keys["master_key"]}
    assert "initial keys of Washington" in hotline("ceremony", "list", terminal).stdout
    verified = hotline("verify", terminal).stdout
    assert "2 signatures" in verified
    assert "all hold" in verified


def test_a_wrong_or_missing_password_records_nothing(terminal: Path) -> None:
    root = terminal.parent
    wrong = hotline(
        *_ceremony(terminal, "--password-file", f"bob={root / 'alice.password'}"), check=False
    )
    assert wrong.returncode == 1
    assert "wrong name or password" in wrong.stderr
    missing = hotline(
        "ceremony",
        terminal,
        "--purpose",
        "p",
        "--present",
        "alice",
        "--witness",
        "bob",
        "--password-file",
        f"alice={root / 'alice.password'}",
        check=False,
        stdin="",
    )
    assert missing.returncode == 1
    assert "no password for bob" in missing.stderr
    assert json.loads(hotline("ceremony", "list", terminal, "--json").stdout) == []


def test_verify_flags_a_ceremony_not_signed_by_the_named_person(terminal: Path) -> None:
    hotline(*_ceremony(terminal))
    # A well-chained entry that claims bob signed, with a key that is not bob's.
    store = open_store(terminal / "hotline.db")
    try:
        body: dict[str, Any] = {
            "party": "Washington",
            "purpose": "forged",
            "at": "2026-12-02T00:00:00.000000Z",
            "present": ["bob"],
            "witnesses": [],
            "keys": [],
        }
        forger = Ed25519PrivateKey.generate()
        body["signatures"] = [
            {
                "name": "bob",
                "key": forger.public_key().public_bytes_raw().hex(),
                "signature": forger.sign(ceremony_statement(body)).hex(),
            }
        ]
        with store.transaction():
            store.append_journal(kind=CEREMONY_KIND, at=str(body["at"]), data=body)
    finally:
        store.close()
    result = hotline("verify", terminal, check=False)
    assert result.returncode != 0
    assert "key ceremony" in result.stdout + result.stderr
    assert "bob signed with a key that is not their person key" in result.stdout + result.stderr


def test_refused_while_the_terminal_runs(terminal: Path) -> None:
    process = TerminalProcess(terminal)
    try:
        process.start()
        result = hotline(*_ceremony(terminal), check=False)
        assert result.returncode == 1
        assert "is running: stop it first" in result.stderr
    finally:
        process.stop()
    assert json.loads(hotline("ceremony", "list", terminal, "--json").stdout) == []


def test_audit_shows_a_ceremony_with_its_signatures_verified(tmp_path: Path) -> None:
    terminals = make_mesh(tmp_path, ["Washington", "Moscow"])
    washington = terminals["Washington"].directory
    for name in ("alice", "bob"):
        password = tmp_path / f"{name}.password"
        password.write_text(f"{name}'s long password\n", encoding="utf-8")
        hotline("user", "add", washington, name, "--role", "admin", "--password-file", password)
    hotline(*_ceremony(washington))
    size = _journal_size(washington)
    try:
        for terminal in terminals.values():
            terminal.start()

        def cosigned() -> bool:
            record = json.loads(hotline("record", washington, "--json").stdout)
            return any(c["peer"] == "Moscow" and c["size"] >= size for c in record["cosigners"])

        wait_for(cosigned, within=60, what="Moscow's cosignature of the ceremony")
    finally:
        for terminal in terminals.values():
            terminal.stop()
    bundle = tmp_path / "record.json"
    hotline("export", washington, "--output", bundle)
    audited = hotline("audit", bundle).stdout
    assert "key ceremony: initial keys of Washington; present alice; witnesses bob" in audited
    assert "[signatures verified]" in audited
    assert audited.rstrip().endswith("every signature, proof, checkpoint and cosignature verified")


def _journal_size(directory: Path) -> int:
    store = open_store(directory / "hotline.db")
    try:
        return store.journal_size()
    finally:
        store.close()
