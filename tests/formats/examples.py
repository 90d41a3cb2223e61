"""Fixed valid notifications for every format, and helpers to break them one field at a time.

The examples use transliterated names and codes rather than English words, so
a test can look for English words left in an Indonesian or Russian rendering
without the data itself tripping it.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from hotline.errors import NotificationInvalid
from hotline.formats import (
    ChoiceField,
    Field,
    Format,
    ListField,
    RecordField,
)

#: The moment the examples' notices are given: three days before their windows.
NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)

#: Marks a field to delete instead of set.
DROP = object()

EXAMPLES: dict[str, dict[str, Any]] = {
    "flight": {
        "aircraft_type": "Tu-95MS",
        "count": 2,
        "area": {"circle": {"centre": {"lat": 69.25, "lon": 33.5}, "radius": 120, "unit": "km"}},
        "closest_approach_km": 20,
        "window": {"start": "2026-11-23T14:00:00Z", "end": "2026-11-23T18:30:00Z"},
    },
    "launch": {
        "window": {"start": "2026-11-23T14:00:00Z", "end": "2026-11-23T16:00:00Z"},
        "launch_area": {"name": "Plesetsk"},
        "impact_area": {
            "circle": {"centre": {"lat": 62.9, "lon": 160.1}, "radius": 25, "unit": "nm"}
        },
    },
    "exercise": {
        "name": "Zapad-2026",
        "window": {"start": "2026-11-23T00:00:00Z", "end": "2026-11-30T00:00:00Z"},
        "area": {
            "polygon": [
                {"lat": 54.0, "lon": 20.5},
                {"lat": 55.25, "lon": 21.0},
                {"lat": 54.5, "lon": 22.75},
            ]
        },
        "forces": "Zapadny VO, 1-ya TA",
        "personnel": 12500,
    },
    "meeting": {
        "proposer": "Vashington",
        "participants": ["Nachalnik shtaba A", "Nachalnik shtaba B"],
        "conditions": ["Ne publikovat do vstrechi"],
        "time": "tbd",
        "format": "tbd",
        "place": "Zheneva",
    },
    "meeting-reply": {
        "proposal": "0123456789abcdef0123456789abcdef",
        "state": "scheduled",
        "time": "2026-12-01T10:00:00Z",
        "format": "in-person",
        "place": "Vena",
        "note": "Soglasny.\nDetali pozzhe.",
    },
    "ceasefire": {
        "place": {"name": "Shyrokyne", "coordinates": {"lat": 47.08, "lon": 37.6}},
        "time": "2026-11-23T03:12:00Z",
        "weapon": "mortar",
        "count": 14,
        "source": "SMM OBSE",
    },
    "codeword": {"word": "NIGHTFALL", "number": 17},
}


def example(code: str) -> dict[str, Any]:
    """A fresh copy of the example notification of format ``code``."""
    return copy.deepcopy(EXAMPLES[code])


def _steps(path: str) -> list[str | int]:
    """``"corridor[2].lat"`` as ``["corridor", 2, "lat"]``."""
    steps: list[str | int] = []
    for part in path.split("."):
        name, *indices = re.split(r"\[(\d+)\]", part)
        if name:
            steps.append(name)
        steps += [int(i) for i in indices if i]
    return steps


def with_value(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``data`` with the value at ``path`` replaced (or deleted, for DROP)."""
    changed = copy.deepcopy(data)
    *parents, last = _steps(path)
    holder: Any = changed
    for step in parents:
        holder = holder[step]
    if value is DROP:
        del holder[last]
    else:
        holder[last] = value
    return changed


def problem_paths(fmt: Format, data: Any, **kwargs: Any) -> list[str]:
    """The paths of the problems validating ``data`` finds (it must find some)."""
    kwargs.setdefault("now", NOW)
    with pytest.raises(NotificationInvalid) as caught:
        fmt.validate(data, **kwargs)
    assert caught.value.format_code == fmt.code
    return [p.path for p in caught.value.problems]


def leaf_paths(fields: tuple[Field, ...], prefix: str = "") -> set[str]:
    """Every scalar field's path in a format, list items written ``[]``."""
    paths: set[str] = set()
    for field in fields:
        path = f"{prefix}.{field.name}" if prefix else field.name
        if isinstance(field, RecordField):
            paths |= leaf_paths(field.fields, path)
        elif isinstance(field, ChoiceField):
            paths |= leaf_paths(field.variants, path)
        elif isinstance(field, ListField):
            if isinstance(field.item, RecordField):
                paths |= leaf_paths(field.item.fields, f"{path}[]")
            else:
                paths.add(f"{path}[]")
            paths.add(path)
        else:
            paths.add(path)
    return paths


def generic(path: str) -> str:
    """``"corridor[2].lat"`` as ``"corridor[].lat"``, to compare with :func:`leaf_paths`."""
    return re.sub(r"\[\d+\]", "[]", path)
