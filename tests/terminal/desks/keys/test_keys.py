"""Key rotation: a new TLS key certified, put in place, announced, kept by the peer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hotline.crypto import KeyCertificate, SoftwareSigner, certify_key
from hotline.errors import InvalidArgument
from hotline.store import Direction, MessageState
from hotline.terminal import Terminal, TerminalPaths, verify_store
from hotline.terminal.config.rotation import ROTATION_DIR, finish_rotation, rotate_tls
from hotline.terminal.config.setup import init_terminal, open_terminal
from hotline.terminal.config.tiers import read_certificates
from hotline.terminal.desks.keys import KEY_EVENT_KIND, KeyDesk, read_key_event
from hotline.testing import run_virtual, virtual_clock
from tests.terminal.helpers import make_pair, make_terminal, refusals, wait_until

NOW = datetime(2026, 12, 2, tzinfo=UTC)


def _signer() -> SoftwareSigner:
    return SoftwareSigner(Ed25519PrivateKey.generate())


def _delivered(terminal: Terminal, peer: str) -> list[str]:
    return [
        m.id
        for m in terminal.store.iter_messages(peer=peer, direction=Direction.OUT)
        if m.state is MessageState.DELIVERED
    ]


def test_a_rotated_tls_key_is_announced_kept_and_used_after_a_restart(tmp_path: Path) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)
    old_key = (washington_dir / "tls" / "key.pem").read_bytes()

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        moscow = Terminal.open(moscow_dir, clock=virtual_clock())
        await washington.start()
        await moscow.start()
        try:
            sent = [washington.send_text(to="Moscow", text=f"before {n}").id for n in range(5)]
            rotation = washington.desk(KeyDesk).rotate("tls")
            sent += [washington.send_text(to="Moscow", text=f"after {n}").id for n in range(5)]
            [certificate] = rotation.certificates
            assert (certificate.kind, certificate.serial) == ("tls", 2)
            assert rotation.announced_to == ("Moscow",)
            await wait_until(
                lambda: bool(moscow.store.peer_key_certificates("Washington")),
                what="Moscow keeps the new TLS key's certificate",
            )
            [kept] = moscow.store.peer_key_certificates("Washington")
            assert KeyCertificate.decode(kept.certificate) == certificate
            assert (kept.key_id, kept.kind, kept.serial) == (certificate.key_id, "tls", 2)
            await wait_until(
                lambda: set(sent) <= set(_delivered(washington, "Moscow")),
                what="every message delivered across the rotation",
            )
            journaled = [e for e in washington.store.iter_journal() if e.kind == "key rotated"]
            assert [e.data["key_id"] for e in journaled] == [certificate.key_id]
            certified = [e for e in moscow.store.iter_journal() if e.kind == "peer key certified"]
            assert [(e.data["peer"], e.data["key_id"]) for e in certified] == [
                ("Washington", certificate.key_id)
            ]
            assert not refusals(moscow.store)
            # Moscow listens: its next accepted connection is served with its new key.
            serving = moscow._server_context()
            assert moscow._server_context() is serving
            moscow.desk(KeyDesk).rotate("tls")
            assert moscow._server_context() is not serving
            await wait_until(
                lambda: len(washington.store.peer_key_certificates("Moscow")) == 1,
                what="Washington keeps Moscow's new TLS key's certificate",
            )
        finally:
            await washington.stop()
        assert (washington_dir / "tls" / "key.pem").read_bytes() != old_key
        assert not (washington_dir / "tls" / ROTATION_DIR).exists()
        newest = read_certificates(TerminalPaths(washington_dir))
        assert [c.serial for c in newest if c.kind == "tls"] == [1, 2]

        # Washington again, on its new key only: Moscow accepts the new leaf.
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        await washington.start()
        try:
            late = washington.send_text(to="Moscow", text="on the new key").id
            await wait_until(
                lambda: late in _delivered(washington, "Moscow"),
                what="a message over a session made with the new TLS key",
            )
            for terminal in (washington, moscow):
                assert verify_store(terminal.store, terminal.identity).ok
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())


def test_signing_rotation_is_refused_for_now_and_single_tier_has_no_master(
    tmp_path: Path,
) -> None:
    washington_dir = make_terminal(tmp_path / "washington", "Washington")
    single = init_terminal(
        tmp_path / "single", party="Single", listen=["127.0.0.1:1"], two_tier=False
    )
    single.store.close()

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        single_tier = Terminal.open(tmp_path / "single", clock=virtual_clock())
        try:
            desk = washington.desk(KeyDesk)
            with pytest.raises(InvalidArgument, match="one of"):
                desk.rotate("master")
            with pytest.raises(InvalidArgument, match="single-tier"):
                single_tier.desk(KeyDesk).rotate("tls")
        finally:
            await washington.stop()
            await single_tier.stop()

    run_virtual(main())
    assert [c.serial for c in read_certificates(TerminalPaths(washington_dir))] == [1, 1, 1]


def test_a_key_event_not_of_the_pinned_master_is_refused(tmp_path: Path) -> None:
    washington_dir, moscow_dir = make_pair(tmp_path)
    impostor = _signer()
    tls = _signer()
    forged = certify_key(
        master=impostor,
        party="Washington",
        kind="tls",
        public_key=tls.public_key,
        serial=9,
        not_before=int(NOW.timestamp()),
        not_after=int(NOW.timestamp()) + 86400,
        key_signer=tls,
    )

    async def main() -> None:
        washington = Terminal.open(washington_dir, clock=virtual_clock())
        moscow = Terminal.open(moscow_dir, clock=virtual_clock())
        await washington.start()
        await moscow.start()
        try:
            # A key event signed by Washington's signing key, certificate by another master.
            washington.outbox.queue(
                peer=washington.store.get_peer("Moscow"),  # type: ignore[arg-type]
                text="KEY ROTATED",
                kind=KEY_EVENT_KIND,
                extra_body={"op": "rotate", "certificates": [forged.encode()]},
            )
            washington.lines["Moscow"].wake()
            await wait_until(
                lambda: bool(refusals(moscow.store)), what="Moscow refuses the key event"
            )
            [refusal] = refusals(moscow.store)
            assert refusal.data["what"] == "key event"
            assert "master key" in refusal.data["reason"]
            assert moscow.store.peer_key_certificates() == []
        finally:
            await washington.stop()
            await moscow.stop()

    run_virtual(main())


def test_read_key_event_checks_shape_party_and_master() -> None:
    master = _signer()
    tls = _signer()
    good = certify_key(
        master=master,
        party="Washington",
        kind="tls",
        public_key=tls.public_key,
        serial=2,
        not_before=0,
        not_after=86400,
        key_signer=tls,
    )
    body = {"op": "rotate", "certificates": [good.encode()]}
    assert read_key_event(body, party="Washington", master=master.public_key) == (good,)
    with pytest.raises(InvalidArgument, match="not 'Moscow'"):
        read_key_event(body, party="Moscow", master=master.public_key)
    with pytest.raises(InvalidArgument, match="op"):
        read_key_event({**body, "op": "revoke"}, party="Washington", master=master.public_key)
    for certificates in ([], [b"junk"], [good.encode()] * 4, "x"):
        with pytest.raises(InvalidArgument):
            read_key_event(
                {"op": "rotate", "certificates": certificates},
                party="Washington",
                master=master.public_key,
            )
    with pytest.raises(InvalidArgument, match="one certificate per kind"):
        read_key_event(
            {"op": "rotate", "certificates": [good.encode(), good.encode()]},
            party="Washington",
            master=master.public_key,
        )


def test_an_interrupted_rotation_is_finished_after_its_marker_and_discarded_before(
    tmp_path: Path,
) -> None:
    directory = make_terminal(tmp_path / "washington", "Washington")
    paths = TerminalPaths(directory)
    files = open_terminal(directory)
    files.store.close()
    assert files.tiers is not None
    old_key = paths.tls_key.read_bytes()

    # Before the marker: as if never asked (the next rotation clears it).
    staging = paths.tls / ROTATION_DIR
    staging.mkdir(mode=0o700)
    (staging / "key.pem").write_bytes(b"half a key")
    finish_rotation(paths)
    assert paths.tls_key.read_bytes() == old_key
    assert len(read_certificates(paths)) == 3

    # After the marker, with the key moved and the certificate not: finished.
    tiers, certificate = rotate_tls(
        paths, files.identity, files.tiers, sealed=files.keys_sealed, now=NOW
    )
    new_key, new_cert = paths.tls_key.read_bytes(), paths.certificate.read_bytes()
    assert new_key not in (old_key, b"half a key")
    assert not staging.exists()
    staging.mkdir(mode=0o700)
    (staging / "cert.pem").write_bytes(new_cert)
    (staging / "certificate.cbor").write_bytes(certificate.encode())
    (staging / "ready").write_bytes(b"")
    paths.certificate.write_bytes(b"the old certificate")
    finish_rotation(paths)
    assert (paths.tls_key.read_bytes(), paths.certificate.read_bytes()) == (new_key, new_cert)
    assert read_certificates(paths) == tiers.certificates
    reopened = open_terminal(directory)
    reopened.store.close()
    assert reopened.tiers is not None
    assert reopened.tiers.current()[-1] == certificate
