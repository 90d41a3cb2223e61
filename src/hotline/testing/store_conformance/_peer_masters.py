"""PeerMasterStore: peers' master changes, pending until confirmed once, never deleted."""

from __future__ import annotations

import dataclasses

import pytest

from hotline.errors import StoreError
from hotline.store import PeerMasterChange, Store
from hotline.testing.store_conformance._fixtures import T0, at

__all__ = ["TestPeerMasters"]


def _change(**overrides: object) -> PeerMasterChange:
    fields: dict[str, object] = {
        "party": "moscow",
        "old_master": b"O" * 32,
        "new_master": b"N" * 32,
        "transition": b"\xa7transition bytes",
        "card_json": '{"hotline_card": 2}',
        "old_certificate": b"0\x82old certificate",
        "received_at": T0,
    }
    fields.update(overrides)
    return PeerMasterChange(**fields)  # type: ignore[arg-type]


class TestPeerMasters:
    """A change is stored pending, read back in order, confirmed once; one pending per party."""

    def test_changes_read_back_pending_then_confirmed(self, peered: Store) -> None:
        change = _change()
        other = _change(party="beijing", new_master=b"B" * 32)
        assert peered.add_peer_master_change(change) is True
        assert peered.add_peer_master_change(other) is True
        assert peered.peer_master_changes("moscow") == [change]
        assert peered.peer_master_changes() == [change, other]
        assert peered.peer_master_changes("nobody") == []
        assert change.pending
        peered.confirm_peer_master_change("moscow", b"N" * 32, at(5))
        [confirmed] = peered.peer_master_changes("moscow")
        assert confirmed == dataclasses.replace(change, confirmed_at=at(5))
        assert not confirmed.pending
        # Confirmed once: a second confirmation finds nothing pending.
        with pytest.raises(StoreError, match="no pending master change"):
            peered.confirm_peer_master_change("moscow", b"N" * 32, at(6))
        assert peered.peer_master_changes("moscow") == [confirmed]

    def test_the_same_change_again_is_no_change(self, peered: Store) -> None:
        change = _change()
        assert peered.add_peer_master_change(change) is True
        assert peered.add_peer_master_change(change) is False
        assert peered.peer_master_changes() == [change]

    def test_one_pending_change_per_party(self, peered: Store) -> None:
        assert peered.add_peer_master_change(_change()) is True
        with pytest.raises(StoreError, match="pending already"):
            peered.add_peer_master_change(_change(new_master=b"X" * 32))
        peered.confirm_peer_master_change("moscow", b"N" * 32, at(1))
        # Once confirmed, the next change may come (from the new master).
        later = _change(old_master=b"N" * 32, new_master=b"X" * 32, received_at=at(2))
        assert peered.add_peer_master_change(later) is True
        assert [c.pending for c in peered.peer_master_changes("moscow")] == [False, True]

    def test_confirming_what_is_not_pending_is_refused(self, peered: Store) -> None:
        with pytest.raises(StoreError, match="no pending master change"):
            peered.confirm_peer_master_change("moscow", b"N" * 32, at(1))
        peered.add_peer_master_change(_change())
        with pytest.raises(StoreError, match="no pending master change"):
            peered.confirm_peer_master_change("moscow", b"Z" * 32, at(1))
        with pytest.raises(StoreError, match="confirmed_at"):
            peered.confirm_peer_master_change("moscow", b"N" * 32, "")
        assert peered.peer_master_changes("moscow")[0].pending

    @pytest.mark.parametrize(
        "overrides",
        [
            {"party": "nobody"},
            {"party": ""},
            {"old_master": b"short"},
            {"new_master": b"O" * 32},
            {"transition": b""},
            {"card_json": ""},
            {"old_certificate": b""},
            {"received_at": ""},
            {"confirmed_at": T0},
        ],
    )
    def test_a_bad_change_is_refused(self, peered: Store, overrides: dict[str, object]) -> None:
        with pytest.raises(StoreError):
            peered.add_peer_master_change(_change(**overrides))
        assert peered.peer_master_changes() == []

    def test_confirming_inside_a_transaction(self, peered: Store) -> None:
        change = _change()
        peered.add_peer_master_change(change)
        with peered.transaction():
            peered.confirm_peer_master_change("moscow", b"N" * 32, at(3))
        assert peered.peer_master_changes("moscow")[0].confirmed_at == at(3)
