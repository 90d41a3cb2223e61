"""``hotline release DIR MESSAGE_ID [--text PUBLIC_TEXT] [--at UTC]``: release a marked message.

The terminal signs a release record (a message of kind ``release``) naming the
marked message and sends it to the peer; both sides record it, and from then
on show the message as a public statement with its release time and public
text (docs/protocol/markings.md §3). Only the sender of the message may
release it, or either party where ``[markings] release_by = "either"``; an
unknown or unmarked message, or one already released, is refused (exit 1).
"""

from __future__ import annotations

import argparse

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.terminal import ControlClient

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "release", help="release a marked message: it becomes a public statement"
    )
    add_directory(parser)
    parser.add_argument("message_id", metavar="MESSAGE_ID", help="the marked message")
    parser.add_argument(
        "--text",
        metavar="PUBLIC_TEXT",
        help="what may be said in public (default: the message's own text)",
    )
    parser.add_argument(
        "--at", metavar="UTC", help="the release time, e.g. 2026-12-01T18:00Z (default now)"
    )
    parser.add_argument("--json", action="store_true", help="print the release as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    with ControlClient(args.directory) as client:
        release = client.release(args.message_id, public_text=args.text, at=args.at)
    if args.json:
        print_json(release)
    else:
        print(
            f"released {release['message']} at {release['released_at']} ({release['release_id']})"
        )
    return 0
