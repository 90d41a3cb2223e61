"""Reports: how much formatted traffic went where, by format, peer and period, and CSV exports.

"Flights notified this month" is a count of ``flight`` notifications to one
peer with ``sent_at`` in the month. A report reads every message once (per
peer and direction, in serial order, a page at a time), counts the
notifications (exercise traffic left out unless asked for) and returns rows
that the CLI prints or writes as CSV and the console serves as a download.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from hotline.errors import InvalidArgument
from hotline.store import Direction, MessageRecord, Store
from hotline.terminal.core.outbox import is_exercise
from hotline.terminal.desks.notifications.desk import notification_of
from hotline.utc import parse_utc

__all__ = ["PERIODS", "CountRow", "count_notifications", "counts_csv", "notifications_csv"]

#: How sent_at is bucketed: its first N characters (2026-11-23T14:00:00Z).
PERIODS = {"year": 4, "month": 7, "day": 10, "all": 0}


@dataclass(frozen=True, slots=True, kw_only=True)
class CountRow:
    period: str
    peer: str
    direction: str
    format: str
    count: int


def _notifications(
    store: Store, *, since: str | None, until: str | None, exercise: bool
) -> Iterator[tuple[MessageRecord, str, dict[str, object]]]:
    low = parse_utc(since) if since else None
    high = parse_utc(until) if until else None
    for peer in store.list_peers():
        for direction in (Direction.OUT, Direction.IN):
            for record in store.iter_messages(peer=peer.party, direction=direction):
                found = notification_of(record)
                if found is None or (is_exercise(record) and not exercise):
                    continue
                moment = parse_utc(record.sent_at)
                if (low and moment < low) or (high and moment >= high):
                    continue
                yield record, found[0], found[2]


def count_notifications(
    store: Store,
    *,
    period: str = "month",
    since: str | None = None,
    until: str | None = None,
    exercise: bool = False,
) -> list[CountRow]:
    """Counts by period, peer, direction and format, sorted."""
    if period not in PERIODS:
        raise InvalidArgument(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    width = PERIODS[period]
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for record, code, _ in _notifications(store, since=since, until=until, exercise=exercise):
        bucket = record.sent_at[:width] if width else "all"
        counts[(bucket, record.peer, str(record.direction), code)] += 1
    return [
        CountRow(period=p, peer=peer, direction=d, format=f, count=n)
        for (p, peer, d, f), n in sorted(counts.items())
    ]


def counts_csv(rows: list[CountRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["period", "peer", "direction", "format", "count"])
    for row in rows:
        writer.writerow([row.period, row.peer, row.direction, row.format, row.count])
    return out.getvalue()


def notifications_csv(
    store: Store,
    *,
    since: str | None = None,
    until: str | None = None,
    exercise: bool = False,
    readable: Callable[[MessageRecord], bool] | None = None,
) -> str:
    """Every notification as one CSV row: when, who, which format, its state, its data (JSON).

    A row ``readable`` refuses (the console's reader is not a member of its
    channel) keeps its place with the format and data left empty.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["sent_at", "time_group", "direction", "peer", "serial", "id", "format", "state", "data"]
    )
    for record, code, data in _notifications(store, since=since, until=until, exercise=exercise):
        if readable is not None and not readable(record):
            writer.writerow(
                [
                    record.sent_at,
                    record.time_group,
                    str(record.direction),
                    record.peer,
                    record.serial,
                    record.id,
                    "",
                    str(record.state),
                    "",
                ]
            )
            continue
        writer.writerow(
            [
                record.sent_at,
                record.time_group,
                str(record.direction),
                record.peer,
                record.serial,
                record.id,
                code,
                str(record.state),
                json.dumps(data, sort_keys=True, ensure_ascii=False),
            ]
        )
    return out.getvalue()
