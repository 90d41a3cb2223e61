"""``hotline status DIR [--json]``: the terminal and the state of the line to each peer."""

from __future__ import annotations

import argparse

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.terminal import ControlClient

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "status", help="show the line to each peer: up/down, last contact, queued"
    )
    add_directory(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        status = client.status()
    if args.json:
        print_json(status)
        return 0
    print(f"{status['party']}  fingerprint {status['fingerprint']}")
    print(f"listening on {', '.join(status['listen'])}")
    if not status["peers"]:
        print("no peers yet (add one with: hotline peer add)")
    for peer in status["peers"]:
        line = f"  {peer['party']:<16} {peer['state'].upper():<5} queued {peer['queued']:<6}"
        line += f" last contact {peer['last_contact'] or 'never'}"
        if peer["state"] == "down" and peer.get("last_error"):
            line += f"  ({peer['last_error']})"
        print(line)
    return 0
