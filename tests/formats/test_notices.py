# ruff: noqa: RUF001  (Russian text and typographic signs are what is being tested)
"""Flight, exercise and ceasefire notices: every field's bad values, and how the notices read."""

from __future__ import annotations

from typing import Any

import pytest

from hotline.formats import CEASEFIRE, EXERCISE, FLIGHT, Format

from .examples import (
    DROP,
    NOW,
    example,
    generic,
    leaf_paths,
    problem_paths,
    with_value,
)

POINT = {"lat": 69.0, "lon": 33.0}
CORRIDOR = [{"lat": 69.0, "lon": 33.0}, {"lat": 70.5, "lon": 31.25}]


def flight_by_corridor() -> dict[str, Any]:
    return with_value(with_value(example("flight"), "area", DROP), "corridor", CORRIDOR)


def by_name(code: str) -> dict[str, Any]:
    return with_value(example(code), "area", {"name": "Barentsevo more"})


def by_polygon(code: str) -> dict[str, Any]:
    return with_value(example(code), "area", {"polygon": [dict(POINT) for _ in range(3)]})


#: (format, data, path to change, bad value, the path the problem must name)
CASES: list[tuple[Format, Any, str, Any, str]] = [
    # flight
    (FLIGHT, example("flight"), "aircraft_type", DROP, "aircraft_type"),
    (FLIGHT, example("flight"), "aircraft_type", " ", "aircraft_type"),
    (FLIGHT, example("flight"), "aircraft_type", 95, "aircraft_type"),
    (FLIGHT, example("flight"), "aircraft_type", "T" * 101, "aircraft_type"),
    (FLIGHT, example("flight"), "count", DROP, "count"),
    (FLIGHT, example("flight"), "count", 0, "count"),
    (FLIGHT, example("flight"), "count", 1.5, "count"),
    (FLIGHT, example("flight"), "count", "2", "count"),
    (FLIGHT, example("flight"), "area", DROP, "area"),
    (FLIGHT, example("flight"), "area", {"hexagon": []}, "area.hexagon"),
    (FLIGHT, by_name("flight"), "area.name", "", "area.name"),
    (FLIGHT, by_polygon("flight"), "area.polygon", [POINT, POINT], "area.polygon"),
    (FLIGHT, by_polygon("flight"), "area.polygon[2].lat", 90.1, "area.polygon[2].lat"),
    (FLIGHT, by_polygon("flight"), "area.polygon[0].lon", -181, "area.polygon[0].lon"),
    (FLIGHT, example("flight"), "area.circle.centre.lat", "69N", "area.circle.centre.lat"),
    (FLIGHT, example("flight"), "area.circle.centre.lon", DROP, "area.circle.centre.lon"),
    (FLIGHT, example("flight"), "area.circle.radius", 0, "area.circle.radius"),
    (FLIGHT, example("flight"), "area.circle.unit", "miles", "area.circle.unit"),
    (FLIGHT, example("flight"), "corridor", CORRIDOR, "corridor"),  # area and corridor
    (FLIGHT, flight_by_corridor(), "corridor", CORRIDOR[:1], "corridor"),
    (FLIGHT, flight_by_corridor(), "corridor", "north", "corridor"),
    (FLIGHT, flight_by_corridor(), "corridor[1].lat", -90.5, "corridor[1].lat"),
    (FLIGHT, flight_by_corridor(), "corridor[0].lon", None, "corridor[0].lon"),
    (FLIGHT, example("flight"), "closest_approach_km", -1, "closest_approach_km"),
    (FLIGHT, example("flight"), "closest_approach_km", "20 km", "closest_approach_km"),
    (FLIGHT, example("flight"), "closest_approach_km", DROP, "closest_approach_km"),
    (FLIGHT, example("flight"), "window", DROP, "window"),
    (FLIGHT, example("flight"), "window", "all day", "window"),
    (FLIGHT, example("flight"), "window.start", "2026-11-23 14:00", "window.start"),
    (FLIGHT, example("flight"), "window.end", "2026-11-23T14:00:00Z", "window.end"),
    (FLIGHT, example("flight"), "window.end", DROP, "window.end"),
    # exercise
    (EXERCISE, example("exercise"), "name", DROP, "name"),
    (EXERCISE, example("exercise"), "name", "\u202eZapad", "name"),
    (EXERCISE, example("exercise"), "window.start", "2026-11-31T00:00:00Z", "window.start"),
    (EXERCISE, example("exercise"), "window.end", "2026-11-22T00:00:00Z", "window.end"),
    (EXERCISE, example("exercise"), "area", DROP, "area"),
    (EXERCISE, example("exercise"), "area.polygon[1].lat", "55", "area.polygon[1].lat"),
    (EXERCISE, example("exercise"), "area.polygon[2].lon", 200, "area.polygon[2].lon"),
    (EXERCISE, example("exercise"), "area.polygon", [POINT] * 1001, "area.polygon"),
    (EXERCISE, by_name("exercise"), "area.name", "x" * 201, "area.name"),
    (
        EXERCISE,
        example("exercise"),
        "area",
        {"circle": {"centre": POINT, "radius": 1, "unit": "km", "colour": "red"}},
        "area.circle.colour",
    ),
    (
        EXERCISE,
        example("exercise"),
        "area",
        {"circle": {"centre": {"lat": 91, "lon": 0}, "radius": 1, "unit": "km"}},
        "area.circle.centre.lat",
    ),
    (
        EXERCISE,
        example("exercise"),
        "area",
        {"circle": {"centre": {"lat": 0, "lon": 181}, "radius": 1, "unit": "km"}},
        "area.circle.centre.lon",
    ),
    (
        EXERCISE,
        example("exercise"),
        "area",
        {"circle": {"centre": POINT, "radius": 20001, "unit": "km"}},
        "area.circle.radius",
    ),
    (
        EXERCISE,
        example("exercise"),
        "area",
        {"circle": {"centre": POINT, "radius": 5, "unit": 1}},
        "area.circle.unit",
    ),
    (EXERCISE, example("exercise"), "forces", "", "forces"),
    (EXERCISE, example("exercise"), "forces", ["1 TA"], "forces"),
    (EXERCISE, example("exercise"), "personnel", -1, "personnel"),
    (EXERCISE, example("exercise"), "personnel", "12500", "personnel"),
    (EXERCISE, example("exercise"), "personnel", True, "personnel"),
    # ceasefire
    (CEASEFIRE, example("ceasefire"), "place", DROP, "place"),
    (CEASEFIRE, example("ceasefire"), "place", {}, "place.name"),
    (CEASEFIRE, example("ceasefire"), "place", "Shyrokyne", "place"),
    (CEASEFIRE, example("ceasefire"), "place.name", "\t", "place.name"),
    (CEASEFIRE, example("ceasefire"), "place.coordinates", [47, 37], "place.coordinates"),
    (CEASEFIRE, example("ceasefire"), "place.coordinates.lat", 100, "place.coordinates.lat"),
    (CEASEFIRE, example("ceasefire"), "place.coordinates.lon", DROP, "place.coordinates.lon"),
    (CEASEFIRE, example("ceasefire"), "place.village", "x", "place.village"),
    (CEASEFIRE, example("ceasefire"), "time", DROP, "time"),
    (CEASEFIRE, example("ceasefire"), "time", "03:12", "time"),
    (CEASEFIRE, example("ceasefire"), "weapon", "tank", "weapon"),
    (CEASEFIRE, example("ceasefire"), "weapon", DROP, "weapon"),
    (CEASEFIRE, example("ceasefire"), "count", 0, "count"),
    (CEASEFIRE, example("ceasefire"), "count", "many", "count"),
    (CEASEFIRE, example("ceasefire"), "source", DROP, "source"),
    (CEASEFIRE, example("ceasefire"), "source", "s" * 201, "source"),
]


