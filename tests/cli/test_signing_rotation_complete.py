"""A signing rotation, complete: the card after it, and a stop between staging and switching.

Through real processes, as an operator would (docs/keys.md §7):

- a party that rotated its signing key hands out a card carrying the current
  key's certificate beside the address's; a third terminal that adds that card
  afterwards accepts what the new key signs at once, both ways, and ``verify``
  holds everywhere;
- a terminal stopped after staging a signing key (its peer down, so the switch
  waited) resumes at its next start and switches once the peer has receipted
  the key event.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hotline.crypto import Envelope, PeerCard
from hotline.store import Direction
from hotline.terminal import ControlClient, open_terminal
from hotline.terminal.config.rotation import stage_signing
from hotline.terminal.config.setup import TerminalFiles
from hotline.terminal.config.tiers import save_certificates

from .helpers import TerminalProcess, free_port, hotline, init_unprotected, make_mesh, wait_for


def _opened(terminal: TerminalProcess, env: dict[str, str] | None = None) -> TerminalFiles:
    """The terminal's files, opened as a verb would (``env`` names the passphrase file)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        return open_terminal(terminal.directory)


def _journal_kinds(terminal: TerminalProcess, env: dict[str, str] | None = None) -> list[str]:
    files = _opened(terminal, env)
    try:
        return [e.kind for e in files.store.iter_journal()]
    finally:
        files.store.close()


def _signer_of_last(
    terminal: TerminalProcess, peer: str, env: dict[str, str] | None = None
) -> bytes | None:
    """The ``"sk"`` of the newest envelope to ``peer`` (None: signed by the address)."""
    files = _opened(terminal, env)
    try:
        [newest] = files.store.list_messages(peer=peer, direction=Direction.OUT, limit=1)
        return Envelope.decode(newest.envelope).header.signer
    finally:
        files.store.close()


def _signing_keys(terminal: TerminalProcess) -> list[tuple[int, str]]:
    listed = json.loads(hotline("key", "list", terminal.directory, "--json").stdout)
    return [(k["serial"], k["state"]) for k in listed["keys"] if k["kind"] == "signing"]


def _delivered(client: ControlClient, sent: dict[str, Any]) -> None:
    assert client.wait_delivered(str(sent["id"]))["state"] == "delivered"


def test_a_peer_added_after_a_signing_rotation_accepts_the_new_key(tmp_path: Path) -> None:
    terminals = make_mesh(tmp_path, ("Washington", "Moscow"))
    washington, moscow = terminals["Washington"], terminals["Moscow"]
    card_before = hotline("card", washington.directory).stdout
    moscow_card = hotline("card", moscow.directory).stdout
    paris = TerminalProcess(tmp_path / "paris")
    init_unprotected(paris.directory, "Paris")
    try:
        washington.start()
        moscow.start()
        hotline("key", "rotate", washington.directory, "--which", "signing")
        wait_for(
            lambda: "signing key switched" in _journal_kinds(washington),
            within=60,
            what="Washington's switch to its new signing key",
        )
        assert _signing_keys(washington) == [(1, "superseded"), (2, "current")]
        card_text = hotline("card", washington.directory).stdout
        card = PeerCard.from_json(card_text)
        before = PeerCard.from_json(card_before)
        # The address stays the first key; the card certifies the current one too.
        assert card.signing_key == before.signing_key
        assert [(c.kind, c.serial) for c in card.key_certificates if c.kind == "signing"] == [
            ("signing", 1),
            ("signing", 2),
        ]
        assert card.current_signing is not None
        assert card.current_signing.serial == 2
        assert card.fingerprint == before.fingerprint
        # A card where nothing rotated is what it always was, byte for byte.
        assert hotline("card", moscow.directory).stdout == moscow_card
        # Paris meets Washington only now.
        hotline("peer", "add", paris.directory, "-", stdin=card_text)
        hotline(
            "peer", "add", washington.directory, "-", stdin=hotline("card", paris.directory).stdout
        )
        paris.start()
        with (
            ControlClient(washington.directory) as at_washington,
            ControlClient(paris.directory) as at_paris,
        ):
            _delivered(
                at_washington, at_washington.send(to="Paris", text="bonjour from Washington")
            )
            _delivered(at_paris, at_paris.send(to="Washington", text="bonjour from Paris"))
            _delivered(at_washington, at_washington.send(to="Moscow", text="still on the line"))
    finally:
        for terminal in (washington, moscow, paris):
            terminal.stop()
    files = open_terminal(paris.directory)
    try:
        received = [m for m in files.store.list_messages(peer="Washington") if m.kind == "text"]
        journal = list(files.store.iter_journal())
    finally:
        files.store.close()
    inbound = [m for m in received if m.direction is Direction.IN]
    assert [m.text for m in inbound] == ["bonjour from Washington"]
    # Signed by the new key, named by the address, and taken without any key event.
    header = Envelope.decode(inbound[0].envelope).header
    assert header.sender == card.signing_key
    assert card.current_signing is not None
    assert header.signer == card.current_signing.public_key
    assert not [e for e in journal if e.kind in ("refusal", "peer key certified")]
    for terminal in (washington, moscow, paris):
        assert "all hold" in hotline("verify", terminal.directory).stdout


