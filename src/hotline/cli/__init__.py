"""Layer 4: the ``hotline`` command line. One module per verb; public API only.

Exit codes: 0 success; 1 a clear one-line error (bad input, unknown peer,
daemon not running, verification fault); 2 usage (argparse), and sealed keys
that cannot be opened (a wrong or missing passphrase: nothing was done);
130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from hotline import __version__
from hotline.cli import (
    cmd_ack,
    cmd_alarms,
    cmd_audit,
    cmd_backup,
    cmd_calls,
    cmd_card,
    cmd_ceremony,
    cmd_channel,
    cmd_conference,
    cmd_demo,
    cmd_export,
    cmd_formats,
    cmd_init,
    cmd_key,
    cmd_meetings,
    cmd_messages,
    cmd_notify,
    cmd_passphrase,
    cmd_peer,
    cmd_record,
    cmd_release,
    cmd_report,
    cmd_restore,
    cmd_run,
    cmd_send,
    cmd_statement,
    cmd_status,
    cmd_store,
    cmd_test,
    cmd_user,
    cmd_verify,
)
from hotline.errors import HotlineError, PassphraseError
from hotline.terminal.config.paths import PRIVATE_UMASK

__all__ = ["build_parser", "main"]

_VERBS = (
    cmd_init,
    cmd_card,
    cmd_peer,
    cmd_run,
    cmd_send,
    cmd_messages,
    cmd_status,
    cmd_test,
    cmd_alarms,
    cmd_ack,
    cmd_formats,
    cmd_notify,
    cmd_release,
    cmd_meetings,
    cmd_report,
    cmd_calls,
    cmd_conference,
    cmd_statement,
    cmd_user,
    cmd_channel,
    cmd_verify,
    cmd_record,
    cmd_export,
    cmd_audit,
    cmd_backup,
    cmd_restore,
    cmd_demo,
    cmd_store,
    cmd_key,
    cmd_passphrase,
    cmd_ceremony,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hotline",
        description="Self-hosted crisis-communication terminals: signed, encrypted, receipted messages.",
    )
    parser.add_argument("--version", action="version", version=f"hotline {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb in _VERBS:
        verb.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Whatever hotline creates is owner-only, even what other libraries create
    # for it (SQLite's -wal and -shm, sockets before their chmod): see
    # hotline.terminal.config.paths.
    os.umask(PRIVATE_UMASK)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except PassphraseError as exc:
        print(f"hotline: error: {exc}", file=sys.stderr)
        return 2
    except HotlineError as exc:
        print(f"hotline: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1
    return code
