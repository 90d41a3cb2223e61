"""The console's JSON API for reports: notification counts, and the two CSV downloads.

* ``GET /api/reports?period=&since=&until=&exercise=``: counts of formatted
  notifications by period (``day``, ``month``, ``year``, ``all``), peer,
  direction and format, and their total;
* ``GET /api/reports/counts.csv?…``: the same counts as CSV;
* ``GET /api/reports/notifications.csv?…``: every notification counted, one
  row each, with its state and its data as JSON.

``since`` and ``until`` are whole UTC days (``2026-11-23``), both inclusive;
exercise traffic is left out unless ``exercise=true``. The CSV files are
served as attachments (``Content-Disposition``), named after the party and
the query, so a browser saves them instead of showing them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from hotline.console.deps import SessionDep, TerminalDep, current_session, require
from hotline.console.reports import ReportQuery, csv_filename, report_view
from hotline.console.visibility import message_view
from hotline.terminal import Operator, Permission
from hotline.terminal.desks.notifications import counts_csv, notifications_csv

__all__ = ["CSV_MEDIA_TYPE", "report_query", "router"]

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

Reader = Annotated[Operator, Depends(require(Permission.READ))]
reports_router = APIRouter(prefix="/reports", tags=["reports"])


async def report_query(
    period: Annotated[str, Query(max_length=8)] = "month",
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
    exercise: bool = False,
) -> ReportQuery:
    """The report's query from the URL; InvalidArgument (422) for a bad period or day."""
    return ReportQuery.parse(period=period, since=since, until=until, exercise=exercise)


QueryDep = Annotated[ReportQuery, Depends(report_query)]


def _attachment(text: str, filename: str) -> Response:
    return Response(
        content=text,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@reports_router.get("")
async def get_report(
    query: QueryDep, terminal: TerminalDep, session: SessionDep, _: Reader
) -> dict[str, Any]:
    """Counts by period, peer, direction and format, each format titled for the reader."""
    return report_view(terminal, query, language=session.language)


@reports_router.get("/counts.csv", response_class=Response)
async def get_counts_csv(query: QueryDep, terminal: TerminalDep, _: Reader) -> Response:
    """The counts as a CSV download: period, peer, direction, format, count."""
    return _attachment(
        counts_csv(query.count(terminal)), csv_filename(terminal.party, "counts", query)
    )


@reports_router.get("/notifications.csv", response_class=Response)
async def get_notifications_csv(
    query: QueryDep, terminal: TerminalDep, operator: Reader
) -> Response:
    """Every notification counted, one CSV row each, with its state and its data (JSON).

    A notification on a channel restricted to others keeps its row without its
    format and data (console/visibility.py).
    """
    since, until = query.bounds()
    text = notifications_csv(
        terminal.store,
        since=since,
        until=until,
        exercise=query.exercise,
        readable=lambda record: message_view(terminal, operator, record).readable,
    )
    return _attachment(text, csv_filename(terminal.party, "notifications", query))


router = APIRouter(prefix="/api", dependencies=[Depends(current_session)])
router.include_router(reports_router)
