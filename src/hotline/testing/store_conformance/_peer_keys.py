"""PeerKeyStore: peers' key certificates kept for good, one per key id."""

from __future__ import annotations

import pytest

from hotline.errors import StoreError
from hotline.store import PeerKeyCertificate, Store
from hotline.testing.store_conformance._fixtures import T0

__all__ = ["TestPeerKeys"]


def _certificate(**overrides: object) -> PeerKeyCertificate:
    fields: dict[str, object] = {
        "party": "moscow",
        "key_id": "signing-0011223344556677",
        "kind": "signing",
        "serial": 2,
        "certificate": b"\xa9certificate bytes",
        "received_at": T0,
    }
    fields.update(overrides)
    return PeerKeyCertificate(**fields)  # type: ignore[arg-type]


class TestPeerKeys:
    """Certificates read back in order per peer; a re-delivery is no change, a clash refused."""

    def test_certificates_read_back_oldest_first(self, peered: Store) -> None:
        first = _certificate()
        other = _certificate(party="beijing", kind="tls", key_id="tls-1", serial=5)
        second = _certificate(kind="encryption", key_id="encryption-1", serial=3)
        for item in (first, other, second):
            assert peered.add_peer_key_certificate(item) is True
        assert peered.peer_key_certificates("moscow") == [first, second]
        assert peered.peer_key_certificates() == [first, other, second]
        assert peered.peer_key_certificates("nobody") == []

    def test_the_same_certificate_again_is_no_change(self, peered: Store) -> None:
        item = _certificate()
        assert peered.add_peer_key_certificate(item) is True
        assert peered.add_peer_key_certificate(item) is False
        with pytest.raises(StoreError, match="another certificate"):
            peered.add_peer_key_certificate(_certificate(certificate=b"other bytes"))
        assert peered.peer_key_certificates() == [item]

    @pytest.mark.parametrize(
        "overrides",
        [
            {"party": "nobody"},
            {"kind": "master"},
            {"serial": 0},
            {"key_id": ""},
            {"certificate": b""},
            {"received_at": ""},
        ],
    )
    def test_a_bad_certificate_is_refused(
        self, peered: Store, overrides: dict[str, object]
    ) -> None:
        with pytest.raises(StoreError):
            peered.add_peer_key_certificate(_certificate(**overrides))
        assert peered.peer_key_certificates() == []

    def test_a_certificate_inside_a_failed_transaction_is_undone(self, peered: Store) -> None:
        def add_then_fail() -> None:
            with peered.transaction():
                peered.add_peer_key_certificate(_certificate())
                raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            add_then_fail()
        assert peered.peer_key_certificates() == []