def _start_and_switch(washington: TerminalProcess, moscow: TerminalProcess) -> None:
    """Start both; Washington switches to the key staged before its start, and signs with it."""
    washington.start()
    moscow.start()
    wait_for(
        lambda: _signing_keys(washington) == [(1, "superseded"), (2, "current")],
        within=60,
        what="Washington's switch to the key staged before its start",
    )
    with ControlClient(washington.directory) as client:
        _delivered(client, client.send(to="Moscow", text="on the key staged before the start"))


def test_a_terminal_killed_between_staging_and_switching_switches_after_its_restart(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "washington.passphrase"
    secret.write_text("correct horse battery staple\n")
    env = {"HOTLINE_PASSPHRASE_FILE": str(secret)}
    washington = TerminalProcess(tmp_path / "wash", run_args=("--passphrase-file", secret))
    moscow = TerminalProcess(tmp_path / "moscow")
    init_unprotected(moscow.directory, "Moscow")
    hotline(
        "init",
        washington.directory,
        "--party",
        "Washington",
        "--listen",
        f"127.0.0.1:{free_port()}",
        "--passphrase-file",
        secret,
    )
    hotline(
        "peer",
        "add",
        washington.directory,
        "-",
        stdin=hotline("card", moscow.directory).stdout,
        env=env,
    )
    hotline(
        "peer",
        "add",
        moscow.directory,
        "-",
        stdin=hotline("card", washington.directory, env=env).stdout,
    )
    try:
        # Moscow is down: the key event waits in Washington's outbox, and so does the switch.
        washington.start()
        hotline("key", "rotate", washington.directory, "--which", "signing")
        assert _signing_keys(washington) == [(1, "current"), (2, "staged")]
        washington.kill()
        assert _signing_keys(washington) == [(1, "current"), (2, "staged")]
        _start_and_switch(washington, moscow)
        with ControlClient(moscow.directory) as client:
            _delivered(client, client.send(to="Washington", text="received"))
    finally:
        washington.stop()
        moscow.stop()
    kinds = _journal_kinds(washington, env)
    # Announced once (before the stop), switched once (after it).
    assert kinds.count("key rotated") == 1
    assert kinds.count("signing key switched") == 1
    assert _signer_of_last(washington, "Moscow", env) is not None
    assert "all hold" in hotline("verify", washington.directory, env=env).stdout
    assert "all hold" in hotline("verify", moscow.directory).stdout


@pytest.mark.parametrize("certified", [True, False], ids=["certified", "not-certified"])
def test_a_staged_key_never_announced_is_announced_at_the_next_start(
    tmp_path: Path, certified: bool
) -> None:
    """A stop after the key was staged, before the rotation's journal transaction.

    ``stage_signing`` is what ``key rotate`` runs first; the stop comes right
    after it (``certified``), or between its staging directory and
    ``keys/certificates.cbor`` (not ``certified``).
    """
    terminals = make_mesh(tmp_path, ("Washington", "Moscow"))
    washington, moscow = terminals["Washington"], terminals["Moscow"]
    files = open_terminal(washington.directory)
    try:
        assert files.tiers is not None
        stage_signing(files.paths, files.identity, files.tiers, sealer=None, now=datetime.now(UTC))
        if not certified:
            save_certificates(files.paths.keys, files.tiers.certificates)
    finally:
        files.store.close()
    assert [s for s, _ in _signing_keys(washington)] == ([1, 2] if certified else [1])
    try:
        _start_and_switch(washington, moscow)
    finally:
        washington.stop()
        moscow.stop()
    kinds = _journal_kinds(washington)
    assert kinds.count("key rotated") == 1
    assert kinds.count("signing key switched") == 1
    assert "peer key certified" in _journal_kinds(moscow)
    assert _signer_of_last(washington, "Moscow") is not None
    for terminal in (washington, moscow):
        assert "all hold" in hotline("verify", terminal.directory).stdout
