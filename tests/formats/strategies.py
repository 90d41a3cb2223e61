"""Hypothesis strategies that generate VALID data for every notification format.

Valid, but not canonical: times come with and without fractions of a second
(or as datetimes), enumerated values in any case and with spaces or
underscores, text with surrounding whitespace, whole numbers as floats. That is
what normalisation is for, and what the round-trip properties exercise.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from hotline.formats import MEETING_FORMATS, REPLY_STATES, WEAPONS
from hotline.utc import format_utc

from .examples import NOW

# Text a notice may hold: no control or separator characters, no bidi controls.
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_letters = st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters=_BIDI)


def texts(max_size: int = 40) -> st.SearchStrategy[str]:
    """Valid one-line text, possibly with whitespace around it (which is stripped)."""
    core = st.text(_letters, min_size=1, max_size=max_size).filter(lambda s: s.strip() != "")
    pad = st.sampled_from(["", " ", "  ", "\t", "\u00a0"])
    return st.tuples(pad, core, pad).map("".join)


def multiline_texts() -> st.SearchStrategy[str]:
    lines = st.lists(st.text(_letters, max_size=20), min_size=1, max_size=4)
    joined = st.tuples(lines, st.sampled_from(["\n", "\r\n"])).map(lambda t: t[1].join(t[0]))
    return joined.filter(lambda s: s.strip() != "")


def tbd() -> st.SearchStrategy[str]:
    return st.sampled_from(["tbd", "TBD", " Tbd "])


def spellings(word: str) -> st.SearchStrategy[str]:
    """The ways an enumerated value may be written: any case, ``-`` as space or ``_``."""
    return st.sampled_from(
        [word, word.upper(), word.replace("-", " "), word.replace("-", "_").title()]
    )


def enum_values(values: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(values).flatmap(spellings)


moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
)


def spell_moment(moment: datetime) -> st.SearchStrategy[Any]:
    """A moment as canonical text, without or with a truncated fraction, or a datetime.

    Truncating only ever moves a time earlier, by under a second.
    """
    whole = moment.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{moment.microsecond:06d}"
    return st.one_of(
        st.just(format_utc(moment)),
        st.just(f"{whole}Z"),
        st.integers(1, 6).map(lambda n: f"{whole}.{fraction[:n]}Z"),
        st.just(moment),
    )


times = moments.flatmap(spell_moment)


def windows(starts: st.SearchStrategy[datetime] = moments) -> st.SearchStrategy[dict[str, Any]]:
    """``{start, end}`` with the end at least a second later, so truncation keeps the order."""

    def spell(pair: tuple[datetime, int]) -> st.SearchStrategy[dict[str, Any]]:
        start, seconds = pair
        end = start + timedelta(seconds=seconds)
        return st.fixed_dictionaries({"start": spell_moment(start), "end": spell_moment(end)})

    return st.tuples(starts, st.integers(1, 30 * 86400)).flatmap(spell)


def numbers(low: float, high: float) -> st.SearchStrategy[int | float]:
    return st.one_of(
        st.integers(int(low), int(high)),
        st.floats(low, high, allow_nan=False),
    )


coordinates = st.fixed_dictionaries({"lat": numbers(-90, 90), "lon": numbers(-180, 180)})
radii = st.one_of(st.integers(1, 20_000), st.floats(0, 20_000, exclude_min=True, allow_nan=False))
circles = st.fixed_dictionaries(
    {"centre": coordinates, "radius": radii, "unit": enum_values(("km", "nm"))}
)
polygons = st.lists(coordinates, min_size=3, max_size=6)
areas = st.one_of(
    st.fixed_dictionaries({"name": texts()}),
    st.fixed_dictionaries({"polygon": polygons}),
    st.fixed_dictionaries({"circle": circles}),
)
impact_areas = st.one_of(
    st.fixed_dictionaries({"polygon": polygons}),
    st.fixed_dictionaries({"circle": circles}),
)
counts = st.one_of(st.integers(1, 10**6), st.integers(1, 1000).map(float))

flights = st.one_of(
    *(
        st.fixed_dictionaries(
            {
                "aircraft_type": texts(),
                "count": counts,
                place: places,
                "closest_approach_km": numbers(0, 10_000),
                "window": windows(),
            }
        )
        for place, places in (
            ("area", areas),
            ("corridor", st.lists(coordinates, min_size=2, max_size=6)),
        )
    )
)


def launches(*, min_start: datetime | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Launch notices; with ``min_start``, every window starts no earlier than it."""
    starts = (
        moments
        if min_start is None
        else st.datetimes(
            min_value=min_start.replace(tzinfo=None),
            max_value=datetime(2099, 12, 31),
            timezones=st.just(UTC),
        )
    )
    return st.fixed_dictionaries(
        {"window": windows(starts), "launch_area": areas, "impact_area": impact_areas},
        optional={"late_notice": st.booleans()},
    )


exercises = st.fixed_dictionaries(
    {"name": texts(), "window": windows(), "area": areas, "forces": texts(100)},
    optional={"personnel": st.integers(0, 10**7)},
)

meetings = st.fixed_dictionaries(
    {
        "proposer": texts(),
        "participants": st.lists(texts(), min_size=1, max_size=5),
        "time": st.one_of(times, tbd()),
        "format": enum_values(MEETING_FORMATS),
    },
    optional={
        "conditions": st.lists(texts(100), max_size=4),
        "place": st.one_of(texts(), tbd()),
    },
)

proposal_ids = st.from_regex(r"[0-9a-fA-F]{32}", fullmatch=True)


def _reply(state: str) -> st.SearchStrategy[dict[str, Any]]:
    if state == "scheduled":
        # A scheduled meeting's time and format, when the reply gives them, are decided.
        time: st.SearchStrategy[Any] = times
        formats = enum_values(tuple(f for f in MEETING_FORMATS if f != "tbd"))
    else:
        time, formats = st.one_of(times, tbd()), enum_values(MEETING_FORMATS)
    return st.fixed_dictionaries(
        {"proposal": proposal_ids, "state": spellings(state)},
        optional={
            "time": time,
            "format": formats,
            "place": st.one_of(texts(), tbd()),
            "note": multiline_texts(),
        },
    )


meeting_replies = st.sampled_from(REPLY_STATES).flatmap(_reply)

ceasefires = st.fixed_dictionaries(
    {
        "place": st.one_of(
            st.fixed_dictionaries({"name": texts()}),
            st.fixed_dictionaries({"coordinates": coordinates}),
            st.fixed_dictionaries({"name": texts(), "coordinates": coordinates}),
        ),
        "time": times,
        "weapon": enum_values(WEAPONS),
        "count": counts,
        "source": texts(),
    }
)

code_words = st.from_regex(r"[A-Za-z]{1,32}", fullmatch=True)
codewords = st.fixed_dictionaries({"word": code_words, "number": st.integers(0, 9999)})

#: Valid data for every format, by code. Launch windows start a day or more
#: after NOW, so they pass with or without the late-notice override.
VALID: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "flight": flights,
    "launch": launches(min_start=NOW + timedelta(hours=24, seconds=1)),
    "exercise": exercises,
    "meeting": meetings,
    "meeting-reply": meeting_replies,
    "ceasefire": ceasefires,
    "codeword": codewords,
}
