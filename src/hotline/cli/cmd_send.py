"""``hotline send DIR --to PARTY [--to PARTY …] [--precedence P] [--channel C] TEXT``: queue a message.

Prints the message id once the message is durable in the terminal's store,
whether or not the peer is reachable now (it waits, in order, if not). With
several ``--to``, one payload goes to every party named, each copy over its
own line (docs/protocol/parties.md), and the group's id is printed; an unknown
party anywhere, or one named twice, refuses the whole send and nothing is queued.
With ``--conference NAME`` instead of ``--to``, one payload goes to every other
member of the conference (docs/protocol/conferences.md); the group id is printed.
The handling markings (``--eyes-only``, ``--embargoed-until``, ``--not-for-release``,
``--classification``) go in the signed body (cli/_markings.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from hotline.cli._common import (
    Verbs,
    add_directory,
    print_json,
    read_text_argument,
    recipients_argument,
)
from hotline.cli._markings import add_marking_options, markings_argument
from hotline.crypto import Precedence
from hotline.errors import DeliveryTimeout, InvalidArgument
from hotline.terminal import ControlClient

__all__ = ["register", "run"]

PRECEDENCES = tuple(str(p) for p in Precedence)


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("send", help="send a message (prints its id once it is durable)")
    add_directory(parser)
    to = parser.add_mutually_exclusive_group(required=True)
    to.add_argument(
        "--to",
        action="append",
        metavar="PARTY",
        help="a peer to send to; repeat it to send one message to several parties",
    )
    to.add_argument(
        "--conference",
        metavar="NAME",
        help="a conference (name or id): one message to every other member",
    )
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
        "--json",
        action="store_true",
        help="print the whole message record (several parties: the group) as JSON",
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="after printing the id, wait for the signed receipt (of every party)",
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
    if args.conference is not None:
        with ControlClient(args.directory) as client:
            group = client.send_conference(
                args.conference,
                text=text,
                precedence=precedence,
                channel=args.channel,
                markings=markings,
            )
            _show(group, group["group"], args.json)
            if not args.wait:
                return 0
            sys.stdout.flush()
            return wait_for_copies(client, group["messages"], args.timeout, args.directory)
    recipients = recipients_argument(args.to)
    with ControlClient(args.directory) as client:
        if len(recipients) == 1:
            record = client.send(
                to=recipients[0],
                text=text,
                precedence=precedence,
                channel=args.channel,
                markings=markings,
            )
            _show(record, record["id"], args.json)
            copies = [record]
        else:
            group = client.send_group(
                to=recipients,
                text=text,
                precedence=precedence,
                channel=args.channel,
                markings=markings,
            )
            _show(group, group["group"], args.json)
            copies = group["messages"]
        if not args.wait:
            return 0
        sys.stdout.flush()
        return wait_for_copies(client, copies, args.timeout, args.directory)


def wait_for_copies(
    client: ControlClient, copies: list[dict[str, Any]], timeout: float, directory: object
) -> int:
    """Wait for every copy's receipt within one shared timeout; DeliveryTimeout naming the late.

    Each wait ends as soon as that receipt is in, and takes only what is left of
    the timeout, so the total is the slowest party's time, never more than ``timeout``.
    """
    deadline = time.monotonic() + timeout
    late: list[dict[str, Any]] = []
    for copy in copies:
        left = max(deadline - time.monotonic(), 0.001)
        record = client.wait_delivered(copy["id"], timeout=left)
        if record["state"] not in ("delivered", "acknowledged"):
            late.append(record)
        elif len(copies) == 1:
            print(f"delivered {record['delivered_at']}", file=sys.stderr)
        else:
            print(f"delivered to {record['peer']} {record['delivered_at']}", file=sys.stderr)
    check = f"(check: hotline status {directory})"
    if len(copies) == 1 and late:
        [record] = late
        raise DeliveryTimeout(
            f"message {record['id']} is still {record['state']} after {timeout:g} s: "
            f"no receipt from {record['peer']} yet {check}"
        )
    if late:
        named = ", ".join(f"{r['peer']} (message {r['id']} is still {r['state']})" for r in late)
        raise DeliveryTimeout(f"no receipt after {timeout:g} s from {named} {check}")
    return 0


def _show(result: dict[str, Any], identifier: str, as_json: bool) -> None:
    if as_json:
        print_json(result)
    else:
        print(identifier)
