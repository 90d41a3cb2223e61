"""``hotline release DIR MESSAGE_ID [--text PUBLIC_TEXT] [--at UTC]``: release a marked message.

The terminal signs a release record (a message of kind ``release``) naming the
marked message and sends it to the peer; both sides record it, and from then
on show the message as a public statement with its release time and public
text (docs/protocol/markings.md §3). Only the sender of the message may
release it, or either party where ``[markings] release_by = "either"``; an
unknown or unmarked message, or one already released, is refused (exit 1).
A message sent to several parties is released whole: every copy of its group,
one release message over each line; one line is printed per copy released.
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
        return 0
    # A group message is released whole: one line per copy, the named one first.
    for copy in release.get("copies", [release]):
        print(f"released {copy['message']} at {copy['released_at']} ({copy['release_id']})")
    return 0
