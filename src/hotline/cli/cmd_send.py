"""``hotline send DIR --to PARTY [--precedence P] [--channel C] [markings] TEXT``: queue a message.

Prints the message id once the message is durable in the terminal's store,
whether or not the peer is reachable now (it waits, in order, if not). The
handling markings (``--eyes-only``, ``--embargoed-until``, ``--not-for-release``,
``--classification``) go in its signed body (cli/_markings.py).
"""

from __future__ import annotations

import argparse
import sys

from hotline.cli._common import Verbs, add_directory, print_json, read_text_argument
from hotline.cli._markings import add_marking_options, markings_argument
from hotline.crypto import Precedence
from hotline.errors import DeliveryTimeout, InvalidArgument
from hotline.terminal import ControlClient

__all__ = ["register", "run"]

PRECEDENCES = tuple(str(p) for p in Precedence)


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("send", help="send a message (prints its id once it is durable)")
    add_directory(parser)
    parser.add_argument("--to", required=True, metavar="PARTY", help="the peer to send to")
    parser.add_argument(
        "--precedence",
        default="routine",
        metavar="P",
        help=f"one of {', '.join(PRECEDENCES)} (default routine)",
    )
    parser.add_argument(
        "--channel", default="leaders", metavar="C", help="the channel (default leaders)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the whole message record as JSON"
    )
    parser.add_argument(
        "--wait", action="store_true", help="after printing the id, wait for the signed receipt"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="with --wait: give up after this long and exit 1 (default 60)",
    )
    add_marking_options(parser)
    parser.add_argument(
        "text", nargs="+", metavar="TEXT", help="the message text, or - to read standard input"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    precedence = args.precedence.lower()
    if precedence not in PRECEDENCES:
        raise InvalidArgument(
            f"precedence {args.precedence!r} is not one of {', '.join(PRECEDENCES)}"
        )
    text = read_text_argument(args.text)
    if not text.strip():
        raise InvalidArgument("the message text is empty")
    if not 0 < args.timeout <= 3600:
        raise InvalidArgument("--timeout takes a number of seconds from 0 to 3600")
    markings = markings_argument(args)
    with ControlClient(args.directory) as client:
        record = client.send(
            to=args.to, text=text, precedence=precedence, channel=args.channel, markings=markings
        )
        _show(record, args.json)
        if not args.wait:
            return 0
        sys.stdout.flush()
        record = client.wait_delivered(record["id"], timeout=args.timeout)
    if record["state"] != "delivered":
        raise DeliveryTimeout(
            f"message {record['id']} is still {record['state']} after {args.timeout:g} s: "
            f"no receipt from {args.to} yet (check: hotline status {args.directory})"
        )
    print(f"delivered {record['delivered_at']}", file=sys.stderr)
    return 0


def _show(record: dict[str, object], as_json: bool) -> None:
    if as_json:
        print_json(record)
    else:
        print(record["id"])
