"""``hotline audit FILE [--card CARD_FILE …] [--json]``: check a bundle with nothing else.

A joint statement's export (``hotline statement export``) is recognised by its
magic first line and verified on its own (every draft, signature, endorsement
and card; docs/protocol/statements.md).

No terminal directory and no network: every signature, proof, checkpoint and
cosignature in the bundle is checked (docs/protocol/record.md, "Audit"), then
the account is printed. Exit 0 only if everything holds; else 1, with
``FAULT:`` and the first failure. With ``--card``, the auditor pins a party's
keys; without it, the keys come from the bundle itself, and the output says so.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from hotline.cli._common import Verbs, print_json
from hotline.crypto import PeerCard
from hotline.errors import BundleInvalid, CardInvalid, InvalidArgument
from hotline.terminal.record.audit import audit_bundle
from hotline.terminal.record.bundle import Bundle
from hotline.terminal.record.statement_audit import audit_statement, is_statement_export
from hotline.utc import format_utc

__all__ = ["register", "run"]


def register(verbs: Verbs) -> None:
    parser = verbs.add_parser(
        "audit", help="verify an exported bundle offline and print what it proves"
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="the bundle (hotline export)")
    parser.add_argument(
        "--card",
        dest="cards",
        metavar="CARD_FILE",
        type=Path,
        action="append",
        default=[],
        help="a party's card the auditor trusts: pins its keys (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    pinned = []
    for path in args.cards:
        try:
            pinned.append(PeerCard.from_json(path.read_bytes()))
        except OSError as exc:
            raise InvalidArgument(f"cannot read the card {path}: {exc.strerror}") from None
        except CardInvalid as exc:
            raise InvalidArgument(f"the card {path} does not verify: {exc}") from None
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise InvalidArgument(f"cannot read {args.file}: {exc.strerror}") from None
    if is_statement_export(data):
        return _audit_statement(data, as_json=args.json)
    try:
        report = audit_bundle(Bundle.decode(data), pinned)
        fault = report.fault
    except BundleInvalid as exc:
        report, fault = None, f"the bundle is malformed: {exc}"
    if args.json:
        document = report.to_json() if report is not None else {"ok": False, "fault": fault}
        print_json(document)
    elif fault is None and report is not None:
        for line in report.lines():
            print(line)
        print("ALL HOLDS: every signature, proof, checkpoint and cosignature verified")
    else:
        print(f"FAULT: {fault}")
    return 0 if fault is None else 1


def _audit_statement(data: bytes, *, as_json: bool) -> int:
    """An exported joint statement (docs/protocol/statements.md, "Export")."""
    audit = audit_statement(data, now=format_utc(datetime.now(UTC)))
    if as_json:
        print_json(audit.to_json())
    elif audit.fault is None:
        for line in audit.lines():
            print(line)
        print("ALL HOLDS: every draft, signature, endorsement and card verified")
    else:
        print(f"FAULT: {audit.fault}")
    return 0 if audit.fault is None else 1