@pytest.mark.parametrize(
    ("fmt", "data", "path", "value", "expected"),
    CASES,
    ids=[f"{c[0].code}:{c[2]}={c[3]!r:.20}" for c in CASES],
)
def test_a_bad_field_is_named(fmt: Format, data: Any, path: str, value: Any, expected: str) -> None:
    fmt.validate(data, now=NOW)  # the base is valid: the change alone is wrong
    assert problem_paths(fmt, with_value(data, path, value)) == [expected]


@pytest.mark.parametrize("fmt", [FLIGHT, EXERCISE, CEASEFIRE], ids=lambda f: f.code)
def test_every_field_has_a_bad_value_in_the_table(fmt: Format) -> None:
    covered = {generic(expected) for f, _, _, _, expected in CASES if f is fmt}
    assert leaf_paths(fmt.fields) - covered == set()


def test_a_flight_gives_an_area_or_a_corridor() -> None:
    assert "area" in FLIGHT.validate(example("flight"), now=NOW)
    assert FLIGHT.validate(flight_by_corridor(), now=NOW)["corridor"] == [
        {"lat": 69, "lon": 33},
        {"lat": 70.5, "lon": 31.25},
    ]


def test_a_ceasefire_place_may_be_a_name_coordinates_or_both() -> None:
    for drop in ("place.name", "place.coordinates"):
        CEASEFIRE.validate(with_value(example("ceasefire"), drop, DROP), now=NOW)


