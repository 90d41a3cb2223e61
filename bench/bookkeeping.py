"""Bookkeeping per message: the CBOR, time and store operations on a message's path, in µs.

Each store operation runs for ``--n`` messages in transactions of ``--batch``
(one commit per batch, as the terminal commits a burst), on a fresh SQLite
store in a temporary folder; every timestamp is distinct, so no cache sees a
value twice. Each figure is CPU time (``time.process_time``), the best of
``--rounds`` rounds (the least disturbed by other processes), in µs per message.

    PYTHONPATH=src .venv/bin/python -m bench.bookkeeping --json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hotline.crypto._cbor import canonical_dumps, loads_canonical_map
from hotline.store import (
    Direction,
    MessageRecord,
    MessageState,
    PartyRecord,
    PeerRecord,
    SQLiteStore,
)
from hotline.utc import format_utc, parse_utc, time_group

__all__ = ["measure"]

_START = datetime(2026, 11, 22, 4, 31, 14, 123456, tzinfo=UTC)


def _stamps(n: int) -> list[str]:
    return [format_utc(_START + timedelta(microseconds=7 * i + 1)) for i in range(n)]


def _header(serial: int) -> dict[str, Any]:
    return {
        "v": 2,
        "id": os.urandom(16).hex(),
        "from": os.urandom(32),
        "to": os.urandom(32),
        "ch": "primary",
        "n": serial,
        "at": "2026-11-22T04:31:14.123456Z",
        "tg": "220431Z",
        "prec": "routine",
        "kind": "text",
        "prev": os.urandom(32),
        "bc": os.urandom(32),
        "body": os.urandom(180),
        "signature": os.urandom(64),
    }


def _message(serial: int, direction: Direction, stamp: str) -> MessageRecord:
    envelope = canonical_dumps(_header(serial))
    incoming = direction is Direction.IN
    return MessageRecord(
        id=f"{direction}-{serial:08d}-{os.urandom(8).hex()}",
        direction=direction,
        peer="Moscow",
        channel="primary",
        serial=serial,
        time_group="220431Z",
        sent_at=stamp,
        precedence="routine",
        kind="text",
        text=f"burst {serial:05d}",
        body=canonical_dumps({"text": f"burst {serial:05d}", "salt": os.urandom(16)}),
        envelope=envelope,
        envelope_hash=hashlib.sha256(envelope).digest(),
        state=MessageState.DELIVERED if incoming else MessageState.QUEUED,
        created_at=stamp,
        transmitted_at=None,
        delivered_at=stamp if incoming else None,
        receipt=os.urandom(230) if incoming else None,
    )


@contextmanager
def _store() -> Iterator[SQLiteStore]:
    with tempfile.TemporaryDirectory(prefix="hotline-bookkeeping-") as folder:
        store = SQLiteStore.open(Path(folder) / "store.db")
        key = hashlib.sha256(b"Moscow").digest()
        store.set_party(
            PartyRecord(
                party="Washington",
                signing_key=b"W" * 32,
                encryption_key=b"w" * 32,
                routes=("127.0.0.1:7443",),
                timezone="UTC",
                created_at=_stamps(1)[0],
            )
        )
        store.add_peer(
            PeerRecord(
                party="Moscow",
                signing_key=key,
                encryption_key=hashlib.sha256(key).digest(),
                routes=("127.0.0.1:7444",),
                timezone="UTC",
                certificate=b"-----CERT Moscow",
                card_json="{}",
                fingerprint=key[:8].hex(),
                added_at=_stamps(1)[0],
            )
        )
        try:
            yield store
        finally:
            store.close()


def _per_message(n: int, run: Callable[[], object]) -> float:
    # CPU time of this process: on a shared machine, wall time also counts the
    # time other processes held the CPU.
    started = time.process_time()
    run()
    return (time.process_time() - started) / n * 1e6


def _pure(n: int) -> dict[str, float]:
    headers = [_header(i + 1) for i in range(n)]
    encoded = [canonical_dumps(h) for h in headers]
    stamps = _stamps(n)
    moments = [_START + timedelta(microseconds=7 * i + 1) for i in range(n)]
    entries = [
        {
            "seq": i + 1,
            "at": stamps[i],
            "kind": "message queued",
            "data": {"id": headers[i]["id"], "peer": "Moscow", "serial": i + 1, "channel": "x"},
            "prev": bytes(32),
        }
        for i in range(n)
    ]

    def each(function: Callable[[Any], object], values: list[Any]) -> Callable[[], None]:
        def run() -> None:
            for value in values:
                function(value)

        return run

    return {
        "canonical_dumps(envelope map)": _per_message(n, each(canonical_dumps, headers)),
        "canonical_dumps(journal entry)": _per_message(n, each(canonical_dumps, entries)),
        "loads_canonical_map(envelope)": _per_message(
            n,
            each(lambda data: loads_canonical_map(data, what="e", max_bytes=1 << 20), encoded),
        ),
        "format_utc": _per_message(n, each(format_utc, moments)),
        "parse_utc": _per_message(n, each(parse_utc, stamps)),
        "time_group": _per_message(n, each(time_group, moments)),
    }


def _batches(n: int, batch: int) -> Iterator[range]:
    for start in range(0, n, batch):
        yield range(start, min(n, start + batch))


def _store_ops(n: int, batch: int) -> dict[str, float]:
    stamps = _stamps(n)
    out = [_message(i + 1, Direction.OUT, stamps[i]) for i in range(n)]
    into = [_message(i + 1, Direction.IN, stamps[i]) for i in range(n)]
    more = [_message(n + i + 1, Direction.OUT, stamps[i]) for i in range(n)]
    data = [
        {"id": m.id, "peer": "Moscow", "serial": m.serial, "envelope_hash": m.envelope_hash.hex()}
        for m in out
    ]
    figures: dict[str, float] = {}
    with _store() as store:

        def batched(step: Callable[[int], object]) -> Callable[[], None]:
            def run() -> None:
                for chunk in _batches(n, batch):
                    with store.transaction():
                        for i in chunk:
                            step(i)

            return run

        figures["MessageRecord(...) build"] = _per_message(
            n, lambda: [_message_copy(m) for m in out] and None
        )
        figures["add_outgoing"] = _per_message(n, batched(lambda i: store.add_outgoing(out[i])))
        figures["append_journal"] = _per_message(
            n,
            batched(
                lambda i: store.append_journal(kind="message queued", at=stamps[i], data=data[i])
            ),
        )
        figures["outgoing_ref"] = _per_message(n, batched(lambda i: store.outgoing_ref(out[i].id)))
        figures["mark_transmitted"] = _per_message(
            n, batched(lambda i: store.mark_transmitted(out[i].id, stamps[i]))
        )
        figures["add_delivery_receipt"] = _per_message(
            n, batched(lambda i: store.add_delivery_receipt(out[i].id, b"r" * 230, stamps[i]))
        )
        figures["last_incoming"] = _per_message(n, batched(lambda i: store.last_incoming("Moscow")))
        figures["add_incoming"] = _per_message(n, batched(lambda i: store.add_incoming(into[i])))
        figures["get_message (row to record)"] = _per_message(
            n, batched(lambda i: store.get_message(out[i].id))
        )
        if hasattr(store, "append_journal_many"):

            def journal_batches() -> None:
                for chunk in _batches(n, batch):
                    store.append_journal_many(
                        [("message received", stamps[i], data[i]) for i in chunk]
                    )

            figures["append_journal_many (per entry)"] = _per_message(n, journal_batches)
        if hasattr(store, "mark_transmitted_many"):
            store.add_outgoing_many(more)

            def transmitted_batches() -> None:
                for chunk in _batches(n, batch):
                    store.mark_transmitted_many([more[i].id for i in chunk], stamps[chunk[-1]])

            figures["mark_transmitted_many (per message)"] = _per_message(n, transmitted_batches)
    with _store() as store:
        if hasattr(store, "add_incoming_many"):

            def incoming_batches() -> None:
                for chunk in _batches(n, batch):
                    store.add_incoming_many([into[i] for i in chunk])

            figures["add_incoming_many (per message)"] = _per_message(n, incoming_batches)
    return figures


def _message_copy(message: MessageRecord) -> MessageRecord:
    return MessageRecord(**{name: getattr(message, name) for name in MessageRecord.__slots__})


def measure(n: int, batch: int, rounds: int) -> dict[str, float]:
    """Best-of-``rounds`` µs per message for each operation."""
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, value in {**_pure(n), **_store_ops(n, batch)}.items():
            best[name] = min(value, best.get(name, value))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=5000, help="messages per operation (default 5000)")
    parser.add_argument("--batch", type=int, default=500, help="messages per commit (default 500)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds, best kept (default 5)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = measure(args.n, args.batch, args.rounds)
    if args.json:
        print(json.dumps({"n": args.n, "batch": args.batch, "rounds": args.rounds, "us": figures}))
        return
    for name, value in figures.items():
        print(f"{name:<34} {value:8.2f} µs")


if __name__ == "__main__":
    main()
