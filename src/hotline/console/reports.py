"""Reports in the console: how many formatted notifications went where, and CSV downloads.

"Flights notified this month" is a count of ``flight`` notifications to one
peer in one month. The terminal counts (:func:`~hotline.terminal.desks.notifications.count_notifications`,
by period, peer, direction and format) and writes the CSV files
(:func:`~hotline.terminal.desks.notifications.counts_csv`,
:func:`~hotline.terminal.desks.notifications.notifications_csv`);
this module turns the console's query (a period, optional first and last days,
and whether to count exercise traffic) into those calls, and the rows into
what the reports page shows: each format by its title in the reader's language.

Days are whole UTC days, both inclusive: ``since=2026-11-01&until=2026-11-30``
is November. Exercise traffic is left out unless asked for, as in every
statistic the terminal keeps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from hotline.console.i18n import N_
from hotline.errors import InvalidArgument
from hotline.formats import TITLES
from hotline.terminal import Terminal
from hotline.terminal.desks.notifications import PERIODS, CountRow, count_notifications
from hotline.utc import format_utc

__all__ = ["PERIOD_LABELS", "ReportQuery", "csv_filename", "report_view"]

#: How each period reads on the page, in the order the page offers them.
PERIOD_LABELS: Final = {
    "day": N_("Day"),
    "month": N_("Month"),
    "year": N_("Year"),
    "all": N_("All time"),
}
_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_FILE_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def _day_start(text: str, name: str) -> datetime:
    match = _DAY.fullmatch(text.strip())
    if match is None:
        raise InvalidArgument(f"{name} must be a day like 2026-11-23, not {text!r}")
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:
        raise InvalidArgument(f"{name} is not a real day: {text!r}") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportQuery:
    """What to count: grouped by ``period``, between two UTC days (inclusive), exercise or not."""

    period: str = "month"
    #: First day counted (``YYYY-MM-DD``), or None for no lower bound.
    since: str | None = None
    #: Last day counted (``YYYY-MM-DD``), or None for no upper bound.
    until: str | None = None
    exercise: bool = False

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise InvalidArgument(
                f"period must be one of {', '.join(PERIODS)}, not {self.period!r}"
            )
        low = None if self.since is None else _day_start(self.since, "since")
        high = None if self.until is None else _day_start(self.until, "until")
        if low is not None and high is not None and high < low:
            raise InvalidArgument("until must not be before since")

    @classmethod
    def parse(
        cls, *, period: str, since: str | None, until: str | None, exercise: bool
    ) -> ReportQuery:
        """A query from form or URL values, an empty day counting as none."""
        return cls(
            period=period,
            since=since.strip() if since and since.strip() else None,
            until=until.strip() if until and until.strip() else None,
            exercise=exercise,
        )

    def bounds(self) -> tuple[str | None, str | None]:
        """(since, until) as the terminal takes them: UTC timestamps, ``until`` exclusive."""
        since = None if self.since is None else format_utc(_day_start(self.since, "since"))
        until = (
            None
            if self.until is None
            else format_utc(_day_start(self.until, "until") + timedelta(days=1))
        )
        return since, until

    def params(self) -> dict[str, str]:
        """The query as URL parameters (for the download links), empty ones left out."""
        params = {"period": self.period}
        if self.since is not None:
            params["since"] = self.since
        if self.until is not None:
            params["until"] = self.until
        if self.exercise:
            params["exercise"] = "true"
        return params

    def count(self, terminal: Terminal) -> list[CountRow]:
        since, until = self.bounds()
        return count_notifications(
            terminal.store, period=self.period, since=since, until=until, exercise=self.exercise
        )


def report_view(terminal: Terminal, query: ReportQuery, *, language: str) -> dict[str, Any]:
    """The counts for ``query``, each row's format titled in ``language``, and the total."""
    rows = [
        {
            "period": row.period,
            "peer": row.peer,
            "direction": row.direction,
            "format": row.format,
            "format_title": TITLES[row.format][language] if row.format in TITLES else row.format,
            "count": row.count,
        }
        for row in query.count(terminal)
    ]
    return {
        "period": query.period,
        "since": query.since,
        "until": query.until,
        "exercise": query.exercise,
        "rows": rows,
        "total": sum(row["count"] for row in rows),
    }


def csv_filename(party: str, what: str, query: ReportQuery) -> str:
    """``hotline-Washington-counts-month.csv``: who, what and how, safe in any header."""
    parts = ["hotline", party, what, query.period]
    if query.since is not None:
        parts.append(f"from-{query.since}")
    if query.until is not None:
        parts.append(f"to-{query.until}")
    if query.exercise:
        parts.append("with-exercise")
    safe = (_FILE_UNSAFE.sub("-", part).strip("-") or "x" for part in parts)
    return "-".join(safe) + ".csv"
