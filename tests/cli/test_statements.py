"""``hotline statement`` and ``hotline audit`` of its export, with three real processes.

Washington, London and Paris, as a new user would: a conference, a two-language
draft, one revision, a signature made on the first draft that does not count
for the revision, all three signing, the same state on all three, an export
that ``hotline audit`` verifies and refuses once any byte of a text changes,
and a k-of-n policy one party cannot meet by signing twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cbor2
import pytest

from hotline.terminal.record.statement_audit import MAGIC

from .helpers import TerminalProcess, hotline, make_mesh, wait_for

PARTIES = ("Washington", "London", "Paris")


@pytest.fixture
def three(tmp_path: Path) -> Iterator[dict[str, TerminalProcess]]:
    terminals = make_mesh(tmp_path, PARTIES)
    try:
        for terminal in terminals.values():
            terminal.start()
        yield terminals
    finally:
        for terminal in terminals.values():
            terminal.stop()


def _show(terminal: TerminalProcess, ref: str) -> dict[str, Any] | None:
    result = hotline("statement", "show", terminal.directory, ref, "--json", check=False)
    if result.returncode != 0:
        return None
    shown: dict[str, Any] = json.loads(result.stdout)
    return shown


def _states(t: dict[str, TerminalProcess], ref: str) -> dict[str, str | None]:
    return {
        party: (s or {}).get("state") for party, s in ((p, _show(x, ref)) for p, x in t.items())
    }


def _conference(t: dict[str, TerminalProcess]) -> None:
    hotline(
        "conference", "create", t["Washington"].directory, "quint",
        "--party", "London", "--party", "Paris",
    )  # fmt: skip

    def joined() -> bool:
        shown = json.loads(
            hotline("conference", "show", t["Washington"].directory, "quint", "--json").stdout
        )
        return all(m["answer"] in ("convener", "joined") for m in shown["members"])

    wait_for(joined, what="London and Paris to join")


def _users(t: dict[str, TerminalProcess], tmp_path: Path) -> Path:
    secret = tmp_path / "password"
    secret.write_text("correct horse battery\n")
    for party, terminal in t.items():
        hotline(
            "user", "add", terminal.directory, f"minister-{party.lower()}",
            "--role", "signatory", "--password-file", secret,
        )  # fmt: skip
    return secret


def _sign(t: dict[str, TerminalProcess], party: str, ref: str, secret: Path, user: str = "") -> str:
    return hotline(
        "statement", "sign", t[party].directory, ref,
        "--user", user or f"minister-{party.lower()}", "--password-file", secret,
    ).stdout  # fmt: skip


def test_draft_revise_sign_in_force_export_audit(
    three: dict[str, TerminalProcess], tmp_path: Path
) -> None:
    _conference(three)
    secret = _users(three, tmp_path)
    (tmp_path / "en.txt").write_text("The three governments call for restraint.\n")
    (tmp_path / "fr.txt").write_text("Les trois gouvernements appellent à la retenue.\n")
    statement = hotline(
        "statement", "draft", three["Washington"].directory, "--conference", "quint",
        "--title", "Joint statement", "--text-file", f"en={tmp_path / 'en.txt'}",
        "--text-file", f"fr={tmp_path / 'fr.txt'}", "--authoritative", "en",
    ).stdout.strip()  # fmt: skip
    assert len(statement) == 64
    wait_for(
        lambda: _states(three, statement) == dict.fromkeys(PARTIES, "circulating"),
        what="the draft on all three",
    )
    # London signs draft 1; Paris then revises the French text.
    assert "signed draft" in _sign(three, "London", statement, secret)
    wait_for(lambda: _states(three, statement)["Paris"] == "signed", what="London's signature")
    (tmp_path / "fr2.txt").write_text("Les trois gouvernements appellent au calme.\n")
    revised = hotline(
        "statement", "revise", three["Paris"].directory, statement,
        "--text-file", f"fr={tmp_path / 'fr2.txt'}",
    ).stdout  # fmt: skip
    assert revised.startswith(f"revised {statement}: current draft ")
    current = revised.split()[-1]
    wait_for(
        lambda: all((_show(x, statement) or {}).get("current") == current for x in three.values()),
        what="the revision on all three",
    )
    for terminal in three.values():
        shown = _show(terminal, statement)
        assert shown is not None
        assert shown["state"] == "circulating"  # London's signature was on draft 1
        assert not any(p["signed"] for p in shown["parties"])
        assert [s["counts"] for s in shown["signatures"]] == [False]

    for party in PARTIES:
        _sign(three, party, statement, secret)
    wait_for(
        lambda: _states(three, statement) == dict.fromkeys(PARTIES, "in-force"),
        what="in force on all three",
    )
    shown_all = [_show(x, statement) for x in three.values()]
    for key in ("state", "current", "in_force_at", "texts", "signed"):
        assert len({json.dumps(s[key] if s else None) for s in shown_all}) == 1, key
    human = hotline("statement", "show", three["London"].directory, statement).stdout
    assert "state: in-force" in human
    assert "Paris: signed by minister-paris at" in human
    listed = hotline("statement", "list", three["Paris"].directory).stdout
    assert statement in listed
    assert "in-force" in listed

    exported, page = tmp_path / "statement.hotline", tmp_path / "statement.html"
    hotline(
        "statement", "export", three["London"].directory, statement,
        "--output", exported, "--html", page,
    )  # fmt: skip
    audit = hotline("audit", exported)
    assert "ALL HOLDS" in audit.stdout
    assert "state: in-force" in audit.stdout
    assert "Les trois gouvernements appellent au calme." in audit.stdout
    assert "minister-washington for Washington" in audit.stdout
    assert "hotline audit statement-" in page.read_text()
    assert 'lang="fr"' in page.read_text()

    # Any byte of any language's text changed: refused, naming the fault.
    data = exported.read_bytes()
    for needle in (b"restraint", b"calme"):
        at = data.index(needle)
        tampered = data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1 :]
        (tmp_path / "tampered.hotline").write_bytes(tampered)
        refused = hotline("audit", tmp_path / "tampered.hotline", check=False)
        assert refused.returncode == 1, refused.stdout
        assert refused.stdout.startswith("FAULT:")
    # A signature repeated in the file is refused: a party counts once.
    document = cbor2.loads(data[len(MAGIC) :])
    document["signatures"].append(document["signatures"][-1])
    (tmp_path / "twice.hotline").write_bytes(MAGIC + cbor2.dumps(document, canonical=True))
    twice = hotline("audit", tmp_path / "twice.hotline", check=False)
    assert twice.returncode == 1
    assert "a party counts once" in twice.stdout


def test_k_of_n_is_not_met_by_one_party_signing_twice(
    three: dict[str, TerminalProcess], tmp_path: Path
) -> None:
    _conference(three)
    secret = _users(three, tmp_path)
    hotline(
        "user", "add", three["London"].directory, "deputy", "--role", "principal",
        "--password-file", secret,
    )  # fmt: skip
    (tmp_path / "en.txt").write_text("Two of three suffice.\n")
    statement = hotline(
        "statement", "draft", three["Washington"].directory, "--conference", "quint",
        "--title", "Two of three", "--text-file", f"en={tmp_path / 'en.txt'}", "--policy", "2",
    ).stdout.strip()  # fmt: skip
    wait_for(lambda: None not in _states(three, statement).values(), what="the draft")
    _sign(three, "London", statement, secret)
    _sign(three, "London", statement, secret, user="deputy")
    wait_for(
        lambda: len((_show(three["Paris"], statement) or {}).get("signatures", [])) == 2,
        what="both London signatures at Paris",
    )
    for terminal in three.values():
        shown = _show(terminal, statement)
        assert shown is not None
        assert (shown["state"], shown["signed"]) == ("signed", 1)
    exported = tmp_path / "two.hotline"
    hotline("statement", "export", three["Paris"].directory, statement, "--output", exported)
    audit = hotline("audit", exported)
    assert "state: signed" in audit.stdout
    assert "1 signed the current draft" in audit.stdout
    _sign(three, "Paris", statement, secret)
    wait_for(
        lambda: _states(three, statement) == dict.fromkeys(PARTIES, "in-force"), what="in force"
    )
    withdrawn = hotline(
        "statement", "withdraw", three["Washington"].directory, statement, check=False
    )
    assert withdrawn.returncode == 1
    assert "in-force" in withdrawn.stderr
