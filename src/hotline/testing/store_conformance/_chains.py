"""ChainStore: message-key chains, peer protocol versions, delivery of a range by one receipt."""

from __future__ import annotations

import pytest

from hotline.errors import StoreError, UnknownPeer
from hotline.store import ChainRecord, Direction, MessageState, Store
from hotline.testing.store_conformance._fixtures import at, make_message

__all__ = ["TestChains"]


def _outgoing(store: Store, count: int) -> list[str]:
    ids = []
    for serial in range(1, count + 1):
        message = make_message(serial=serial, envelope_hash=bytes([serial]) * 32)
        store.add_outgoing(message)
        ids.append(message.id)
    return ids


class TestChains:
    """Chains are replaced whole, protocols remembered, ranges delivered once."""

    def test_a_chain_is_stored_and_replaced_per_direction(self, peered: Store) -> None:
        assert peered.chain("moscow", Direction.OUT) is None
        first = ChainRecord(epoch=1, index=0, key=b"\x01" * 32)
        peered.set_chain("moscow", Direction.OUT, first)
        assert peered.chain("moscow", Direction.OUT) == first
        assert peered.chain("moscow", Direction.IN) is None
        later = ChainRecord(epoch=1, index=5, key=b"\x02" * 32)
        peered.set_chain("moscow", Direction.OUT, later)
        assert peered.chain("moscow", Direction.OUT) == later
        incoming = ChainRecord(epoch=3, index=1, key=b"\x03" * 32)
        peered.set_chain("moscow", Direction.IN, incoming)
        assert peered.chain("moscow", Direction.IN) == incoming
        assert peered.chain("moscow", Direction.OUT) == later

    def test_a_chain_key_never_shows_in_its_repr(self) -> None:
        assert "01" * 4 not in repr(ChainRecord(epoch=1, index=0, key=b"\x01" * 32))

    @pytest.mark.parametrize(
        "chain",
        [
            ChainRecord(epoch=0, index=0, key=b"\x01" * 32),
            ChainRecord(epoch=1, index=-1, key=b"\x01" * 32),
            ChainRecord(epoch=1, index=0, key=b"\x01" * 31),
        ],
    )
    def test_a_bad_chain_is_refused(self, peered: Store, chain: ChainRecord) -> None:
        with pytest.raises(StoreError):
            peered.set_chain("moscow", Direction.OUT, chain)
        assert peered.chain("moscow", Direction.OUT) is None

    def test_chains_and_protocols_need_a_known_peer(self, peered: Store) -> None:
        with pytest.raises(UnknownPeer):
            peered.set_chain("nowhere", Direction.OUT, ChainRecord(epoch=1, index=0, key=bytes(32)))
        with pytest.raises(UnknownPeer):
            peered.set_peer_protocol("nowhere", 2)

    def test_a_peer_speaks_version_one_until_told_otherwise(self, peered: Store) -> None:
        assert peered.peer_protocol("moscow") == 1
        peered.set_peer_protocol("moscow", 2)
        assert peered.peer_protocol("moscow") == 2
        peered.set_peer_protocol("moscow", 1)
        assert peered.peer_protocol("moscow") == 1
        with pytest.raises(StoreError):
            peered.set_peer_protocol("moscow", 0)

    def test_envelope_hashes_come_in_serial_order(self, peered: Store) -> None:
        _outgoing(peered, 5)
        assert peered.envelope_hashes("moscow", Direction.OUT, 2, 4) == [
            bytes([n]) * 32 for n in (2, 3, 4)
        ]
        assert peered.envelope_hashes("moscow", Direction.OUT, 4, 9) == [
            bytes([n]) * 32 for n in (4, 5)
        ]
        with pytest.raises(StoreError):
            peered.envelope_hashes("moscow", Direction.OUT, 3, 2)

    def test_a_range_is_delivered_once_with_one_receipt(self, peered: Store) -> None:
        ids = _outgoing(peered, 6)
        peered.add_delivery_receipt(ids[1], b"single", at(5))
        delivered = peered.deliver_range(
            "moscow", 1, 4, receipt=b"batch", delivered_at=at(9), transmitted_at=at(8)
        )
        assert delivered == [(ids[0], 1), (ids[2], 3), (ids[3], 4)]
        for message_id, _ in delivered:
            message = peered.get_message(message_id)
            assert message is not None
            assert (message.state, message.receipt) == (MessageState.DELIVERED, b"batch")
            assert (message.delivered_at, message.transmitted_at) == (at(9), at(8))
        kept = peered.get_message(ids[1])
        assert kept is not None
        assert kept.receipt == b"single"
        assert peered.deliver_range("moscow", 1, 4, receipt=b"again", delivered_at=at(10)) == []
        assert [m.serial for m in peered.pending_outgoing("moscow")] == [5, 6]

    def test_a_failed_range_changes_nothing(self, peered: Store) -> None:
        _outgoing(peered, 2)
        with pytest.raises(StoreError):
            peered.deliver_range("moscow", 1, 2, receipt=b"", delivered_at=at(9))
        with pytest.raises(StoreError):
            peered.deliver_range("moscow", 1, 2, receipt=b"r", delivered_at="yesterday")
        assert [m.serial for m in peered.pending_outgoing("moscow")] == [1, 2]
