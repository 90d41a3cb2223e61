"""PeerEncryptionKeyStore: a peer's encryption key switched by serial, never back."""

from __future__ import annotations

import pytest

from hotline.errors import StoreError
from hotline.store import ChainRecord, Direction, PeerEncryptionKey, Store
from hotline.testing.store_conformance._fixtures import T0, at

__all__ = ["TestPeerEncryptionKeys"]

_CHAIN = ChainRecord(epoch=1, index=5, key=b"\x07" * 32)


def _key(**overrides: object) -> PeerEncryptionKey:
    fields: dict[str, object] = {
        "party": "moscow",
        "serial": 2,
        "key": b"\x02" * 32,
        "set_at": T0,
    }
    fields.update(overrides)
    return PeerEncryptionKey(**fields)  # type: ignore[arg-type]


def _sealing_key(store: Store, party: str) -> bytes:
    peer = store.get_peer(party)
    assert peer is not None
    return peer.encryption_key


class TestPeerEncryptionKeys:
    """The newest serial is the key sealed to; an older or equal one changes nothing."""

    def test_a_switch_changes_the_key_the_peer_is_read_with(self, peered: Store) -> None:
        card_key = _sealing_key(peered, "moscow")
        other = _sealing_key(peered, "beijing")
        assert peered.set_peer_encryption_key(_key()) is True
        assert _sealing_key(peered, "moscow") == b"\x02" * 32
        assert _sealing_key(peered, "moscow") != card_key
        assert _sealing_key(peered, "beijing") == other
        by_key = peered.get_peer_by_key(peered.get_peer("moscow").signing_key)  # type: ignore[union-attr]
        assert by_key is not None
        assert by_key.encryption_key == b"\x02" * 32
        listed = {p.party: p.encryption_key for p in peered.list_peers()}
        assert listed["moscow"] == b"\x02" * 32
        newer = _key(serial=3, key=b"\x03" * 32, set_at=at(90))
        assert peered.set_peer_encryption_key(newer) is True
        assert _sealing_key(peered, "moscow") == b"\x03" * 32
        assert peered.peer_encryption_keys("moscow") == [_key(), newer]
        assert peered.peer_encryption_keys() == [_key(), newer]
        assert peered.peer_encryption_keys("beijing") == []

    def test_an_older_or_equal_serial_does_not_switch_back(self, peered: Store) -> None:
        assert peered.set_peer_encryption_key(_key(serial=3)) is True
        assert peered.set_peer_encryption_key(_key(serial=3, key=b"\x09" * 32)) is False
        assert peered.set_peer_encryption_key(_key(serial=2, key=b"\x08" * 32)) is False
        assert _sealing_key(peered, "moscow") == b"\x02" * 32
        assert peered.peer_encryption_keys("moscow") == [_key(serial=3)]

    def test_a_switch_ends_the_outgoing_epoch_only(self, peered: Store) -> None:
        peered.set_chain("moscow", Direction.OUT, _CHAIN)
        peered.set_chain("moscow", Direction.IN, _CHAIN)
        peered.set_chain("beijing", Direction.OUT, _CHAIN)
        assert peered.set_peer_encryption_key(_key()) is True
        assert peered.chain("moscow", Direction.OUT) is None
        assert peered.chain("moscow", Direction.IN) == _CHAIN
        assert peered.chain("beijing", Direction.OUT) == _CHAIN
        # No switch, no change to the chain.
        peered.set_chain("moscow", Direction.OUT, _CHAIN)
        assert peered.set_peer_encryption_key(_key(serial=1)) is False
        assert peered.chain("moscow", Direction.OUT) == _CHAIN

    @pytest.mark.parametrize(
        "overrides",
        [
            {"party": "nobody"},
            {"party": ""},
            {"serial": 0},
            {"serial": True},
            {"key": b"\x02" * 31},
            {"set_at": ""},
        ],
    )
    def test_a_bad_switch_is_refused(self, peered: Store, overrides: dict[str, object]) -> None:
        card_key = _sealing_key(peered, "moscow")
        with pytest.raises(StoreError):
            peered.set_peer_encryption_key(_key(**overrides))
        assert peered.peer_encryption_keys() == []
        assert _sealing_key(peered, "moscow") == card_key

    def test_a_switch_inside_a_failed_transaction_is_undone(self, peered: Store) -> None:
        card_key = _sealing_key(peered, "moscow")

        def switch_then_fail() -> None:
            with peered.transaction():
                peered.set_peer_encryption_key(_key())
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            switch_then_fail()
        assert peered.peer_encryption_keys() == []
        assert _sealing_key(peered, "moscow") == card_key
