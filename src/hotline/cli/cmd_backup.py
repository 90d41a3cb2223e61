"""``hotline backup DIR --output FILE``: one archive of a terminal, safe while it runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from hotline.cli._common import Verbs, add_directory
from hotline.terminal.config.backup import backup_terminal

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "backup",
        help="write the terminal's store, settings and keys to one archive (while it runs)",
    )
    add_directory(parser)
    parser.add_argument(
        "--output",
        "-o",
        required=True,
        type=Path,
        metavar="FILE",
        help="the archive to write (replaced atomically; mode 0600; holds the private keys)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    manifest = backup_terminal(args.directory, args.output)
    print(
        f"backed up {manifest.party} to {args.output}: {len(manifest.members)} files, "
        f"journal entry {manifest.journal_size} ({manifest.journal_head.hex()[:16]}…), "
        f"made {manifest.made_at}"
    )
    return 0
