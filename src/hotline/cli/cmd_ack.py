"""``hotline ack DIR MESSAGE_ID --user NAME``: acknowledge an incoming message as a person.

The user's password (prompt, or ``--password-file``) unlocks their own signing
key in the running terminal, which signs the acknowledgement in their name and
sends it back to the sender, who then sees "acknowledged by NAME at TIME".
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hotline.cli._common import Verbs, add_directory
from hotline.cli.cmd_user import read_password
from hotline.terminal import ControlClient

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "ack", help="acknowledge an incoming message as a console user (signed by them)"
    )
    add_directory(parser)
    parser.add_argument("message_id", metavar="MESSAGE_ID", help="the incoming message's id")
    parser.add_argument("--user", required=True, metavar="NAME", help="who acknowledges")
    parser.add_argument(
        "--password-file", type=Path, metavar="FILE", help="the user's password, first line"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    password = read_password(args.password_file, confirm=False)
    with ControlClient(args.directory) as client:
        result = client.acknowledge(args.message_id, user=args.user, password=password)
    print(
        f"acknowledged {result['id']} as {result['acknowledged_by']} at {result['acknowledged_at']}"
    )
    return 0
