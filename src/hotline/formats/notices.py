"""Military-activity notices: flights near a border, exercises, and ceasefire-violation reports.

These are the bulk of risk-reduction traffic. Deconfliction notices of
military flights near a border (bombers on a route 20 km from the border, 30
flights a month), notices of exercises with their dates, area and forces, and
the reports that OSCE-style monitors file on ceasefire violations. Each is a
plain record with no rules beyond its fields, except that a flight gives
either an area or a corridor (a line of points it flies along), never both.

=============  =======  ==========================================================
code           version  fields
=============  =======  ==========================================================
``flight``     1        aircraft_type, count, area | corridor, closest_approach_km,
                        window {start, end}
``exercise``   1        name, window {start, end}, area, forces, personnel?
``ceasefire``  1        place {name?, coordinates?}, time, weapon, count, source
=============  =======  ==========================================================

docs/formats.md is the normative description of each field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from hotline.formats.areas import (
    area_field,
    coordinates_field,
    points_field,
    render_area,
    render_coordinates,
    render_points,
)
from hotline.formats.codewords import Codebook
from hotline.formats.fields import (
    EnumField,
    IntegerField,
    NumberField,
    RecordField,
    TextField,
    TimeField,
    window_field,
)
from hotline.formats.format import Format
from hotline.formats.i18n import Renderer

__all__ = ["CEASEFIRE", "EXERCISE", "FLIGHT", "WEAPONS"]

#: Ceasefire-violation weapon categories, as OSCE monitoring reports group them.
WEAPONS: Final = ("artillery", "mortar", "small-arms", "drone", "other")


# -- flight ------------------------------------------------------------------------


def _write_flight(data: Mapping[str, Any], r: Renderer, codebook: Codebook | None) -> list[str]:
    lines = [
        r.line("aircraft_type", data["aircraft_type"]),
        r.line("aircraft_count", r.number(data["count"])),
    ]
    if "area" in data:
        lines.append(r.line("area", render_area(data["area"], r)))
    else:
        lines.append(r.line("corridor", render_points(data["corridor"], r)))
    lines += [
        r.line("closest_approach_km", r.quantity(data["closest_approach_km"], "km")),
        r.line("window", r.window(data["window"])),
    ]
    return lines


def _summarise_flight(data: Mapping[str, Any], r: Renderer) -> str:
    return (
        f"{r.title('flight')}: "
        f"{r.phrase('times', count=r.number(data['count']), what=data['aircraft_type'])}, "
        f"{r.window(data['window'])}"
    )


FLIGHT: Final = Format(
    code="flight",
    version=1,
    fields=(
        TextField(name="aircraft_type", max_length=100),
        IntegerField(name="count", label="aircraft_count", minimum=1),
        area_field("area", required=False),
        points_field("corridor", required=False, min_points=2),
        NumberField(name="closest_approach_km", minimum=0, unit="km"),
        window_field(),
    ),
    exactly_one_of=(("area", "corridor"),),
    write=_write_flight,
    summarise=_summarise_flight,
)


# -- exercise ----------------------------------------------------------------------


def _write_exercise(data: Mapping[str, Any], r: Renderer, codebook: Codebook | None) -> list[str]:
    lines = [
        r.line("exercise_name", data["name"]),
        r.line("window", r.window(data["window"])),
        r.line("area", render_area(data["area"], r)),
        r.line("forces", data["forces"]),
    ]
    if "personnel" in data:
        lines.append(r.line("personnel", r.number(data["personnel"])))
    return lines


def _summarise_exercise(data: Mapping[str, Any], r: Renderer) -> str:
    return f"{r.title('exercise')}: {data['name']}, {r.window(data['window'])}"


EXERCISE: Final = Format(
    code="exercise",
    version=1,
    fields=(
        TextField(name="name", label="exercise_name", max_length=200),
        window_field(),
        area_field("area"),
        TextField(name="forces", max_length=1000),
        IntegerField(name="personnel", minimum=0, required=False),
    ),
    write=_write_exercise,
    summarise=_summarise_exercise,
)


# -- ceasefire ---------------------------------------------------------------------


def _render_place(place: Mapping[str, Any], r: Renderer) -> str:
    if "coordinates" not in place:
        return str(place["name"])
    point = render_coordinates(place["coordinates"], r)
    return f"{place['name']} ({point})" if "name" in place else point


def _write_ceasefire(data: Mapping[str, Any], r: Renderer, codebook: Codebook | None) -> list[str]:
    return [
        r.line("place", _render_place(data["place"], r)),
        r.line("violation_time", r.moment(data["time"])),
        r.line("weapon", r.value("weapon", data["weapon"])),
        r.line("violation_count", r.number(data["count"])),
        r.line("source", data["source"]),
    ]


def _summarise_ceasefire(data: Mapping[str, Any], r: Renderer) -> str:
    return (
        f"{r.title('ceasefire')}: "
        f"{r.phrase('times', count=r.number(data['count']), what=r.value('weapon', data['weapon']))}, "
        f"{_render_place(data['place'], r)}, {r.moment(data['time'])}"
    )


CEASEFIRE: Final = Format(
    code="ceasefire",
    version=1,
    fields=(
        RecordField(
            name="place",
            fields=(
                TextField(name="name", label="place_name", required=False),
                coordinates_field(required=False),
            ),
            at_least_one_of=(("name", "coordinates"),),
        ),
        TimeField(name="time", label="violation_time"),
        EnumField(name="weapon", values=WEAPONS, vocabulary="weapon"),
        IntegerField(name="count", label="violation_count", minimum=1),
        TextField(name="source", max_length=200),
    ),
    write=_write_ceasefire,
    summarise=_summarise_ceasefire,
)
