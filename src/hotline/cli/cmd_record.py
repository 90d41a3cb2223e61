"""``hotline record DIR [--json]``: the shared record, as the console's Record page shows it.

The log (origin, entries, tree size), the newest checkpoint with its signed
note, each peer's newest cosignature of our log (when, how old, how far
behind) and the peers that never cosigned, the peers' logs this terminal
witnesses, and the number of conflicts (docs/protocol/record.md).

Reads the store directly, as ``hotline verify`` does, so it answers whether or
not the terminal runs. ``--json`` prints ``RecordStatus.to_json()``.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from hotline.cli._common import Verbs, add_directory, print_json
from hotline.terminal import open_terminal
from hotline.terminal.record.status import RecordStatus, record_status

__all__ = ["register", "render", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "record",
        help="the shared record: log size, newest checkpoint, who cosigned it, conflicts",
    )
    add_directory(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    files = open_terminal(args.directory)
    try:
        status = record_status(files.store, files.identity, datetime.now(UTC))
    finally:
        files.store.close()
    if args.json:
        print_json(status.to_json())
    else:
        print(render(status))
    return 0


def _age(seconds: float) -> str:
    """``42s``, ``17m``, ``3h 05m``, ``2d 04h``: short enough to line up in a column."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m"
    if whole < 86400:
        return f"{whole // 3600}h {whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d {whole % 86400 // 3600:02d}h"


def render(status: RecordStatus) -> str:
    """The human form: one fact a line, the signed note indented as it is."""
    lines = [
        f"origin      {status.origin}",
        f"log         {status.entries} entries ({status.tree_size} in the tree)",
    ]
    if status.checkpoint_size is None:
        lines.append("checkpoint  none yet")
    else:
        lines.append(
            f"checkpoint  size {status.checkpoint_size}, root {status.checkpoint_root}, "
            f"issued {status.checkpoint_at}"
        )
        note = status.checkpoint_note or ""
        lines += [f"    {line}" for line in note.rstrip("\n").split("\n")]
    lines.append("cosigned by")
    if not status.cosigners and not status.never_cosigned:
        lines.append("    no peers")
    for c in status.cosigners:
        behind = "up to date" if c.behind == 0 else f"{c.behind} entries behind"
        lines.append(
            f"    {c.peer:<16} size {c.size} at {c.cosigned_at} ({_age(c.age)} ago), {behind}"
        )
    for peer in status.never_cosigned:
        lines.append(f"    {peer:<16} never cosigned")
    lines.append("witnessing")
    if not status.witnessed:
        lines.append("    no peer's log yet")
    for w in status.witnessed:
        lines.append(f"    {w.peer:<16} size {w.size}, root {w.root}, cosigned {w.cosigned_at}")
    lines.append(
        f"conflicts   {status.conflicts}"
        + ("" if status.conflicts == 0 else " (see the console's Record page; hotline export)")
    )
    return "\n".join(lines)
