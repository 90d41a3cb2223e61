"""``hotline statement`` and ``hotline audit`` of its export, with three real processes.

Washington, London and Paris, as a new user would: a conference, a two-language
draft, one revision, a signature made on the first draft that does not count
for the revision, all three signing, the same state on all three, an export
that ``hotline audit`` verifies and refuses once any byte of a text changes,
and a k-of-n policy one party cannot meet by signing twice. A statement that
releases a marked message (``--releases``) releases it on every terminal that
holds a copy once it is in force, and its export's audit and printable page
show the original message and its release.
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
from .test_markings import _message

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


def test_a_statement_in_force_releases_the_marked_message_everywhere(
    three: dict[str, TerminalProcess], tmp_path: Path
) -> None:
    _conference(three)
    secret = _users(three, tmp_path)
    directive = "Stand down the carrier group at 0600."
    sent = json.loads(
        hotline(
            "send", three["Washington"].directory, "--conference", "quint",
            "--eyes-only", "minister-london", "--eyes-only", "minister-paris",
            "--not-for-release", "--json", "--wait", directive,
        ).stdout
    )  # fmt: skip
    copies = {m["peer"]: m["id"] for m in sent["messages"]}
    assert set(copies) == {"London", "Paris"}
    held = {
        "Washington": list(copies.values()),
        "London": [copies["London"]],
        "Paris": [copies["Paris"]],
    }
    for party, ids in held.items():
        for message_id in ids:
            shown = _message(three[party], message_id)
            assert shown is not None, (party, message_id)
            assert shown["release"] is None

    (tmp_path / "en.txt").write_text("The carrier group stands down, as directed.\n")
    (tmp_path / "fr.txt").write_text("Le groupe aéronaval se retire, comme ordonné.\n")
    statement = hotline(
        "statement", "draft", three["Washington"].directory, "--conference", "quint",
        "--title", "Joint statement on the carrier group",
        "--text-file", f"en={tmp_path / 'en.txt'}", "--text-file", f"fr={tmp_path / 'fr.txt'}",
        "--authoritative", "en", "--releases", copies["London"],
    ).stdout.strip()  # fmt: skip
    wait_for(
        lambda: _states(three, statement) == dict.fromkeys(PARTIES, "circulating"),
        what="the draft on all three",
    )
    shown = _show(three["London"], statement)
    assert shown is not None
    assert shown["releases"]["message"] == copies["London"]
    human = hotline("statement", "show", three["Paris"].directory, statement).stdout
    assert f"releases marked message {copies['London']} when in force" in human
    for party in ("Washington", "London"):
        _sign(three, party, statement, secret)
    wait_for(lambda: _states(three, statement)["Paris"] == "signed", what="two signatures")
    # Signed by two of three: not in force, so nothing is released yet.
    assert all(
        (_message(three[party], i) or {}).get("release") is None
        for party, ids in held.items()
        for i in ids
    )
    _sign(three, "Paris", statement, secret)
    wait_for(
        lambda: _states(three, statement) == dict.fromkeys(PARTIES, "in-force"),
        what="in force on all three",
    )
    in_force_at = (_show(three["Washington"], statement) or {})["in_force_at"]

    def released_everywhere() -> bool:
        return all(
            (_message(three[party], i) or {}).get("release") is not None
            for party, ids in held.items()
            for i in ids
        )

    wait_for(released_everywhere, what="the release on every terminal holding a copy")
    for party, ids in held.items():
        for message_id in ids:
            release = (_message(three[party], message_id) or {})["release"]
            assert release["released_by"] == "Washington", (party, message_id)
            assert release["released_at"] == in_force_at
            assert release["public_text"] == "The carrier group stands down, as directed."
    # Released by the statement: no one releases it a second time.
    again = hotline("release", three["Washington"].directory, copies["London"], check=False)
    assert (again.returncode, "already released" in again.stderr) == (1, True)

    # The export's audit shows the original marked message and the statement's release of it.
    exported, page = tmp_path / "released.hotline", tmp_path / "released.html"
    hotline(
        "statement", "export", three["London"].directory, statement,
        "--output", exported, "--html", page,
    )  # fmt: skip
    audit = hotline("audit", exported).stdout
    assert "ALL HOLDS" in audit
    assert "state: in-force" in audit
    assert f"RELEASES marked message {copies['London']} (envelope " in audit, audit
    assert f"released by this statement as of {in_force_at}:" in audit
    assert "from Washington to London" in audit
    assert "** NOT FOR RELEASE" in audit
    assert f"  | {directive}" in audit
    printed = page.read_text(encoding="utf-8")
    assert printed.count(f'data-released="{copies["London"]}"') == 2  # under each language
    assert printed.count(f"{directive}</blockquote>") == 2
    assert "<td>Washington</td><td>London</td>" in printed
    # Paris holds its own copy, not the one the statement names: it cannot export the file.
    refused = hotline(
        "statement", "export", three["Paris"].directory, statement,
        "--output", tmp_path / "paris.hotline", check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "does not hold message" in refused.stderr
