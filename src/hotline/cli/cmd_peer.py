"""``hotline peer add DIR CARD_FILE`` and ``hotline peer list DIR``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.errors import DaemonNotRunning, InvalidArgument
from hotline.terminal import ControlClient, add_peer_card, open_terminal

__all__ = ["register", "run_add", "run_list"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("peer", help="manage the peers this terminal talks to")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="verify a peer's card and add the peer")
    add_directory(add)
    add.add_argument(
        "card", metavar="CARD_FILE", help="the peer's card (JSON), or - for standard input"
    )
    add.set_defaults(handler=run_add)
    listing = actions.add_parser("list", help="list known peers and their fingerprints")
    add_directory(listing)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)


def _read_card(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArgument(
            f"cannot read card file {name}: {getattr(exc, 'strerror', None) or exc}"
        ) from exc


def run_add(args: argparse.Namespace) -> int:
    text = _read_card(args.card)
    # A running daemon must learn of the peer at once, so it goes through its API.
    client = ControlClient(args.directory)
    try:
        result = client.add_peer(text)
        party, fingerprint, new = result["party"], result["fingerprint"], result["new"]
    except DaemonNotRunning:
        files = open_terminal(args.directory)
        try:
            added = add_peer_card(files, text)
        finally:
            files.store.close()
        party, fingerprint, new = added.peer.party, added.peer.fingerprint, added.new
    finally:
        client.close()
    print(f"{'added' if new else 'refreshed'} peer: {party}")
    print(f"fingerprint: {fingerprint}")
    print(
        f"Compare this fingerprint with {party}'s operator over another channel before relying on the line."
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    files = open_terminal(args.directory)
    try:
        peers = [
            {
                "party": p.party,
                "fingerprint": p.fingerprint,
                "routes": list(p.routes),
                "timezone": p.timezone,
            }
            for p in files.store.list_peers()
        ]
    finally:
        files.store.close()
    if args.json:
        print_json(peers)
    else:
        for peer in peers:
            print(f"{peer['party']:<20} {peer['fingerprint']}  {', '.join(peer['routes'])}")
    return 0
