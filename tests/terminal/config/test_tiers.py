"""A terminal's two tiers on disk: the master key file, the certificates, what a load refuses."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import cbor2
import pytest

from hotline.crypto import Identity, PeerCard, make_card
from hotline.errors import CryptoError, PassphraseMissing, WrongPassphrase
from hotline.store import PeerRecord
from hotline.terminal import TerminalPaths, init_terminal
from hotline.terminal.config.tiers import (
    CERTIFICATES_FILE,
    MASTER_KEY_FILE,
    KeyTiers,
    create_tiers,
    load_tiers,
    peer_master,
    read_certificates,
    renew_tls,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PASSPHRASE = b"correct horse battery staple"


def _made(directory: Path, party: str = "Moscow", passphrase: bytes | None = None) -> KeyTiers:
    identity = Identity.generate(party)
    paths = TerminalPaths(directory)
    identity.save(paths.keys, passphrase=passphrase)
    return create_tiers(paths, identity, passphrase=passphrase, now=NOW)


def test_create_then_load_gives_the_same_master_and_certificates(tmp_path: Path) -> None:
    made = _made(tmp_path, passphrase=PASSPHRASE)
    paths = TerminalPaths(tmp_path)
    loaded = load_tiers(paths, "Moscow", passphrase=PASSPHRASE)
    assert loaded is not None
    assert loaded.master.public_key == made.master.public_key
    assert loaded.certificates == made.certificates
    assert [c.kind for c in loaded.current()] == ["signing", "encryption", "tls"]
    assert all(c.not_before == int(NOW.timestamp()) for c in loaded.certificates)
    assert read_certificates(paths) == made.certificates
    assert (paths.keys / MASTER_KEY_FILE).stat().st_mode & 0o777 == 0o600


def test_a_sealed_master_needs_the_passphrase_and_its_own_label(tmp_path: Path) -> None:
    _made(tmp_path / "moscow", passphrase=PASSPHRASE)
    paths = TerminalPaths(tmp_path / "moscow")
    with pytest.raises(PassphraseMissing):
        load_tiers(paths, "Moscow", passphrase=None)
    with pytest.raises(WrongPassphrase):
        load_tiers(paths, "Moscow", passphrase=b"another passphrase entirely")
    # The label binds the party: a master key file moved to another party's directory does not open.
    with pytest.raises(WrongPassphrase):
        load_tiers(paths, "Washington", passphrase=PASSPHRASE)


def test_single_tier_has_no_tiers(tmp_path: Path) -> None:
    files = init_terminal(
        tmp_path / "moscow", party="Moscow", listen=["127.0.0.1:7001"], two_tier=False
    )
    files.store.close()
    paths = TerminalPaths(tmp_path / "moscow")
    assert files.tiers is None
    assert load_tiers(paths, "Moscow", passphrase=None) is None
    assert read_certificates(paths) == ()
    assert files.card().version == 1


def test_certificates_of_another_master_are_refused(tmp_path: Path) -> None:
    _made(tmp_path / "moscow")
    _made(tmp_path / "other")
    shutil.copy(
        tmp_path / "other" / "keys" / CERTIFICATES_FILE,
        tmp_path / "moscow" / "keys" / CERTIFICATES_FILE,
    )
    with pytest.raises(CryptoError, match="did not issue"):
        load_tiers(TerminalPaths(tmp_path / "moscow"), "Moscow", passphrase=None)


def test_damaged_or_missing_certificates_are_refused(tmp_path: Path) -> None:
    _made(tmp_path)
    paths = TerminalPaths(tmp_path)
    path = paths.keys / CERTIFICATES_FILE
    items = cbor2.loads(path.read_bytes())
    items[0] = items[0][:-1] + bytes([items[0][-1] ^ 1])
    path.write_bytes(cbor2.dumps(items))
    with pytest.raises(CryptoError, match="does not verify"):
        load_tiers(paths, "Moscow", passphrase=None)
    path.write_bytes(b"\xff")
    with pytest.raises(CryptoError, match="damaged"):
        read_certificates(paths)
    path.unlink()
    with pytest.raises(CryptoError, match="certificates are gone"):
        load_tiers(paths, "Moscow", passphrase=None)


def test_renewing_tls_keeps_the_card_anchor_and_fingerprint(tmp_path: Path) -> None:
    identity = Identity.generate("Moscow")
    paths = TerminalPaths(tmp_path)
    identity.save(paths.keys)
    tiers = create_tiers(paths, identity, passphrase=None, now=NOW)

    def card(of: KeyTiers) -> PeerCard:
        return make_card(
            identity,
            routes=["127.0.0.1:7001"],
            timezone="UTC",
            master=of.master,
            key_certificates=of.current(),
        )

    renewed = renew_tls(paths, identity, tiers, sealed=False, now=NOW)
    assert renewed.next_serial("tls") == 3
    assert renewed.next_serial("signing") == 2
    assert card(renewed).certificate == card(tiers).certificate
    assert card(renewed).fingerprint == card(tiers).fingerprint
    assert card(renewed).key_certificate("tls") != card(tiers).key_certificate("tls")
    assert read_certificates(paths) == renewed.certificates


def test_peer_master_is_the_cards_master_or_the_signing_key(tmp_path: Path) -> None:
    two = init_terminal(tmp_path / "two", party="Moscow", listen=["127.0.0.1:7001"])
    one = init_terminal(
        tmp_path / "one", party="Beijing", listen=["127.0.0.1:7002"], two_tier=False
    )
    two.store.close()
    one.store.close()

    def record(card: PeerCard, card_json: str | None = None) -> PeerRecord:
        return PeerRecord(
            party=card.party,
            signing_key=card.signing_key,
            encryption_key=card.encryption_key,
            routes=card.routes,
            timezone=card.timezone,
            certificate=card.certificate,
            card_json=card.to_json() if card_json is None else card_json,
            fingerprint=card.fingerprint,
            added_at="2026-12-01T12:00:00.000000Z",
        )

    assert two.tiers is not None
    assert peer_master(record(two.card())) == two.tiers.master.public_key
    assert peer_master(record(one.card())) == one.card().signing_key
    assert peer_master(record(two.card(), card_json="{}")) == two.card().signing_key
