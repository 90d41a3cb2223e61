"""``hotline messages DIR [--json] [--peer P] [--limit N]``: the message log, newest first."""

from __future__ import annotations

import argparse

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.errors import InvalidArgument
from hotline.freetext import for_terminal
from hotline.terminal import ControlClient
from hotline.terminal.core import Markings

__all__ = ["register", "run"]

#: The keys of ``messages --json``, a public contract.
PUBLIC_KEYS = (
    "id",
    "direction",
    "peer",
    "channel",
    "serial",
    "time_group",
    "precedence",
    "state",
    "text",
    "created_at",
    "delivered_at",
    "kind",
    "sent_at",
    "transmitted_at",
    "envelope_hash",
    "exercise",
    "acknowledged_by",
    "acknowledged_at",
    "ack_deadline",
    "overdue",
    "format",
    "format_version",
    "data",
    "group",
    "payload_hash",
    "conference",
    "to",
    "recipients",
    "markings",
    "release",
)


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("messages", help="list messages, newest first")
    add_directory(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON list")
    parser.add_argument("--peer", metavar="PARTY", help="only messages with this peer")
    parser.add_argument("--direction", metavar="out|in", help="only outgoing or incoming messages")
    parser.add_argument("--limit", type=int, metavar="N", help="at most N messages")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.direction not in (None, "in", "out"):
        raise InvalidArgument("--direction must be 'in' or 'out'")
    if args.limit is not None and args.limit < 1:
        raise InvalidArgument("--limit must be at least 1")
    with ControlClient(args.directory) as client:
        records = client.messages(peer=args.peer, direction=args.direction, limit=args.limit)
    if args.json:
        print_json([{key: record.get(key) for key in PUBLIC_KEYS} for record in records])
        return 0
    for record in records:
        arrow = "->" if record["direction"] == "out" else "<-"
        # The console's word: an incoming message is "received" where an
        # outgoing one is "delivered" (the store's state is the same).
        state = record["state"]
        if record["direction"] == "in" and state == "delivered":
            state = "received"
        # A peer's text is what the peer signed: shown escaped and on one line,
        # so it can neither drive the terminal nor break the table.
        text = for_terminal(record["text"], one_line=True)
        marks = ("OVERDUE " if record.get("overdue") else "") + (
            "EXERCISE " if record.get("exercise") else ""
        )
        line = (
            f"{record['time_group']} {arrow} {record['peer']:<12} #{record['serial']:<5} "
            f"{record['precedence'].upper():<9} {state:<12} {marks}{text[:60]}"
        )
        if record.get("acknowledged_by"):
            line += (
                f"  [acknowledged by {record['acknowledged_by']} at {record['acknowledged_at']}]"
            )
        print(line)
        if record.get("markings"):
            markings = Markings.from_body({"markings": record["markings"]})
            print("    " + " / ".join(markings.lines() if markings else []))
        if record.get("group"):
            also = [p for p in record["to"] if p != record["peer"]]
            print(f"    group {record['group']}, also to {', '.join(also) or 'nobody else'}")
    return 0
