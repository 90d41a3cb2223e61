"""Handling markings: parsed from what a person gives, carried in the body, read back equal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.errors import InvalidArgument
from hotline.terminal.core.markings import MAX_CLASSIFICATION, Markings, parse_markings

_readers = st.lists(
    st.one_of(
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True),
        st.from_regex(r"channel:[a-z0-9][a-z0-9_-]{0,10}", fullmatch=True),
    ),
    unique=True,
    max_size=4,
)
_lines = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=MAX_CLASSIFICATION
)


@given(
    readers=_readers,
    embargo=st.one_of(st.none(), st.just("2026-12-01T18:00:00.000000Z")),
    not_for_release=st.booleans(),
    classification=st.one_of(st.none(), _lines),
)
def test_markings_round_trip_through_a_body(
    readers: list[str], embargo: str | None, not_for_release: bool, classification: str | None
) -> None:
    markings = Markings(
        eyes_only=tuple(readers),
        embargoed_until=embargo,
        not_for_release=not_for_release,
        classification=classification,
    )
    body = {"text": "x", "markings": markings.to_body()} if not markings.empty else {"text": "x"}
    back = Markings.from_body(body)
    assert (back is None) == markings.empty
    if back is not None:
        assert back == markings


def test_a_person_may_type_the_embargo_in_any_iso_form_with_a_zone() -> None:
    markings = parse_markings(embargoed_until="2026-12-01T21:00+03:00")
    assert markings is not None
    assert markings.embargoed_until == "2026-12-01T18:00:00.000000Z"
    assert markings.lines() == ["EMBARGOED UNTIL 2026-12-01T18:00:00.000000Z"]
    assert parse_markings() is None


@pytest.mark.parametrize(
    ("given_", "complaint"),
    [
        ({"eyes_only": ["two words"]}, "is not a user name"),
        ({"eyes_only": ["alice", "alice"]}, "named twice"),
        ({"embargoed_until": "2026-12-01 18:00"}, "say the zone"),
        ({"embargoed_until": "tomorrow"}, "not a date and time"),
        ({"classification": " SECRET"}, "one printable line"),
        ({"classification": "A\nB"}, "one printable line"),
        ({"classification": "X" * (MAX_CLASSIFICATION + 1)}, "the limit is"),
    ],
)
def test_bad_markings_are_refused_with_the_reason(
    given_: dict[str, object], complaint: str
) -> None:
    with pytest.raises(InvalidArgument, match=complaint):
        parse_markings(**given_)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "found",
    [
        {},
        {"secret": True},
        {"eyes_only": []},
        {"not_for_release": False},
        {"embargoed_until": "2026-12-01T18:00Z"},
    ],
)
def test_a_malformed_markings_map_in_a_body_is_refused(found: dict[str, object]) -> None:
    with pytest.raises(InvalidArgument):
        Markings.from_body({"markings": found})
