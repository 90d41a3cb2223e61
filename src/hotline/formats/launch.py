"""Ballistic missile launch notifications, per the 1988 US-Soviet agreement, and their lead time.

The 1988 Agreement on Notifications of Launches of Intercontinental Ballistic
Missiles and Submarine-Launched Ballistic Missiles fixes what a notice says —
the planned date and launch window, the launch area, and the impact area — and
when: no less than 24 hours before the planned launch. This format follows it:

* ``window`` {start, end}: the planned launch window, UTC;
* ``launch_area``: any area (a named launch site, a polygon, a circle);
* ``impact_area``: a polygon, or a circle (centre and radius in km or NM) —
  never just a name, because the impact area is what the other side's warning
  systems must be able to match;
* ``late_notice``: set by validation, never typed in.

Lead time
=========

Validation is given ``now``, the moment the notice is given. If the window
starts less than :data:`LAUNCH_LEAD_TIME` after ``now``, the notice is refused
on ``window.start`` (problem ``late_notice``) unless the caller passes the operator's explicit override;
with it the notice is accepted and ``late_notice`` is true, and every rendering
carries a LATE NOTICE line. A late notice is never silent. ``late_notice`` is
always present in the canonical data; it is recomputed whenever ``now`` is
given, and kept as the data says when ``now`` is None (a stored notice, whose
lead time was checked when it was given).

A receiver can check the sender's flag: validating with ``now`` set to the
envelope's signed ``sent_at`` and ``override`` set to the data's own
``late_notice`` fails exactly when the sender sent a late notice unflagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final

from hotline.formats.areas import area_field, render_area
from hotline.formats.codewords import Codebook
from hotline.formats.fields import BooleanField, Problems, window_field
from hotline.formats.format import Context, Format
from hotline.formats.i18n import Renderer
from hotline.utc import parse_utc

__all__ = ["LAUNCH", "LAUNCH_LEAD_TIME"]

#: The least lead time the 1988 agreement allows without the late-notice override.
LAUNCH_LEAD_TIME: Final = timedelta(hours=24)


def _check_lead_time(
    raw: Mapping[str, Any], result: dict[str, Any], problems: Problems, context: Context
) -> None:
    declared = bool(result.get("late_notice", False))
    window = result.get("window")
    if context.now is None or window is None:
        # No time to check against (or no valid window to check): keep the flag.
        result["late_notice"] = declared
        return
    lead = parse_utc(window["start"]) - context.now
    if lead >= LAUNCH_LEAD_TIME:
        result["late_notice"] = False
    elif context.override:
        result["late_notice"] = True
    else:
        problems.add("window.start", "late_notice")


def _write_launch(data: Mapping[str, Any], r: Renderer, codebook: Codebook | None) -> list[str]:
    late = [r.phrase("late_notice")] if data["late_notice"] else []
    return [
        *late,
        r.line("launch_window", r.window(data["window"])),
        r.line("launch_area", render_area(data["launch_area"], r)),
        r.line("impact_area", render_area(data["impact_area"], r)),
    ]


def _summarise_launch(data: Mapping[str, Any], r: Renderer) -> str:
    late = f" — {r.phrase('late_notice_short')}" if data["late_notice"] else ""
    return f"{r.title('launch')}: {r.window(data['window'])}{late}"


LAUNCH: Final = Format(
    code="launch",
    version=1,
    fields=(
        window_field(label="launch_window"),
        area_field("launch_area"),
        area_field("impact_area", kinds=("polygon", "circle")),
        BooleanField(name="late_notice", required=False, computed=True),
    ),
    rules=(_check_lead_time,),
    write=_write_launch,
    summarise=_summarise_launch,
)
