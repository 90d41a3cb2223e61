"""``hotline notify DIR --to PARTY --format CODE --file DATA.json``: send a formatted notification.

The data is checked against the format before anything is stored: every bad
field is reported, one per line, and nothing is sent (exit 1). A launch notice
with less than 24 h lead needs ``--late-notice`` (it is then flagged).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hotline.cli._common import Verbs, add_directory, print_json, recipients_argument
from hotline.cli._markings import add_marking_options, markings_argument
from hotline.crypto import Precedence
from hotline.errors import InvalidArgument, NotificationInvalid
from hotline.formats import get_format
from hotline.terminal import DEFAULT_CHANNEL, ControlClient

__all__ = ["read_data", "register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("notify", help="send a formatted notification (see: hotline formats)")
    add_directory(parser)
    parser.add_argument(
        "--to",
        required=True,
        action="append",
        metavar="PARTY",
        help="the peer to notify; repeat it to notify several parties with one payload",
    )
    parser.add_argument("--format", required=True, metavar="CODE", help="e.g. flight, launch")
    parser.add_argument(
        "--file", required=True, metavar="DATA.json", help="the notification's data (- for stdin)"
    )
    parser.add_argument(
        "--precedence", default="routine", choices=[p.value for p in Precedence], metavar="P"
    )
    parser.add_argument("--channel", default=DEFAULT_CHANNEL, metavar="C")
    parser.add_argument(
        "--late-notice",
        action="store_true",
        help="send a launch notice with less than 24 h lead (it is flagged as late)",
    )
    parser.add_argument("--exercise", action="store_true", help="mark it EXERCISE")
    parser.add_argument("--json", action="store_true", help="print the message record as JSON")
    add_marking_options(parser)
    parser.set_defaults(handler=run)


def read_data(name: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"cannot read {name}: {exc}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidArgument(f"{name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidArgument(f"{name} must hold a JSON object (the notification's fields)")
    return data


def run(args: argparse.Namespace) -> int:
    # The format first: an unknown code is the mistake to name, whatever the file holds.
    get_format(args.format)
    data = read_data(args.file)
    recipients = recipients_argument(args.to)
    markings = markings_argument(args)
    with ControlClient(args.directory) as client:
        try:
            record = client.notify(
                to=recipients[0] if len(recipients) == 1 else recipients,
                format_code=args.format,
                data=data,
                precedence=args.precedence,
                channel=args.channel,
                override=args.late_notice,
                exercise=args.exercise,
                markings=markings,
            )
        except NotificationInvalid as exc:
            print(f"hotline: the {args.format} notification is not valid:", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem.path}: {problem.message}", file=sys.stderr)
            return 1
    if args.json:
        print_json(record)
    else:
        print(record["group"] if "group" in record and "messages" in record else record["id"])
    return 0
