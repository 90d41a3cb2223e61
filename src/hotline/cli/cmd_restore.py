"""``hotline restore FILE DIR``: a terminal directory again from a ``hotline backup`` archive."""

from __future__ import annotations

import argparse
from pathlib import Path

from hotline.cli._common import Verbs
from hotline.terminal.config.backup import restore_terminal

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "restore", help="restore a backup archive into a new (or empty) terminal directory"
    )
    parser.add_argument(
        "archive", metavar="FILE", type=Path, help="the archive hotline backup wrote"
    )
    parser.add_argument(
        "directory", metavar="DIR", type=Path, help="the directory to restore into (new or empty)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    manifest = restore_terminal(args.archive, args.directory)
    print(
        f"restored {manifest.party} into {args.directory} as of {manifest.made_at} "
        f"(journal entry {manifest.journal_size}); every file matched the manifest"
    )
    print(
        f"next: hotline run {args.directory}; its peers send again what it received after "
        "the backup (docs/operations.md)"
    )
    return 0
