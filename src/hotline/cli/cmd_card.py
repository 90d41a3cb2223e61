"""``hotline card DIR``: this terminal's peer card, as JSON on standard output."""

from __future__ import annotations

import argparse
import sys

from hotline.cli._common import Verbs, add_directory
from hotline.terminal import open_terminal

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "card", help="print this terminal's peer card (JSON) to hand to peers"
    )
    add_directory(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    files = open_terminal(args.directory)
    try:
        sys.stdout.write(files.card().to_json())
    finally:
        files.store.close()
    return 0
