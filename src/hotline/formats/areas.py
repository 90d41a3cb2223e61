"""Places on the map: coordinates, areas and corridors, as fields and as text.

Risk-reduction notices locate things the way the 1988 launch-notification
agreement does: a point in decimal degrees, an area given as a polygon of
points or as a circle (a centre and a radius in kilometres or nautical miles),
or, less precisely, a named area ("Barents Sea"). Every format that needs a
place builds its field from here, so "an area" means the same thing everywhere.

Coordinates are ``{"lat": -90..90, "lon": -180..180}``, WGS 84 decimal
degrees, north and east positive. An area is exactly one of::

    {"name": "Barents Sea"}
    {"polygon": [{"lat": …, "lon": …}, …]}           at least 3 points
    {"circle": {"centre": {"lat": …, "lon": …}, "radius": 50, "unit": "km"}}

A rendering writes degrees with a hemisphere in the reader's language:
"54.5° N, 20.1° E" in English, "54,5° LU 20,1° BT" in Indonesian, and the
Russian abbreviations for northern latitude and eastern longitude in Russian.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from hotline.formats.fields import (
    ChoiceField,
    EnumField,
    Field,
    ListField,
    NumberField,
    RecordField,
    TextField,
)
from hotline.formats.i18n import Renderer

__all__ = [
    "AREA_KINDS",
    "DISTANCE_UNITS",
    "MAX_POINTS",
    "area_field",
    "coordinates_field",
    "points_field",
    "render_area",
    "render_coordinates",
    "render_points",
]

#: The ways an area can be given, in the order a form offers them.
AREA_KINDS: Final = ("name", "polygon", "circle")
#: Units of a circle's radius: kilometres and nautical miles.
DISTANCE_UNITS: Final = ("km", "nm")
#: The most points a polygon or a corridor may have.
MAX_POINTS: Final = 1000
# Half the Earth's circumference in km: no circle on the globe is larger.
_MAX_RADIUS: Final = 20_000


def coordinates_field(
    name: str = "coordinates", *, label: str = "", required: bool = True
) -> RecordField:
    """A point ``{lat, lon}`` in decimal degrees."""
    return RecordField(
        name=name,
        label=label,
        required=required,
        fields=(
            NumberField(name="lat", minimum=-90, maximum=90, unit="degree"),
            NumberField(name="lon", minimum=-180, maximum=180, unit="degree"),
        ),
    )


def points_field(
    name: str, *, label: str = "", required: bool = True, min_points: int
) -> ListField:
    """A list of at least ``min_points`` points (a polygon's corners, a corridor's line)."""
    return ListField(
        name=name,
        label=label,
        required=required,
        item=coordinates_field("point"),
        min_items=min_points,
        max_items=MAX_POINTS,
    )


def _variant(kind: str) -> Field:
    if kind == "name":
        return TextField(name="name", label="area_name", max_length=200)
    if kind == "polygon":
        return points_field("polygon", min_points=3)
    return RecordField(
        name="circle",
        fields=(
            coordinates_field("centre"),
            NumberField(name="radius", minimum=0, exclusive_minimum=True, maximum=_MAX_RADIUS),
            EnumField(name="unit", values=DISTANCE_UNITS, vocabulary="unit"),
        ),
    )


def area_field(
    name: str,
    *,
    label: str = "",
    required: bool = True,
    kinds: tuple[str, ...] = AREA_KINDS,
) -> ChoiceField:
    """An area given as one of ``kinds`` (a launch's impact area allows polygon and circle only)."""
    unknown = set(kinds) - set(AREA_KINDS)
    if unknown or not kinds:
        raise ValueError(f"area kinds must be among {AREA_KINDS}, not {kinds}")
    return ChoiceField(
        name=name,
        label=label,
        required=required,
        variants=tuple(_variant(kind) for kind in kinds),
    )


def render_coordinates(point: Mapping[str, Any], r: Renderer) -> str:
    """``54.5° N, 20.1° E`` in the reader's language."""
    lat, lon = point["lat"], point["lon"]
    north_south = r.phrase("north" if lat >= 0 else "south")
    east_west = r.phrase("east" if lon >= 0 else "west")
    return r.phrase(
        "coordinates",
        lat=f"{r.number(abs(lat))}° {north_south}",
        lon=f"{r.number(abs(lon))}° {east_west}",
    )


def render_points(points: list[Mapping[str, Any]], r: Renderer) -> str:
    """Points in order, separated by semicolons (the decimal comma rules out commas)."""
    return "; ".join(render_coordinates(point, r) for point in points)


def render_area(area: Mapping[str, Any], r: Renderer) -> str:
    """A normalised area in the reader's language."""
    if "name" in area:
        return str(area["name"])
    if "polygon" in area:
        return r.phrase("polygon", points=render_points(area["polygon"], r))
    circle = area["circle"]
    return r.phrase(
        "circle",
        centre=render_coordinates(circle["centre"], r),
        radius=r.quantity(circle["radius"], circle["unit"]),
    )
