"""PeerConfirmationStore: signed fingerprint checks kept for good, removals while they hold."""

from __future__ import annotations

import pytest

from hotline.errors import StoreError
from hotline.store import PeerConfirmation, PeerRemoval, Store
from hotline.testing.store_conformance._fixtures import T0

__all__ = ["TestPeerConfirmations"]


def _confirmation(**overrides: object) -> PeerConfirmation:
    fields: dict[str, object] = {
        "party": "moscow",
        "fingerprint": "12345 67890 12345 67890",
        "method": "phone",
        "confirmed_by": "Duty officer Ана",
        "confirmed_at": T0,
        "signature": bytes(range(64)),
    }
    fields.update(overrides)
    return PeerConfirmation(**fields)  # type: ignore[arg-type]


class TestPeerConfirmations:
    """Confirmations read back in order per peer; a removal is marked once and cleared once."""

    def test_confirmations_read_back_oldest_first(self, peered: Store) -> None:
        first = _confirmation()
        second = _confirmation(method="in-person", confirmed_by="Second shift")
        other = _confirmation(party="beijing", method="video")
        for confirmation in (first, other, second):
            peered.add_peer_confirmation(confirmation)
        assert peered.peer_confirmations("moscow") == [first, second]
        assert peered.peer_confirmations() == [first, other, second]
        assert peered.peer_confirmations("nobody") == []

    @pytest.mark.parametrize(
        "overrides",
        [
            {"party": "nobody"},
            {"method": "carrier pigeon"},
            {"confirmed_by": ""},
            {"fingerprint": ""},
            {"signature": b"short"},
        ],
    )
    def test_a_bad_confirmation_is_refused(
        self, peered: Store, overrides: dict[str, object]
    ) -> None:
        with pytest.raises(StoreError):
            peered.add_peer_confirmation(_confirmation(**overrides))
        assert peered.peer_confirmations() == []

    def test_a_removal_is_marked_once_and_cleared_once(self, peered: Store) -> None:
        removal = PeerRemoval(party="moscow", fingerprint="1 2 3", removed_at=T0)
        assert peered.peer_removals() == {}
        peered.mark_peer_removed(removal)
        assert peered.peer_removals() == {"moscow": removal}
        with pytest.raises(StoreError, match="already removed"):
            peered.mark_peer_removed(removal)
        with pytest.raises(StoreError):
            peered.mark_peer_removed(PeerRemoval(party="nobody", fingerprint="1", removed_at=T0))
        assert peered.clear_peer_removal("moscow") is True
        assert peered.clear_peer_removal("moscow") is False
        assert peered.peer_removals() == {}

    def test_a_removal_inside_a_failed_transaction_is_undone(self, peered: Store) -> None:
        removal = PeerRemoval(party="moscow", fingerprint="1 2 3", removed_at=T0)

        def remove_then_fail() -> None:
            with peered.transaction():
                peered.mark_peer_removed(removal)
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            remove_then_fail()
        assert peered.peer_removals() == {}
