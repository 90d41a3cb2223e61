"""``hotline store migrate DIR --to postgresql://…``: move a stopped terminal's state into PostgreSQL.

Refused while the terminal runs. Copies every table of ``DIR/hotline.db`` into
the empty database at the URL in one transaction (a line per table on stderr),
verifies the copy (row counts, a digest per table, the journal head, and
``hotline verify`` on both sides, which must agree), then sets ``[store] url``
in ``hotline.toml`` and renames the SQLite file to ``hotline.db.migrated``
(kept, never deleted). docs/store.md §14 and docs/ha.md say more.
"""

from __future__ import annotations

import argparse
import sys

from hotline.cli._common import Verbs, add_directory

__all__ = ["register", "run_migrate"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser("store", help="manage where the terminal keeps its state")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    migrate = actions.add_parser(
        "migrate", help="move a stopped terminal's SQLite state into an empty PostgreSQL database"
    )
    add_directory(migrate)
    migrate.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="the empty database: postgresql://user@host:port/dbname",
    )
    migrate.set_defaults(handler=run_migrate)


def _progress(table: str, rows: int) -> None:
    print(f"  {table:<22} {rows:>9} row{'s' if rows != 1 else ''}", file=sys.stderr, flush=True)


def run_migrate(args: argparse.Namespace) -> int:
    # Imported here: it needs psycopg (the `postgresql` extra), which other verbs must not.
    from hotline.terminal.store_move import move_store_to_postgresql

    print(f"copying {args.directory / 'hotline.db'} …", file=sys.stderr, flush=True)
    moved = move_store_to_postgresql(args.directory, args.to, progress=_progress)
    print(
        f"copied {moved.transfer.rows} rows in {len(moved.transfer.tables)} tables; "
        f"journal head {moved.transfer.journal_head.hex()[:16]}… matches"
    )
    print(moved.verified.summary())
    print(
        f"[store] url set in {args.directory / 'hotline.toml'}; the SQLite file kept as {moved.archived}"
    )
    return 0
