"""ChainAdoptionStore: a restored terminal's outgoing serials continue where the peer holds them."""

from __future__ import annotations

import pytest

from hotline.crypto import ZERO_HASH
from hotline.errors import StoreError
from hotline.store import ChainAdoption, Direction, Store
from hotline.testing.store_conformance._fixtures import T0, make_message

__all__ = ["TestChainAdoptions"]

HELD = bytes(range(32))


def _adoption(**overrides: object) -> ChainAdoption:
    fields: dict[str, object] = {
        "peer": "moscow",
        "held_before": 2,
        "serial": 7,
        "envelope_hash": HELD,
        "adopted_at": T0,
    }
    fields.update(overrides)
    return ChainAdoption(**fields)  # type: ignore[arg-type]


class TestChainAdoptions:
    """An adoption moves the next outgoing serial past the gap; the schema follows it."""

    def test_the_next_serial_continues_after_the_adopted_position(self, peered: Store) -> None:
        for serial in (1, 2):
            peered.add_outgoing(make_message(serial))
        peered.adopt_outgoing_chain(_adoption())
        assert peered.next_outgoing_serial("moscow") == (8, HELD)
        assert peered.next_outgoing_serial("beijing") == (1, ZERO_HASH)
        with pytest.raises(StoreError):
            peered.add_outgoing(make_message(3))  # the peer holds another serial 3
        peered.add_outgoing(make_message(8))
        assert peered.next_outgoing_serial("moscow")[0] == 9
        assert peered.chain_adoptions("moscow") == [_adoption()]
        assert peered.chain_adoptions() == [_adoption()]
        assert peered.chain_adoptions("beijing") == []
        assert [m.serial for m in peered.iter_messages(peer="moscow", direction=Direction.OUT)] == [
            1,
            2,
            8,
        ]

    def test_incoming_serials_are_not_moved(self, peered: Store) -> None:
        peered.adopt_outgoing_chain(_adoption(held_before=0, serial=4))
        peered.add_incoming(make_message(1, Direction.IN))
        with pytest.raises(StoreError):
            peered.add_incoming(make_message(6, Direction.IN, id="in-6"))

    def test_a_second_adoption_goes_beyond_the_first(self, peered: Store) -> None:
        peered.adopt_outgoing_chain(_adoption(held_before=0, serial=4))
        with pytest.raises(StoreError):
            peered.adopt_outgoing_chain(_adoption(held_before=0, serial=9))
        second = _adoption(held_before=4, serial=9)
        peered.adopt_outgoing_chain(second)
        assert peered.next_outgoing_serial("moscow") == (10, HELD)
        assert [a.serial for a in peered.chain_adoptions("moscow")] == [4, 9]
        assert second.missing == 5

    @pytest.mark.parametrize(
        "overrides",
        [
            {"peer": "nobody"},
            {"held_before": 1},  # the store holds serial 2
            {"serial": 2},  # not beyond what is held
            {"envelope_hash": b"short"},
            {"adopted_at": ""},
        ],
    )
    def test_a_bad_adoption_is_refused(self, peered: Store, overrides: dict[str, object]) -> None:
        for serial in (1, 2):
            peered.add_outgoing(make_message(serial))
        with pytest.raises(StoreError):
            peered.adopt_outgoing_chain(_adoption(**overrides))
        assert peered.chain_adoptions() == []
        assert peered.next_outgoing_serial("moscow")[0] == 3

    def test_an_adoption_rolls_back_with_its_transaction(self, peered: Store) -> None:
        def adopt_then_fail() -> None:
            with peered.transaction():
                peered.adopt_outgoing_chain(_adoption(held_before=0))
                raise RuntimeError("undo")

        with pytest.raises(RuntimeError):
            adopt_then_fail()
        assert peered.chain_adoptions() == []
        assert peered.next_outgoing_serial("moscow") == (1, ZERO_HASH)
