"""Creating a terminal directory, opening it, and adding peers' cards."""

from __future__ import annotations

import json
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from hotline.crypto import PeerCard, b64url_decode, b64url_encode
from hotline.errors import (
    AlreadyInitialised,
    CardInvalid,
    ConfigError,
    InvalidArgument,
    NotInitialised,
    PeerConflict,
)
from hotline.terminal import TerminalPaths, add_peer_card, init_terminal, open_terminal
from hotline.terminal.config import parse_card
from hotline.testing import FakeClock
from hotline.utc import format_utc
from tests.terminal.helpers import card_of, make_terminal


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_a_complete_private_terminal(tmp_path: Path) -> None:
    directory = tmp_path / "moscow"
    clock = FakeClock()
    files = init_terminal(
        directory,
        party="Moscow",
        listen=["127.0.0.1:7001", "[::1]:7001"],
        timezone="Europe/Moscow",
        clock=clock,
    )
    try:
        paths = TerminalPaths(directory)
        assert paths.is_initialised()
        assert files.settings.listen == ("127.0.0.1:7001", "[::1]:7001")
        assert mode(directory) == 0o700
        assert mode(paths.keys) == 0o700
        assert all(mode(key) == 0o600 for key in paths.keys.iterdir())
        assert mode(paths.tls_key) == 0o600
        assert paths.certificate.read_text().startswith("-----BEGIN CERTIFICATE-----")
        party = files.store.get_party()
        assert party is not None
        assert party.signing_key == files.identity.signing_public
        assert party.created_at == format_utc(clock.now())
        [entry] = list(files.store.iter_journal())
        assert entry.kind == "terminal initialised"
        assert entry.data["fingerprint"] == files.card().fingerprint
        card = files.card()
        assert (card.party, card.routes, card.timezone) == (
            "Moscow",
            ("127.0.0.1:7001", "[::1]:7001"),
            "Europe/Moscow",
        )
    finally:
        files.store.close()


def test_init_twice_is_already_initialised_and_changes_nothing(tmp_path: Path) -> None:
    directory = make_terminal(tmp_path / "moscow", "Moscow")
    key = (directory / "keys" / "signing.key").read_bytes()
    config = (directory / "hotline.toml").read_text()
    with pytest.raises(AlreadyInitialised):
        init_terminal(directory, party="Moscow", listen=["127.0.0.1:7002"])
    assert (directory / "keys" / "signing.key").read_bytes() == key
    assert (directory / "hotline.toml").read_text() == config


def test_init_over_leftover_keys_is_already_initialised(tmp_path: Path) -> None:
    directory = make_terminal(tmp_path / "moscow", "Moscow")
    (directory / "hotline.toml").unlink()
    (directory / "hotline.db").unlink()
    with pytest.raises(AlreadyInitialised):
        init_terminal(directory, party="Moscow", listen=["127.0.0.1:7002"])


@pytest.mark.parametrize(
    ("arguments", "message", "error"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "time zone", ConfigError),
        ({"timezone": "moscow"}, "time zone", ConfigError),
        ({"listen": []}, "listen", ConfigError),
        ({"listen": ["nohost"]}, "listen address", ConfigError),
        ({"listen": ["127.0.0.1:0"]}, "listen address", ConfigError),
        ({"listen": ["127.0.0.1:7001", "127.0.0.1:7001"]}, "twice", ConfigError),
        ({"party": "Mos/cow"}, "party name", InvalidArgument),
        ({"party": ""}, "party name", InvalidArgument),
    ],
)
def test_bad_arguments_are_refused_and_create_nothing(
    tmp_path: Path, arguments: dict[str, object], message: str, error: type[Exception]
) -> None:
    # The settings init writes are configuration (ConfigError); the party name is
    # checked by the identity as any caller's value (InvalidArgument).
    directory = tmp_path / "moscow"
    given: dict[str, object] = {"party": "Moscow", "listen": ["127.0.0.1:7001"], "timezone": "UTC"}
    given.update(arguments)
    with pytest.raises(error, match=message):
        init_terminal(directory, **given)  # type: ignore[arg-type]
    assert not directory.exists()


def test_open_a_directory_that_is_no_terminal(tmp_path: Path) -> None:
    with pytest.raises(NotInitialised, match="hotline init"):
        open_terminal(tmp_path)


def test_open_with_another_terminals_keys_is_refused(tmp_path: Path) -> None:
    moscow = make_terminal(tmp_path / "moscow", "Moscow")
    other = make_terminal(tmp_path / "other", "Moscow")
    shutil.rmtree(moscow / "keys")
    shutil.copytree(other / "keys", moscow / "keys")
    with pytest.raises(NotInitialised, match="different terminals"):
        open_terminal(moscow)


def test_open_rewrites_missing_tls_files(tmp_path: Path) -> None:
    directory = tmp_path / "moscow"
    init_terminal(
        directory, party="Moscow", listen=["127.0.0.1:7001"], two_tier=False
    ).store.close()
    paths = TerminalPaths(directory)
    certificate = paths.certificate.read_text()
    paths.certificate.unlink()
    paths.tls_key.unlink()
    files = open_terminal(directory)
    files.store.close()
    assert paths.certificate.read_text() == certificate  # deterministic from the identity
    assert mode(paths.tls_key) == 0o600


