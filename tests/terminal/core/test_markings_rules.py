"""The markings rules every terminal applies whatever desk a message goes to: a
classification agreed for the line at send; a malformed markings map refuses the
content on arrival; an unagreed classification is kept and flagged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cbor2
import pytest

from hotline.errors import InvalidArgument
from hotline.store import Direction, MessageRecord, SQLiteStore
from hotline.terminal.core.markings import (
    Markings,
    check_classification,
    markings_from_json,
    markings_problem,
    parse_moment,
    screen_incoming,
)
from hotline.testing.clock import FakeClock
from hotline.testing.store_conformance import make_message, make_party, make_peer


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    opened = SQLiteStore.open(tmp_path / "hotline.db")
    opened.set_party(make_party())
    opened.add_peer(make_peer("moscow"))
    yield opened
    opened.close()


def _incoming(serial: int, body: dict[str, Any]) -> MessageRecord:
    return make_message(serial, Direction.IN, peer="moscow", body=cbor2.dumps(body))


def test_a_classification_must_be_one_agreed() -> None:
    marked = Markings(classification="RESTRICTED")
    check_classification(marked, ["RESTRICTED", "SECRET"])
    check_classification(None, [])
    check_classification(Markings(not_for_release=True), [])
    with pytest.raises(InvalidArgument, match="the agreed ones are 'SECRET'"):
        check_classification(marked, ["SECRET"])
    with pytest.raises(InvalidArgument, match="no classification is"):
        check_classification(marked, [])


def test_markings_from_a_json_map() -> None:
    assert markings_from_json(None) is None
    assert markings_from_json({}) is None
    assert markings_from_json({"not_for_release": True}) == Markings(not_for_release=True)
    with pytest.raises(InvalidArgument, match="unknown marking 'secret'"):
        markings_from_json({"secret": True})


def test_a_release_time_is_read_in_utc_and_needs_its_zone() -> None:
    assert parse_moment("2026-12-01 19:00+01:00", what="release time") == (
        "2026-12-01T18:00:00.000000Z"
    )
    with pytest.raises(InvalidArgument, match="release time '2026-12-01T18:00': say the zone"):
        parse_moment("2026-12-01T18:00", what="release time")


def test_incoming_content_with_malformed_markings_is_refused(store: SQLiteStore) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    good = _incoming(1, {"text": "a", "markings": {"classification": "RESTRICTED"}})
    malformed = _incoming(2, {"text": "b", "markings": {"eyes_only": []}})
    unagreed = _incoming(3, {"text": "c", "markings": {"classification": "COSMIC"}})
    plain = _incoming(4, {"text": "d"})
    for record in (good, malformed, unagreed, plain):
        store.add_incoming(record)
    assert markings_problem(malformed) == "eyes_only must be a non-empty list"
    assert markings_problem(good) is None
    assert markings_problem(plain) is None
    standing = screen_incoming(
        store, clock, [good, malformed, unagreed, plain], classifications=["RESTRICTED"]
    )
    assert standing == (good, unagreed, plain)
    journal = [(entry.kind, entry.data) for entry in store.iter_journal()]
    assert (
        "refusal",
        {
            "peer": "moscow",
            "what": "markings",
            "id": malformed.id,
            "reason": "eyes_only must be a non-empty list",
        },
    ) in journal
    assert (
        "markings flagged",
        {
            "id": unagreed.id,
            "peer": "moscow",
            "classification": "COSMIC",
            "flag": "classification not agreed",
        },
    ) in journal
    assert [kind for kind, _ in journal].count("markings flagged") == 1
