"""``hotline export DIR [--peer P] [--since UTC] [--until UTC] [--id ID …] --output FILE``.

Writes one self-contained bundle of this terminal's record (docs/protocol/
record.md, "Bundle") that ``hotline audit`` checks anywhere. Reads the store
directly: it works whether or not the terminal runs. The file is written to a
temporary name and renamed, so a reader never sees half a bundle, and an
existing file is kept unless ``--force``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path

from hotline.cli._common import Verbs, add_directory
from hotline.errors import InvalidArgument
from hotline.terminal import open_terminal
from hotline.terminal.config.paths import write_private
from hotline.terminal.record.export import export_bundle

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "export", help="write part of the record as a bundle anyone can audit (hotline audit)"
    )
    add_directory(parser)
    parser.add_argument("--peer", metavar="PARTY", help="only the line to this peer")
    parser.add_argument("--since", metavar="UTC", help="entries at or after this time")
    parser.add_argument("--until", metavar="UTC", help="entries before this time")
    parser.add_argument(
        "--id",
        dest="ids",
        metavar="MESSAGE_ID",
        action="append",
        default=[],
        help="only this message and its receipt and acknowledgements (repeatable)",
    )
    parser.add_argument("--output", metavar="FILE", type=Path, required=True)
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    output: Path = args.output
    if output.exists() and not args.force:
        raise InvalidArgument(f"{output} exists (use --force to replace it)")
    files = open_terminal(args.directory)
    try:
        bundle, summary = export_bundle(
            files.store,
            files.identity,
            files.card().to_json(),
            peer=args.peer,
            since=args.since,
            until=args.until,
            ids=args.ids,
        )
    finally:
        files.store.close()
    _write_atomically(output, bundle.encode())
    print(f"wrote {output}")
    for line in summary.lines():
        print(line)
    return 0


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        # Owner-only: an export carries message texts.
        write_private(temporary, data)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
