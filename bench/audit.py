"""``hotline audit`` of a large bundle, timed: the issue asks for 100,000 entries in under 30 s.

The bundle is synthetic but real: Washington's log of N entries, alternating
"message queued" (a real sealed, signed version-2 envelope to Moscow, with its
salted body) and "receipt received" (Moscow's real signed receipt), hashed
into a real RFC 6962 tree with an inclusion proof per entry, a checkpoint
signed by Washington and cosigned by Moscow, the whole bundle signed. Building
it takes a while (an HPKE seal and two signatures per message) and is not
timed. Timed: decoding the file and :func:`audit_bundle` over it. Reference,
in the same run: SHA-256 of the same leaf data, the least any auditor must do.

    .venv/bin/python -m bench.audit --entries 100000 --json
"""

from __future__ import annotations

import argparse
import hashlib
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.report import JSON_HELP, emit_json
from hotline.crypto import (
    ZERO_HASH,
    Checkpoint,
    EnvelopeHeader,
    Identity,
    Precedence,
    SignedNote,
    TreeBuilder,
    cosign,
    inclusion_proof,
    leaf_hash,
    make_card,
    salted,
    seal_envelope,
    sign_note,
    sign_receipt,
)
from hotline.store import JournalEntry, journal_leaf_data
from hotline.store.journal import journal_entry_hash
from hotline.terminal.record.audit import audit_bundle
from hotline.terminal.record.bundle import Bundle, BundleEntry, Selection
from hotline.terminal.record.origin import record_origin
from hotline.utc import format_utc, time_group

__all__ = ["build_bundle", "main"]

_START = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


def build_bundle(entries: int) -> bytes:
    """A bundle of ``entries`` log entries (half messages, half their receipts), encoded."""
    washington, moscow = Identity.generate("Washington"), Identity.generate("Moscow")
    journal: list[JournalEntry] = []
    envelopes: dict[str, bytes] = {}
    bodies: dict[str, bytes] = {}
    receipts: dict[str, bytes] = {}
    prev_entry, prev_envelope = ZERO_HASH, ZERO_HASH

    def append(kind: str, at: str, data: dict[str, Any]) -> bytes:
        nonlocal prev_entry
        seq = len(journal) + 1
        digest = journal_entry_hash(seq, at, kind, data, prev_entry)
        journal.append(
            JournalEntry(seq=seq, at=at, kind=kind, data=data, prev_hash=prev_entry, hash=digest)
        )
        prev_entry = digest
        return digest

    for n in range(entries // 2):
        moment = _START + timedelta(milliseconds=n)
        stamp = format_utc(moment)
        body = salted({"text": f"message {n}: the line is open and both sides are listening"})
        envelope = seal_envelope(
            header=EnvelopeHeader(
                message_id=f"{n:032x}",
                sender=washington.signing_public,
                recipient=moscow.signing_public,
                serial=n + 1,
                sent_at=stamp,
                time_group=time_group(moment),
                precedence=Precedence.FLASH,
                prev_hash=prev_envelope,
            ),
            body=body,
            sender=washington,
            recipient_encryption_key=moscow.encryption_public,
        )
        prev_envelope = envelope.hash
        message_id = envelope.header.message_id
        envelopes[envelope.hash.hex()] = envelope.encode()
        bodies[message_id] = body_cbor(body)
        append(
            "message queued",
            stamp,
            {
                "id": message_id,
                "peer": "Moscow",
                "serial": n + 1,
                "envelope_hash": envelope.hash.hex(),
            },
        )
        receipt = sign_receipt(
            envelope=envelope, received_at=stamp, journal_head=bytes(32), recipient=moscow
        )
        receipts[message_id] = receipt.encode()
        append(
            "receipt received",
            stamp,
            {
                "id": message_id,
                "peer": "Moscow",
                "serial": n + 1,
                "receipt_hash": receipt.hash.hex(),
                "received_at": stamp,
            },
        )
    if entries % 2:
        append("line state", format_utc(_START), {"peer": "Moscow", "state": "up"})
    leaves = [journal_leaf_data(entry) for entry in journal]
    nodes: dict[tuple[int, int], bytes] = {}
    builder = TreeBuilder()
    for leaf in leaves:
        for level, index, value in builder.append(leaf_hash(leaf)):
            nodes[(level, index)] = value
    size = len(leaves)
    origin = record_origin("Washington", washington.signing_public)
    body_text = Checkpoint(origin=origin, size=size, root=builder.root()).body()
    note = SignedNote(
        body_text,
        (
            sign_note(
                body_text, name=origin, public_key=washington.signing_public, sign=washington.sign
            ),
            cosign(
                body_text,
                name=record_origin("Moscow", moscow.signing_public),
                public_key=moscow.signing_public,
                sign=moscow.sign,
                timestamp=int(_START.timestamp()) + 60,
            ),
        ),
    )
    bundle = Bundle(
        exported_by="Washington",
        exported_at=format_utc(_START + timedelta(hours=1)),
        selection=Selection(peer="Moscow"),
        cards=tuple(
            make_card(identity, routes=["127.0.0.1:7000"], timezone="UTC").to_json()
            for identity in (washington, moscow)
        ),
        origin=origin,
        checkpoint=note.encode().decode("utf-8"),
        entries=tuple(
            BundleEntry(
                index=i,
                leaf=leaf,
                proof=tuple(inclusion_proof(i, size, lambda level, x: nodes[(level, x)])),
            )
            for i, leaf in enumerate(leaves)
        ),
        envelopes=envelopes,
        bodies=bodies,
        receipts=receipts,
        witnessed=(),
        conflicts=(),
        signature=bytes(64),
    )
    return replace(bundle, signature=washington.sign(bundle.signed_bytes())).encode()


def body_cbor(body: dict[str, Any]) -> bytes:
    """The body's canonical CBOR, as the terminal stores it (what the commitment covers)."""
    import cbor2

    return bytes(cbor2.dumps(body, canonical=True))


def run(entries: int) -> dict[str, Any]:
    built = time.perf_counter()
    data = build_bundle(entries)
    build_s = time.perf_counter() - built
    started = time.perf_counter()
    bundle = Bundle.decode(data)
    decoded = time.perf_counter()
    report = audit_bundle(bundle)
    audited = time.perf_counter()
    if report.fault is not None:
        raise SystemExit(f"the synthetic bundle failed its audit: {report.fault}")
    reference_start = time.perf_counter()
    for entry in bundle.entries:
        hashlib.sha256(b"\x00" + entry.leaf).digest()
    reference_s = time.perf_counter() - reference_start
    total = audited - started
    return {
        "entries": entries,
        "messages": len(report.messages),
        "bundle_mib": round(len(data) / 2**20, 1),
        "build_s": round(build_s, 2),
        "decode_s": round(decoded - started, 2),
        "audit_s": round(audited - decoded, 2),
        "total_s": round(total, 2),
        "reference_sha256_s": round(reference_s, 3),
        "ratio_to_reference": round(total / reference_s, 1) if reference_s else None,
        "under_30_s": total < 30,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=100_000, help="log entries (default 100000)")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args()
    result = run(args.entries)
    print(
        f"audit of {result['entries']:,} entries ({result['messages']:,} messages, "
        f"{result['bundle_mib']} MiB): decode {result['decode_s']} s + audit {result['audit_s']} s "
        f"= {result['total_s']} s (goal < 30 s); SHA-256 of the leaves alone "
        f"{result['reference_sha256_s']} s (x{result['ratio_to_reference']})"
    )
    if args.json:
        emit_json("audit", result, entries=args.entries)


if __name__ == "__main__":
    main()
