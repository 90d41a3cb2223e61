"""``hotline report DIR``: notification counts by period, peer and format; CSV exports.

``--csv`` prints the counts as CSV; ``--list-csv`` prints every notification as a
CSV row instead. Exercise traffic is left out unless ``--exercise`` is given.
"""

from __future__ import annotations

import argparse
import sys

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.terminal import ControlClient

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "report", help="count notifications by period, peer and format (CSV export)"
    )
    add_directory(parser)
    parser.add_argument("--period", default="month", choices=["day", "month", "year", "all"])
    parser.add_argument("--since", metavar="UTC", help="from this time, e.g. 2026-11-01T00:00:00Z")
    parser.add_argument("--until", metavar="UTC", help="before this time")
    parser.add_argument("--exercise", action="store_true", help="count exercise traffic too")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the counts as JSON")
    output.add_argument("--csv", action="store_true", help="print the counts as CSV")
    output.add_argument(
        "--list-csv", action="store_true", help="print every notification as a CSV row"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    params = {"since": args.since, "until": args.until, "exercise": "true" if args.exercise else ""}
    with ControlClient(args.directory) as client:
        if args.list_csv:
            sys.stdout.write(client.report_text("/reports/notifications.csv", **params))
            return 0
        if args.csv:
            sys.stdout.write(
                client.report_text(
                    "/reports/notifications", period=args.period, csv="true", **params
                )
            )
            return 0
        rows = client.report(period=args.period, **params)
    if args.json:
        print_json(rows)
    elif not rows:
        print("no notifications in that period")
    for row in [] if args.json else rows:
        arrow = "->" if row["direction"] == "out" else "<-"
        print(f"{row['period']:<10} {arrow} {row['peer']:<16} {row['format']:<14} {row['count']}")
    return 0
