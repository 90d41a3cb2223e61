"""PeerKeyRevocationStore: peers' revoked keys kept for good, one revocation per key id."""

from __future__ import annotations

import pytest

from hotline.errors import StoreError
from hotline.store import PeerKeyRevocation, Store
from hotline.testing.store_conformance._fixtures import T0

__all__ = ["TestPeerKeyRevocations"]


def _revocation(**overrides: object) -> PeerKeyRevocation:
    fields: dict[str, object] = {
        "party": "moscow",
        "key_id": "tls-0011223344556677",
        "kind": "tls",
        "public_key": b"\x07" * 32,
        "compromised_since": 1_790_000_000,
        "revocation": b"\xa9revocation bytes",
        "received_at": T0,
    }
    fields.update(overrides)
    return PeerKeyRevocation(**fields)  # type: ignore[arg-type]


class TestPeerKeyRevocations:
    """Revocations read back in order per peer; a re-delivery is no change, a clash refused."""

    def test_revocations_read_back_oldest_first(self, peered: Store) -> None:
        first = _revocation()
        other = _revocation(party="beijing", key_id="signing-1", kind="signing")
        second = _revocation(key_id="signing-2", kind="signing", compromised_since=0)
        for item in (first, other, second):
            assert peered.add_peer_key_revocation(item) is True
        assert peered.peer_key_revocations("moscow") == [first, second]
        assert peered.peer_key_revocations() == [first, other, second]
        assert peered.peer_key_revocations("nobody") == []

    def test_the_same_revocation_again_is_no_change(self, peered: Store) -> None:
        item = _revocation()
        assert peered.add_peer_key_revocation(item) is True
        assert peered.add_peer_key_revocation(item) is False
        with pytest.raises(StoreError, match="revoked already"):
            peered.add_peer_key_revocation(_revocation(revocation=b"other bytes"))
        assert peered.peer_key_revocations() == [item]

    @pytest.mark.parametrize(
        "overrides",
        [
            {"party": "nobody"},
            {"kind": "master"},
            {"key_id": ""},
            {"public_key": b"\x07" * 31},
            {"compromised_since": -1},
            {"compromised_since": True},
            {"revocation": b""},
            {"received_at": ""},
        ],
    )
    def test_a_bad_revocation_is_refused(self, peered: Store, overrides: dict[str, object]) -> None:
        with pytest.raises(StoreError):
            peered.add_peer_key_revocation(_revocation(**overrides))
        assert peered.peer_key_revocations() == []

    def test_a_revocation_inside_a_failed_transaction_is_undone(self, peered: Store) -> None:
        def add_then_fail() -> None:
            with peered.transaction():
                peered.add_peer_key_revocation(_revocation())
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            add_then_fail()
        assert peered.peer_key_revocations() == []
