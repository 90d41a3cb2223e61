"""``hotline passphrase change DIR [--passphrase-file F] (--new-passphrase-file F | --unprotect)``.

Reseals every private key file of a stopped terminal under a new passphrase
(docs/keys.md, "Changing the passphrase"). The current passphrase comes from
the usual sources (``--passphrase-file``, ``$HOTLINE_PASSPHRASE_FILE``, the
systemd credential, or the prompt at a terminal); the new one from
``--new-passphrase-file`` or, at a terminal, typed twice. On a terminal with
unprotected keys it seals them; ``--unprotect`` turns sealed keys raw again.
A re-run after an interruption finishes the job.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path

from hotline.cli._common import Verbs, add_directory, ask_new_passphrase
from hotline.crypto.sealed import is_sealed
from hotline.errors import PassphraseMissing
from hotline.terminal import TerminalPaths
from hotline.terminal.config.passphrase import Passphrase, find_passphrase, read_passphrase_file
from hotline.terminal.reseal import reseal_keys

__all__ = ["register", "run_change"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("passphrase", help="change the passphrase sealing the private keys")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    change = actions.add_parser(
        "change",
        help="reseal every private key of a stopped terminal under a new passphrase",
    )
    add_directory(change)
    change.add_argument(
        "--passphrase-file",
        type=Path,
        metavar="FILE",
        help="the current passphrase (also: $HOTLINE_PASSPHRASE_FILE, systemd credential "
        "'passphrase'; asked for at a terminal)",
    )
    target = change.add_mutually_exclusive_group()
    target.add_argument(
        "--new-passphrase-file",
        type=Path,
        metavar="FILE",
        help="the new passphrase (asked for twice at a terminal without it); seals unprotected keys",
    )
    target.add_argument(
        "--unprotect",
        action="store_true",
        help="store the keys unencrypted: whoever copies the directory is the party",
    )
    change.set_defaults(handler=run_change)


def _current(args: argparse.Namespace, paths: TerminalPaths) -> Passphrase | None:
    found = find_passphrase(args.passphrase_file)
    if found is None and sys.stdin.isatty() and _any_sealed(paths):
        typed = getpass.getpass("current passphrase: ")
        if typed:
            found = Passphrase(secret=typed.encode("utf-8"), source="the prompt")
    return found


def _any_sealed(paths: TerminalPaths) -> bool:
    return any(path.is_file() and is_sealed(path.read_bytes()) for path in paths.keys.glob("*.key"))


def _new(args: argparse.Namespace) -> bytes | None:
    if args.unprotect:
        return None
    if args.new_passphrase_file is not None:
        return read_passphrase_file(
            args.new_passphrase_file, source=f"--new-passphrase-file {args.new_passphrase_file}"
        ).secret
    if not sys.stdin.isatty():
        raise PassphraseMissing(
            "hotline passphrase change (not interactive) needs --new-passphrase-file FILE "
            "or --unprotect"
        )
    return ask_new_passphrase(what="new passphrase", outcome="nothing was changed")


def run_change(args: argparse.Namespace) -> int:
    paths = TerminalPaths(args.directory)
    new = _new(args)
    current = _current(args, paths) if paths.is_initialised() else None
    if new is None:
        print(
            "warning: the keys will be stored unencrypted: whoever copies "
            f"{args.directory} (a backup, a standby copy) can act as the party",
            file=sys.stderr,
        )
    done = reseal_keys(args.directory, current=current, new=new, now=datetime.now(UTC))
    state = "sealed under the new passphrase" if done.sealed else "unprotected (raw)"
    if done.rewritten:
        print(f"keys {state}: {', '.join(done.rewritten)}")
    else:
        print(f"keys already {state}: nothing to rewrite")
    if done.journalled:
        print("recorded in the journal (keys resealed)")
    else:
        print(
            f"warning: not journalled, the store did not open: {done.journal_error}",
            file=sys.stderr,
        )
    if done.sealed:
        print("hotline run needs the new passphrase from now on")
    return 0
