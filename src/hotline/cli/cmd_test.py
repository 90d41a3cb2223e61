"""``hotline test DIR [--peer PARTY] [--json]``: test every route end to end, now.

The terminal tests every route on its own schedule (``[link] test_interval``);
this verb runs the same test at once, as an operator would after a repair.
It waits until each route's test has passed or missed (at most
``test_deadline`` seconds) and exits 1 if any missed.
"""

from __future__ import annotations

import argparse

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.terminal import ControlClient

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "test", help="test every route to the peers end to end now (exit 1 if one misses)"
    )
    add_directory(parser)
    parser.add_argument("--peer", metavar="PARTY", help="only the routes to this peer")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        results = client.run_tests(peer=args.peer)
    if args.json:
        print_json(results)
    elif not results:
        print("no routes to test (add a peer with: hotline peer add)")
    for result in [] if args.json else results:
        if result["ok"]:
            outcome = f"PASSED  round trip {result['rtt_ms']} ms, received {result['received_at']}"
        else:
            outcome = f"MISSED  {result['reason']}"
        print(f"{result['peer']:<16} {result['route']:<24} {outcome}")
    return 0 if all(result["ok"] for result in results) else 1
