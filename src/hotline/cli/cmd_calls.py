"""``hotline calls DIR [--json] [--limit N]``: the record of video and voice calls.

Each call as both parties keep it: caller, callee, channel, kind, requested,
answered and ended (UTC), duration, outcome and reason, and both DTLS
fingerprints (docs/protocol/calls.md). Asks the running terminal; when it is
not running, reads the store directly (the record is durable either way).
"""

from __future__ import annotations

import argparse
from typing import Any

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.errors import DaemonNotRunning
from hotline.terminal import ControlClient, open_terminal
from hotline.terminal.desks.calls import call_json

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("calls", help="list video and voice calls and their outcomes")
    add_directory(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--limit", type=int, default=200, help="newest N calls (default 200)")
    parser.set_defaults(handler=run)


def _calls(args: argparse.Namespace) -> list[dict[str, Any]]:
    client = ControlClient(args.directory)
    try:
        return client.calls(limit=args.limit)
    except DaemonNotRunning:
        files = open_terminal(args.directory)
        try:
            party = files.settings.party
            return [call_json(c, party=party) for c in files.store.list_calls(args.limit)]
        finally:
            files.store.close()
    finally:
        client.close()


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.limit <= 10_000:
        raise SystemExit("hotline calls: --limit must be 1 to 10000")
    calls = _calls(args)
    if args.json:
        print_json(calls)
        return 0
    if not calls:
        print("no calls")
    for call in calls:
        duration = "" if call["duration"] is None else f"{call['duration']:.1f} s"
        ended = call["outcome"] or call["state"]
        print(
            f"{call['requested_at']}  {call['kind']:<5} {call['caller']} -> {call['callee']} "
            f"on {call['channel']}  {ended:<10} {duration}"
            + (f"  ({call['reason']})" if call["reason"] else "")
        )
        print(f"    answered {call['answered_at'] or '-'}  ended {call['ended_at'] or '-'}")
        print(f"    fingerprints: ours {call['our_fingerprint'] or '-'}")
        print(f"                  theirs {call['peer_fingerprint'] or '-'}")
    return 0
