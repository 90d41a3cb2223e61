"""``hotline verify DIR``: re-check every signature, chain, receipt and the journal.

Reads the store directly (it works whether or not the daemon runs). Prints
one summary line; exit 0 only if everything holds, else 1 naming the first fault.
"""

from __future__ import annotations

import argparse

from hotline.cli._common import Verbs, add_directory
from hotline.terminal import open_terminal, verify_store
from hotline.terminal.config import certificate_history

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "verify", help="check every stored signature, chain, receipt and the journal"
    )
    add_directory(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    files = open_terminal(args.directory)
    try:
        # Our masters' certificates: what we signed after a signing-key rotation,
        # under the master of the time (docs/keys.md §7b).
        certificates = () if files.tiers is None else certificate_history(files.paths)
        report = verify_store(files.store, files.identity, certificates=certificates)
    finally:
        files.store.close()
    print(report.summary())
    return 0 if report.ok else 1
