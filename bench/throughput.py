"""Burst throughput: 10,000 messages each way, durable, in order, receipted.

Each side queues its burst through the control API in batches of 500 (one
commit per batch), both sides at once. The clock stops when every message of
both bursts holds a verified receipt at its sender. Then one direction alone,
and the reference (bench/reference.py) doing the same physical work for a
one-way burst of the same size, committed in the same batches.

    .venv/bin/python -m bench.throughput --n 10000
"""

from __future__ import annotations

import argparse
import threading
import time

from bench.harness import HOLD_HELP, Pair, cpus_held_awake, terminal_pair
from bench.reference import reference_throughput

__all__ = ["hotline_burst"]

BATCH = 500


def _queue(pair: Pair, sender: str, receiver: str, n: int) -> None:
    client = pair.client(sender)
    for offset in range(0, n, BATCH):
        count = min(BATCH, n - offset)
        client.send_many(
            [{"to": receiver, "text": f"{sender} burst {offset + i:05d}"} for i in range(count)]
        )


def _delivered(pair: Pair, party: str) -> int:
    return int(pair.client(party).statistics()["delivered"])


def hotline_burst(pair: Pair, n: int, *, both_ways: bool) -> float:
    """Messages per second (all directions together) for a burst of ``n`` per direction."""
    senders = (
        [("Washington", "Moscow"), ("Moscow", "Washington")]
        if both_ways
        else [("Washington", "Moscow")]
    )
    before = {party: _delivered(pair, party) for party, _ in senders}
    started = time.perf_counter()
    threads = [threading.Thread(target=_queue, args=(pair, s, r, n)) for s, r in senders]
    for thread in threads:
        thread.start()
    while any(_delivered(pair, party) - before[party] < n for party, _ in senders):
        time.sleep(0.02)
    elapsed = time.perf_counter() - started
    for thread in threads:
        thread.join()
    return len(senders) * n / elapsed


def check_order(pair: Pair) -> None:
    """Every message delivered, serials 1..n on both sides of each direction."""
    for sender, receiver in (("Washington", "Moscow"), ("Moscow", "Washington")):
        out = pair.client(sender).messages(direction="out", peer=receiver)
        into = pair.client(receiver).messages(direction="in", peer=sender)
        serials = sorted(m["serial"] for m in out)
        if serials != list(range(1, len(out) + 1)) or {m["id"] for m in out} != {
            m["id"] for m in into
        }:
            raise RuntimeError(f"{sender}→{receiver}: lost, duplicated or out-of-order messages")
        if any(m["state"] != "delivered" for m in out):
            raise RuntimeError(f"{sender}→{receiver}: undelivered messages remain")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--n", type=int, default=10_000, help="messages per direction (default 10000)"
    )
    parser.add_argument("--hold-cpus-awake", action="store_true", help=HOLD_HELP)
    args = parser.parse_args()
    with cpus_held_awake(args.hold_cpus_awake):
        _run(args.n)


def _run(n: int) -> None:
    with terminal_pair() as pair:
        one_way = hotline_burst(pair, n, both_ways=False)
        two_way = hotline_burst(pair, n, both_ways=True)
        check_order(pair)
    reference = reference_throughput(n, batch=BATCH)
    print(f"hotline one way   {n:>6} msgs: {one_way:9,.0f} msg/s")
    print(f"hotline both ways {n:>6} each: {two_way:9,.0f} msg/s (both directions together)")
    print(f"reference one way {n:>6} msgs: {reference:9,.0f} msg/s")
    print(f"hotline / reference (one way): {one_way / reference:.3f}")
    print("all delivered exactly once, in serial order, with verified receipts")


if __name__ == "__main__":
    main()
