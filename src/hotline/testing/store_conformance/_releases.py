"""ReleaseStore: a marked message released once, the release never changed."""

from __future__ import annotations

import pytest

from hotline.errors import StoreError
from hotline.store import Direction, ReleaseRecord, Store
from hotline.testing.store_conformance._fixtures import T0, make_message

__all__ = ["TestReleases"]


def _marked_and_release(store: Store) -> tuple[str, str]:
    """A marked message to moscow and the release message after it; their ids."""
    marked = make_message(1, peer="moscow")
    release = make_message(2, peer="moscow", kind="release")
    store.add_outgoing(marked)
    store.add_outgoing(release)
    return marked.id, release.id


def _release(message_id: str, release_id: str, **overrides: object) -> ReleaseRecord:
    fields: dict[str, object] = {
        "message_id": message_id,
        "released_by": "washington",
        "released_at": T0,
        "public_text": "The talks were held.",
        "release_id": release_id,
    }
    fields.update(overrides)
    return ReleaseRecord(**fields)  # type: ignore[arg-type]


class TestReleases:
    """A release is stored once, read back equal, and never changed."""

    def test_a_release_reads_back(self, peered: Store) -> None:
        marked, release_id = _marked_and_release(peered)
        release = _release(marked, release_id)
        assert peered.release_of(marked) is None
        peered.add_release(release)
        assert peered.release_of(marked) == release
        assert peered.releases([marked, release_id, "unknown"]) == {marked: release}

    def test_a_release_without_public_text(self, peered: Store) -> None:
        marked, release_id = _marked_and_release(peered)
        peered.add_release(_release(marked, release_id, public_text=None))
        found = peered.release_of(marked)
        assert found is not None
        assert found.public_text is None

    def test_an_incoming_message_released_by_the_peer(self, peered: Store) -> None:
        marked = make_message(1, Direction.IN, peer="moscow")
        release = make_message(2, Direction.IN, peer="moscow", kind="release")
        peered.add_incoming(marked)
        peered.add_incoming(release)
        peered.add_release(_release(marked.id, release.id, released_by="moscow"))
        found = peered.release_of(marked.id)
        assert found is not None
        assert found.released_by == "moscow"

    def test_a_message_is_released_once(self, peered: Store) -> None:
        marked, release_id = _marked_and_release(peered)
        peered.add_release(_release(marked, release_id))
        again = make_message(3, peer="moscow", kind="release")
        peered.add_outgoing(again)
        with pytest.raises(StoreError, match="already released"):
            peered.add_release(_release(marked, again.id, public_text="other"))
        found = peered.release_of(marked)
        assert found is not None
        assert found.release_id == release_id

    def test_one_release_message_releases_one_message(self, peered: Store) -> None:
        marked, release_id = _marked_and_release(peered)
        other = make_message(3, peer="moscow")
        peered.add_outgoing(other)
        peered.add_release(_release(marked, release_id))
        with pytest.raises(StoreError, match="already releases"):
            peered.add_release(_release(other.id, release_id))
        assert peered.release_of(other.id) is None

    @pytest.mark.parametrize("missing", ["message_id", "release_id"])
    def test_both_messages_must_be_stored(self, peered: Store, missing: str) -> None:
        marked, release_id = _marked_and_release(peered)
        fields = {"message_id": marked, "release_id": release_id, missing: "not-stored"}
        with pytest.raises(StoreError, match="not-stored"):
            peered.add_release(_release(**fields))
        assert peered.releases([marked, "not-stored"]) == {}

    @pytest.mark.parametrize("field", ["released_by", "released_at"])
    def test_empty_fields_are_refused(self, peered: Store, field: str) -> None:
        marked, release_id = _marked_and_release(peered)
        with pytest.raises(StoreError, match=field):
            peered.add_release(_release(marked, release_id, **{field: ""}))
        assert peered.release_of(marked) is None

    def test_a_message_cannot_release_itself(self, peered: Store) -> None:
        marked, _ = _marked_and_release(peered)
        with pytest.raises(StoreError, match="itself"):
            peered.add_release(_release(marked, marked))

    def test_a_failed_release_in_a_transaction_leaves_the_rest(self, peered: Store) -> None:
        marked, release_id = _marked_and_release(peered)
        with peered.transaction():
            peered.add_release(_release(marked, release_id))
            with pytest.raises(StoreError):
                peered.add_release(_release(marked, release_id))
        assert peered.release_of(marked) is not None
