# ruff: noqa: RUF001  (Russian hemisphere abbreviations are what is being tested)
"""Coordinates and areas: what a point, a polygon and a circle must be, and how they read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given

from hotline.formats import (
    INVALID,
    Problems,
    Renderer,
    area_field,
    coordinates_field,
    render_area,
    render_coordinates,
)

from .strategies import areas, coordinates, impact_areas

AREA = area_field("area")
IMPACT = area_field("impact_area", kinds=("polygon", "circle"))
CIRCLE = {"circle": {"centre": {"lat": 62.9, "lon": 160.1}, "radius": 25, "unit": "nm"}}
TRIANGLE = {
    "polygon": [{"lat": 54, "lon": 20.5}, {"lat": -55.25, "lon": 21}, {"lat": 54.5, "lon": -22.75}]
}


def problems_of(field: Any, value: Any) -> list[tuple[str, str]]:
    problems = Problems()
    assert field.check(value, "area", problems) is INVALID
    return [(problem.path, problem.message) for problem in problems.found]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"name": " Barents Sea "}, {"name": "Barents Sea"}),
        (TRIANGLE, TRIANGLE),
        (
            {"circle": {"centre": {"lat": 1.0, "lon": -180}, "radius": 2.5, "unit": "NM"}},
            {"circle": {"centre": {"lat": 1, "lon": -180}, "radius": 2.5, "unit": "nm"}},
        ),
    ],
)
def test_areas_normalise(value: dict[str, Any], expected: dict[str, Any]) -> None:
    problems = Problems()
    assert AREA.check(value, "area", problems) == expected
    assert len(problems) == 0


@pytest.mark.parametrize(
    ("value", "path", "message"),
    [
        ({"name": ""}, "area.name", "must not be empty"),
        ({"polygon": TRIANGLE["polygon"][:2]}, "area.polygon", "must have at least 3 items"),
        (
            {"polygon": [*TRIANGLE["polygon"][:2], {"lat": 90.5, "lon": 0}]},
            "area.polygon[2].lat",
            "must be at most 90",
        ),
        (
            {"polygon": [*TRIANGLE["polygon"][:2], {"lat": 0, "lon": -180.5}]},
            "area.polygon[2].lon",
            "must be at least -180",
        ),
        (
            {"circle": {"centre": {"lat": 0, "lon": 0}, "radius": 0, "unit": "km"}},
            "area.circle.radius",
            "must be greater than 0",
        ),
        (
            {"circle": {"centre": {"lat": 0, "lon": 0}, "radius": 5, "unit": "mi"}},
            "area.circle.unit",
            "must be one of: km, nm",
        ),
        (
            {"circle": {"centre": {"lat": 0}, "radius": 5, "unit": "km"}},
            "area.circle.centre.lon",
            "required",
        ),
        ({"square": {}}, "area.square", "unknown kind; expected one of: name, polygon, circle"),
    ],
)
def test_area_problems_name_the_field(value: Any, path: str, message: str) -> None:
    assert problems_of(AREA, value) == [(path, message)]


def test_an_impact_area_cannot_be_just_a_name() -> None:
    assert problems_of(IMPACT, {"name": "Kura"}) == [
        ("area.name", "unknown kind; expected one of: polygon, circle")
    ]
    problems = Problems()
    assert IMPACT.check(CIRCLE, "impact_area", problems) == CIRCLE


def test_area_kinds_must_be_known() -> None:
    with pytest.raises(ValueError):
        area_field("area", kinds=("hexagon",))
    with pytest.raises(ValueError):
        area_field("area", kinds=())


@given(areas)
def test_areas_round_trip(area: dict[str, Any]) -> None:
    once = AREA.check(area, "area", Problems())
    assert once is not INVALID
    assert AREA.check(once, "area", Problems()) == once
    assert json.loads(json.dumps(once)) == once


@given(impact_areas)
def test_impact_areas_are_areas(area: dict[str, Any]) -> None:
    assert IMPACT.check(area, "impact_area", Problems()) == AREA.check(area, "area", Problems())


@given(coordinates)
def test_coordinates_render_with_a_hemisphere_in_every_language(point: dict[str, Any]) -> None:
    clean = coordinates_field().check(point, "p", Problems())
    english = render_coordinates(clean, Renderer("en"))
    assert ("N" if clean["lat"] >= 0 else "S") in english
    assert ("E" if clean["lon"] >= 0 else "W") in english
    assert "-" not in english.replace("e-", "")  # signs become hemispheres
    assert ("с. ш." if clean["lat"] >= 0 else "ю. ш.") in render_coordinates(clean, Renderer("ru"))
    assert ("BT" if clean["lon"] >= 0 else "BB") in render_coordinates(clean, Renderer("id"))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "circle, centre 62.9° N, 160.1° E, radius 25 NM"),
        ("id", "lingkaran, pusat 62,9° LU 160,1° BT, radius 25 mil laut"),
        ("ru", "круг с центром 62,9° с. ш. 160,1° в. д., радиус 25 морских миль"),
    ],
)
def test_circles_read_naturally(language: str, expected: str) -> None:
    assert render_area(CIRCLE, Renderer(language)) == expected


def test_polygons_and_names_read_naturally() -> None:
    assert render_area(TRIANGLE, Renderer("en")) == (
        "polygon: 54° N, 20.5° E; 55.25° S, 21° E; 54.5° N, 22.75° W"
    )
    assert render_area(TRIANGLE, Renderer("ru")).startswith("многоугольник: 54° с. ш. 20,5° в. д.;")
    assert render_area({"name": "Barentsevo more"}, Renderer("id")) == "Barentsevo more"
