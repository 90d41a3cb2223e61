"""marking_view: who reads a marked message's text, its banner, the embargo, the release."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2

from hotline.console.marking_view import hide_if_unreadable, marking_view
from hotline.store import Direction, MessageRecord, ReleaseRecord
from hotline.testing.store_conformance import make_message

NOW = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


def _record(markings: Any = None) -> MessageRecord:
    body: dict[str, Any] = {"text": "secret"}
    if markings is not None:
        body["markings"] = markings
    return make_message(1, Direction.IN, body=cbor2.dumps(body), text="secret")


def test_an_unmarked_message_is_read_by_anyone() -> None:
    view = marking_view(_record(), "anyone", NOW)
    assert (view.readable, view.banner_lines, view.marked) == (True, (), False)


def test_eyes_only_names_users_and_channels() -> None:
    record = _record({"eyes_only": ["alice", "channel:ministers"]})
    assert marking_view(record, "alice", NOW).readable
    bob = marking_view(record, "bob", NOW)
    assert (bob.readable, bob.hidden_reason) == (False, "eyes-only")
    assert bob.banner_lines == ("EYES ONLY alice, channel:ministers",)

    def members(channel: str, user: str) -> bool:
        return (channel, user) == ("ministers", "bob")

    assert marking_view(record, "bob", NOW, channel_member=members).readable
    assert not marking_view(record, "carol", NOW, channel_member=members).readable


def test_an_embargo_counts_down_and_ends() -> None:
    until = "2026-11-23T17:00:00.000000Z"
    record = _record({"embargoed_until": until})
    view = marking_view(record, "anyone", NOW)
    assert (view.readable, view.embargo_until, view.countdown) == (True, until, 3600)
    later = marking_view(record, "anyone", NOW + timedelta(hours=2))
    assert (later.embargo_until, later.countdown) == (None, None)
    assert later.banner_lines == (f"EMBARGOED UNTIL {until}",)


def test_an_unagreed_classification_is_flagged() -> None:
    record = _record({"classification": "COSMIC"})
    assert marking_view(record, "a", NOW, agreed=["RESTRICTED"]).flags == (
        "classification not agreed",
    )
    assert marking_view(record, "a", NOW, agreed=["COSMIC"]).flags == ()
    assert marking_view(record, "a", NOW).flags == ()


def test_malformed_markings_hide_the_text_from_everyone() -> None:
    view = marking_view(_record({"eyes_only": "alice"}), "alice", NOW)
    assert (view.readable, view.hidden_reason) == (False, "markings-malformed")


def test_a_release_lifts_the_markings_from_its_time() -> None:
    record = _record({"eyes_only": ["alice"], "not_for_release": True})
    release = ReleaseRecord(
        message_id=record.id,
        released_by="moscow",
        released_at="2026-11-23T17:00:00.000000Z",
        public_text="Said in public.",
        release_id="r1",
    )
    before = marking_view(record, "bob", NOW, release=release)
    assert (before.readable, before.released) == (False, False)
    after = marking_view(record, "bob", NOW + timedelta(hours=1), release=release)
    assert (after.readable, after.released, after.public_text) == (True, True, "Said in public.")
    assert after.banner_lines == ("RELEASED 2026-11-23T17:00:00.000000Z",)


def test_an_unreadable_row_loses_its_content() -> None:
    record = _record({"eyes_only": ["alice"]})
    row: dict[str, Any] = {
        "id": record.id,
        "text": "secret",
        "data": {"x": 1},
        "notice": {"line": "secret"},
        "meeting": {"state": "proposed"},
        "format": "flight",
        "format_version": 1,
    }
    hidden = hide_if_unreadable(row, marking_view(record, "bob", NOW))
    assert "secret" not in repr(hidden)
    assert (hidden["text"], hidden["data"], hidden["notice"], hidden["meeting"]) == (
        "",
        None,
        None,
        None,
    )
    assert hidden["marking"]["banner"] == ["EYES ONLY alice"]
    shown = hide_if_unreadable(row, marking_view(record, "alice", NOW))
    assert shown["text"] == "secret"
