"""GroupStore: the per-line copies of one payload, linked once and never changed."""

from __future__ import annotations

import pytest

from hotline.errors import StoreError
from hotline.store import GroupLink, Store
from hotline.testing.store_conformance._fixtures import make_message, make_peer

__all__ = ["TestGroups"]

_HASH = b"\x07" * 32


def _copies(store: Store, parties: tuple[str, ...]) -> list[str]:
    ids = []
    for party in parties:
        if party != "moscow":
            store.add_peer(make_peer(party))
        message = make_message(id=f"copy-{party}", peer=party, serial=1)
        store.add_outgoing(message)
        ids.append(message.id)
    return ids


class TestGroups:
    """Links are stored all or none, read back equal, and never changed."""

    def test_a_group_reads_back_in_order(self, peered: Store) -> None:
        ids = _copies(peered, ("moscow", "london", "paris"))
        links = [
            GroupLink(message_id=i, group_id="g1", payload_hash=_HASH, conference="c1") for i in ids
        ]
        peered.add_group_links(links)
        assert peered.group_members("g1") == links
        assert peered.group_links([ids[1], "unknown"]) == {ids[1]: links[1]}
        assert peered.group_members("nothing") == []
        assert peered.conference_groups("c1") == ["g1"]
        assert peered.conference_groups("c2") == []

    def test_a_conference_lists_its_groups_newest_first(self, peered: Store) -> None:
        peered.add_peer(make_peer("london"))
        for serial, group in enumerate(("g1", "g2", "g3"), start=1):
            message = make_message(id=f"m{serial}", peer="london", serial=serial)
            peered.add_outgoing(message)
            conference = None if group == "g2" else "c1"
            peered.add_group_links(
                [
                    GroupLink(
                        message_id=message.id,
                        group_id=group,
                        payload_hash=_HASH,
                        conference=conference,
                    )
                ]
            )
        assert peered.conference_groups("c1") == ["g3", "g1"]
        assert peered.conference_groups("c1", limit=1) == ["g3"]

    def test_links_are_all_or_none(self, peered: Store) -> None:
        [copy] = _copies(peered, ("moscow",))
        good = GroupLink(message_id=copy, group_id="g1", payload_hash=_HASH)
        missing = GroupLink(message_id="not-stored", group_id="g1", payload_hash=_HASH)
        with pytest.raises(StoreError, match="not-stored"):
            peered.add_group_links([good, missing])
        assert peered.group_members("g1") == []

    def test_a_message_joins_one_group_once(self, peered: Store) -> None:
        [copy] = _copies(peered, ("moscow",))
        peered.add_group_links([GroupLink(message_id=copy, group_id="g1", payload_hash=_HASH)])
        with pytest.raises(StoreError, match="already belongs to group g1"):
            peered.add_group_links([GroupLink(message_id=copy, group_id="g2", payload_hash=_HASH)])
        assert [link.group_id for link in peered.group_links([copy]).values()] == ["g1"]

    @pytest.mark.parametrize(
        "link",
        [
            GroupLink(message_id="copy-moscow", group_id="", payload_hash=_HASH),
            GroupLink(message_id="copy-moscow", group_id="g1", payload_hash=b"\x07" * 31),
            GroupLink(message_id="copy-moscow", group_id="g1", payload_hash=_HASH, conference=""),
        ],
    )
    def test_a_bad_link_is_refused(self, peered: Store, link: GroupLink) -> None:
        _copies(peered, ("moscow",))
        with pytest.raises(StoreError):
            peered.add_group_links([link])
        assert peered.group_links(["copy-moscow"]) == {}