def test_open_gives_a_two_tier_terminal_a_new_certified_tls_key(tmp_path: Path) -> None:
    directory = make_terminal(tmp_path / "moscow", "Moscow")
    paths = TerminalPaths(directory)
    files = open_terminal(directory)
    before = files.card()
    files.store.close()
    certificate = paths.certificate.read_text()
    paths.certificate.unlink()
    paths.tls_key.unlink()
    files = open_terminal(directory)
    after = files.card()
    files.store.close()
    # A new TLS key (the old one is gone), certified by the same master: the card's
    # certificate, the peers' TLS anchor, and the fingerprint stay the same.
    assert paths.certificate.read_text() != certificate
    assert mode(paths.tls_key) == 0o600
    assert after.certificate == before.certificate
    assert after.fingerprint == before.fingerprint
    old_tls, new_tls = before.key_certificate("tls"), after.key_certificate("tls")
    assert old_tls is not None
    assert new_tls is not None
    assert (old_tls.serial, new_tls.serial) == (1, 2)


@pytest.fixture
def moscow(tmp_path: Path) -> Path:
    return make_terminal(tmp_path / "moscow", "Moscow")


@pytest.fixture
def washington_card(tmp_path: Path) -> PeerCard:
    return card_of(make_terminal(tmp_path / "washington", "Washington"))


def test_add_peer_then_refresh(moscow: Path, washington_card: PeerCard) -> None:
    files = open_terminal(moscow)
    try:
        added = add_peer_card(files, washington_card.to_json())
        assert added.new
        assert added.peer.party == "Washington"
        assert added.peer.signing_key == washington_card.signing_key
        assert added.peer.certificate == washington_card.certificate
        again = add_peer_card(files, washington_card.to_json().encode())
        assert not again.new
        kinds = [entry.kind for entry in files.store.iter_journal()]
        assert kinds[-2:] == ["peer added", "peer card refreshed"]
        assert [p.party for p in files.store.list_peers()] == ["Washington"]
    finally:
        files.store.close()


def test_own_card_as_peer_is_peer_conflict(moscow: Path) -> None:
    files = open_terminal(moscow)
    try:
        with pytest.raises(PeerConflict, match="own card"):
            add_peer_card(files, files.card().to_json())
        assert files.store.list_peers() == []
    finally:
        files.store.close()


def test_card_with_our_own_party_name_is_peer_conflict(moscow: Path, tmp_path: Path) -> None:
    impostor = card_of(make_terminal(tmp_path / "impostor", "Moscow"))
    files = open_terminal(moscow)
    try:
        with pytest.raises(PeerConflict, match="own name"):
            add_peer_card(files, impostor.to_json())
    finally:
        files.store.close()


def test_second_card_for_a_known_party_with_other_keys_is_peer_conflict(
    moscow: Path, washington_card: PeerCard, tmp_path: Path
) -> None:
    impostor = card_of(make_terminal(tmp_path / "impostor", "Washington"))
    files = open_terminal(moscow)
    try:
        add_peer_card(files, washington_card.to_json())
        with pytest.raises(PeerConflict):
            add_peer_card(files, impostor.to_json())
        peer = files.store.get_peer("Washington")
        assert peer is not None
        assert peer.signing_key == washington_card.signing_key
    finally:
        files.store.close()


def _edit(card: PeerCard, field: str, value: object) -> str:
    document = json.loads(card.to_json())
    document[field] = value
    return json.dumps(document)


def _flip_b64(text: str) -> str:
    raw = b64url_decode(text)
    return b64url_encode(raw[:-1] + bytes([raw[-1] ^ 1]))


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: _edit(c, "routes", ["203.0.113.9:7001"]), id="routes"),
        pytest.param(lambda c: _edit(c, "party", "Washingtom"), id="party"),
        pytest.param(lambda c: _edit(c, "timezone", "Europe/Moscow"), id="timezone"),
        pytest.param(
            lambda c: _edit(c, "signature", _flip_b64(json.loads(c.to_json())["signature"])),
            id="signature",
        ),
        pytest.param(
            lambda c: _edit(
                c, "encryption_key", _flip_b64(json.loads(c.to_json())["encryption_key"])
            ),
            id="encryption-key",
        ),
        pytest.param(lambda c: c.to_json()[:-10], id="truncated"),
        pytest.param(lambda c: "not a card", id="not-json"),
        pytest.param(lambda c: "[]", id="json-list"),
    ],
)
def test_tampered_card_is_card_invalid(
    moscow: Path, washington_card: PeerCard, tamper: Callable[[PeerCard], str]
) -> None:
    text = tamper(washington_card)
    with pytest.raises(CardInvalid):
        parse_card(text)
    files = open_terminal(moscow)
    try:
        with pytest.raises(CardInvalid):
            add_peer_card(files, text)
        assert files.store.list_peers() == []
    finally:
        files.store.close()


def test_parse_card_round_trips(washington_card: PeerCard) -> None:
    assert parse_card(washington_card.to_json()) == washington_card