def test_personnel_is_optional() -> None:
    assert "personnel" not in EXERCISE.validate(
        with_value(example("exercise"), "personnel", DROP), now=NOW
    )


def test_a_flight_reads_in_english() -> None:
    assert FLIGHT.render(example("flight"), "en") == (
        "FLIGHT NOTIFICATION (flight v1)\n"
        "Aircraft type: Tu-95MS\n"
        "Number of aircraft: 2\n"
        "Area: circle, centre 69.25° N, 33.5° E, radius 120 km\n"
        "Closest approach to the border: 20 km\n"
        "Time window: 23 November 2026, 14:00 UTC – 23 November 2026, 18:30 UTC"
    )
    assert FLIGHT.summary(example("flight"), "en") == (
        "Flight notification: 2 × Tu-95MS, 23 November 2026, 14:00 UTC – 23 November 2026, "
        "18:30 UTC"
    )


def test_a_flight_corridor_reads_in_russian() -> None:
    text = FLIGHT.render(flight_by_corridor(), "ru")
    assert "Коридор: 69° с. ш. 33° в. д.; 70,5° с. ш. 31,25° в. д." in text
    assert "Наименьшее расстояние до границы: 20 км" in text


def test_an_exercise_reads_in_indonesian() -> None:
    assert EXERCISE.render(example("exercise"), "id") == (
        "PEMBERITAHUAN LATIHAN MILITER (exercise v1)\n"
        "Nama latihan: Zapad-2026\n"
        "Rentang waktu: 23 November 2026, 00.00 UTC – 30 November 2026, 00.00 UTC\n"
        "Wilayah: poligon: 54° LU 20,5° BT; 55,25° LU 21° BT; 54,5° LU 22,75° BT\n"
        "Pasukan yang terlibat: Zapadny VO, 1-ya TA\n"
        "Jumlah personel: 12.500"
    )


def test_a_ceasefire_report_reads_in_russian() -> None:
    text = CEASEFIRE.render(example("ceasefire"), "ru")
    assert text.splitlines()[1:] == [
        "Место: Shyrokyne (47,08° с. ш. 37,6° в. д.)",
        "Время нарушения: 23 ноября 2026\u202fг., 03:12 UTC",
        "Вид оружия: миномёт",
        "Количество нарушений: 14",
        "Источник: SMM OBSE",
    ]
    only_name = with_value(example("ceasefire"), "place.coordinates", DROP)
    assert "Place: Shyrokyne\n" in CEASEFIRE.render(only_name, "en")
