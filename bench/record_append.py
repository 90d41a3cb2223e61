"""What the shared record costs a terminal: extending the tree, signing, proving.

Delivery appends a journal entry per message queued, received and receipted;
the record adds nothing to that append. Its cost comes later, in batches:
:meth:`RecordKeeper.extend` reads the new entries, hashes them as RFC 6962
leaves and stores the perfect subtrees they complete, and a checkpoint is
signed. This measures, on a real SQLite store of N journal entries:

* **journal append** (the reference, in the same run): what delivery already
  pays per entry, each in its own transaction, as a message's entries are;
* **tree extension**, per entry, when the tree catches up on a batch;
* a **checkpoint** (root from stored nodes, Ed25519 signature, stored);
* an **inclusion proof** and a **consistency proof** at size N, and the
  number of stored nodes each read: O(log N).

    .venv/bin/python -m bench.record_append --entries 100000 --json
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.report import JSON_HELP, emit_json
from hotline.crypto import tlog
from hotline.terminal import init_terminal
from hotline.terminal.config import RecordSettings
from hotline.terminal.record import RecordKeeper
from hotline.testing import FakeClock
from hotline.utc import format_utc

__all__ = ["record_costs"]


def record_costs(entries: int, batch: int = 1000) -> dict[str, float]:
    """Median/mean costs in µs (and counts) for a store grown to ``entries`` journal entries."""
    with tempfile.TemporaryDirectory(prefix="hotline-record-bench-") as tmp:
        files = init_terminal(
            Path(tmp) / "t", party="Washington", listen=["127.0.0.1:7001"], console=None
        )
        store, clock = files.store, FakeClock()
        keeper = RecordKeeper(
            store=store, identity=files.identity, clock=clock, settings=RecordSettings()
        )
        append_us = extend_us = 0.0
        written = store.journal_size()
        stamp = format_utc(clock.now())
        while written < entries:
            count = min(batch, entries - written)
            started = time.perf_counter()
            for n in range(count):
                # One transaction per entry: what a message's path pays today.
                store.append_journal(
                    kind="message received",
                    at=stamp,
                    data={"id": f"{written + n:032x}", "peer": "Moscow", "serial": written + n},
                )
            append_us += time.perf_counter() - started
            written += count
            started = time.perf_counter()
            keeper.extend()
            extend_us += time.perf_counter() - started
        size = keeper.size
        started = time.perf_counter()
        checkpoint = keeper.checkpoint(force=True)
        checkpoint_us = (time.perf_counter() - started) * 1e6
        assert checkpoint is not None
        assert checkpoint.size == size
        reads = 0

        def counting(level: int, index: int) -> bytes:
            nonlocal reads
            reads += 1
            return store.record_node(level, index)

        started = time.perf_counter()
        proof = tlog.inclusion_proof(size // 3, size, counting)
        inclusion_us = (time.perf_counter() - started) * 1e6
        inclusion_reads, reads = reads, 0
        tlog.verify_inclusion(
            store.record_node(0, size // 3), size // 3, size, proof, checkpoint.root
        )
        started = time.perf_counter()
        consistency = tlog.consistency_proof(size // 2 + 1, size, counting)
        consistency_us = (time.perf_counter() - started) * 1e6
        consistency_reads = reads
        old_root = tlog.tree_root(size // 2 + 1, keeper.perfect)
        tlog.verify_consistency(size // 2 + 1, size, old_root, checkpoint.root, consistency)
        store.close()
    per_append = append_us * 1e6 / entries
    per_extend = extend_us * 1e6 / entries
    return {
        "entries": size,
        "journal_append_us_per_entry": round(per_append, 2),
        "tree_extend_us_per_entry": round(per_extend, 2),
        "extend_over_append": round(per_extend / per_append, 3),
        "checkpoint_us": round(checkpoint_us, 1),
        "inclusion_proof_us": round(inclusion_us, 1),
        "inclusion_proof_node_reads": inclusion_reads,
        "consistency_proof_us": round(consistency_us, 1),
        "consistency_proof_node_reads": consistency_reads,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=20000, help="journal entries to grow to")
    parser.add_argument("--json", action="store_true", help=JSON_HELP)
    args = parser.parse_args()
    if args.entries < 10:
        parser.error("--entries must be at least 10")
    result = record_costs(args.entries)
    for key, value in result.items():
        print(f"{key:32} {value}")
    if args.json:
        emit_json("record_append", result, entries=args.entries)


if __name__ == "__main__":
    main()
