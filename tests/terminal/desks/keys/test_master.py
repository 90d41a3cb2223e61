"""Master changes in the keys desk: announced, kept pending, blocking; forgeries refused."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.crypto import PeerCard, SoftwareSigner, Unsealer, is_sealed, make_master_transition
from hotline.errors import FingerprintMismatch, PassphraseError, PeerBlocked
from hotline.store import Direction, MessageState
from hotline.terminal import Terminal, TerminalPaths
from hotline.terminal.config.masterchange import (
    MASTER_CHANGE_DIR,
    change_master,
    finish_master_change,
)
from hotline.terminal.config.setup import init_terminal, open_terminal
from hotline.terminal.config.tiers import load_tiers, read_certificates
from hotline.terminal.config.trust import confirm_peer
from hotline.terminal.desks.keys import (
    KEY_EVENT_KIND,
    MASTER_CHANGED,
    MASTER_REFUSED,
    read_master_event,
)
from hotline.testing import run_virtual, virtual_clock
from tests.terminal.helpers import make_pair, make_terminal, refusals, wait_until

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def _delivered(terminal: Terminal, peer: str) -> set[str]:
    return {
        m.id
        for m in terminal.store.iter_messages(peer=peer, direction=Direction.OUT)
        if m.state is MessageState.DELIVERED
    }


def test_a_master_change_blocks_the_peer_until_its_new_fingerprint_is_confirmed(
    tmp_path: Path,
) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        moscow = Terminal.open(moscow_dir, clock=virtual_clock())
        await washington.start()
        await moscow.start()
        try:
            old = washington.fingerprint
            change = washington.change_master(passphrase=None)
            assert washington.fingerprint == change.fingerprint != old
            await wait_until(lambda: "Washington" in moscow.blocked, what="Moscow blocks")
            await wait_until(lambda: "Washington" not in moscow.lines, what="the line dropped")
            [alarm] = moscow.alarms.open_of_kind(MASTER_CHANGED)
            assert change.fingerprint in alarm.detail
            [status] = [p for p in moscow.status().peers if p.party == "Washington"]
            assert status.state == "blocked"
            with pytest.raises(PeerBlocked, match="changed its master key on"):
                moscow.send_text(to="Washington", text="refused")
            held = washington.send_text(to="Moscow", text="held").id
            moscow.confirm_peer(
                "Washington", fingerprint=change.fingerprint, method="phone", confirmed_by="Kim"
            )
            assert "Washington" in moscow.lines
            assert not moscow.alarms.open_of_kind(MASTER_CHANGED)
            stored = moscow.store.get_peer("Washington")
            assert stored is not None
            assert PeerCard.from_json(stored.card_json).master == change.transition.new_master
            await wait_until(
                lambda: held in _delivered(washington, "Moscow"), what="the held message"
            )
            later = moscow.send_text(to="Washington", text="back").id
            await wait_until(lambda: later in _delivered(moscow, "Washington"), what="reply")
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())


def test_a_transition_not_signed_by_the_pinned_master_is_refused_and_the_line_stays(
    tmp_path: Path,
) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)
    thief, new = (SoftwareSigner(Ed25519PrivateKey.generate()) for _ in range(2))

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        moscow = Terminal.open(moscow_dir, clock=virtual_clock())
        await washington.start()
        await moscow.start()
        try:
            assert washington.files.tiers is not None
            pinned = washington.files.tiers.master.public_key
            forged = make_master_transition(party="Washington", old=thief, new=new, at=1)
            # Claims Washington's pinned master, signed by someone else's key.
            claimed = dataclasses.replace(forged, old_master=pinned)
            for transition in (forged.encode(), claimed.encode()):
                washington.outbox.queue(
                    peer=washington.store.get_peer("Moscow"),  # type: ignore[arg-type]
                    text="MASTER KEY CHANGED",
                    kind=KEY_EVENT_KIND,
                    extra_body={
                        "op": "master",
                        "transition": transition,
                        "card": washington.card_json(),
                    },
                )
            washington.lines["Moscow"].wake()
            await wait_until(lambda: len(refusals(moscow.store)) == 2, what="both refused")
            reasons = [r.data["reason"] for r in refusals(moscow.store)]
            assert "not signed by Washington's master key as pinned here" in reasons[0]
            assert "old master key's signature does not verify" in reasons[1]
            assert [a.peer for a in moscow.alarms.open_of_kind(MASTER_REFUSED)] == ["Washington"]
            # Nothing changed: not blocked, the line carries messages both ways.
            assert moscow.store.peer_master_changes() == []
            assert not moscow.blocked
            assert "Washington" in moscow.lines
            reply = moscow.send_text(to="Washington", text="still here").id
            await wait_until(lambda: reply in _delivered(moscow, "Washington"), what="reply")
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())


def test_read_master_event_checks_the_card_against_the_transition(tmp_path: Path) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)
    files = open_terminal(washington_dir)
    moscow = open_terminal(moscow_dir)
    try:
        assert files.tiers is not None
        peer = moscow.store.get_peer("Washington")
        assert peer is not None
        changed = change_master(
            TerminalPaths(washington_dir),
            files.identity,
            files.tiers,
            passphrase=None,
            sealed=False,
            now=NOW,
        )
        new_card = dataclasses.replace(files, tiers=changed.tiers).card()
        body = {"op": "master", "transition": changed.transition.encode()}
        transition, card = read_master_event({**body, "card": new_card.to_json()}, peer=peer)
        assert (transition, card.master) == (changed.transition, changed.transition.new_master)
        # The old card (its master is not the transition's new one) is refused.
        with pytest.raises(Exception, match="new master key"):
            read_master_event({**body, "card": files.card().to_json()}, peer=peer)
        with pytest.raises(Exception, match="carries a transition"):
            read_master_event({"op": "master", "card": new_card.to_json()}, peer=peer)
    finally:
        files.store.close()
        moscow.store.close()


def test_an_interrupted_master_change_is_finished_after_its_marker_and_left_before(
    tmp_path: Path,
) -> None:
    directory = make_terminal(tmp_path / "washington", "Washington")
    paths = TerminalPaths(directory)
    files = open_terminal(directory)
    files.store.close()
    assert files.tiers is not None
    old_master = (paths.keys / "master.key").read_bytes()
    old_certificates = read_certificates(paths)

    # Before the marker: as if never asked.
    staging = paths.keys / MASTER_CHANGE_DIR
    staging.mkdir(mode=0o700)
    (staging / "master.key").write_bytes(b"half a key")
    finish_master_change(paths)
    assert (paths.keys / "master.key").read_bytes() == old_master
    assert not (paths.keys / "master-1.key").exists()

    # After the marker, with the old master archived and the new one in place, but the
    # certificates not yet: the next opening finishes it.
    changed = change_master(
        paths, files.identity, files.tiers, passphrase=None, sealed=False, now=NOW
    )
    new_master = (paths.keys / "master.key").read_bytes()
    assert (paths.keys / "master-1.key").read_bytes() == old_master
    assert read_certificates(paths) == changed.tiers.certificates
    staging.mkdir(mode=0o700)
    (staging / "certificates.cbor").write_bytes((paths.keys / "certificates.cbor").read_bytes())
    (staging / "number").write_bytes(b"1")
    (staging / "ready").write_bytes(b"")
    (paths.keys / "certificates.cbor").write_bytes(
        (paths.keys / "certificates-1.cbor").read_bytes()
    )
    reopened = open_terminal(directory)
    reopened.store.close()
    assert reopened.tiers is not None
    assert reopened.tiers.master.public_key == changed.transition.new_master
    assert (paths.keys / "master.key").read_bytes() == new_master
    assert (paths.keys / "master-1.key").read_bytes() == old_master
    assert not staging.exists()
    tiers = load_tiers(paths, "Washington", passphrase=None)
    assert tiers is not None
    # The same operational keys, the next serials, under the new master.
    assert [(c.kind, c.public_key, c.serial) for c in tiers.current()] == [
        (c.kind, c.public_key, c.serial + 1) for c in old_certificates
    ]


def test_a_sealed_terminals_new_master_is_sealed_under_the_same_passphrase(
    tmp_path: Path,
) -> None:
    passphrase = b"correct horse battery staple"
    directory = tmp_path / "washington"
    files = init_terminal(
        directory, party="Washington", listen=["127.0.0.1:1"], passphrase=passphrase
    )
    files.store.close()
    assert files.tiers is not None
    paths = TerminalPaths(directory)
    old_blob = (paths.keys / "master.key").read_bytes()
    for wrong in (None, b"not the passphrase"):
        with pytest.raises(PassphraseError):
            change_master(
                paths, files.identity, files.tiers, passphrase=wrong, sealed=True, now=NOW
            )
        assert (paths.keys / "master.key").read_bytes() == old_blob
        assert not (paths.keys / "master-1.key").exists()
    changed = change_master(
        paths, files.identity, files.tiers, passphrase=passphrase, sealed=True, now=NOW
    )
    assert is_sealed((paths.keys / "master.key").read_bytes())
    assert (paths.keys / "master-1.key").read_bytes() == old_blob
    reopened = load_tiers(paths, "Washington", passphrase=passphrase)
    assert reopened is not None
    assert reopened.master.public_key == changed.transition.new_master
    # The old master still opens under its label: old certificates still verify against it.
    old = Unsealer(passphrase).open(old_blob, label="Washington master")
    assert len(old) == 32


def test_a_stopped_terminal_confirms_the_new_fingerprint_and_starts_unblocked(
    tmp_path: Path,
) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)
    fingerprints: dict[str, str] = {}

    async def block() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        moscow = Terminal.open(moscow_dir, clock=virtual_clock())
        await washington.start()
        await moscow.start()
        try:
            fingerprints["old"] = washington.fingerprint
            fingerprints["new"] = washington.change_master(passphrase=None).fingerprint
            await wait_until(lambda: "Washington" in moscow.blocked, what="Moscow blocks")
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(block())
    files = open_terminal(moscow_dir)
    try:
        with pytest.raises(FingerprintMismatch, match="a new master is pending"):
            confirm_peer(
                files,
                "Washington",
                fingerprint=fingerprints["old"],
                method="phone",
                confirmed_by="Kim",
            )
        confirm_peer(
            files, "Washington", fingerprint=fingerprints["new"], method="phone", confirmed_by="Kim"
        )
        kinds = [entry.kind for entry in files.store.iter_journal()]
        assert kinds[-2:] == ["peer master confirmed", "peer confirmed"]
    finally:
        files.store.close()

    async def reopen() -> None:
        moscow = Terminal.open(moscow_dir, clock=virtual_clock())
        await moscow.start()
        try:
            assert not moscow.blocked
            assert "Washington" in moscow.lines
            [status] = [p for p in moscow.status().peers if p.party == "Washington"]
            assert status.state != "blocked"
        finally:
            await moscow.stop()

    run_virtual(reopen())
