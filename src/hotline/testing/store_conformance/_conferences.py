"""ConferenceStore: conferences, roster versions and answers, stored once and never changed."""

from __future__ import annotations

import pytest

from hotline.errors import StoreError
from hotline.store import ConferenceAnswer, ConferenceRecord, RosterRecord, Store

__all__ = ["TestConferences"]

_AT = "2026-12-01T18:00:00.000000Z"


def _conference(conference_id: str = "c1", *, name: str = "ops") -> ConferenceRecord:
    return ConferenceRecord(
        id=conference_id, name=name, convener="moscow", role="convener", created_at=_AT
    )


def _roster(version: int, conference: str = "c1") -> RosterRecord:
    return RosterRecord(
        conference=conference,
        version=version,
        roster=b"\xa1\x61v" + bytes([version]),
        group_id=f"g{version}",
        direction="sent",
        at=_AT,
    )


class TestConferences:
    """A conference, its rosters (strictly rising versions) and answers read back equal."""

    def test_a_conference_reads_back(self, store: Store) -> None:
        first, second = _conference("c1"), _conference("c2", name="ops")
        store.add_conference(first)
        store.add_conference(second)
        assert store.get_conference("c1") == first
        assert store.get_conference("nothing") is None
        # Names are not unique in the store: a member may hold two of one name.
        assert store.list_conferences() == [first, second]

    def test_an_id_is_stored_once(self, store: Store) -> None:
        store.add_conference(_conference())
        with pytest.raises(StoreError, match="already stored"):
            store.add_conference(_conference(name="other"))
        assert [c.name for c in store.list_conferences()] == ["ops"]

    @pytest.mark.parametrize(
        "bad",
        [
            ConferenceRecord(id="", name="ops", convener="m", role="convener", created_at=_AT),
            ConferenceRecord(id="c1", name="", convener="m", role="convener", created_at=_AT),
            ConferenceRecord(id="c1", name="ops", convener="m", role="boss", created_at=_AT),
        ],
    )
    def test_a_bad_conference_is_refused(self, store: Store, bad: ConferenceRecord) -> None:
        with pytest.raises(StoreError):
            store.add_conference(bad)
        assert store.list_conferences() == []

    def test_roster_versions_rise(self, store: Store) -> None:
        store.add_conference(_conference())
        assert store.latest_roster("c1") is None
        store.add_roster(_roster(1))
        store.add_roster(_roster(3))
        for stale in (1, 2, 3):
            with pytest.raises(StoreError, match="not newer"):
                store.add_roster(_roster(stale))
        assert store.rosters("c1") == [_roster(1), _roster(3)]
        assert store.latest_roster("c1") == _roster(3)
        assert store.rosters("nothing") == []

    def test_a_roster_needs_its_conference(self, store: Store) -> None:
        with pytest.raises(StoreError, match="no conference"):
            store.add_roster(_roster(1, conference="nothing"))
        assert store.rosters("nothing") == []

    def test_answers_read_back_in_order(self, store: Store) -> None:
        store.add_conference(_conference())
        store.add_roster(_roster(1))
        invited = ConferenceAnswer(
            conference="c1", version=1, party="london", answer="invited", at=_AT
        )
        refused = ConferenceAnswer(
            conference="c1",
            version=1,
            party="london",
            answer="refused",
            missing=("paris", "tokyo"),
            at=_AT,
            message_id="m1",
        )
        store.add_answer(invited)
        store.add_answer(refused)
        assert store.conference_answers("c1") == [invited, refused]
        assert store.conference_answers("nothing") == []

    @pytest.mark.parametrize(
        ("version", "answer", "match"),
        [(2, "joined", "no roster version 2"), (1, "maybe", "one of")],
    )
    def test_a_bad_answer_is_refused(
        self, store: Store, version: int, answer: str, match: str
    ) -> None:
        store.add_conference(_conference())
        store.add_roster(_roster(1))
        with pytest.raises(StoreError, match=match):
            store.add_answer(
                ConferenceAnswer(
                    conference="c1", version=version, party="london", answer=answer, at=_AT
                )
            )
        assert store.conference_answers("c1") == []

    def test_a_write_inside_a_failed_transaction_is_undone(self, store: Store) -> None:
        def both() -> None:
            with store.transaction():
                store.add_conference(_conference())
                store.add_roster(_roster(1))
                store.add_roster(_roster(1))

        with pytest.raises(StoreError):
            both()
        assert store.get_conference("c1") is None
        assert store.rosters("c1") == []
