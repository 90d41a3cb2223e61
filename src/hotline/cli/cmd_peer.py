"""``hotline peer add DIR CARD_FILE [--readd]``, ``peer list DIR``, ``peer confirm DIR PARTY …``, ``peer remove DIR PARTY``.

``confirm`` records the out-of-band fingerprint check ``add`` asks for;
``remove`` keeps the peer's records and refuses its line from then on
(docs/keys.md). While the terminal runs, each goes through its control API so
the running line changes at once; otherwise on the directory itself.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.crypto import PeerCard
from hotline.errors import DaemonNotRunning, InvalidArgument
from hotline.terminal import ControlClient, add_peer_card, open_terminal
from hotline.terminal.config.peer_masters import pending_master_change
from hotline.terminal.config.setup import TerminalFiles
from hotline.terminal.config.trust import (
    CONFIRMATION_METHODS,
    confirm_peer,
    confirmation_json,
    remove_peer,
)
from hotline.terminal.desks.keys import BLOCKED_STATUS

__all__ = ["register", "run_add", "run_confirm", "run_list", "run_remove"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("peer", help="manage the peers this terminal talks to")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="verify a peer's card and add the peer")
    add_directory(add)
    add.add_argument(
        "card", metavar="CARD_FILE", help="the peer's card (JSON), or - for standard input"
    )
    add.add_argument(
        "--readd",
        action="store_true",
        help="trust again a peer removed with 'hotline peer remove'",
    )
    add.set_defaults(handler=run_add)
    confirm = actions.add_parser(
        "confirm", help="record that a peer's fingerprint was compared out of band"
    )
    add_directory(confirm)
    confirm.add_argument("party", metavar="PARTY", help="the peer")
    confirm.add_argument(
        "--fingerprint",
        required=True,
        metavar="DIGITS",
        help="the 60 digits the peer's operator read out (as peer add prints them)",
    )
    confirm.add_argument(
        "--method", required=True, choices=CONFIRMATION_METHODS, help="how they were compared"
    )
    confirm.add_argument("--by", required=True, metavar="NAME", help="who compared them")
    confirm.set_defaults(handler=run_confirm)
    remove = actions.add_parser(
        "remove", help="remove a peer: its records are kept, its line refused from now on"
    )
    add_directory(remove)
    remove.add_argument("party", metavar="PARTY", help="the peer")
    remove.set_defaults(handler=run_remove)
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
        result = client.add_peer(text, readd=args.readd)
        party, fingerprint, new = result["party"], result["fingerprint"], result["new"]
    except DaemonNotRunning:
        files = open_terminal(args.directory)
        try:
            added = add_peer_card(files, text, readd=args.readd)
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


def run_confirm(args: argparse.Namespace) -> int:
    client = ControlClient(args.directory)
    try:
        result = client.confirm_peer(
            args.party, fingerprint=args.fingerprint, method=args.method, confirmed_by=args.by
        )
    except DaemonNotRunning:
        files = open_terminal(args.directory)
        try:
            confirmation = confirm_peer(
                files,
                args.party,
                fingerprint=args.fingerprint,
                method=args.method,
                confirmed_by=args.by,
            )
        finally:
            files.store.close()
        result = confirmation_json(confirmation)
    finally:
        client.close()
    print(f"confirmed {args.party}: fingerprint {result['fingerprint']}")
    print(f"by {result['by']} ({result['method']}) at {result['at']}, signed and recorded")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    client = ControlClient(args.directory)
    try:
        removed_at = client.remove_peer(args.party)["removed_at"]
    except DaemonNotRunning:
        files = open_terminal(args.directory)
        try:
            removed_at = remove_peer(files, args.party).removed_at
        finally:
            files.store.close()
    finally:
        client.close()
    print(f"removed {args.party} at {removed_at}: its messages and record are kept,")
    print("its line is refused from now on (to trust it again: hotline peer add --readd)")
    return 0


def run_list(args: argparse.Namespace) -> int:
    files = open_terminal(args.directory)
    try:
        removals = files.store.peer_removals()
        confirmations = files.store.peer_confirmations()
        peers: list[dict[str, Any]] = []
        for p in files.store.list_peers():
            removal = removals.get(p.party)
            peers.append(
                {
                    "party": p.party,
                    "fingerprint": p.fingerprint,
                    "routes": list(p.routes),
                    "timezone": p.timezone,
                    # Only checks of the card's current fingerprint count.
                    "confirmations": [
                        confirmation_json(c)
                        for c in confirmations
                        if c.party == p.party and c.fingerprint == p.fingerprint
                    ],
                    "removed_at": removal.removed_at if removal is not None else None,
                    "blocked": _blocked_json(files, p.party),
                }
            )
    finally:
        files.store.close()
    if args.json:
        print_json(peers)
    else:
        for peer in peers:
            print(f"{peer['party']:<20} {peer['fingerprint']}  {', '.join(peer['routes'])}")
            print(f"{'':<20} {_trust_line(peer)}")
    return 0


def _blocked_json(files: TerminalFiles, party: str) -> dict[str, Any] | None:
    # A master change awaiting its fingerprint check blocks the line (docs/keys.md).
    change = pending_master_change(files.store, party)
    if change is None:
        return None
    return {
        "status": BLOCKED_STATUS,
        "since": change.received_at,
        "new_fingerprint": PeerCard.from_json(change.card_json).fingerprint,
    }


def _trust_line(peer: dict[str, Any]) -> str:
    if peer["removed_at"] is not None:
        return f"REMOVED on {peer['removed_at']}: its line is refused"
    if peer.get("blocked") is not None:
        blocked = peer["blocked"]
        return (
            f"{blocked['status']} (since {blocked['since']}); new fingerprint "
            f"{blocked['new_fingerprint']}: compare it, then: hotline peer confirm"
        )
    if not peer["confirmations"]:
        return "not confirmed: compare the fingerprint, then: hotline peer confirm"
    last = peer["confirmations"][-1]
    return f"confirmed by {last['by']} ({last['method']}) at {last['at']}"
