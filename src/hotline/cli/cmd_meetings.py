"""``hotline meetings DIR [--json]``: meeting proposals and the state their replies reached."""

from __future__ import annotations

import argparse

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.terminal import ControlClient

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("meetings", help="list meeting proposals and their states")
    add_directory(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        meetings = client.meetings()
    if args.json:
        print_json(meetings)
        return 0
    if not meetings:
        print("no meeting proposals")
    for meeting in meetings:
        data = meeting["data"]
        print(
            f"{meeting['proposal']}  {meeting['peer']:<14} {meeting['state']:<20} "
            f"time {data.get('time', '?')}  format {data.get('format', '?')}"
        )
    return 0
