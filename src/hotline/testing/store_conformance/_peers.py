"""PeerStore: this terminal's party, set once, and its peers' keys, never replaced silently."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hotline.errors import AlreadyInitialised, PeerConflict, StoreError, UnknownPeer
from hotline.store import Store
from hotline.testing.store_conformance._fixtures import at, make_party, make_peer

__all__ = ["TestParty", "TestPeers"]


class TestParty:
    """The party is set once and is never one of the peers."""

    def test_party_set_once(self, store: Store) -> None:
        assert store.get_party() is None
        store.set_party(make_party())
        assert store.get_party() == make_party()
        with pytest.raises(AlreadyInitialised, match="washington"):
            store.set_party(make_party(party="ottawa"))
        assert store.get_party() == make_party()

    def test_party_may_not_be_a_peer(self, store: Store) -> None:
        store.add_peer(make_peer("moscow"))
        with pytest.raises(PeerConflict, match="moscow"):
            store.set_party(make_party(party="moscow"))
        assert store.get_party() is None


class TestPeers:
    """Peers by name and by key; a re-issued card updates, a conflicting one is refused."""

    def test_add_and_get_peers(self, store: Store) -> None:
        moscow, beijing = make_peer("moscow"), make_peer("beijing")
        assert store.add_peer(moscow) is True
        assert store.add_peer(beijing) is True
        assert store.get_peer("moscow") == moscow
        assert store.get_peer("paris") is None
        assert store.get_peer_by_key(beijing.signing_key) == beijing
        assert store.get_peer_by_key(b"\x00" * 32) is None
        assert store.list_peers() == [beijing, moscow]  # by party name

    def test_re_adding_same_keys_updates_the_card(self, store: Store) -> None:
        first = make_peer("moscow")
        store.add_peer(first)
        reissued = replace(
            first,
            routes=("new.example.net:7443",),
            timezone="Europe/Samara",
            certificate=b"renewed certificate",
            card_json='{"party": "moscow", "v": 2}',
            added_at=at(50),
        )
        assert store.add_peer(reissued) is False
        stored = store.get_peer("moscow")
        assert stored == replace(reissued, added_at=first.added_at)  # added_at stays the first

    def test_same_name_other_keys_conflicts(self, store: Store) -> None:
        store.add_peer(make_peer("moscow"))
        impostor = make_peer("moscow", signing_key=b"K" * 32, fingerprint="ff00ff00")
        with pytest.raises(PeerConflict) as caught:
            store.add_peer(impostor)
        text = str(caught.value)
        assert "'moscow'" in text
        assert "other keys" in text
        assert make_peer("moscow").fingerprint in text
        assert "ff00ff00" in text
        # Only the encryption key differing is a conflict too.
        with pytest.raises(PeerConflict):
            store.add_peer(make_peer("moscow", encryption_key=b"E" * 32))
        assert store.get_peer("moscow") == make_peer("moscow")

    def test_same_key_other_name_conflicts(self, store: Store) -> None:
        store.add_peer(make_peer("moscow"))
        twin = make_peer("leningrad", signing_key=make_peer("moscow").signing_key)
        with pytest.raises(PeerConflict, match="already belongs to peer 'moscow'"):
            store.add_peer(twin)
        assert store.get_peer("leningrad") is None

    def test_own_party_is_not_a_peer(self, store: Store) -> None:
        store.set_party(make_party())
        with pytest.raises(PeerConflict, match="own party"):
            store.add_peer(make_peer("washington"))
        with pytest.raises(PeerConflict, match="own signing key"):
            store.add_peer(make_peer("ottawa", signing_key=make_party().signing_key))
        assert store.list_peers() == []

    def test_last_contact(self, peered: Store) -> None:
        assert peered.last_contact("moscow") is None
        assert peered.last_contact("paris") is None
        peered.set_last_contact("moscow", at(5))
        peered.set_last_contact("moscow", at(9))
        assert peered.last_contact("moscow") == at(9)
        assert peered.last_contact("beijing") is None
        with pytest.raises(UnknownPeer, match="paris"):
            peered.set_last_contact("paris", at(1))
        with pytest.raises(StoreError, match="at"):
            peered.set_last_contact("moscow", "now")
        # The card itself is untouched by contact times.
        assert peered.get_peer("moscow") == make_peer("moscow")
